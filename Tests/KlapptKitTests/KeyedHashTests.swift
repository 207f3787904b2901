import CKlapptSHA256
import Crypto
import Testing

@testable import KlapptKit

/// The hand-written HMAC-SHA256 must agree with swift-crypto bit for bit, on both compression
/// paths (SHA extensions and portable C) and on every message length around the block edges.
@Suite struct KeyedHashTests {
    /// A fixed pseudo-random byte sequence (splitmix64), so that failures are reproducible.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    @Test func hmacAgreesWithSwiftCryptoForEveryLengthUpTo200() {
        let key = Self.bytes(32, seed: 1)
        let ours = PrecomputedHMAC(key: key)
        for length in 0...200 {
            let message = Self.bytes(length, seed: UInt64(length) + 100)
            let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
            let words = message.withUnsafeBytes { ours.authenticate($0) }
            let actual = (0..<8).flatMap { index in withUnsafeBytes(of: words[index].bigEndian, Array.init) }
            #expect(actual == expected, "length \(length)")
        }
    }

    @Test func matchesRFC4231TestCase2() {
        // RFC 4231 test case 2 uses a 4-byte key "Jefe"; klappt's keys are 32 bytes, but the
        // construction is the same for any key up to one block.
        let hmac = PrecomputedHMAC(key: Array("Jefe".utf8))
        let words = Array("what do ya want for nothing?".utf8).withUnsafeBytes { hmac.authenticate($0) }
        let hex = (0..<8).map { index in String(words[index], radix: 16).leftPadded(8) }.joined()
        #expect(hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func bothCompressionPathsAgree() {
        let data = Self.bytes(64 * 37, seed: 9)
        var fast: [UInt32] = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]
        var portable = fast
        klappt_sha256_compress(&fast, data, 37)
        klappt_sha256_compress_portable(&portable, data, 37)
        #expect(fast == portable)
    }

    @Test func streamingDigestAgreesWithSwiftCryptoWhateverThePieces() {
        let data = Self.bytes(10_000, seed: 5)
        let expected = SHA256.hash(data: data).map { String($0, radix: 16).leftPadded(2) }.joined()
        for pieceSize in [1, 7, 63, 64, 65, 1000, 10_000] {
            var stream = SHA256Stream()
            var offset = 0
            while offset < data.count {
                let end = min(offset + pieceSize, data.count)
                data[offset..<end].withUnsafeBytes { stream.update($0) }
                offset = end
            }
            #expect(stream.finalize() == expected, "pieces of \(pieceSize)")
        }
        var empty = SHA256Stream()
        #expect(empty.finalize() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

@Suite struct ShortTextTests {
    @Test func keepsUpTo15BytesAndComparesLikeTheText() {
        #expect(ShortText("SYR").string == "SYR")
        #expect(ShortText("").string == "")
        let longest = String(repeating: "ä", count: 7) + "x"  // 15 bytes
        #expect(ShortText(exactly: longest)?.string == longest)
        #expect(ShortText(exactly: longest + "y") == nil)
        #expect(ShortText("AFG") < ShortText("SYR") && ShortText("AFG") != ShortText("AF"))
        #expect(Set<ShortText>(["05978036", "05978036", "sonstige"]).count == 2)
    }
}
