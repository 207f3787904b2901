import Foundation
import KlapptFormats

/// Keys every pseudonym with HMAC-SHA256 (SPEC 4.1). Holds the key; never prints it.
public struct Pseudonymizer: Sendable, CustomStringConvertible {
    /// HMAC-SHA256 keyed once (inner and outer pads absorbed).
    private let hmac: PrecomputedHMAC
    private let recordSeeds: (UInt64, UInt64)

    public init(keyBytes: [UInt8]) {
        precondition(keyBytes.count == 32, "a klappt key has 256 bits")
        var generator = SystemRandomNumberGenerator()
        hmac = PrecomputedHMAC(key: keyBytes)
        recordSeeds = (generator.next(), generator.next())
    }

    /// The keyed encodings for probabilistic linkage (nil: linkage is exact, and records carry none).
    public private(set) var linkageEncoder: LinkageEncoder?

    /// The same key, making the encodings probabilistic linkage compares (SPEC 4.1 v3).
    public func encodingForLinkage() -> Pseudonymizer {
        var copy = self
        copy.linkageEncoder = LinkageEncoder(pseudonymizer: self)
        return copy
    }

    /// The pseudonym of a source record (SPEC 4.1 v3): HMAC of the source and the id's digest. It
    /// is stable from quarter to quarter (record ids are), and it is what a person's identity is
    /// taken from under probabilistic linkage.
    public func recordPseudonym(source: String, digest: RowFingerprint) -> PersonPseudonym {
        var material = Array("v3|satz|\(source)|".utf8)
        for shift in stride(from: 56, through: 0, by: -8) { material.append(UInt8(truncatingIfNeeded: digest.a >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { material.append(UInt8(truncatingIfNeeded: digest.b >> UInt64(shift))) }
        return personPseudonym(bytes: material)
    }

    /// Deliberately says nothing about the key, so that a log line or `print` of it leaks nothing.
    public var description: String { "Pseudonymizer(Schlüssel verborgen)" }

    /// The linkage material of a person (SPEC 4.1): `v1|A|B|YYYY-MM-DD`, A ≤ B the phonetic codes.
    public static func linkageMaterial(givenToken: String, familyToken: String, birthDate: CivilDate) -> String {
        String(decoding: linkageMaterialBytes(givenToken: givenToken, familyToken: familyToken, birthDate: birthDate), as: UTF8.self)
    }

    /// The linkage material as UTF-8 bytes.
    public static func linkageMaterialBytes(givenToken: String, familyToken: String, birthDate: CivilDate) -> [UInt8] {
        withLinkageMaterial(givenToken: givenToken, familyToken: familyToken, birthDate: birthDate) { Array($0) }
    }

    /// Calls `body` with the linkage material, built in a temporary buffer (no allocation per record).
    public static func withLinkageMaterial<Result>(
        givenToken: String, familyToken: String, birthDate: CivilDate,
        _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        var given = givenToken
        var family = familyToken
        return given.withUTF8 { a in
            family.withUTF8 { b in
                let codeA = KoelnerPhonetik.maxCodeLength(a.count)
                let codeB = KoelnerPhonetik.maxCodeLength(b.count)
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: codeA + codeB) { buffer in
                    let lengthA = KoelnerPhonetik.encode(a, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<codeA]))
                    let lengthB = KoelnerPhonetik.encode(b, into: UnsafeMutableBufferPointer(rebasing: buffer[codeA..<(codeA + codeB)]))
                    return withLinkageMaterial(
                        codes: UnsafeBufferPointer(rebasing: buffer[0..<lengthA]), UnsafeBufferPointer(rebasing: buffer[codeA..<(codeA + lengthB)]),
                        birthDate: birthDate, body)
                }
            }
        }
    }

