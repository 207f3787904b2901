import KlapptFormats

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
public protocol PeriodSink: OutputSink where Result == PeriodResult {}

extension PeriodSink {
    /// The sink as an output of any run (`Publication.stage`).
    public var output: any OutputSink<PeriodResult> { self }
}

/// What the sinks of a finished run receive.
public struct PeriodResult: Sendable {
    public var period: Period
    public var pipelineName: String
    public var table: PublishableTable
    public var report: RunReport
    /// The transition table as published (SPEC 10), when the previous quarter is in the store.
    public var transitions: PublishableTransitions? = nil
    /// The earlier quarters' publications (oldest first, at most seven) for the report's series.
    public var history: [PublishedQuarter] = []
    /// The report's words and what it says about itself.
    public var labels = ReportLabels()
    public var reportSettings = ReportSettings(programme: "", district: "")
    public var minCell = 3

    public init(period: Period, pipelineName: String, table: PublishableTable, report: RunReport) {
        self.period = period
        self.pipelineName = pipelineName
        self.table = table
        self.report = report
    }

    /// The funding report of the result (SPEC 11).
    public var fundingReport: FundingReport {
        FundingReport(
            FundingReportInput(
                current: PublishedQuarter(period: period, table: table), dimensions: table.dimensions, indicators: table.indicators.map(\.rawValue),
                history: history, transitions: transitions, transitionNote: report.transitions?.note, report: report, labels: labels,
                settings: reportSettings, minCell: minCell))
    }
}

/// A transition table as it may be published: per pair of states a count, or `*`.
public struct PublishableTransitions: Sendable {
    public let previousPeriod: Period
    /// The 63 pairs in publication order with their published values.
    public let cells: [(from: PersonState, to: PersonState, value: PublishableTable.Value)]

    public init(previousPeriod: Period, cells: [(from: PersonState, to: PersonState, value: PublishableTable.Value)]) {
        self.previousPeriod = previousPeriod
        self.cells = cells
    }

    public init(_ protected: ProtectedTable, previousPeriod: Period) {
        self.previousPeriod = previousPeriod
        cells = TransitionTable.pairs.map { pair in
            let cell = CellID(table: CellID.Table.transitions, indicator: .transition, dimension: pair.from.description, category: pair.to.description)
            return (pair.from, pair.to, protected.suppressed.contains(cell) ? .suppressed : .count(protected.linkedValues[cell] ?? 0))
        }
    }
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

    /// A table as the store kept it published (`klappt bericht`); nil when the store lacks a cell
    /// of these dimensions and indicators (the pipeline's tables changed since the run).
    public init?(published quarter: PublishedQuarter, dimensions: [Dimension], indicators: [Indicator]) {
        self.dimensions = dimensions.map { ($0.name, $0.categories) }
        self.indicators = indicators
        var cells: [CellID] = []
        var values: [CellID: Value] = [:]
        for indicator in indicators {
            for dimension in dimensions {
                for category in dimension.categories {
                    let cell = CellID(indicator: indicator, dimension: dimension.name, category: category)
                    guard let value = quarter[indicator.rawValue, dimension.name, category] else { return nil }
                    cells.append(cell)
                    values[cell] = value
                }
            }
        }
        self.cells = cells
        self.values = values
    }

    public subscript(cell: CellID) -> Value { values[cell] ?? .count(0) }
}

/// A sink whose file `klappt bericht` can make again from the store (the funding report).
public protocol FundingReportSink: PeriodSink {}

/// `bericht_<period>.xlsx`, the funding report as a workbook (SPEC 11).
public struct WorkbookSink: FundingReportSink {
    public let kind = "bericht_xlsx"
    public init() {}
    public func fileName(for period: Period) -> String { "bericht_\(period).xlsx" }
    public func render(_ result: PeriodResult) throws(KlapptError) -> [UInt8]? { try ReportWorkbook.render(result.fundingReport) }
}

/// `bericht_<period>.html`, the funding report as one self-contained page (SPEC 11).
public struct ReportPageSink: FundingReportSink {
    public let kind = "bericht_html"
    public init() {}
    public func fileName(for period: Period) -> String { "bericht_\(period).html" }
    public func render(_ result: PeriodResult) -> [UInt8]? { Array(ReportPage.render(result.fundingReport).utf8) }
}

/// `indikatoren_<period>.csv`, the published long table (SPEC 7).
public struct IndicatorTableSink: PeriodSink {
    public let kind = "indikatoren"
    public init() {}
    public func fileName(for period: Period) -> String { "indikatoren_\(period).csv" }
    public func render(_ result: PeriodResult) -> [UInt8]? { Array(PublishedTable.csv(result.table, period: result.period).utf8) }
}

/// `uebergaenge_<period>.csv`, the transition table (SPEC 10): UTF-8 with BOM, `;`, CRLF, header
/// `zeitraum;von;nach;wert`, 63 rows, `von` major, `*` where suppressed. Nothing without the
/// previous quarter.
public struct TransitionTableSink: PeriodSink {
    public let kind = "uebergaenge"
    public init() {}
    public func fileName(for period: Period) -> String { "uebergaenge_\(period).csv" }
    public func render(_ result: PeriodResult) -> [UInt8]? {
        result.transitions.map { Array(TransitionTableSink.csv($0, period: result.period).utf8) }
    }

    /// The file's text (the Land's state table uses it too).
    public static func csv(_ transitions: PublishableTransitions, period: Period) -> String {
        var writer = CSVWriter()
        writer.writeRow(["zeitraum", "von", "nach", "wert"])
        for cell in transitions.cells { writer.writeRow([period.description, cell.from.description, cell.to.description, cell.value.description]) }
        return writer.text
    }
}

/// `lauf_<period>.json`, the run report (SPEC 7).
public struct RunReportSink: PeriodSink {
    public let kind = "laufbericht"
    public init() {}
    public func fileName(for period: Period) -> String { "lauf_\(period).json" }
    public func render(_ result: PeriodResult) -> [UInt8]? { Array(result.report.json().utf8) }
}
