import Foundation

/// The transliteration skeleton of a folded name word (handbook, section 8a): the spellings the
/// partners use for one name (German, English and French transliterations of Arabic, Ukrainian,
/// Russian, Somali and Fula names) mapped to one form, so that `Schewtschenko`/`Shevchenko`,
/// `Dschamal`/`Jamal`, `Serhii`/`Sergej`, `Rachimi`/`Rahimi`, `Xasan`/`Hassan`, `Cabdi`/`Abdi`
/// and `Diallo`/`Jallow` meet. It is a comparison aid, not a name: many spellings collapse into one,
/// and the other fields decide whether two records with one skeleton are one person.
///
/// Works on the letters a-z of `NameFolding.words`; computed once per distinct spelling.
enum NameSkeleton {
    /// Replacements, longest first where one contains another, applied left to right in one pass
    /// each.
    private static let replacements: [(String, String)] = [
        ("dsch", "j"), ("tsch", "ch"), ("dzh", "j"), ("sch", "sh"), ("zh", "sh"), ("kh", "h"), ("ch", "h"),
        ("gh", "k"), ("ph", "f"), ("th", "s"), ("dj", "j"), ("ou", "u"), ("oo", "u"), ("ee", "i"),
        ("ij", "i"), ("iy", "i"), ("ej", "i"), ("ey", "i"), ("ck", "k"), ("w", "v"), ("q", "k"), ("c", "k"),
        ("y", "i"), ("j", "i"), ("g", "h"), ("ii", "i"), ("x", "ks"), ("tz", "z"), ("ts", "z"), ("z", "s"), ("sh", "s"),
    ]

    static func skeleton(_ word: String) -> String {
        var text = word
        // Word-initial spellings: Somali `x` for the h-sound, French `di` before a vowel for the
        // j-sound, Russian `je`/`ye` for the initial e.
        if text.hasPrefix("x") { text = "h" + text.dropFirst() }
        // Somali `c` for the ʿayn before a vowel: `Cabdi` is `Abdi`.
        if text.count > 3, text.hasPrefix("c"), let second = text.dropFirst().first, "aeiou".contains(second) { text.removeFirst() }
        if text.count > 3, text.hasPrefix("di"), let third = text.dropFirst(2).first, "aeiou".contains(third) { text = "j" + text.dropFirst(2) }
        if text.count > 3, text.hasPrefix("je") || text.hasPrefix("ye") { text = String(text.dropFirst()) }
        // English `-ow` for the final o (Jallow).
        if text.count > 3, text.hasSuffix("ow") { text.removeLast() }
        for (from, to) in replacements where text.contains(from) { text = text.replacingOccurrences(of: from, with: to) }
        // A final h after a vowel is silent (Abdullah).
        var letters = Array(text.utf8)
        if letters.count > 2, letters.last == UInt8(ascii: "h"), let before = letters.dropLast().last, isVowel(before) { letters.removeLast() }
        // Doubled letters once (Hassan/Hasan, Abdulla/Abdula).
        var collapsed: [UInt8] = []
        collapsed.reserveCapacity(letters.count)
        for letter in letters where collapsed.last != letter { collapsed.append(letter) }
        return String(decoding: collapsed, as: UTF8.self)
    }

    private static func isVowel(_ byte: UInt8) -> Bool {
        byte == 0x61 || byte == 0x65 || byte == 0x69 || byte == 0x6F || byte == 0x75
    }
}
