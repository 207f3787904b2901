import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The store a publication commits to (the district's `klappt.sqlite`, the Land's `land.sqlite`):
/// its ledger lists the committed runs with their files' sha256 and whether they are in place.
public protocol PublicationLedger {
    /// Committed runs whose files may not yet be in place.
    func pendingRuns() throws(KlapptError) -> [Store.LedgerRun]
    /// Notes that every file of `run` is in place.
    func markPublished(run: Int) throws(KlapptError)
}

/// Puts a run's outputs in place so that a crash at any moment leaves a consistent state (SPEC 8).
///
/// The order: the run's files are written to hidden `.pending` files (fsynced); the store commits
/// the run in one transaction together with the files' sha256 (the commit point); the pending files
/// are renamed over the old ones; the ledger marks the run published. Killed before the commit,
/// nothing visible has changed. Killed after it, the next start of klappt finds the committed run,
/// checks the pending files against the recorded sha256 and completes the renames (roll-forward),
/// as a database recovers from its journal. The same for `klappt run` and `klappt land`: only the
/// ledger differs.
public enum Publisher {
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

    /// Phase 5: writes and commits a finished run; returns when its files are in place. `commit`
    /// is the store's commit point: it records the run with the files' names and sums in one
    /// transaction and returns the run's id in `ledger`.
    public static func publish(
        _ files: [StagedFile], withdrawn: [String] = [], ledger: some PublicationLedger,
        commit: ([Store.OutputFile]) throws(KlapptError) -> Int
    ) throws(KlapptError) {
        var outputs: [Store.OutputFile] = []
        for file in files {
            try AtomicFile.write(file.bytes, to: pendingPath(file.path))
            outputs.append(Store.OutputFile(kind: file.kind, file: URL(fileURLWithPath: file.path).lastPathComponent, sha256: sha256(file.bytes)))
        }
        let run = try commit(outputs)
        for file in files { try moveIntoPlace(pendingPath(file.path), file.path) }
        // Files of an earlier run that this one does not write (a transition table that no longer
        // applies) would contradict it: they go. (Not in the ledger, so not part of recovery.)
        for path in withdrawn { unlink(path) }
        try ledger.markPublished(run: run)
    }

    /// Completes publications a crash interrupted and removes pending files of runs that never
    /// committed. Returns the periods it completed.
    @discardableResult
    public static func recover(ledger: some PublicationLedger, outputDirectory: String) throws(KlapptError) -> [String] {
        var completed: [String] = []
        var keep = Set<String>()
        for run in try ledger.pendingRuns() {
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
                try ledger.markPublished(run: run.id)
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
