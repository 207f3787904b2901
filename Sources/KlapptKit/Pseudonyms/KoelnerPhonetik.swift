/// Kölner Phonetik (Postel 1969), exactly as SPEC 4.1 states it: a phonetic code for German
/// spellings, so that `Mohammed`, `Mohammad` and `Muhammad` link (all `662`).
public enum KoelnerPhonetik {
    /// The code of a folded token (letters a-z only; anything else is ignored).
    public static func code(_ token: String) -> String {
        var token = token
        return token.withUTF8 { letters in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxCodeLength(letters.count)) { out in
                String(decoding: UnsafeBufferPointer(rebasing: out[0..<encode(letters, into: out)]), as: UTF8.self)
            }
        }
    }

    /// The most digits a token of `letters` letters can give (an `x` gives two).
    public static func maxCodeLength(_ letters: Int) -> Int { 2 * letters + 1 }

    /// Writes the code of `token` into `out` (room for `maxCodeLength` digits); returns its length.
    /// Bytes outside a-z are skipped, as if they were not there.
    public static func encode(_ token: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var written = 0
        var last: UInt8 = 0xFF
        var first = true
        @inline(__always) func emit(_ digit: UInt8) {
            defer { first = false }
            if digit == last { return }  // collapse runs
            last = digit
            if digit == 0 && !first { return }  // drop every 0 except a leading one
            out[written] = 0x30 + digit
            written += 1
        }
        @inline(__always) func isLetter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
        var previous: UInt8 = 0
        var index = 0
        let count = token.count
        var position = 0  // among the letters
        while index < count {
            let letter = token[index]
            index += 1
            guard isLetter(letter) else { continue }
            var lookahead = index
            while lookahead < count, !isLetter(token[lookahead]) { lookahead += 1 }
            let next: UInt8 = lookahead < count ? token[lookahead] : 0
            switch letter {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "j"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "y"): emit(0)
            case UInt8(ascii: "h"): break
            case UInt8(ascii: "b"): emit(1)
            case UInt8(ascii: "p"): emit(next == UInt8(ascii: "h") ? 3 : 1)
            case UInt8(ascii: "d"), UInt8(ascii: "t"): emit(next == UInt8(ascii: "c") || next == UInt8(ascii: "s") || next == UInt8(ascii: "z") ? 8 : 2)
            case UInt8(ascii: "f"), UInt8(ascii: "v"), UInt8(ascii: "w"): emit(3)
            case UInt8(ascii: "g"), UInt8(ascii: "k"), UInt8(ascii: "q"): emit(4)
            case UInt8(ascii: "c"):
                if position == 0 {
                    emit(isFirstC(next) ? 4 : 8)
                } else {
                    emit(isOtherC(next) && previous != UInt8(ascii: "s") && previous != UInt8(ascii: "z") ? 4 : 8)
                }
            case UInt8(ascii: "x"):
                if previous == UInt8(ascii: "c") || previous == UInt8(ascii: "k") || previous == UInt8(ascii: "q") {
                    emit(8)
                } else {
                    emit(4)
                    emit(8)
                }
            case UInt8(ascii: "l"): emit(5)
            case UInt8(ascii: "m"), UInt8(ascii: "n"): emit(6)
            case UInt8(ascii: "r"): emit(7)
            case UInt8(ascii: "s"), UInt8(ascii: "z"): emit(8)
            default: break
            }
            previous = letter
            position += 1
        }
        return written
    }

    @inline(__always) static func isFirstC(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a"), UInt8(ascii: "h"), UInt8(ascii: "k"), UInt8(ascii: "l"), UInt8(ascii: "o"), UInt8(ascii: "q"),
            UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "x"):
            return true
        default: return false
        }
    }

    @inline(__always) static func isOtherC(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a"), UInt8(ascii: "h"), UInt8(ascii: "k"), UInt8(ascii: "o"), UInt8(ascii: "q"), UInt8(ascii: "u"), UInt8(ascii: "x"): return true
        default: return false
        }
    }
}
