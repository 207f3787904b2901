import Crypto
import Foundation
import KlapptFormats

/// Keys every pseudonym with HMAC-SHA256 (SPEC 4.1). Holds the key; never prints it.
public struct Pseudonymizer: Sendable, CustomStringConvertible {
    /// The HMAC state right after keying (inner and outer pads absorbed), copied for every
    /// pseudonym instead of keying again. `HMAC` is a value type but not marked `Sendable`; it is
    /// never mutated here, only copied, so the box may be shared.
    private final class KeyedState: @unchecked Sendable {
        let hmac: HMAC<SHA256>
        let recordSeeds: (UInt64, UInt64)
        init(_ key: SymmetricKey, recordSeeds: (UInt64, UInt64)) {
            hmac = HMAC<SHA256>(key: key)
            self.recordSeeds = recordSeeds
        }
    }

    private let state: KeyedState

    public init(keyBytes: [UInt8]) {
        precondition(keyBytes.count == 32, "a klappt key has 256 bits")
        var generator = SystemRandomNumberGenerator()
        state = KeyedState(SymmetricKey(data: keyBytes), recordSeeds: (generator.next(), generator.next()))
    }

    /// Deliberately says nothing about the key, so that a log line or `print` of it leaks nothing.
    public var description: String { "Pseudonymizer(Schlüssel verborgen)" }

    /// The linkage material of a person (SPEC 4.1): `v1|A|B|YYYY-MM-DD`, A ≤ B the phonetic codes.
    public static func linkageMaterial(givenToken: String, familyToken: String, birthDate: CivilDate) -> String {
        String(decoding: linkageMaterialBytes(givenToken: givenToken, familyToken: familyToken, birthDate: birthDate), as: UTF8.self)
    }

    /// The linkage material as UTF-8 bytes, built without intermediate strings.
    public static func linkageMaterialBytes(givenToken: String, familyToken: String, birthDate: CivilDate) -> [UInt8] {
        let a = KoelnerPhonetik.code(givenToken)
        let b = KoelnerPhonetik.code(familyToken)
        let (low, high) = a <= b ? (a, b) : (b, a)
        var bytes: [UInt8] = Array("v1|".utf8)
        bytes.reserveCapacity(32)
        bytes.append(contentsOf: low.utf8)
        bytes.append(UInt8(ascii: "|"))
        bytes.append(contentsOf: high.utf8)
        bytes.append(UInt8(ascii: "|"))
        birthDate.appendISO(to: &bytes)
        return bytes
    }

    /// Lowercase hex of HMAC-SHA256(key, UTF-8 of `material`).
    public func pseudonym(_ material: String) -> String {
        personPseudonym(material).hex
    }

    /// The same pseudonym as 32 bytes kept inline (no heap string per record).
    public func personPseudonym(_ material: String) -> PersonPseudonym {
        personPseudonym(bytes: Array(material.utf8))
    }

    /// The pseudonym of material given as bytes.
    public func personPseudonym(bytes: [UInt8]) -> PersonPseudonym {
        var hmac = state.hmac
        hmac.update(data: bytes)
        return PersonPseudonym(hmac.finalize())
    }

    /// A digest of a source record id, used only in memory to find rows of the same customer number
    /// or student id (SPEC 4.1); never stored or logged. 128 bits seeded at random per run: no
    /// cryptographic strength is needed for an in-memory key, and it is far cheaper than an HMAC.
    public func recordKey(source: String, id: String) -> RecordKey {
        var text = "\(source)\u{1F}\(id)"
        return text.withUTF8 { bytes in
            let fingerprint = RowFingerprint(bytes: bytes)
            return RecordKey(a: fingerprint.a ^ state.recordSeeds.0, b: fingerprint.b ^ state.recordSeeds.1)
        }
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

    public static func == (lhs: PersonPseudonym, rhs: PersonPseudonym) -> Bool { lhs.words == rhs.words }

    public static func < (lhs: PersonPseudonym, rhs: PersonPseudonym) -> Bool { lhs.words < rhs.words }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 60, through: 0, by: -4) { bytes.append(digits[Int((word >> UInt64(shift)) & 0xF)]) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { hex }
}

/// The in-memory key of a source record id (see `Pseudonymizer.recordKey`).
public struct RecordKey: Hashable, Sendable {
    public var a: UInt64
    public var b: UInt64
}

extension HashedAuthenticationCode {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
