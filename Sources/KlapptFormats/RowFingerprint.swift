/// A 128-bit fingerprint of a row's decoded content, used to find exact duplicate rows (SPEC 2.1)
/// without keeping the rows themselves in memory. Two independent 64-bit hashes (FNV-1a and a
/// multiply-rotate hash) make an accidental collision among a few million rows vanishingly unlikely
/// (about 1 in 10^25), and the value is the same on every run and machine.
public struct RowFingerprint: Hashable, Sendable {
    public var a: UInt64
    public var b: UInt64

    public init(bytes: UnsafeBufferPointer<UInt8>) {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        for byte in bytes {
            h1 = (h1 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            h2 = ((h2 ^ UInt64(byte)) &* 0xFF51_AFD7_ED55_8CCD)
            h2 = (h2 << 23) | (h2 >> 41)
        }
        a = h1
        b = h2 ^ (h2 >> 29)
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
