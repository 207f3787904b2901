import Foundation

/// What happens when a run fails (issue 9): it is kept in the ledger with its exit code and reason,
/// and the pipeline's `on_failure` command, if any, is told, so that a failure in cron reaches a person.
public struct FailedRun: Sendable {
    public var period: Period?
    public var mode: String
    public var started: String
    public var error: KlapptError

    public init(period: Period?, mode: String, started: String, error: KlapptError) {
        self.period = period
        self.mode = mode
        self.started = started
        self.error = error
    }

    /// The reason on one line (for the ledger and the hook's environment). Messages name files,
    /// lines, fields and counts, never a value from an input row.
    public var reason: String {
        String("\(error)".split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ").prefix(2000))
    }

    /// Appends the failure to the store's ledger. Only where a store or at least the output folder
    /// exists (a failure does not make folders), and never for "another run holds the lock": that
    /// run is in the ledger itself. Best effort: a failure to record is not a second failure.
    public func record(outputDirectory: String) {
        if case .locked = error { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue,
            let store = try? Store(path: "\(outputDirectory)/klappt.sqlite")
        else { return }
        try? store.recordFailure(
            period: period?.description, mode: mode, started: started, finished: QuarterlyRun.timestamp(),
            exitCode: error.exitCode, reason: reason)
    }

    /// Runs the `on_failure` command with `/bin/sh -c`, the exit code, the one-line reason, the
    /// period and the pipeline file in its environment (`KLAPPT_EXIT`, `KLAPPT_GRUND`,
    /// `KLAPPT_ZEITRAUM`, `KLAPPT_PIPELINE`), and waits for it (at most a minute). Returns a note
    /// when the command could not be run or failed.
    public func notify(command: String, pipelineFile: String) -> String? {
        if case .locked = error { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["KLAPPT_EXIT"] = String(error.exitCode)
        environment["KLAPPT_GRUND"] = reason
        environment["KLAPPT_ZEITRAUM"] = period?.description ?? ""
        environment["KLAPPT_PIPELINE"] = pipelineFile
        process.environment = environment
        do { try process.run() } catch { return "on_failure konnte nicht gestartet werden: \(error)" }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            return "on_failure lief länger als eine Minute und wurde beendet."
        }
        return process.terminationStatus == 0 ? nil : "on_failure endete mit Exit \(process.terminationStatus)."
    }
}
