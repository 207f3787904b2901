import CKlapptSHA256

/// SHA-256 state: eight words in host order.
struct SHA256State: Sendable {
    var words: SIMD8<UInt32> = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]

    /// Compresses whole 64-byte blocks (`bytes.count` must be a multiple of 64).
    mutating func compress(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % 64 == 0)
        guard !bytes.isEmpty else { return }
        withUnsafeMutablePointer(to: &words) { pointer in
            pointer.withMemoryRebound(to: UInt32.self, capacity: 8) { state in
                klappt_sha256_compress(state, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count / 64)
            }
        }
    }

    /// Compresses `message` (whose first `prefixLength` bytes were already compressed in earlier
    /// blocks) with the final padding of FIPS 180-4 5.1.1.
    mutating func finish(_ message: UnsafeRawBufferPointer, prefixLength: Int) {
        let whole = message.count / 64 * 64
        compress(UnsafeRawBufferPointer(rebasing: message[0..<whole]))
        let rest = message.count - whole
        let blocks = rest + 9 <= 64 ? 1 : 2
        withUnsafeTemporaryAllocation(byteCount: 128, alignment: 16) { tail in
            tail.initializeMemory(as: UInt8.self, repeating: 0)
            if rest > 0 { tail.baseAddress!.copyMemory(from: message.baseAddress! + whole, byteCount: rest) }
            tail[rest] = 0x80
            let bits = UInt64(prefixLength + message.count) &* 8
            for index in 0..<8 { tail[blocks * 64 - 1 - index] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(index))) }
            compress(UnsafeRawBufferPointer(rebasing: tail[0..<(blocks * 64)]))
        }
    }

    /// The digest as big-endian bytes.
    var digest: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in 0..<8 {
            let word = words[index]
            bytes += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return bytes
    }
}

/// HMAC-SHA256 (RFC 2104) with the key's inner and outer states computed once, so that a
/// pseudonym of a short message costs two compressions and no allocation.
///
/// Written by hand because it is measurably better: swift-crypto's `HMAC<SHA256>` (a copy of the
/// keyed state, `update`, `finalize`) took 1,279 ns per pseudonym on this machine, this takes
/// about 100 ns with the SHA extensions (benchmarks/README.md). Tests check it against swift-crypto.
struct PrecomputedHMAC: Sendable {
    private let inner: SHA256State
    private let outer: SHA256State

    /// `key` of at most 64 bytes (klappt's keys have 32).
    init(key: [UInt8]) {
        precondition(key.count <= 64, "HMAC key longer than one block")
        var padded = key + [UInt8](repeating: 0, count: 64 - key.count)
        var inner = SHA256State()
        var outer = SHA256State()
        for index in 0..<64 { padded[index] ^= 0x36 }
        padded.withUnsafeBytes { inner.compress($0) }
        for index in 0..<64 { padded[index] ^= 0x36 ^ 0x5c }
        padded.withUnsafeBytes { outer.compress($0) }
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of `message` as eight big-endian words.
    func authenticate(_ message: UnsafeRawBufferPointer) -> SIMD8<UInt32> {
        var state = inner
        state.finish(message, prefixLength: 64)
        var digest = state.words
        var result = outer
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 8) { words in
            for index in 0..<8 { words[index] = digest[index].bigEndian }
            result.finish(UnsafeRawBufferPointer(words), prefixLength: 64)
        }
        digest = result.words
        return digest
    }
}

/// SHA-256 of a stream of bytes (the inputs' check sums), on the same compression function.
struct SHA256Stream {
    private var state = SHA256State()
    private var pending: [UInt8] = []
    private var length = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var bytes = bytes
        length += bytes.count
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending += bytes[0..<take]
            bytes = UnsafeRawBufferPointer(rebasing: bytes[take...])
            if pending.count < 64 { return }
            pending.withUnsafeBytes { state.compress($0) }
            pending.removeAll(keepingCapacity: true)
        }
        let whole = bytes.count / 64 * 64
        state.compress(UnsafeRawBufferPointer(rebasing: bytes[0..<whole]))
        pending += bytes[whole...]
    }

    /// Updates two streams at once: their common whole blocks go through the two-stream
    /// compression (about 1.4 times the throughput of one stream after the other).
    static func update(_ a: inout SHA256Stream, _ x: UnsafeRawBufferPointer, _ b: inout SHA256Stream, _ y: UnsafeRawBufferPointer) {
        guard a.pending.isEmpty, b.pending.isEmpty else {
            a.update(x)
            b.update(y)
            return
        }
        let common = min(x.count, y.count) / 64 * 64
        if common > 0 {
            withUnsafeMutablePointer(to: &a.state.words) { first in
                withUnsafeMutablePointer(to: &b.state.words) { second in
                    first.withMemoryRebound(to: UInt32.self, capacity: 8) { first in
                        second.withMemoryRebound(to: UInt32.self, capacity: 8) { second in
                            klappt_sha256_compress2(
                                first, x.baseAddress!.assumingMemoryBound(to: UInt8.self), second, y.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                common / 64)
                        }
                    }
                }
            }
            a.length += common
            b.length += common
        }
        a.update(UnsafeRawBufferPointer(rebasing: x[common...]))
        b.update(UnsafeRawBufferPointer(rebasing: y[common...]))
    }

    /// Lowercase hex of the digest.
    mutating func finalize() -> String {
        let compressed = length - pending.count
        pending.withUnsafeBytes { state.finish($0, prefixLength: compressed) }
        return Hex.encode(state.digest)
    }
}

enum Hex {
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
