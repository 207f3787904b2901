/// A record as probabilistic linkage sees it: keyed encodings, the few coded attributes, the source.
public struct LinkageRecord: Sendable {
    public var features: LinkageFeatures
    public var sex: Sex
    /// The nationality category's number; `LinkageRecord.unknown` when it is `unbekannt`.
    public var nationality: UInt16
    /// The municipality's number (AGS or "outside"); `LinkageRecord.unknown` when there is none.
    public var municipality: UInt16
    public var source: UInt8

    public static let unknown = UInt16.max

    public init(features: LinkageFeatures, sex: Sex, nationality: UInt16, municipality: UInt16, source: UInt8) {
        self.features = features
        self.sex = sex
        self.nationality = nationality
        self.municipality = municipality
        self.source = source
    }
}

/// The fields compared and their levels (handbook, section 8a). Level 0 of the attribute fields is
/// "missing on one side": it says nothing either way (fastLink treats missing as missing).
public enum LinkageField: Int, CaseIterable, Sendable {
    case given, family, birthDate, sex, nationality, municipality, source

    /// How many levels the field has.
    public var levels: Int {
        switch self {
        case .given, .family, .birthDate: return 4
        case .sex, .nationality, .municipality: return 3
        case .source: return 2
        }
    }

    /// Whether the field's level 0 means "missing" (no evidence).
    var hasMissingLevel: Bool { self == .sex || self == .nationality || self == .municipality }

    /// The German name of the field and its levels (for the run report and the review list).
    public var levelNames: [String] {
        switch self {
        case .given, .family: return ["verschieden", "ähnlich", "gleicher Klang", "gleich"]
        case .birthDate: return ["verschieden", "Zahlendreher oder Jahr ±1", "teilweise bekannt oder 1. Januar", "gleich"]
        case .sex, .nationality, .municipality: return ["fehlt", "verschieden", "gleich"]
        case .source: return ["gleiche Quelle", "verschiedene Quellen"]
        }
    }

    /// The field's key in the run report.
    public var reportKey: String {
        switch self {
        case .given: return "vorname"
        case .family: return "familienname"
        case .birthDate: return "geburtsdatum"
        case .sex: return "geschlecht"
        case .nationality: return "staatsangehoerigkeit"
        case .municipality: return "wohnort"
        case .source: return "verschiedene_quellen"
        }
    }

    public var germanName: String {
        switch self {
        case .given: return "Vorname"
        case .family: return "Familienname"
        case .birthDate: return "Geburtsdatum"
        case .sex: return "Geschlecht"
        case .nationality: return "Staatsangehörigkeit"
        case .municipality: return "Wohnort"
        case .source: return "Quelle"
        }
    }

    /// The number of distinct agreement patterns.
    static let patternCount = LinkageField.allCases.reduce(1) { $0 * $1.levels }
}

/// The comparison of two records: a level per field, packed into one pattern number (the unit EM
/// counts), plus whether the names were compared crosswise (given against family).
public struct ComparisonVector: Sendable, Equatable {
    public var levels: [LinkageField: Int]

    public init(levels: [LinkageField: Int]) { self.levels = levels }

    public init(pattern: Int) {
        var rest = pattern
        var levels: [LinkageField: Int] = [:]
        for field in LinkageField.allCases.reversed() {
            levels[field] = rest % field.levels
            rest /= field.levels
        }
        self.levels = levels
    }

    public var pattern: Int {
        LinkageField.allCases.reduce(0) { $0 * $1.levels + (levels[$1] ?? 0) }
    }
}

/// Compares two records (pure; the same for every pair, so a pair's level never depends on where
/// blocking found it).
enum RecordComparison {
    /// The similarity level of two name fields: 3 the same skeleton, 2 Dice ≥ 0.75 or the same
    /// sound of a word with Dice ≥ 0.45 (Kölner Phonetik alone is too coarse for short names:
    /// `Sahra` and `Serhii` are both 87), 1 Dice ≥ 0.4 (`Fatemeh`/`Fatima`), 0 different.
    @inline(__always)
    static func nameLevel(_ a: NameEncoding, _ b: NameEncoding) -> Int {
        if a.joined == b.joined { return 3 }
        // Dice = 2 shared / total, compared in whole numbers: 100 × 2 shared ≥ percent × total.
        let (shared, total) = a.bitCounts(b)
        let twiceShared = 200 * shared
        if twiceShared >= 75 * total || (twiceShared >= 45 * total && a.sharesSound(b)) { return 2 }
        if twiceShared >= 40 * total { return 1 }
        return 0
    }

