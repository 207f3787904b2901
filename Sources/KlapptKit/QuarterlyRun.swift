#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import KlapptFormats
import Logging

/// The quarterly run, end to end (SPEC 2-7): reads every source, validates, pseudonymises and links,
/// classifies, aggregates, protects and writes the outputs. I/O happens here and in the sinks; the
/// rules live in the stages it drives.
public struct QuarterlyRun: Sendable {
    public static let version = "1.0.0"

    public enum Mode: String, Sendable {
        /// Everything, all outputs.
        case run
        /// Read and check the inputs; write only the run report (SPEC 8 `klappt validate`).
        case validate
    }

    public var pipeline: Pipeline
    public var period: Period
    public var mode: Mode
    public var logger: Logger
    /// Called with (file, bytes read, file size) while reading, for progress on a terminal.
    public var progress: (@Sendable (String, Int, Int) -> Void)?
    /// Run even when the period was already finished with the same inputs.
    public var force = false
    /// The secondary suppression; replaceable only to show what the audit catches.
    public var secondarySuppression: any SecondarySuppression = LinkedTablesSuppression()

    public init(pipeline: Pipeline, period: Period, mode: Mode = .run, logger: Logger) {
        self.pipeline = pipeline
        self.period = period
        self.mode = mode
        self.logger = logger
    }

    /// The output paths of a period.
    public struct Outputs: Sendable {
        public var table: String
        public var store: String
        public var report: String
        public var quarantine: String
    }

    public var outputs: Outputs {
        let dir = pipeline.outputDirectory
        return Outputs(table: "\(dir)/indikatoren_\(period).csv", store: "\(dir)/klappt.sqlite",
                       report: "\(dir)/lauf_\(period).json", quarantine: Quarantine(outputDirectory: dir, period: period).directory)
    }

