import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

// The phases every publishing run of klappt goes through, named so that a reader finds each step
// by its name (issue 22). `klappt run` (`QuarterlyRun`) and `klappt land` (`LandRun`) compose the
// same second half after first halves of their own:
//
//   1. `OutputFolder.claim`        the folder exists, is writable and is this run's (lock)
//   2. the run's own               district: check sums, key series, previous quarter, reading,
//                                  linking, persons, the indicator table and its linked tables;
//                                  Land: the deliveries verified, the state table, the joint system
//   3. `Protection.apply`          primary and secondary suppression, proved by the audit
//   4. `Publication.stage`         every sink renders what may be published
//   5. `Publisher.publish`         pending files, the store's commit point, renames, ledger
//
// Interrupted publications of either kind are completed by `Publisher.recover` against the
// run's own ledger (`PublicationLedger`) right after the claim.

/// An output folder claimed for one run: made if missing, writable, and locked (SPEC 8) until the
/// value is released.
public final class OutputFolder {
    public let path: String
    private let lock: RunLock

    private init(path: String, lock: RunLock) {
        self.path = path
        self.lock = lock
    }

    /// Makes the folder if needed, checks that it is writable and takes its lock (a second run
    /// fails with `.locked`, naming the holder).
    public static func claim(_ path: String) throws(KlapptError) -> OutputFolder {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .outputNotWritable("Ausgabeverzeichnis „\(path)“ kann nicht angelegt werden.")
        }
        guard access(path, W_OK) == 0 else { throw .outputNotWritable("Ausgabeverzeichnis „\(path)“ ist nicht beschreibbar.") }
        return OutputFolder(path: path, lock: try RunLock(directory: path))
    }
}

/// Phase 3: the disclosure control of a run's table and its linked tables (SPEC 6), logged.
public struct Protection {
    public var minCell: Int
    public var secondary: any SecondarySuppression
    public var logger: Logger

    public init(minCell: Int, secondary: any SecondarySuppression, logger: Logger) {
        self.minCell = minCell
        self.secondary = secondary
        self.logger = logger
    }

    /// Protects `table` within `problem` (the table alone, or linked to others), keeping what an
    /// earlier publication of the same table showed where the figures did not change. `subject`
    /// names the table in messages.
    public func apply(
        _ table: IndicatorTable, problem: ProtectionProblem, earlier: [CellID: Int] = [:], subject: String
    ) throws(KlapptError) -> ProtectedTable {
        let clock = ContinuousClock()
        let start = clock.now
        let protected: ProtectedTable
        do {
            protected = try DisclosureControl(minCell: minCell, secondary: secondary).protect(table, linked: problem, earlier: earlier)
        } catch {
            throw .internalError("Geheimhaltung (\(subject)): \(error)")
        }
        if protected.earlierPublicationDropped {
            logger.warning(
                "Frühere Veröffentlichung dieses Quartals nicht berücksichtigt (Zahlen geändert); alte Dateien nicht mehr weitergeben",
                metadata: ["tabelle": "\(subject)"])
        }
        let elapsed = clock.now - start
        logger.info(
            "Geheimhaltung geprüft",
            metadata: [
                "tabelle": "\(subject)", "primaer": "\(protected.primary.count)", "sekundaer": "\(protected.secondary.count)",
                "verfahren": "\(protected.method)",
                "dauer_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        return protected
    }
}

/// An output of a finished run: a file rendered from what may be published (`Result`), written at
/// the run's commit point and recorded in its ledger with its sha256.
public protocol OutputSink<Result>: Sendable {
    associatedtype Result
    /// The name in the pipeline file (`outputs:`) and the ledger's kind of the file.
    var kind: String { get }
    /// The file's name in the output folder.
    func fileName(for period: Period) -> String
    /// The file's bytes (the same result gives the same bytes); nil when the sink has nothing for
    /// this period (then an old file of it is removed at the commit point).
    func render(_ result: Result) throws(KlapptError) -> [UInt8]?
}

/// Phase 4: what the sinks of a run make of its result.
public enum Publication {
    /// Every sink's file for `period` in `directory`, and the files of sinks that have nothing
    /// this time (they go at the commit point).
    public static func stage<Result>(
        _ sinks: [any OutputSink<Result>], _ result: Result, period: Period, directory: String
    ) throws(KlapptError) -> (files: [Publisher.StagedFile], withdrawn: [String]) {
        var files: [Publisher.StagedFile] = []
        var withdrawn: [String] = []
        for sink in sinks {
            let path = "\(directory)/\(sink.fileName(for: period))"
            guard let bytes = try sink.render(result) else {
                withdrawn.append(path)
                continue
            }
            files.append(Publisher.StagedFile(kind: sink.kind, path: path, bytes: bytes))
        }
        return (files, withdrawn)
    }
}
