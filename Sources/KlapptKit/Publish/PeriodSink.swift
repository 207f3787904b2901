/// An output of a finished run (SPEC 7): a file written at the run's commit point, recorded in the
/// ledger with its sha256, and checked by the next run before it says "nothing to do".
///
/// A sink sees only what may be published: a `PublishableTable` (counts and `*`, never an exact
/// value of a suppressed cell) and the run report (counts, no value of an input row). The store
/// and the quarantine are not sinks: the store is the commit point itself (one transaction with
/// exact values and persons), and the quarantine holds the personal rows a sink must never see.
///
/// A new output is a new conforming type plus one line in `Registry`; the pipeline file selects
/// them by name (`outputs:`).
public protocol PeriodSink: Sendable {
    /// The name in the pipeline file (`outputs:`) and the ledger's kind of the file.
    var kind: String { get }
    /// The file's name in the output folder.
    func fileName(for period: Period) -> String
    /// The file's bytes (the same result gives the same bytes).
    func render(_ result: PeriodResult) throws(KlapptError) -> [UInt8]
}

/// What the sinks of a finished run receive.
public struct PeriodResult: Sendable {
    public var period: Period
    public var pipelineName: String
    public var table: PublishableTable
    public var report: RunReport
}

/// A protected table as it may be published: per cell a count, or `*`. It can only be made from a
/// `ProtectedTable`, whose audit proved the suppression; it holds no exact value of a suppressed
/// cell, so nothing downstream can leak one (the disclosure boundary as a type).
public struct PublishableTable: Sendable {
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case count(Int)
        case suppressed

        public var description: String {
            switch self {
            case .count(let value): return String(value)
            case .suppressed: return "*"
            }
        }
    }

    public let dimensions: [(name: String, categories: [String])]
    public let indicators: [Indicator]
    /// Row order of publication.
    public let cells: [CellID]
    private let values: [CellID: Value]

    public init(_ protected: ProtectedTable) {
        dimensions = protected.table.dimensions.map { ($0.name, $0.categories) }
        indicators = protected.table.indicators
        cells = protected.table.cells
        var values: [CellID: Value] = [:]
        for cell in cells { values[cell] = protected.suppressed.contains(cell) ? .suppressed : .count(protected.table.values[cell] ?? 0) }
        self.values = values
    }

    public subscript(cell: CellID) -> Value { values[cell] ?? .count(0) }
}

/// `indikatoren_<period>.csv`, the published long table (SPEC 7).
public struct IndicatorTableSink: PeriodSink {
    public let kind = "indikatoren"
    public init() {}
    public func fileName(for period: Period) -> String { "indikatoren_\(period).csv" }
    public func render(_ result: PeriodResult) -> [UInt8] { Array(PublishedTable.csv(result.table, period: result.period).utf8) }
}

/// `lauf_<period>.json`, the run report (SPEC 7).
public struct RunReportSink: PeriodSink {
    public let kind = "laufbericht"
    public init() {}
    public func fileName(for period: Period) -> String { "lauf_\(period).json" }
    public func render(_ result: PeriodResult) -> [UInt8] { Array(result.report.json().utf8) }
}
