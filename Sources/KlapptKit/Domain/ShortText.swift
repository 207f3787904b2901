/// A short code (an ISO country code, an AGS, a category label) kept inline: up to 15 bytes of
/// UTF-8 in two words, with no heap and no reference counting, so that a record holding codes
/// is copied as plain bytes (millions of records are copied while persons are linked).
public struct ShortText: Hashable, Sendable, Comparable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// Bytes 0...14 hold the text, byte 15 its length.
    private var storage: (UInt64, UInt64) = (0, 0)

    public static let capacity = 15

    /// nil when `text` has more than `capacity` bytes.
    public init?(exactly text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count <= ShortText.capacity else { return nil }
        withUnsafeMutableBytes(of: &storage) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[ShortText.capacity] = UInt8(bytes.count)
        }
    }

    /// `text`, which must fit (code lists are checked when they are loaded).
    public init(_ text: String) {
        guard let value = ShortText(exactly: text) else { preconditionFailure("„\(text)“ ist länger als \(ShortText.capacity) Bytes") }
        self = value
    }

    public init(stringLiteral value: String) { self.init(value) }

    public var string: String {
        withUnsafeBytes(of: storage) { raw in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<Int(raw[ShortText.capacity])]), as: UTF8.self)
        }
    }

    public var description: String { string }

    /// Calls `body` with the text's UTF-8 bytes (no string made).
    @inline(__always)
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withUnsafeBytes(of: storage) { raw in
            body(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<Int(raw[ShortText.capacity])]))
        }
    }

    /// `bytes` as text; nil when they are more than `capacity`.
    public init?(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count <= ShortText.capacity else { return nil }
        withUnsafeMutableBytes(of: &storage) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[ShortText.capacity] = UInt8(bytes.count)
        }
    }

    /// The two words the text is kept in (for tables that code the few values a run sees).
    var words: (UInt64, UInt64) { storage }

    public static func == (lhs: ShortText, rhs: ShortText) -> Bool { lhs.storage == rhs.storage }

    public static func < (lhs: ShortText, rhs: ShortText) -> Bool { lhs.string < rhs.string }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
    }
}
