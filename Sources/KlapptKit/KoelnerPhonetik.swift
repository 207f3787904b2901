/// Kölner Phonetik (Postel 1969), exactly as SPEC 4.1 states it: a phonetic code for German
/// spellings, so that `Mohammed`, `Mohammad` and `Muhammad` link (all `662`).
public enum KoelnerPhonetik {
    /// The code of a folded token (letters a-z only; anything else is ignored).
    public static func code(_ token: String) -> String {
        var letters: [UInt8] = []
        letters.reserveCapacity(token.utf8.count)
        for byte in token.utf8 where byte >= 0x61 && byte <= 0x7A { letters.append(byte) }
        var result: [UInt8] = []
        result.reserveCapacity(letters.count + 1)
        var last: UInt8 = 0xFF
        var first = true
        func emit(_ digit: UInt8) {
            defer { first = false }
            if digit == last { return }  // collapse runs
            last = digit
            if digit == 0 && !first { return }  // drop every 0 except a leading one
            result.append(0x30 + digit)
        }
        let count = letters.count
        for index in 0..<count {
            let letter = letters[index]
            let previous: UInt8 = index > 0 ? letters[index - 1] : 0
            let next: UInt8 = index + 1 < count ? letters[index + 1] : 0
            switch letter {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "j"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "y"): emit(0)
            case UInt8(ascii: "h"): break
            case UInt8(ascii: "b"): emit(1)
            case UInt8(ascii: "p"): emit(next == UInt8(ascii: "h") ? 3 : 1)
            case UInt8(ascii: "d"), UInt8(ascii: "t"): emit(next == UInt8(ascii: "c") || next == UInt8(ascii: "s") || next == UInt8(ascii: "z") ? 8 : 2)
            case UInt8(ascii: "f"), UInt8(ascii: "v"), UInt8(ascii: "w"): emit(3)
            case UInt8(ascii: "g"), UInt8(ascii: "k"), UInt8(ascii: "q"): emit(4)
            case UInt8(ascii: "c"):
                if index == 0 {
                    emit(Self.firstC.contains(next) ? 4 : 8)
                } else {
                    emit(Self.otherC.contains(next) && previous != UInt8(ascii: "s") && previous != UInt8(ascii: "z") ? 4 : 8)
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
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// C as the first letter is 4 before these letters.
    static let firstC: Set<UInt8> = Set("ahkloqrux".utf8)
    /// C elsewhere is 4 before these letters (unless after S or Z).
    static let otherC: Set<UInt8> = Set("ahkoqux".utf8)
}
