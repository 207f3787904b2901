import Foundation

/// The run report `lauf_<period>.json` (SPEC 7): what was read, rejected and linked, the target-group
/// funnel and the warnings. Counts and codes only; no personal data.
public struct RunReport: Codable, Sendable {
    public var zeitraum: String
    public var stichtag: String
    public var pipeline: String
    public var klapptVersion: String
    public var gestartet: String
    public var beendet: String
    public var modus: String
    public var inputs: [FileAccount]
    public var persons: Persons
    public var targetGroup: TargetGroupCounts
    public var suppression: Suppression?
    public var warnings: [Warning]
    public var quarantine: [String]
    /// The local file of unknown values (they may hold personal data, so the report has only counts).
    public var unknownValuesFile: String?
    /// Plausibility findings that the operator overrode (`--ignore-plausibility`); empty when all passed.
    public var plausibilityOverridden: [String]
    /// SPEC 10: the transitions from the previous quarter as published (`*` where suppressed), or
    /// why there are none.
    public var transitions: Transitions?
    /// Probabilistic linkage's figures and error estimate (absent under exact linkage, so that an
    /// exact run's report stays as it was).
    public var linkage: LinkageSummary?

    public struct Transitions: Codable, Sendable {
        public var previousPeriod: String?
        /// `von>nach` -> count or `*`.
        public var cells: [String: String]?
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case cells, note
            case previousPeriod = "previous_period"
        }
    }

    public struct Persons: Codable, Sendable {
        public var total: Int
        public var bySource: [String: Int]
        public var linked: Int

        enum CodingKeys: String, CodingKey {
            case total
            case bySource = "by_source"
            case linked
        }
    }

    public struct Suppression: Codable, Sendable {
        public var minCell: Int
        public var primaryCells: Int
        public var secondaryCells: Int
        /// "exakt" (the proven minimum) or "heuristisch" (the fallback); absent in reports of before 1.2.
        public var method: String?
        /// Why the heuristic was used: "abgeschaltet" (`time_limit_s: 0`), "zeitlimit" or "solver".
        public var fallbackReason: String?
        /// The fewest secondary cells the exact method proved necessary, when it fell back to the
        /// heuristic (the exact method minimises what a reader loses, not the count: issue 31).
        public var provenMinimum: Int?
        /// The cost the exact method minimised: `wert+1, gesamtwerte zuletzt` (issue 31).
        public var cost: String?
        /// Secondary cells of the district's total row (`insgesamt`): with the exact method, a
        /// total is withheld only where no pattern without it protects the tables.
        public var secondaryTotals: Int?
        /// Primary cells of the total row (a district total itself below `min_cell`).
        public var primaryTotals: Int?

        enum CodingKeys: String, CodingKey {
            case minCell = "min_cell"
            case primaryCells = "primary_cells"
            case secondaryCells = "secondary_cells"
            case method
            case fallbackReason = "fallback_reason"
            case provenMinimum = "proven_minimum"
            case cost
            case secondaryTotals = "secondary_totals"
            case primaryTotals = "primary_totals"
        }

        init(minCell: Int, table: ProtectedTable) {
            self.minCell = minCell
            primaryCells = table.primary.count
            secondaryCells = table.secondary.count
            secondaryTotals = table.secondaryTotals.count
            primaryTotals = table.primary.filter { $0.dimension == TableSystem.totalDimension }.count
            switch table.method {
            case .optimal:
                method = "exakt"
                cost = "wert+1, gesamtwerte zuletzt"
            case .heuristic(let reason, let lowerBound):
                method = "heuristisch"
                fallbackReason = reason?.rawValue
                provenMinimum = lowerBound
            }
        }
    }

    /// Values no code list knows, by kind: counts only (the values themselves may be free text with
    /// names in it, so they go only to the local `unknownValuesFile`).
    public struct Warning: Codable, Sendable {
        public var kind: String
        public var rows: Int
        public var distinctValues: Int
        /// Residence texts: persons who fell out of the target group because of them.
        public var personsOutOfTargetGroup: Int?
        public var codeList: String?

        enum CodingKeys: String, CodingKey {
            case kind, rows
            case distinctValues = "distinct_values"
            case personsOutOfTargetGroup = "persons_out_of_target_group"
            case codeList = "code_list"
        }
    }

    enum CodingKeys: String, CodingKey {
        case zeitraum, stichtag, pipeline, gestartet, beendet, modus, inputs, persons, suppression, warnings, quarantine
        case unknownValuesFile = "unknown_values_file"
        case plausibilityOverridden = "plausibility_overridden"
        case transitions, linkage
        case klapptVersion = "klappt_version"
        case targetGroup = "target_group"
    }

    public init(outcome: RunOutcome, finishedAt: String, mode: String, minCell: Int, version: String, codeListPaths: [String: String] = [:]) {
        zeitraum = outcome.period.description
        stichtag = outcome.period.referenceDate.iso
        pipeline = outcome.pipelineName
        klapptVersion = version
        gestartet = outcome.startedAt
        beendet = finishedAt
        modus = mode
        inputs = outcome.files
        persons = Persons(total: outcome.filter.persons, bySource: outcome.personsBySource, linked: outcome.linkedPersons)
        targetGroup = outcome.filter
        suppression = outcome.table.map { Suppression(minCell: minCell, table: $0) }
        warnings = outcome.warnings.keys.sorted().map { kind in
            let values = outcome.warnings[kind]!
            let known = UnknownValueKind(rawValue: kind)
            return Warning(
                kind: kind, rows: values.values.reduce(0, +), distinctValues: values.count,
                personsOutOfTargetGroup: known == .residence ? outcome.filter.outByUnknownResidenceText : nil,
                codeList: known.flatMap { codeListPaths[$0.codeList] })
        }
        quarantine = outcome.quarantineFiles
        unknownValuesFile = outcome.unknownValuesFile
        plausibilityOverridden = outcome.plausibilityFindings
        linkage = outcome.linkage
        if let protected = outcome.table, outcome.transitions != nil, let previous = outcome.previousPeriod {
            let published = PublishableTransitions(protected, previousPeriod: previous)
            transitions = Transitions(
                previousPeriod: previous.description,
                cells: Dictionary(uniqueKeysWithValues: published.cells.map { ("\($0.from)>\($0.to)", $0.value.description) }), note: nil)
        } else if let note = outcome.transitionNote {
            transitions = Transitions(previousPeriod: nil, cells: nil, note: note)
        }
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
