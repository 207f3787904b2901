#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Puts a run's outputs in place so that a crash at any moment leaves a consistent state (SPEC 8).
///
/// The order: the published table and the run report are written to hidden `.pending` files
/// (fsynced); the store commits the period in one transaction together with the files' sha256
/// (the commit point); the pending files are renamed over the old ones; the ledger marks the run
/// published. Killed before the commit, nothing visible has changed. Killed after it, the next
/// start of klappt finds the committed run, checks the pending files against the recorded sha256
/// and completes the renames (roll-forward), as a database recovers from its journal.
public struct Publisher {
    public let outputs: QuarterlyRun.Outputs

    public init(outputs: QuarterlyRun.Outputs) { self.outputs = outputs }

    static func pendingPath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).pending").path
    }

    /// Writes and commits a finished run; returns when its files are in place. `writer`, when
    /// given, already holds the period's persons in its open transaction.
    public func publish(_ outcome: RunOutcome, table: String, report: String, fingerprint: String, finishedAt: String,
                        writer: Store.PeriodWriter? = nil, ledger: Store.Publication? = nil) throws(KlapptError) {
        let tableBytes = Array(table.utf8)
        let reportBytes = Array(report.utf8)
        try AtomicFile.write(tableBytes, to: Self.pendingPath(outputs.table))
        try AtomicFile.write(reportBytes, to: Self.pendingPath(outputs.report))
        var publication = ledger ?? Store.Publication(fingerprint: fingerprint, tableSHA256: "", reportSHA256: "")
        publication.fingerprint = fingerprint
        publication.tableSHA256 = Self.sha256(tableBytes)
        publication.reportSHA256 = Self.sha256(reportBytes)
        let store: Store
        let run: Int
        if let writer {
            store = writer.store
            run = try writer.commit(outcome, finishedAt: finishedAt, version: QuarterlyRun.version, publication: publication)
        } else {
            store = try Store(path: outputs.store)
            run = try store.record(outcome, finishedAt: finishedAt, version: QuarterlyRun.version, publication: publication)
        }
        try Self.moveIntoPlace(Self.pendingPath(outputs.table), outputs.table)
        try Self.moveIntoPlace(Self.pendingPath(outputs.report), outputs.report)
        try store.markPublished(run: run)
    }

    /// Completes publications a crash interrupted and removes pending files of runs that never
    /// committed. Returns the periods it completed.
    @discardableResult
    public static func recover(store: Store, outputDirectory: String) throws(KlapptError) -> [String] {
        var completed: [String] = []
        var keep = Set<String>()
        for run in try store.pendingRuns() {
            let table = "\(outputDirectory)/indikatoren_\(run.period).csv"
            let report = "\(outputDirectory)/lauf_\(run.period).json"
            var inPlace = true
            for (final, sha) in [(table, run.tableSHA256), (report, run.reportSHA256)] {
                let pending = pendingPath(final)
                if fileSHA256(final) == sha { continue }
                if fileSHA256(pending) == sha {
                    try moveIntoPlace(pending, final)
                } else {
                    inPlace = false
                    keep.insert(pending)
                }
            }
            if inPlace {
                try store.markPublished(run: run.id)
                completed.append(run.period)
            }
        }
        // Pending files of runs that were killed before their commit, and temporary files of writes
        // a kill interrupted (the lock guarantees no other run is writing them).
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
        for name in names where name.hasPrefix(".") && (name.hasSuffix(".pending") || name.hasSuffix(".tmp")) {
            let path = "\(outputDirectory)/\(name)"
            if !keep.contains(path) { unlink(path) }
        }
        return completed
    }

    static func moveIntoPlace(_ pending: String, _ final: String) throws(KlapptError) {
        guard rename(pending, final) == 0 else {
            throw .outputNotWritable("„\(final)“: \(String(cString: strerror(errno)))")
        }
        let directory = open(URL(fileURLWithPath: final).deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        var stream = SHA256Stream()
        bytes.withUnsafeBytes { stream.update($0) }
        return stream.finalize()
    }

    /// The file's check sum; nil when it cannot be read (a missing output counts as changed).
    static func fileSHA256(_ path: String) -> String? {
        try? QuarterlyRun.sha256(of: path)
    }
}
