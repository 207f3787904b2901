/// Kölner Phonetik (Postel 1969), exactly as SPEC 4.1 states it: a phonetic code for German
/// spellings, so that `Mohammed`, `Mohammad` and `Muhammad` link (all `662`).
public enum KoelnerPhonetik {
    /// The code of a folded token (letters a-z only; anything else is ignored).
    public static func code(_ token: String) -> String {
        let letters = Array(token.utf8).filter { $0 >= 0x61 && $0 <= 0x7A }
        var digits: [UInt8] = []
        digits.reserveCapacity(letters.count + 2)
        func ascii(_ c: Character) -> UInt8 { c.asciiValue! }
        for (index, letter) in letters.enumerated() {
            let previous: UInt8? = index > 0 ? letters[index - 1] : nil
            let next: UInt8? = index + 1 < letters.count ? letters[index + 1] : nil
            func nextIn(_ set: String) -> Bool { next.map { set.utf8.contains($0) } ?? false }
            func previousIn(_ set: String) -> Bool { previous.map { set.utf8.contains($0) } ?? false }
            switch letter {
            case ascii("a"), ascii("e"), ascii("i"), ascii("j"), ascii("o"), ascii("u"), ascii("y"):
                digits.append(0)
            case ascii("h"):
                break
            case ascii("b"):
                digits.append(1)
            case ascii("p"):
                digits.append(nextIn("h") ? 3 : 1)
            case ascii("d"), ascii("t"):
                digits.append(nextIn("csz") ? 8 : 2)
            case ascii("f"), ascii("v"), ascii("w"):
                digits.append(3)
            case ascii("g"), ascii("k"), ascii("q"):
                digits.append(4)
            case ascii("c"):
                if index == 0 {
                    digits.append(nextIn("ahkloqrux") ? 4 : 8)
                } else {
                    digits.append(nextIn("ahkoqux") && !previousIn("sz") ? 4 : 8)
                }
            case ascii("x"):
                if previousIn("ckq") {
                    digits.append(8)
                } else {
                    digits.append(4)
                    digits.append(8)
                }
            case ascii("l"):
                digits.append(5)
            case ascii("m"), ascii("n"):
                digits.append(6)
            case ascii("r"):
                digits.append(7)
            case ascii("s"), ascii("z"):
                digits.append(8)
            default:
                break
            }
        }
        var result = ""
        var last: UInt8?
        for (index, digit) in digits.enumerated() {
            defer { last = digit }
            if digit == last { continue }  // collapse runs
            if digit == 0 && index > 0 { continue }  // drop every 0 except a leading one
            result.unicodeScalars.append(Unicode.Scalar(0x30 + digit))
        }
        return result
    }
}
