/// A 128-bit fingerprint of a row's raw content, used to find exact duplicate rows (SPEC 2.1)
/// without keeping the rows themselves in memory. Two independent 64-bit lanes, each a
/// multiply-xor-rotate hash over eight bytes at a time with a final avalanche, make an accidental
/// collision among a few million rows vanishingly unlikely (about 1 in 10^25); the value is the
/// same on every run and machine.
public struct RowFingerprint: Hashable, Sendable {
    public var a: UInt64
    public var b: UInt64

    init(a: UInt64, b: UInt64) {
        self.a = a
        self.b = b
    }

    public init(bytes: UnsafeBufferPointer<UInt8>) {
        var highBits: UInt64 = 0
        self.init(bytes: bytes, highBits: &highBits)
    }

    /// The fingerprint, and in `highBits` the OR of the bytes' top bits (zero: the bytes are ASCII,
    /// so a reader need not check their encoding in a second pass).
    @inline(__always)
    public init(bytes: UnsafeBufferPointer<UInt8>, highBits: inout UInt64) {
        var seen: UInt64 = 0
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        var h2: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(bytes.count)
        @inline(__always) func mix(_ word: UInt64) {
            h1 = (h1 ^ word) &* 0xFF51_AFD7_ED55_8CCD
            h1 = (h1 << 31) | (h1 >> 33)
            h2 = (h2 ^ word) &* 0xC4CE_B9FE_1A85_EC53
            h2 = (h2 << 27) | (h2 >> 37)
            h2 = h2 &* 5 &+ 0x52DC_E729
        }
        let count = bytes.count
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                seen |= word
                mix(word)
                index += 8
            }
            if index < count {
                var tail: UInt64 = 0
                for offset in 0..<(count - index) { tail |= UInt64(base[index + offset]) << (8 * UInt64(offset)) }
                seen |= tail
                mix(tail ^ 0x80)
            }
        }
        highBits = seen & 0x8080_8080_8080_8080
        a = RowFingerprint.avalanche(h1 ^ (h2 >> 1))
        b = RowFingerprint.avalanche(h2 ^ (h1 << 1))
    }

    /// MurmurHash3's finaliser: every input bit affects every output bit.
    static func avalanche(_ value: UInt64) -> UInt64 {
        var x = value
        x = (x ^ (x >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        x = (x ^ (x >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return x ^ (x >> 33)
    }

    /// Fingerprint of a sequence of strings, each separated by a unit separator that cannot occur
    /// in XML text, so that ("ab","c") and ("a","bc") differ.
    public init(parts: [String]) {
        var joined: [UInt8] = []
        for part in parts {
            joined.append(contentsOf: part.utf8)
            joined.append(0x1F)
        }
        self = joined.withUnsafeBufferPointer { RowFingerprint(bytes: $0) }
    }
}
