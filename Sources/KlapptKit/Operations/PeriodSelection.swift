/// Which quarters one invocation processes (issue 12: catch-up without thinking).
///
/// `--period 2026-Q3` is one quarter, `--period 2026-Q2..2026-Q3` every quarter of the range, oldest
/// first. Without `--period`: when the sources' paths name the quarter (`{zeitraum}`,
/// `{stichtag}`), every quarter of the last two years up to the last completed one whose deliveries
/// are all there, oldest first (a quarter already finished with the same inputs costs a look at
/// the ledger); otherwise the last completed quarter. Each quarter is its own run with its own
/// commit point.
public enum PeriodSelection {
    /// How many quarters back a catch-up looks.
    public static let catchUpQuarters = 8

    /// Parses `2026-Q3` or `2026-Q2..2026-Q3`; nil when it is neither (or the range runs backwards
    /// or spans more than ten years).
    public static func parse(_ text: String) -> [Period]? {
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2, let first = Period(parts[0]) else { return nil }
        guard parts.count == 2 else { return [first] }
        guard let last = Period(parts[1]), first <= last else { return nil }
        var periods = [first]
        while let current = periods.last, current < last, periods.count <= 40 { periods.append(current.next) }
        return periods.last == last ? periods : nil
    }

    /// The quarters to process without `--period`.
    public static func defaultPeriods(for pipeline: Pipeline, today: CivilDate) -> [Period] {
        let last = Period.lastCompleted(before: today)
        guard pipeline.sources.contains(where: \.namesThePeriod) else { return [last] }
        var candidates = [last]
        while candidates.count < catchUpQuarters, let oldest = candidates.first { candidates.insert(oldest.previous, at: 0) }
        let delivered = candidates.filter { QuarterlyRun.isDelivered($0, pipeline: pipeline) }
        // Nothing delivered: the last completed quarter, so that the run says what is missing (66).
        return delivered.isEmpty ? [last] : delivered
    }
}