    /// The linkage material of two phonetic codes (in either order) and a birth date.
    static func withLinkageMaterial<Result>(
        codes a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, birthDate: CivilDate,
        _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        var low = a
        var high = b
        if high.lexicographicallyPrecedes(low) { swap(&low, &high) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: a.count + b.count + 16) { buffer in
            var position = 0
            func put(_ byte: UInt8) {
                buffer[position] = byte
                position += 1
            }
            for byte in "v1|".utf8 { put(byte) }
            for byte in low { put(byte) }
            put(UInt8(ascii: "|"))
            for byte in high { put(byte) }
            put(UInt8(ascii: "|"))
            birthDate.writeISO { put($0) }
            return body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[0..<position])))
        }
    }

    /// The person pseudonym of the tokens' phonetic codes and the birth date (SPEC 4.1): the same as
    /// from the tokens, when the codes are theirs.
    public func personPseudonym(givenCode: ShortText, familyCode: ShortText, birthDate: CivilDate) -> PersonPseudonym {
        givenCode.withBytes { a in
            familyCode.withBytes { b in Pseudonymizer.withLinkageMaterial(codes: a, b, birthDate: birthDate, personPseudonym(raw:)) }
        }
    }

    /// The person pseudonym of a record's tokens and birth date (SPEC 4.1).
    public func personPseudonym(givenToken: String, familyToken: String, birthDate: CivilDate) -> PersonPseudonym {
        Pseudonymizer.withLinkageMaterial(givenToken: givenToken, familyToken: familyToken, birthDate: birthDate, personPseudonym(raw:))
    }

    /// Lowercase hex of HMAC-SHA256(key, UTF-8 of `material`).
    /// A check value of the key (16 hex characters of a pseudonym of a fixed text): tells keys apart
    /// in the ledger without revealing anything of the key.
    public var keyCheck: String { String(pseudonym("klappt-schluesselpruefung").prefix(16)) }

    public func pseudonym(_ material: String) -> String {
        personPseudonym(material).hex
    }

    /// The same pseudonym as 32 bytes kept inline (no heap string per record).
    public func personPseudonym(_ material: String) -> PersonPseudonym {
        personPseudonym(bytes: Array(material.utf8))
    }

    /// The pseudonym of material given as bytes.
    public func personPseudonym(bytes: [UInt8]) -> PersonPseudonym {
        bytes.withUnsafeBytes(personPseudonym(raw:))
    }

    /// The pseudonym of material in a buffer (the run's path: no array per record).
    public func personPseudonym(raw: UnsafeRawBufferPointer) -> PersonPseudonym {
        PersonPseudonym(words: hmac.authenticate(raw))
    }

    /// A digest of a source record id, used only in memory to find rows of the same customer number
    /// or student id (SPEC 4.1); never stored or logged. 128 bits seeded at random per run: no
    /// cryptographic strength is needed for an in-memory key, and it is far cheaper than an HMAC.
    public func recordKey(source: String, id: String) -> RecordKey {
        recordKey(scope: Pseudonymizer.recordKeyScope(source), id: id)
    }

    /// What sets one source's record keys apart from another's; computed once per source.
    public static func recordKeyScope(_ source: String) -> RowFingerprint {
        var source = source
        return source.withUTF8 { RowFingerprint(bytes: $0) }
    }

    /// The record key of `id` within a source's scope.
    public func recordKey(scope: RowFingerprint, id: String) -> RecordKey {
        var id = id
        return recordKey(scope: scope, digest: id.withUTF8 { RowFingerprint(bytes: $0) })
    }

    /// The record key of an id given as the digest of its UTF-8 (the run's path: no string per row).
    public func recordKey(scope: RowFingerprint, digest fingerprint: RowFingerprint) -> RecordKey {
        RecordKey(a: fingerprint.a ^ recordSeeds.0 ^ scope.b, b: fingerprint.b ^ recordSeeds.1 ^ scope.a)
    }
}

