import Foundation

/// A reporting quarter, written `YYYY-Qn` (SPEC 4.2).
public struct Period: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let quarter: Int

    public init?(year: Int, quarter: Int) {
        guard (1...4).contains(quarter), (1000...9999).contains(year) else { return nil }
        self.year = year
        self.quarter = quarter
    }

    /// Parses `2026-Q3` (also `2026-q3`).
    public init?(_ text: String) {
        let parts = text.uppercased().split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]),
            parts[1].count == 2, parts[1].first == "Q", let quarter = Int(parts[1].dropFirst())
        else { return nil }
        self.init(year: year, quarter: quarter)
    }

    public var description: String { "\(year)-Q\(quarter)" }

    /// The store's integer form: 20263 for 2026-Q3 (sorts like the period).
    public var code: Int { year * 10 + quarter }

    /// German, for the report's sentences and titles: "3. Quartal 2026".
    public var germanName: String { "\(quarter). Quartal \(year)" }

    /// German, for column headers: "Q3/2026".
    public var shortGermanName: String { "Q\(quarter)/\(year)" }

    /// The quarter after this one.
    public var next: Period { quarter == 4 ? Period(year: year + 1, quarter: 1)! : Period(year: year, quarter: quarter + 1)! }

    /// The quarter before this one.
    public var previous: Period { quarter == 1 ? Period(year: year - 1, quarter: 4)! : Period(year: year, quarter: quarter - 1)! }

    /// Whether the quarter has ended before `date` (only ended quarters are processed, issue 9).
    public func hasEnded(before date: CivilDate) -> Bool { referenceDate < date }

    public static func < (lhs: Period, rhs: Period) -> Bool { (lhs.year, lhs.quarter) < (rhs.year, rhs.quarter) }

    public var firstDay: CivilDate { CivilDate(year: year, month: quarter * 3 - 2, day: 1)! }

    /// The reference date: the last day of the quarter.
    public var referenceDate: CivilDate {
        let month = quarter * 3
        return CivilDate(year: year, month: month, day: CivilDate.daysInMonth(year: year, month: month))!
    }

    public func contains(_ date: CivilDate) -> Bool { date >= firstDay && date <= referenceDate }

    /// The last quarter that has ended before `date` (SPEC 8: the default of `--period`).
    public static func lastCompleted(before date: CivilDate) -> Period {
        let current = (date.month - 1) / 3 + 1
        return current == 1 ? Period(year: date.year - 1, quarter: 4)! : Period(year: date.year, quarter: current - 1)!
    }

    public static func today() -> CivilDate {
        let components = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Europe/Berlin")!, from: Date())
        return CivilDate(year: components.year!, month: components.month!, day: components.day!)!
    }
}