    /// Runs the pipeline with `key` (nil in validate mode: an ephemeral key links within the run).
    public func execute(key: [UInt8]?) throws(KlapptError) -> RunOutcome {
        let started = QuarterlyRun.timestamp()
        let files = try resolveInputs()
        try prepareOutputDirectory()
        let lock = try RunLock(directory: pipeline.outputDirectory)
        defer { withExtendedLifetime(lock) {} }

        let keyBytes = key ?? (0..<32).map { _ in UInt8.random(in: 0...255) }
        let pseudonymizer = Pseudonymizer(keyBytes: keyBytes)
        var hashes: [String: String] = [:]
        for path in files.joined() { hashes[path] = try QuarterlyRun.sha256(of: path) }
        let fingerprint = try self.fingerprint(files: files, hashes: hashes, pseudonymizer: pseudonymizer)
        if mode == .run {
            let store = try Store(path: outputs.store)
            let completed = try Publisher.recover(store: store, outputDirectory: pipeline.outputDirectory)
            for period in completed {
                logger.warning("Unterbrochene Veröffentlichung abgeschlossen", metadata: ["zeitraum": "\(period)"])
            }
            if !force, let last = try store.latestRun(period: period), last.published, last.fingerprint == fingerprint,
               Publisher.fileSHA256(outputs.table) == last.tableSHA256, Publisher.fileSHA256(outputs.report) == last.reportSHA256 {
                return RunOutcome(
                    period: period, pipelineName: pipeline.name, startedAt: started, files: [], personsBySource: [:], linkedPersons: 0,
                    filter: TargetGroupCounts(persons: 0, ageInRange: 0, refugeeResidence: 0, inDistrictOrUnknown: 0, targetGroup: 0, withCurrentRecord: 0),
                    warnings: [:], rejections: [], quarantineFiles: [], persons: [], table: nil, unchangedSince: last.started)
            }
        }
        let quarantine = Quarantine(outputDirectory: pipeline.outputDirectory, period: period)
        var index = PersonIndex()
        var accounts: [FileAccount] = []
        var accountOrigins: [(source: Int, file: Int)] = []
        var storedRejections: [StoredRejection] = []
        var quarantineFiles: [String] = []
        var warnings: [String: [String: Int]] = [:]
        var failure: KlapptError?

        // Files are independent until linkage: they are read on all cores at once and merged in
        // path order afterwards, so the result does not depend on which file finished first.
        var jobs: [(sourceIndex: Int, fileIndex: Int, path: String)] = []
        for (sourceIndex, paths) in files.enumerated() {
            for (fileIndex, path) in paths.enumerated() { jobs.append((sourceIndex, fileIndex, path)) }
        }
        let results = ResultSlots<FileResult>(count: jobs.count)
        let work = jobs
        let fileHashes = hashes
        DispatchQueue.concurrentPerform(iterations: work.count) { position in
            let job = work[position]
            results[position] = Result { () throws(KlapptError) -> FileResult in
                try readFile(pipeline.sources[job.sourceIndex], sourceIndex: job.sourceIndex, fileIndex: job.fileIndex, path: job.path,
                             sha256: fileHashes[job.path]!, pseudonymizer: pseudonymizer, quarantine: quarantine)
            }
        }
        for (position, job) in jobs.enumerated() {
            var result = try results.take(position).get()
            index.add(result.records)
            result.records = []
            storedRejections += result.rejections
            for (kind, values) in result.warnings {
                for (value, count) in values { warnings[kind, default: [:]][value, default: 0] += count }
            }
            accounts.append(result.account)
            accountOrigins.append((job.sourceIndex, job.fileIndex))
            if let written = result.quarantineFile { quarantineFiles.append(written) }
            let share = result.account.rowsRead == 0 ? 0 : Double(result.account.rejected) / Double(result.account.rowsRead)
            if share > pipeline.maxRejectShare, failure == nil {
                failure = .inputData("„\(job.path)“: \(result.account.rejected) von \(result.account.rowsRead) Zeilen abgewiesen (\(QuarterlyRun.percent(share)), erlaubt sind höchstens \(QuarterlyRun.percent(pipeline.maxRejectShare))). Häufigster Grund: \(result.account.reasons.max { $0.value < $1.value }.map { "\($0.key) (\($0.value))" } ?? "-"). Die abgewiesenen Zeilen stehen in „\(quarantine.directory)“. Keine Ausgabe des Zeitraums wurde geschrieben.")
            }
        }
        if let failure { throw failure }
        let superseded = index.supersededCounts()
        for (position, origin) in accountOrigins.enumerated() {
            accounts[position].superseded = superseded[origin.source]?[origin.file] ?? 0
        }

        let classification = Classification(rules: pipeline.targetGroup, sourceIDs: pipeline.sources.map(\.id))
        // Only target-group persons are kept; everyone else is counted on the way (funnel, sources).
        var persons: [PersonFacts] = []
        var funnel = TargetGroupCounts(persons: 0, ageInRange: 0, refugeeResidence: 0, inDistrictOrUnknown: 0, targetGroup: 0, withCurrentRecord: 0)
        var bySource = Dictionary(uniqueKeysWithValues: pipeline.sources.map { ($0.id, 0) })
        var linked = 0
        index.drainPersons { pseudonym, records in
            let facts = classification.facts(pseudonym: pseudonym, records: records)
            funnel.count(facts)
            for id in facts.sourceIDs { bySource[id, default: 0] += 1 }
            if facts.sourceIDs.count > 1 { linked += 1 }
            if facts.inTargetGroup { persons.append(facts) }
        }
        var outcome = RunOutcome(
            period: period, pipelineName: pipeline.name, startedAt: started, files: accounts,
            personsBySource: bySource, linkedPersons: linked,
            filter: funnel, warnings: warnings, rejections: storedRejections,
            quarantineFiles: quarantineFiles, persons: persons, table: nil)

        let finished: String
        switch mode {
        case .validate:
            finished = QuarterlyRun.timestamp()
            let report = RunReport(outcome: outcome, finishedAt: finished, mode: mode.rawValue, minCell: pipeline.minCell, version: QuarterlyRun.version)
            try AtomicFile.write(report.json(), to: outputs.report)
        case .run:
            let table = IndicatorTable.aggregate(persons, dimensions: Dimension.standard(for: pipeline))
            let clock = ContinuousClock()
            let start = clock.now
            do {
                outcome.table = try DisclosureControl(minCell: pipeline.minCell, secondary: secondarySuppression).protect(table)
            } catch {
                throw .internalError("Geheimhaltung: \(error)")
            }
            logger.info("Geheimhaltung geprüft", metadata: [
                "primaer": "\(outcome.table!.primary.count)", "sekundaer": "\(outcome.table!.secondary.count)",
                "dauer_ms": "\((clock.now - start).components.attoseconds / 1_000_000_000_000_000 + (clock.now - start).components.seconds * 1000)",
            ])
            finished = QuarterlyRun.timestamp()
            let report = RunReport(outcome: outcome, finishedAt: finished, mode: mode.rawValue, minCell: pipeline.minCell, version: QuarterlyRun.version)
            try Publisher(outputs: outputs).publish(outcome, table: PublishedTable.csv(outcome.table!, period: period),
                                                    report: report.json(), fingerprint: fingerprint, finishedAt: finished)
        }
        return outcome
    }

    // MARK: - Reading one file

    /// What one input file contributes.
    struct FileResult: Sendable {
        var records: [PseudoRecord]
        var rejections: [StoredRejection]
        var warnings: [String: [String: Int]]
        var account: FileAccount
        var quarantineFile: String?
    }

