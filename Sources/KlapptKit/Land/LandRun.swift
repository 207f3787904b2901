import Foundation
import Logging

/// One roll-up for the Land (issue 22, `klappt land`), cron-safe like `klappt run` and made of the
/// same phases (`RunPhases.swift`): the output folder claimed (lock) and interrupted publications
/// completed; then its own first half (the deliveries verified, "bereits fertig" when the same
/// deliveries were rolled up already and every file is still the one written, the state table and
/// the joint disclosure problem); then `Protection`, `Publication` (the table and the reports) and
/// `Publisher` with the Land store as the ledger.
public struct LandRun: Sendable {
    public var period: Period
    /// The delivery files.
    public var deliveries: [String]
    public var trustedKeys: String
    public var outputDirectory: String
    public var expected: [String]?
    public var minCell = 3
    public var timeLimit = 10.0
    public var logger = Logger(label: "klappt.land")

    /// What `klappt land` writes: the state table and the Land's report.
    public static let sinks: [any OutputSink<LandResult>] = [LandTableSink(), LandTransitionsSink(), LandWorkbookSink(), LandPageSink()]

    public init(period: Period, deliveries: [String], trustedKeys: String, outputDirectory: String, expected: [String]? = nil) {
        self.period = period
        self.deliveries = deliveries
        self.trustedKeys = trustedKeys
        self.outputDirectory = outputDirectory
        self.expected = expected
    }

    public enum Outcome: Sendable {
        case published(files: [String], protected: ProtectedTable, deliveries: [LandRollup.Verified])
        /// The same deliveries were rolled up at `since`; nothing was done.
        case unchanged(files: [String], since: String, deliveries: [LandRollup.Verified])
    }

    /// The files of the period in the output folder, in the sinks' order.
    public var files: [String] { LandRun.sinks.map { "\(outputDirectory)/\($0.fileName(for: period))" } }

    public func execute() throws(KlapptError) -> Outcome {
        let folder = try OutputFolder.claim(outputDirectory)
        defer { withExtendedLifetime(folder) {} }
        let started = QuarterlyRun.timestamp()
        let store = try LandStore(directory: outputDirectory)
        for period in try Publisher.recover(ledger: store, outputDirectory: outputDirectory) {
            logger.warning("Unterbrochene Veröffentlichung abgeschlossen", metadata: ["zeitraum": "\(period)"])
        }

        let verified = try LandRollup.verify(files: deliveries, trustedKeys: trustedKeys, period: period, expected: expected)
        if let other = verified.first(where: { $0.delivery.tabellensystem.minCell != minCell }) {
            throw .usage("--min-cell \(minCell), die Kreise sperren mit min_cell \(other.delivery.tabellensystem.minCell): bitte denselben Wert angeben.")
        }
        let previous = try store.publication(of: period.previous)
        let fingerprint = LandStore.fingerprint(verified, minCell: minCell, previousTable: previous?.tableSHA256)
        if let since = try store.finishedRun(period: period, fingerprint: fingerprint, outputDirectory: outputDirectory) {
            return .unchanged(files: files.filter { FileManager.default.fileExists(atPath: $0) }, since: since, deliveries: verified)
        }
        let state = try LandRollup.stateTable(verified)
        let problem = try LandRollup.problem(state: state, deliveries: verified, minCell: minCell, previous: previous?.publication)

        let protection = Protection(minCell: minCell, secondary: OptimalSuppression(timeLimit: timeLimit), logger: logger)
        let protected = try protection.apply(state, problem: problem, subject: "land_indikatoren_\(period)")
        let result = LandResult(
            period: period, protected: protected, deliveries: verified, minCell: minCell, finished: QuarterlyRun.timestamp(),
            previous: previous?.publication)
        let staged = try Publication.stage(LandRun.sinks, result, period: period, directory: outputDirectory)
        try Publisher.publish(staged.files, withdrawn: staged.withdrawn, ledger: store) { outputs throws(KlapptError) in
            try store.commit(period: period, started: started, fingerprint: fingerprint, outputs: outputs, deliveries: verified, protected: protected)
        }
        return .published(files: staged.files.map(\.path), protected: protected, deliveries: verified)
    }
}
