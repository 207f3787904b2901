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

        enum CodingKeys: String, CodingKey {
            case minCell = "min_cell"
            case primaryCells = "primary_cells"
            case secondaryCells = "secondary_cells"
        }
    }

    public struct Warning: Codable, Sendable {
        public var kind: String
        public var value: String
        public var count: Int
    }

    enum CodingKeys: String, CodingKey {
        case zeitraum, stichtag, pipeline, gestartet, beendet, modus, inputs, persons, suppression, warnings, quarantine
        case klapptVersion = "klappt_version"
        case targetGroup = "target_group"
    }

    public init(outcome: RunOutcome, finishedAt: String, mode: String, minCell: Int, version: String) {
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
        suppression = outcome.table.map { Suppression(minCell: minCell, primaryCells: $0.primary.count, secondaryCells: $0.secondary.count) }
        warnings = outcome.warnings.keys.sorted().flatMap { kind in
            outcome.warnings[kind]!.sorted { $0.key < $1.key }.map { Warning(kind: kind, value: $0.key, count: $0.value) }
        }
        quarantine = outcome.quarantineFiles
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
