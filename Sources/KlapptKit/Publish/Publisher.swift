import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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

    /// A file of a finished run, rendered and not yet visible.
    public struct StagedFile: Sendable {
        /// The sink's kind (the ledger's key).
        public var kind: String
        /// Where it goes.
        public var path: String
        public var bytes: [UInt8]

        public init(kind: String, path: String, bytes: [UInt8]) {
            self.kind = kind
            self.path = path
            self.bytes = bytes
        }
    }

    /// Writes and commits a finished run; returns when its files are in place. `writer` already
    /// holds the period's persons in its open transaction (the store's commit point).
    public func publish(
        _ outcome: RunOutcome, files: [StagedFile], withdrawn: [String] = [], fingerprint: String, finishedAt: String,
        writer: Store.PeriodWriter, ledger: Store.Publication? = nil
    ) throws(KlapptError) {
        var publication = ledger ?? Store.Publication(fingerprint: fingerprint, tableSHA256: "", reportSHA256: "")
        publication.fingerprint = fingerprint
        publication.outputs = []
        for file in files {
            try AtomicFile.write(file.bytes, to: Self.pendingPath(file.path))
            publication.outputs.append(
                Store.OutputFile(kind: file.kind, file: URL(fileURLWithPath: file.path).lastPathComponent, sha256: Self.sha256(file.bytes)))
        }
        // The ledger's columns of schema 2 keep the two files every klappt writes.
        publication.tableSHA256 = publication.outputs.first { $0.kind == IndicatorTableSink().kind }?.sha256 ?? ""
        publication.reportSHA256 = publication.outputs.first { $0.kind == RunReportSink().kind }?.sha256 ?? ""
        let store = writer.store
        let run = try writer.commit(outcome, finishedAt: finishedAt, version: QuarterlyRun.version, publication: publication)
        for file in files { try Self.moveIntoPlace(Self.pendingPath(file.path), file.path) }
        // Files of an earlier run that this one does not write (a transition table that no longer
        // applies) would contradict it: they go. (Not in the ledger, so not part of recovery.)
        for path in withdrawn { unlink(path) }
        try store.markPublished(run: run)
    }

    /// Completes publications a crash interrupted and removes pending files of runs that never
    /// committed. Returns the periods it completed.
    @discardableResult
    public static func recover(store: Store, outputDirectory: String) throws(KlapptError) -> [String] {
        var completed: [String] = []
        var keep = Set<String>()
        for run in try store.pendingRuns() {
            var inPlace = true
            for output in run.outputs {
                let final = "\(outputDirectory)/\(output.file)"
                let pending = pendingPath(final)
                if fileSHA256(final) == output.sha256 { continue }
                if fileSHA256(pending) == output.sha256 {
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

    /// Whether every file of a finished run is in place, byte for byte as the ledger recorded it.
    public static func filesInPlace(_ run: Store.LedgerRun, outputDirectory: String) -> Bool {
        !run.outputs.isEmpty && run.outputs.allSatisfy { fileSHA256("\(outputDirectory)/\($0.file)") == $0.sha256 }
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
