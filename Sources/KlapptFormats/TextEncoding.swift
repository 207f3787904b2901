import Foundation

/// The character encodings klappt reads. Decoding is strict: a byte sequence that is not valid in
/// the encoding is an error, never a replacement character, because a silently altered name would
/// change the person's pseudonym.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"

    /// Parses the spellings a pipeline file may use (`utf-8`, `UTF8`, `cp1252`, `latin1`-like names map
    /// to Windows-1252, which is what German office software writes when it says "ANSI").
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "windows-1252", "cp1252", "win-1252", "ansi", "latin1", "iso-8859-1", "iso-8859-15": self = .windows1252
        default: return nil
        }
    }

    /// Decodes `bytes`; returns nil when they are not valid in this encoding.
    @inlinable
    public func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var allASCII = true
        for byte in bytes where byte >= 0x80 {
            allASCII = false
            break
        }
        if allASCII { return String(decoding: bytes, as: UTF8.self) }
        switch self {
        case .utf8:
            return String(validating: bytes, as: UTF8.self)
        case .windows1252:
            var scalars = String.UnicodeScalarView()
            scalars.reserveCapacity(bytes.count)
            for byte in bytes {
                guard let scalar = Windows1252.scalar(for: byte) else { return nil }
                scalars.append(scalar)
            }
            return String(scalars)
        }
    }
}

/// The Windows-1252 code page. 0x80-0x9F hold typographic characters; 0x81, 0x8D, 0x8F, 0x90 and
/// 0x9D are unassigned and therefore undecodable.
public enum Windows1252 {
    @usableFromInline
    static let high: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    @inlinable
    public static func scalar(for byte: UInt8) -> Unicode.Scalar? {
        if byte < 0x80 || byte >= 0xA0 { return Unicode.Scalar(byte) }
        let value = high[Int(byte - 0x80)]
        return value == 0 ? nil : Unicode.Scalar(value)
    }

    /// Encodes a string to Windows-1252; nil when a character has no byte in the code page.
    public static func encode(_ string: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for scalar in string.unicodeScalars {
            let v = scalar.value
            if v < 0x80 || (v >= 0xA0 && v <= 0xFF) {
                out.append(UInt8(v))
            } else if let index = high.firstIndex(of: v) {
                out.append(UInt8(0x80 + index))
            } else {
                return nil
            }
        }
        return out
    }
}
