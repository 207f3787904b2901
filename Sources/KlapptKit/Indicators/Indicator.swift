/// A column of the published table (SPEC 5), by its name in the table (`personen`,
/// `eintritt_ausbildung`). An open set: an `IndicatorFamily` declares its own.
///
/// `rank` fixes the order of publication and of the disclosure model's deterministic choices;
/// equality and hashing use the name only.
public struct Indicator: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public let rank: Int

    public init(_ name: String, rank: Int) {
        rawValue = name
        self.rank = rank
    }

    public static func == (lhs: Indicator, rhs: Indicator) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public static func < (lhs: Indicator, rhs: Indicator) -> Bool { (lhs.rank, lhs.rawValue) < (rhs.rank, rhs.rawValue) }
    public var description: String { rawValue }

    // SPEC 5 (v2 order: zielgruppe, personen, the activities, ohne_aktivitaet, the flows).
    public static let zielgruppe = Indicator("zielgruppe", rank: 0)
    public static let ohneAktivitaet = Indicator("ohne_aktivitaet", rank: 20)
    public static let personen = Indicator("personen", rank: 10)
    public static let ausbildung = Indicator("ausbildung", rank: 11)
    public static let beschaeftigung = Indicator("beschaeftigung", rank: 12)
    public static let schule = Indicator("schule", rank: 13)
    public static let massnahme = Indicator("massnahme", rank: 14)
    public static let arbeitsuchend = Indicator("arbeitsuchend", rank: 15)
    public static let sonstige = Indicator("sonstige", rank: 16)
    public static let eintrittAusbildung = Indicator("eintritt_ausbildung", rank: 30)
    public static let abschluss = Indicator("abschluss", rank: 31)
    public static let abbruch = Indicator("abbruch", rank: 32)

    /// A cell of a transition table (SPEC 10): its dimension is the state then, its category the
    /// state now.
    public static let transition = Indicator("uebergang", rank: 50)

    /// The six activity columns that add up to `personen` (SPEC 4.3 order).
    public static let activities: [Indicator] = [.ausbildung, .beschaeftigung, .schule, .massnahme, .arbeitsuchend, .sonstige]

    /// The indicator of an activity.
    public static func of(_ activity: Activity) -> Indicator { activities[activity.priority] }
}

/// An identity of the published table that a reader knows and can use to narrow a suppressed cell
/// (SPEC 6). Beside these, every column's categories add up to its total row in every dimension;
/// that holds for every column and needs no declaration.
public enum TableIdentity: Sendable, Equatable {
    /// In every row, the parts add up to the whole (`personen` = the six activities).
    case sum(whole: Indicator, parts: [Indicator])
    /// In every row, the column is at most the bound (a flow counts target-group persons only).
    case atMost(Indicator, bound: Indicator)

    /// The columns the identity speaks of.
    public var columns: [Indicator] {
        switch self {
        case .sum(let whole, let parts): return [whole] + parts
        case .atMost(let column, let bound): return [column, bound]
        }
    }
}