    /// Reads, validates and pseudonymises one file and writes its quarantine (SPEC 2.1).
    func readFile(_ source: SourceSpec, sourceIndex: Int, fileIndex: Int, path: String, sha256: String,
                  pseudonymizer: Pseudonymizer, quarantine: Quarantine) throws(KlapptError) -> FileResult {
        logger.info("Lese Datei", metadata: ["quelle": "\(source.id)", "datei": "\(path)"])
        var chain = RecordValidation(source: source, codeLists: pipeline.codeLists, nationalityBreakdown: pipeline.nationalityBreakdown)
            .then(Pseudonymisation(pseudonymizer: pseudonymizer, period: period, sourceID: source.id))
        let reader = try SourceFileReader(spec: source, path: path, sourceIndex: sourceIndex, fileIndex: fileIndex)
        var context = StageContext(logger: logger)
        var records: [PseudoRecord] = []
        var rejections: [StoredRejection] = []
        var quarantined: [(line: Int, reason: ReasonCode, field: String?, cells: [String])] = []
        var reasons: [String: Int] = [:]
        while let batch = try reader.nextBatch() {
            do { records += try chain.process(batch, in: &context) } catch { throw .internalError("\(error)") }
            if !context.rejections.isEmpty {
                let cellsByOrder = Dictionary(uniqueKeysWithValues: batch.map { ($0.origin.order, $0.cells) })
                for rejection in context.rejections {
                    reasons[rejection.reason.rawValue, default: 0] += 1
                    quarantined.append((rejection.origin.line, rejection.reason, rejection.field, cellsByOrder[rejection.origin.order] ?? []))
                    rejections.append(StoredRejection(source: source.id, file: path, line: rejection.origin.line, reason: rejection.reason, field: rejection.field))
                }
                context.rejections.removeAll(keepingCapacity: true)
            }
            progress?(path, reader.bytesRead, reader.fileSize)
        }
        let rejected = quarantined.count
        let account = FileAccount(
            source: source.id, file: path, sha256: sha256, rowsRead: reader.rowsRead,
            accepted: reader.rowsRead - reader.duplicates - rejected, rejected: rejected,
            duplicates: reader.duplicates, reasons: reasons, superseded: 0)
        let written = try quarantine.write(source: source.id, inputPath: path, columns: reader.quarantineColumns, rows: quarantined)
        return FileResult(records: records, rejections: rejections, warnings: context.warnings, account: account, quarantineFile: written)
    }

    // MARK: - Inputs

    /// What the result of a run depends on: klappt's version, the pipeline file and its code lists,
    /// every input file (by content), the period and the key (by a check value, never the key).
    func fingerprint(files: [[String]], hashes: [String: String], pseudonymizer: Pseudonymizer) throws(KlapptError) -> String {
        var text = "klappt \(QuarterlyRun.version)\nzeitraum \(period)\n"
        for file in pipeline.configurationFiles { text += "konfiguration \(try QuarterlyRun.sha256(of: file))\n" }
        for (source, paths) in zip(pipeline.sources, files) {
            for path in paths { text += "eingabe \(source.id) \(hashes[path]!)\n" }
        }
        text += "schluessel \(pseudonymizer.pseudonym("klappt-schluesselpruefung").prefix(16))\n"
        return Publisher.sha256(Array(text.utf8))
    }

    /// Each source's files in path order; a source without files is "input missing" (66).
    public func resolveInputs() throws(KlapptError) -> [[String]] {
        var result: [[String]] = []
        for source in pipeline.sources {
            let files = QuarterlyRun.glob(source.glob)
            guard !files.isEmpty else {
                throw .inputMissing("Keine Dateien für Quelle „\(source.id)“ unter „\(source.glob)“.")
            }
            for file in files where access(file, R_OK) != 0 {
                throw .inputMissing("„\(file)“ ist nicht lesbar.")
            }
            result.append(files)
        }
        return result
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] {
                let text = String(cString: path)
                var info = stat()
                if stat(text, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { paths.append(text) }
            }
        }
        return paths.sorted()
    }

    private func prepareOutputDirectory() throws(KlapptError) {
        let directory = pipeline.outputDirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .outputNotWritable("Ausgabeverzeichnis „\(directory)“ kann nicht angelegt werden.")
        }
        guard access(directory, W_OK) == 0 else { throw .outputNotWritable("Ausgabeverzeichnis „\(directory)“ ist nicht beschreibbar.") }
    }

    // MARK: - Figures for the report

    public static func sha256(of path: String) throws(KlapptError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .inputMissing("„\(path)“ ist nicht lesbar.") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw .inputMissing("„\(path)“: \(error)") }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Slots that concurrent workers fill, one each.
    final class ResultSlots<Value: Sendable>: @unchecked Sendable {
        private var slots: [Result<Value, KlapptError>?]
        private let lock = NSLock()

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        subscript(position: Int) -> Result<Value, KlapptError>? {
            get { lock.withLock { slots[position] } }
            set { lock.withLock { slots[position] = newValue } }
        }

        /// The value of a slot, which is emptied (so that nothing else holds it).
        func take(_ position: Int) -> Result<Value, KlapptError> {
            lock.withLock {
                defer { slots[position] = nil }
                return slots[position]!
            }
        }
    }

    static func timestamp() -> String {
        ISO8601DateFormatter().string(from: Date())
    }

    static func percent(_ share: Double) -> String {
        String(format: "%.1f %%", share * 100).replacingOccurrences(of: ".", with: ",")
    }
}