    /// 3 the same full date; 2 the same year where one side knows less (`00.00.`, `00.MM.` with the
    /// same month) or is a 1 January; 1 day and month swapped, one digit off, or the year one off
    /// with the same day and month (never for a 1 January: two of those in different years are
    /// different dates); 0 different.
    @inline(__always)
    static func dateLevel(_ a: DateEncoding, _ b: DateEncoding) -> Int {
        let bothFull = a.precision == .day && b.precision == .day
        if bothFull && a.digits == b.digits { return 3 }
        if a.year == b.year {
            if a.precision != .day || b.precision != .day {
                if a.precision == .year || b.precision == .year || a.month == b.month { return 2 }
                return 0
            }
            if a.isFirstJanuary || b.isFirstJanuary { return 2 }
        }
        guard bothFull, !a.isFirstJanuary, !b.isFirstJanuary else { return 0 }
        if a.year == b.year && a.month == b.day && a.day == b.month { return 1 }
        let differing = a.digits ^ b.digits
        var nibbles = 0
        for shift in stride(from: 0, to: 32, by: 4) where (differing >> UInt32(shift)) & 0xF != 0 { nibbles += 1 }
        if nibbles == 1 { return 1 }
        if a.month == b.month && a.day == b.day && (a.nextYear == b.year || b.nextYear == a.year) { return 1 }
        return 0
    }

    static func attributeLevel(_ a: UInt16, _ b: UInt16) -> Int {
        if a == LinkageRecord.unknown || b == LinkageRecord.unknown { return 0 }
        return a == b ? 2 : 1
    }

    /// The pattern of two nodes (records, or groups of records with the same features), with the
    /// source's level given: a node of several records may meet another in the same source and in
    /// different ones. Names are compared straight and crosswise (given and family name swapped in
    /// one source); the better of the two counts.
    @inline(__always)
    static func pattern(_ a: LinkageNode, _ b: LinkageNode, names: UnsafeBufferPointer<NameEncoding>, sourceLevel: Int) -> Int {
        @inline(__always)
        func level(_ x: UInt32, _ xJoined: UInt32, _ y: UInt32, _ yJoined: UInt32) -> Int {
            x == y || xJoined == yJoined ? 3 : nameLevel(names[Int(x)], names[Int(y)])
        }
        let straightGiven = level(a.entry.given, a.givenJoined, b.entry.given, b.givenJoined)
        let straightFamily = level(a.entry.family, a.familyJoined, b.entry.family, b.familyJoined)
        var given = straightGiven
        var family = straightFamily
        if straightGiven + straightFamily < 6 {
            let crossGiven = level(a.entry.given, a.givenJoined, b.entry.family, b.familyJoined)
            let crossFamily = level(a.entry.family, a.familyJoined, b.entry.given, b.givenJoined)
            if crossGiven + crossFamily > straightGiven + straightFamily {
                given = crossGiven
                family = crossFamily
            }
        }
        let date = dateLevel(a.entry.birth, b.entry.birth)
        let sex: Int
        if a.entry.sex == .x || b.entry.sex == .x { sex = 0 } else { sex = a.entry.sex == b.entry.sex ? 2 : 1 }
        let nationality = attributeLevel(a.entry.nationality, b.entry.nationality)
        let municipality = attributeLevel(a.entry.municipality, b.entry.municipality)
        return (((((given * 4 + family) * 4 + date) * 3 + sex) * 3 + nationality) * 3 + municipality) * 2 + sourceLevel
    }

    /// The source's level of the best pair of records across two nodes: 1 (different sources)
    /// unless both hold records of one and the same source only.
    @inline(__always)
    static func bestSourceLevel(_ a: LinkageNode, _ b: LinkageNode) -> Int {
        a.sources == b.sources && a.sources.nonzeroBitCount == 1 ? 0 : 1
    }

    /// The source's level of the worst pair: 0 (the same source) when both hold records of a source.
    @inline(__always)
    static func worstSourceLevel(_ a: LinkageNode, _ b: LinkageNode) -> Int {
        a.sources & b.sources != 0 ? 0 : 1
    }

    /// A pattern's level of one field.
    @inline(__always)
    static func level(_ pattern: Int, _ field: LinkageField) -> Int {
        // Constant divisors (the per-pair loop asks four times a pair; a division by a number read
        // from a table was a tenth of the scoring's time).
        switch field {
        case .given: return pattern / 864 % 4
        case .family: return pattern / 216 % 4
        case .birthDate: return pattern / 54 % 4
        case .sex: return pattern / 18 % 3
        case .nationality: return pattern / 6 % 3
        case .municipality: return pattern / 2 % 3
        case .source: return pattern % 2
        }
    }
}