/// A person pseudonym (SPEC 4.1): the 32 bytes of HMAC-SHA256, as four big-endian words, so that
/// comparing words compares the hex text. `hex` is the lowercase hex the store keeps.
public struct PersonPseudonym: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var words: (UInt64, UInt64, UInt64, UInt64)

    init<Digest: Sequence>(_ bytes: Digest) where Digest.Element == UInt8 {
        var values: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() where index < 32 { values[index / 8] = values[index / 8] << 8 | UInt64(byte) }
        words = (values[0], values[1], values[2], values[3])
    }

    init(words digest: SIMD8<UInt32>) {
        func word(_ index: Int) -> UInt64 { UInt64(digest[2 * index]) << 32 | UInt64(digest[2 * index + 1]) }
        words = (word(0), word(1), word(2), word(3))
    }

    public static func == (lhs: PersonPseudonym, rhs: PersonPseudonym) -> Bool { lhs.words == rhs.words }

    public static func < (lhs: PersonPseudonym, rhs: PersonPseudonym) -> Bool { lhs.words < rhs.words }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    public var hex: String { withHex { String(decoding: $0, as: UTF8.self) } }

    /// From its 32 bytes, big-endian words (the store's BLOB); nil for another length.
    public init?(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 32, let base = bytes.baseAddress else { return nil }
        func word(_ start: Int) -> UInt64 { UInt64(bigEndian: UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self)) }
        words = (word(0), word(8), word(16), word(24))
    }

    /// Writes its 32 bytes (big-endian words: byte order is pseudonym order).
    public func write(to bytes: UnsafeMutablePointer<UInt8>) {
        let raw = UnsafeMutableRawPointer(bytes)
        raw.storeBytes(of: words.0.bigEndian, toByteOffset: 0, as: UInt64.self)
        raw.storeBytes(of: words.1.bigEndian, toByteOffset: 8, as: UInt64.self)
        raw.storeBytes(of: words.2.bigEndian, toByteOffset: 16, as: UInt64.self)
        raw.storeBytes(of: words.3.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Parses 64 hex characters given as bytes (a table lookup per byte: millions are read when a
    /// quarter's transitions are computed).
    public init?(hexBytes hex: UnsafeBufferPointer<UInt8>) {
        guard hex.count == 64 else { return nil }
        func word(_ start: Int) -> UInt64? {
            var value: UInt64 = 0
            var invalid: UInt8 = 0
            for index in start..<(start + 16) {
                let digit = PersonPseudonym.hexDigits[Int(hex[index])]
                invalid |= digit
                value = value << 4 | UInt64(digit & 0x0F)
            }
            return invalid & 0x80 == 0 ? value : nil
        }
        guard let a = word(0), let b = word(16), let c = word(32), let d = word(48) else { return nil }
        words = (a, b, c, d)
    }

    /// Per byte: its hex value, or 0x80 when it is no hex digit.
    private static let hexDigits: [UInt8] = (0..<256).map { byte in
        switch byte {
        case 0x30...0x39: return UInt8(byte - 0x30)
        case 0x61...0x66: return UInt8(byte - 0x61 + 10)
        case 0x41...0x46: return UInt8(byte - 0x41 + 10)
        default: return 0x80
        }
    }

    /// Calls `body` with the lowercase hex as 64 ASCII bytes (no string made).
    public func withHex<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            func write(_ word: UInt64, at start: Int) {
                for index in 0..<16 {
                    let digit = UInt8((word >> UInt64(60 - 4 * index)) & 0xF)
                    buffer[start + index] = digit < 10 ? 0x30 + digit : 0x57 + digit
                }
            }
            write(words.0, at: 0)
            write(words.1, at: 16)
            write(words.2, at: 32)
            write(words.3, at: 48)
            return body(UnsafeBufferPointer(buffer))
        }
    }

    public var description: String { hex }
}

/// The first 128 bits of a person pseudonym: what the previous quarter's persons are kept by while
/// the transitions are counted (SPEC 10). HMAC-SHA256's output bits are uniform: two of a quarter's
/// million persons share 128 bits with a probability of about 10^-27, far below any failure of the
/// machine, so equal prefixes are taken for the same person. Ordered like the pseudonyms.
public struct PseudonymPrefix: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public static func < (lhs: PseudonymPrefix, rhs: PseudonymPrefix) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}

extension PersonPseudonym {
    public var prefix: PseudonymPrefix { PseudonymPrefix(high: words.0, low: words.1) }
}

/// The in-memory key of a source record id (see `Pseudonymizer.recordKey`).
public struct RecordKey: Hashable, Sendable {
    public var a: UInt64
    public var b: UInt64
}
