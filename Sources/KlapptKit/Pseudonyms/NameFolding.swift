import Foundation
import KlapptFormats

/// Name folding for linkage (SPEC 4.1): the same name written with or without diacritics, in
/// capitals or with hyphens folds to the same words.
public enum NameFolding {
    /// Letters that Unicode decomposition does not reduce to a base letter.
    static let specialLetters: [Unicode.Scalar: String] = [
        "ß": "ss", "ẞ": "ss", "ı": "i", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae",
        "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d",
    ]

    /// Leading particles dropped from family names while more than one word remains.
    static let particles: Set<String> = ["al", "el", "ul", "abu", "bin", "ibn", "von", "van", "de"]

    /// The words of a name: special letters mapped, NFKD, combining marks dropped, lower case,
    /// everything outside a-z a separator.
    public static func words(_ name: String) -> [String] {
        // Fast path: plain ASCII needs no decomposition (most names in the exports).
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return asciiWords(name) }
        // Mapped per scalar, not per grapheme, so that "ø" followed by a combining accent still maps.
        var mapped = ""
        mapped.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            if let replacement = specialLetters[scalar] { mapped += replacement } else { mapped.unicodeScalars.append(scalar) }
        }
        var words: [String] = []
        var current = ""
        for scalar in mapped.decomposedStringWithCompatibilityMapping.unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark
                || scalar.properties.generalCategory == .spacingMark
            {
                continue
            }
            var lowered = scalar.value
            if lowered >= 0x41 && lowered <= 0x5A { lowered += 0x20 }
            if lowered >= 0x61 && lowered <= 0x7A {
                current.unicodeScalars.append(Unicode.Scalar(lowered)!)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The same folding for ASCII text, on bytes.
    static func asciiWords(_ name: String) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(16)
        for byte in name.utf8 {
            let lowered = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
            if lowered >= 0x61 && lowered <= 0x7A {
                current.append(lowered)
            } else if !current.isEmpty {
                words.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
        return words
    }

    /// The given-name token: the first word; nil when the name has no letter a-z after folding.
    public static func givenNameToken(_ name: String) -> String? {
        words(name).first
    }

    /// The family-name token: the words joined after dropping leading particles; nil when empty.
    public static func familyNameToken(_ name: String) -> String? {
        var parts = words(name)
        while parts.count > 1, particles.contains(parts[0]) { parts.removeFirst() }
        return parts.isEmpty ? nil : parts.joined()
    }

    /// The given-name token of a name in bytes of `encoding`: folded on the bytes when they are
    /// ASCII (no string but the token is made), else decoded and folded as text.
    public static func givenNameToken(_ name: UnsafeBufferPointer<UInt8>, encoding: TextEncoding) -> String? {
        guard isASCII(name) else { return givenNameToken(encoding.decode(name) ?? "") }
        return asciiToken(name, family: false)
    }

    /// The family-name token of a name in bytes of `encoding` (see `givenNameToken`).
    public static func familyNameToken(_ name: UnsafeBufferPointer<UInt8>, encoding: TextEncoding) -> String? {
        guard isASCII(name) else { return familyNameToken(encoding.decode(name) ?? "") }
        return asciiToken(name, family: true)
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    /// The token of an ASCII name: the words are the runs of letters a-z (after lowering A-Z); the
    /// given name keeps the first, the family name drops leading particles while more than one word
    /// remains and joins the rest.
    static func asciiToken(_ name: UnsafeBufferPointer<UInt8>, family: Bool) -> String? {
        @inline(__always) func letter(_ byte: UInt8) -> UInt8? {
            let lowered = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
            return lowered >= 0x61 && lowered <= 0x7A ? lowered : nil
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(name.count, 1)) { out -> String? in
            var written = 0
            var index = 0
            let count = name.count
            var wordsLeft = 0
            if family {
                var inWord = false
                for byte in name {
                    let isLetter = letter(byte) != nil
                    if isLetter && !inWord { wordsLeft += 1 }
                    inWord = isLetter
                }
            }
            var dropping = family
            while index < count {
                while index < count, letter(name[index]) == nil { index += 1 }
                guard index < count else { break }
                let wordStart = written
                while index < count, let lowered = letter(name[index]) {
                    out[written] = lowered
                    written += 1
                    index += 1
                }
                if !family { break }
                if dropping, wordsLeft > 1, isParticle(UnsafeBufferPointer(rebasing: out[wordStart..<written])) {
                    written = wordStart
                    wordsLeft -= 1
                    continue
                }
                dropping = false
            }
            return written == 0 ? nil : String(decoding: UnsafeBufferPointer(rebasing: out[0..<written]), as: UTF8.self)
        }
    }

    static let particleBytes: [[UInt8]] = particles.map { Array($0.utf8) }

    static func isParticle(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        particleBytes.contains { $0.count == word.count && $0.elementsEqual(word) }
    }
}
