import Crypto
import Foundation

/// Keys every pseudonym with HMAC-SHA256 (SPEC 4.1). Holds the key; never prints it.
public struct Pseudonymizer: Sendable, CustomStringConvertible {
    /// `SymmetricKey` is immutable but not marked `Sendable`; the box states that it may be shared.
    private final class KeyBox: @unchecked Sendable {
        let key: SymmetricKey
        init(_ key: SymmetricKey) { self.key = key }
    }

    private let box: KeyBox
    private var key: SymmetricKey { box.key }

    public init(keyBytes: [UInt8]) {
        precondition(keyBytes.count == 32, "a klappt key has 256 bits")
        box = KeyBox(SymmetricKey(data: keyBytes))
    }

    /// Deliberately says nothing about the key, so that a log line or `print` of it leaks nothing.
    public var description: String { "Pseudonymizer(Schlüssel verborgen)" }

    /// The linkage material of a person (SPEC 4.1): `v1|A|B|YYYY-MM-DD`, A ≤ B the phonetic codes.
    public static func linkageMaterial(givenToken: String, familyToken: String, birthDate: CivilDate) -> String {
        let a = KoelnerPhonetik.code(givenToken)
        let b = KoelnerPhonetik.code(familyToken)
        let (low, high) = a <= b ? (a, b) : (b, a)
        return "v1|\(low)|\(high)|\(birthDate.iso)"
    }

    /// Lowercase hex of HMAC-SHA256(key, UTF-8 of `material`).
    public func pseudonym(_ material: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(material.utf8), using: key)
        return mac.hex
    }

    /// A keyed digest of a source record id, used only in memory to find rows of the same customer
    /// number or student id (SPEC 4.1); never stored.
    public func recordKey(source: String, id: String) -> String {
        pseudonym("rid|\(source)|\(id)")
    }
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
