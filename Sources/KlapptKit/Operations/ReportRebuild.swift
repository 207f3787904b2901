import Foundation

/// `klappt bericht` (SPEC 8, 11): the funding report of a finished quarter made again from the
/// store, with the pipeline's current labels; nothing is read from the inputs and no figure is
/// computed again. The files replace the old ones atomically and the ledger records them, so the
/// next run still finds the quarter finished.
public struct ReportRebuild: Sendable {
    public var pipeline: Pipeline
    /// The quarter; nil: the newest finished quarter in the store.
    public var period: Period?

    public init(pipeline: Pipeline, period: Period?) {
        self.pipeline = pipeline
        self.period = period
    }

    /// The quarter and the files written.
    public func execute() throws(KlapptError) -> (period: Period, files: [String]) {
        let directory = pipeline.outputDirectory
        let storePath = "\(directory)/klappt.sqlite"
        guard FileManager.default.fileExists(atPath: storePath) else {
            throw .notInStore(period: period?.description, store: storePath, finished: [])
        }
        let lock = try RunLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let store = try Store(path: storePath)
        try Publisher.recover(ledger: store, outputDirectory: directory)
        let finished = try store.finishedPeriods()
        guard let period = period ?? finished.compactMap(Period.init).max(), let run = try store.reportRun(period: period),
            let quarter = try store.publishedQuarter(period)
        else {
            throw .notInStore(period: period?.description, store: storePath, finished: finished)
        }
        let dimensions = Dimension.standard(for: pipeline)
        let indicators = pipeline.indicatorFamilies.flatMap(\.columns).sorted()
        guard let table = PublishableTable(published: quarter, dimensions: dimensions, indicators: indicators) else {
            throw .usage(
                "Die Tabellen der Pipeline (Dimensionen, Ausprägungen, Indikatoren) passen nicht zu denen des Laufs von \(period) im Speicher. "
                    + "Das Quartal neu rechnen: „klappt run \(pipeline.file) --period \(period) --force“.")
        }
        var stored = run.runReport
        if stored == nil { stored = try Self.reportFile(period: period, store: store, directory: directory) }
        guard let report = stored else {
            throw .usage(
                "Der Lauf von \(period) stammt von einer klappt-Version, die ihren Laufbericht nicht im Speicher ablegte, und lauf_\(period).json fehlt "
                    + "oder wurde verändert. Das Quartal neu rechnen: „klappt run \(pipeline.file) --period \(period) --force“.")
        }
        var result = PeriodResult(period: period, pipelineName: pipeline.name, table: table, report: report)
        result.transitions = run.linkedToPrevious ? try store.publishedTransitions(period) : nil
        result.history = try store.publishedHistory(before: period, limit: FundingReport.seriesLength - 1)
        result.labels = pipeline.labels
        result.reportSettings = pipeline.report
        result.minCell = report.suppression?.minCell ?? pipeline.minCell
        var written: [String] = []
        for sink in pipeline.sinks where sink is any FundingReportSink {
            guard let bytes = try sink.render(result) else { continue }
            let name = sink.fileName(for: period)
            try AtomicFile.write(bytes, to: "\(directory)/\(name)")
            try store.replaceOutput(run: run.id, Store.OutputFile(kind: sink.kind, file: name, sha256: Publisher.sha256(bytes)))
            written.append("\(directory)/\(name)")
        }
        return (period, written)
    }

    /// The run report file of a run of before schema 6, if it is the one the ledger recorded.
    static func reportFile(period: Period, store: Store, directory: String) throws(KlapptError) -> RunReport? {
        let ledger = try store.latestRun(period: period)
        let path = "\(directory)/lauf_\(period).json"
        guard let expected = ledger?.reportSHA256, Publisher.fileSHA256(path) == expected, let data = FileManager.default.contents(atPath: path) else {
            return nil
        }
        return try? JSONDecoder().decode(RunReport.self, from: data)
    }
}
