import Foundation
import KlapptFormats
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The quarterly run, end to end (SPEC 2-7): reads every source, validates, pseudonymises and links,
/// classifies, aggregates, protects and writes the outputs. I/O happens here and in the sinks; the
/// rules live in the stages it drives.
public struct QuarterlyRun: Sendable {
    public static let version = "1.1.0"

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
    /// Accept a key other than the one of the store's finished quarters: a new key series begins
    /// (pseudonyms of earlier quarters no longer match; recorded in the ledger).
    public var newKeySeries = false
    /// Publish although plausibility checks failed (the findings are recorded in the ledger).
    public var ignorePlausibility = false
    /// From this many rows with an id or a code turned into a number by a spreadsheet, a file
    /// fails (65): one such value may be a slip, three are a list that went through Excel or Calc
    /// (handbook, section 7c).
    public static let spreadsheetDamageLimit = 3

    /// Bytes per slice of a big CSV file (see `defaultSliceBytes`); tests cut small files finely.
    public var sliceBytes = QuarterlyRun.defaultSliceBytes
    /// The secondary suppression; nil: the exact method with the pipeline's time limit
    /// (`OptimalSuppression`). Replaceable only to show what the audit catches.
    public var secondarySuppression: (any SecondarySuppression)?

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
        // `klappt validate` writes its own report and never touches a published one (issue 9).
        let report = mode == .validate ? "\(dir)/pruefung_\(period).json" : "\(dir)/lauf_\(period).json"
        return Outputs(
            table: "\(dir)/indikatoren_\(period).csv", store: "\(dir)/klappt.sqlite",
            report: report, quarantine: Quarantine(outputDirectory: dir, period: period, mode: mode).directory)
    }

    /// Runs the pipeline with `key` (nil in validate mode: an ephemeral key links within the run).
    ///
    /// The phases, each a function of its own below: the folder claimed (`OutputFolder`), the
    /// inputs' check sums, the store's state (`beginPublishing`: interrupted publications, key
    /// series, previous quarter, "nothing to do"), reading and linking (`readInputs`),
    /// plausibility, the persons counted (`countPersons`), the table and its linked tables
    /// (`protectionProblem`), the shared phases `Protection`, `Publication` and `Publisher`
    /// (`publish`).
    public func execute(key: [UInt8]?) throws(KlapptError) -> RunResult {
        let started = QuarterlyRun.timestamp()
        let files = try resolveInputs()
        let folder = try OutputFolder.claim(pipeline.outputDirectory)
        defer { withExtendedLifetime(folder) {} }

        var steps = StepTimer(logger: logger)
        var pseudonymizer = Pseudonymizer(keyBytes: key ?? (0..<32).map { _ in UInt8.random(in: 0...255) })
        if pipeline.linkage == .probabilistic { pseudonymizer = pseudonymizer.encodingForLinkage() }
        let store: Store? = mode == .run ? try Store(path: outputs.store) : nil
        let checksums = inputChecksums(files, remembered: try store?.rememberedChecksums(Array(files.joined())) ?? [:])
        var begun = Begun()
        if let store {
            switch try beginPublishing(store: store, files: files, checksums: checksums, pseudonymizer: pseudonymizer) {
            case .unchanged(let since): return .unchanged(since: since)
            case .begun(let state): begun = state
            }
        }
        steps.done("pruefsummen")

        let quarantine = Quarantine(outputDirectory: pipeline.outputDirectory, period: period, mode: mode)
        var inputs = try readInputs(files: files, pseudonymizer: pseudonymizer, quarantine: quarantine)
        if let failure = inputs.failure { throw failure }
        var index = inputs.index
        inputs.index = PersonIndex()  // moved out: one holder, so draining does not copy it
        let unknownValuesFile = try quarantine.writeUnknownValues(inputs.warnings, codeListPaths: pipeline.codeListPaths)
        // The slices' buffers are freed: their pages go back to the system before the records are
        // linked (the run's peak; see `MemoryPolicy`).
        MemoryPolicy.releaseFreeMemory()
        steps.done("lesen")
        // The sums not yet known are hashed alongside supersession, linking and the table, on a
        // thread of their own: they are needed only when the run publishes.
        checksums.hashInBackground()
        let superseded = index.supersededCounts()
        // Supersession's tables and the record-id keys are gone: their pages go back before the
        // persons are sorted and counted.
        MemoryPolicy.releaseFreeMemory()
        for (position, origin) in inputs.accountOrigins.enumerated() {
            inputs.accounts[position].superseded = superseded[origin.source]?[origin.file] ?? 0
        }
        let findings = try plausibilityFindings(accounts: inputs.accounts, store: store)
        if !findings.isEmpty {
            guard ignorePlausibility else { throw .implausible(findings) }
            logger.warning("Plausibilitätsprüfung übergangen (--ignore-plausibility)", metadata: ["befunde": "\(findings.count)"])
        }
        steps.done("plausibilitaet")
        if let loading = begun.loading {
            // (Only the wait: the reading itself ran alongside the inputs'.)
            begun.previous = .available(try loading.wait())
            steps.done("vorquartal")
        }
        var linkage: LinkageSummary?
        if pipeline.linkage == .probabilistic {
            linkage = try linkPersons(&index, previous: begun.previous?.quarter, files: files, pseudonymizer: pseudonymizer, quarantine: quarantine)
            steps.done("verknuepfung")
        }

        // The store takes the persons while they are classified, on its own queue (the period's
        // transaction is open from here to the commit point).
        let writer = try store.map { store throws(KlapptError) in try Store.PeriodWriter(store: store, period: period) }
        let persons = countPersons(&index, previous: begun.previous?.quarter, writer: writer)
        // The store's thread writes the rejections while this one aggregates, protects and renders.
        writer?.addRejections(inputs.rejections)
        steps.done("personen")
        var outcome = RunOutcome(
            period: period, pipelineName: pipeline.name, startedAt: started, files: inputs.accounts,
            personsBySource: persons.bySource, linkedPersons: persons.linked,
            filter: persons.funnel, warnings: inputs.warnings, rejections: inputs.rejections,
            quarantineFiles: inputs.quarantineFiles, unknownValuesFile: unknownValuesFile, table: nil)
        outcome.plausibilityFindings = findings
        outcome.linkage = linkage
        guard mode == .run, let writer else {
            outcome.files = try checksums.accounts(outcome.files)
            let report = RunReport(
                outcome: outcome, finishedAt: QuarterlyRun.timestamp(), mode: mode.rawValue, minCell: pipeline.minCell, version: QuarterlyRun.version,
                codeListPaths: pipeline.codeListPaths)
            try AtomicFile.write(report.json(), to: outputs.report)
            return .validated(outcome)
        }

        let table = IndicatorTable.aggregate(
            weighted: persons.classes.weighted, dimensions: Dimension.standard(for: pipeline), families: pipeline.indicatorFamilies)
        outcome.linkage?.setRange(withoutActivity: table[.ohneAktivitaet, TableSystem.totalDimension, TableSystem.totalCategory])
        steps.done("indikatoren")
        let problem = protectionProblem(table, previous: begun.previous, transitions: persons.transitions, outcome: &outcome, steps: &steps)
        let protection = Protection(
            minCell: pipeline.minCell, secondary: secondarySuppression ?? OptimalSuppression(timeLimit: pipeline.suppressionTimeLimit), logger: logger)
        outcome.table = try protection.apply(table, problem: problem, earlier: begun.earlierPublication, subject: "indikatoren_\(period)")
        steps.done("geheimhaltung")
        outcome.files = try checksums.accounts(outcome.files)
        let sums = try checksums.wait()
        begun.fingerprint = try fingerprint(files: files, hashes: sums.hashes, pseudonymizer: pseudonymizer, previousRun: begun.previousRun)
        try publish(outcome, begun: begun, findings: findings, keyCheck: pseudonymizer.keyCheck, writer: writer)
        do { try writer.store.rememberChecksums(sums) } catch {
            logger.warning("Prüfsummen nicht gemerkt (der nächste Lauf liest die Eingaben wieder)", metadata: ["grund": "\(error)"])
        }
        steps.done("veroeffentlichen")
        return .published(outcome)
    }

    /// The check sums of all inputs, to be hashed when they are needed; a file the store has seen
    /// unchanged keeps its sum.
    func inputChecksums(_ files: [[String]], remembered: [String: (identity: FileIdentity, sha256: String)]) -> PendingChecksums {
        let checksums = PendingChecksums(Array(files.joined()), remembered: remembered)
        if checksums.remembered > 0 { logger.info("Prüfsummen aus dem Speicher", metadata: ["dateien": "\(checksums.remembered)"]) }
        return checksums
    }

    /// What a publishing run knows from its store before it reads the inputs.
    struct Begun {
        /// What the run's result depends on (its inputs by their sums): known when the quarter may
        /// be "nothing to do", else computed before publishing, once the sums are hashed.
        var fingerprint = ""
        /// The key series of the store's finished quarters.
        var series: (check: String, periods: [String])?
        /// The previous quarter (SPEC 10), or why it cannot be used; nil: none in the store.
        var previous: PreviousQuarter.Availability?
        var previousRun: Int?
        /// The previous quarter's persons, read on a connection of their own while the inputs are read.
        var loading: PreviousQuarterLoading?
        /// The funding report's time series: the earlier quarters as published.
        var history: [PublishedQuarter] = []
        /// What an earlier publication of this quarter showed.
        var earlierPublication: [CellID: Int] = [:]
    }

    enum Beginning {
        /// The quarter is finished with the same inputs and its files are in place.
        case unchanged(since: String)
        case begun(Begun)
    }

    /// The store's side of a run, read before the period's writer starts (from then on the writer's
    /// queue owns the connection; one connection is never used from two threads at once):
    /// interrupted publications completed, the key series checked, the previous quarter found,
    /// "nothing to do" decided, and what a republication and the report's series need.
    func beginPublishing(store: Store, files: [[String]], checksums: PendingChecksums, pseudonymizer: Pseudonymizer) throws(KlapptError) -> Beginning {
        for period in try Publisher.recover(ledger: store, outputDirectory: pipeline.outputDirectory) {
            logger.warning("Unterbrochene Veröffentlichung abgeschlossen", metadata: ["zeitraum": "\(period)"])
        }
        var begun = Begun()
        begun.series = try checkKeySeries(store: store, keyCheck: pseudonymizer.keyCheck)
        // SPEC 10: the previous quarter's run, for the fingerprint too: a re-run of it makes this
        // quarter new work.
        switch try store.previousQuarterRun(of: period, keyCheck: pseudonymizer.keyCheck, linkage: pipeline.linkage) {
        case .success(let run): begun.previousRun = run
        case .failure(let reason): begun.previous = .unavailable(reason.text)
        }
        // Only a quarter published before can be "nothing to do"; only then are the inputs hashed
        // before they are read (on all cores). Otherwise the sums wait for an idle core.
        if !force, let last = try store.latestRun(period: period), last.published {
            checksums.hashOnAllCores()
            let sums = try checksums.wait()
            begun.fingerprint = try fingerprint(files: files, hashes: sums.hashes, pseudonymizer: pseudonymizer, previousRun: begun.previousRun)
            if last.fingerprint == begun.fingerprint, Publisher.filesInPlace(last, outputDirectory: pipeline.outputDirectory) {
                // Sums read this time are remembered, so that the next look reads nothing.
                if !checksums.allRemembered { try? store.rememberChecksums(sums) }
                return .unchanged(since: last.started)
            }
        }
        // A republication of this quarter keeps what the earlier one showed (SPEC 6: a reader may
        // hold both files).
        begun.earlierPublication = try store.publishedCells(of: period)
        begun.history = try store.publishedHistory(before: period, limit: FundingReport.seriesLength - 1)
        if let previousRun = begun.previousRun {
            begun.loading = PreviousQuarterLoading(
                storePath: outputs.store, period: period.previous, runID: previousRun, indicators: pipeline.indicatorFamilies.flatMap(\.columns))
        }
        return .begun(begun)
    }

    /// What the persons of a run add up to: the target group's funnel, persons per source, linked
    /// persons, the classes the table is aggregated from, and where people went (SPEC 10).
    struct CountedPersons {
        var funnel = TargetGroupCounts(persons: 0, ageInRange: 0, refugeeResidence: 0, inDistrictOrUnknown: 0, targetGroup: 0, withCurrentRecord: 0)
        var bySource: [String: Int] = [:]
        var linked = 0
        var classes = PersonClasses()
        /// Where people went since the previous quarter (SPEC 10), when it is available.
        var transitions: TransitionTable?
    }

    /// Drains the person index in pseudonym order: each person classified and counted on the way;
    /// only the store (`writer`) keeps the target group's persons. With the previous quarter, one
    /// merge join with its pseudonym-sorted target group counts the transitions.
    func countPersons(_ index: inout PersonIndex, previous: PreviousQuarter?, writer: Store.PeriodWriter?) -> CountedPersons {
        let classification = Classification(rules: pipeline.targetGroup, sourceIDs: pipeline.sources.map(\.id))
        var counted = CountedPersons()
        var bySourceIndex = [Int](repeating: 0, count: pipeline.sources.count)
        var movements = previous.map { TransitionCounter(previous: $0.persons) }
        var batch: [PersonFacts] = []
        index.drainPersons { pseudonym, records in
            let facts = classification.facts(pseudonym: pseudonym, records: records)
            counted.funnel.count(facts)
            for source in bySourceIndex.indices where facts.sourceMask & (1 << UInt64(source)) != 0 { bySourceIndex[source] += 1 }
            if facts.isLinked { counted.linked += 1 }
            if facts.inTargetGroup {
                movements?.add(facts.pseudonym, PersonState(activity: facts.activity))
                counted.classes.add(facts)
                if writer != nil {
                    batch.append(facts)
                    if batch.count == 16384 {
                        writer?.add(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
            }
        }
        writer?.add(batch)
        counted.bySource = Dictionary(uniqueKeysWithValues: zip(pipeline.sources.map(\.id), bySourceIndex))
        counted.transitions = movements?.finish()
        return counted
    }

    /// The disclosure problem of the quarter's table: alone, or (SPEC 10) linked to the previous
    /// quarter's publication and the transitions, which the outcome then reports.
    func protectionProblem(
        _ table: IndicatorTable, previous: PreviousQuarter.Availability?, transitions: TransitionTable?, outcome: inout RunOutcome, steps: inout StepTimer
    ) -> ProtectionProblem {
        switch (previous, transitions) {
        case (.available(let quarter)?, let transitions?):
            steps.done("uebergaenge")
            outcome.transitions = transitions
            outcome.previousPeriod = quarter.period
            for state in PersonState.all where state != .outside {
                guard let total = LinkedProtection.total(state, table: CellID.Table.previous),
                    let published = quarter.cells.first(where: { $0.cell == total })
                else { continue }
                outcome.previousTotals[state.description] = published.suppressed ? "*" : Summary.number(published.value)
            }
            return LinkedProtection.problem(table: table, transitions: transitions, previous: quarter, minCell: pipeline.minCell)
        case (.unavailable(let reason)?, _):
            outcome.transitionNote = reason
        default:
            break  // no store, or no earlier quarter in it
        }
        return ProtectionProblem(table: table, minCell: pipeline.minCell)
    }

    /// The shared last phases for a district's quarter: the sinks render the publishable result
    /// (`Publication`), the files are committed with the period's persons and the ledger
    /// (`Publisher`).
    func publish(_ outcome: RunOutcome, begun: Begun, findings: [String], keyCheck: String, writer: Store.PeriodWriter) throws(KlapptError) {
        guard let protected = outcome.table else { throw .internalError("Veröffentlichen ohne geschützte Tabelle") }
        let finished = QuarterlyRun.timestamp()
        let report = RunReport(
            outcome: outcome, finishedAt: finished, mode: mode.rawValue, minCell: pipeline.minCell, version: QuarterlyRun.version,
            codeListPaths: pipeline.codeListPaths)
        var ledger = Store.Publication(fingerprint: begun.fingerprint, tableSHA256: "", reportSHA256: "")
        ledger.keyCheck = keyCheck
        ledger.linkage = pipeline.linkage.ledgerValue
        ledger.newKeySeries = newKeySeries && begun.series != nil && begun.series?.check != keyCheck
        ledger.overriddenPlausibility = findings.isEmpty ? nil : findings.joined(separator: "\n")
        ledger.previousRun = outcome.transitions == nil ? nil : begun.previousRun
        ledger.runReport = report.json()
        ledger.labels = pipeline.labels.all(
            dimensions: protected.table.dimensions.map { ($0.name, $0.categories) }, indicators: protected.table.indicators.map(\.rawValue))
        var result = PeriodResult(period: period, pipelineName: pipeline.name, table: PublishableTable(protected), report: report)
        result.history = begun.history
        result.labels = pipeline.labels
        result.reportSettings = pipeline.report
        result.minCell = pipeline.minCell
        if outcome.transitions != nil, let previousPeriod = outcome.previousPeriod {
            result.transitions = PublishableTransitions(protected, previousPeriod: previousPeriod)
        }
        let staged = try Publication.stage(pipeline.sinks.map(\.output), result, period: period, directory: pipeline.outputDirectory)
        try Publisher.publish(staged.files, withdrawn: staged.withdrawn, ledger: writer.store) { files throws(KlapptError) in
            ledger.record(files)
            return try writer.commit(outcome, finishedAt: finished, version: QuarterlyRun.version, publication: ledger)
        }
    }

    /// What reading all inputs gives: the person index and each file's accounting, rejections,
    /// warnings and quarantine file; `failure` when a file rejected too many rows (found after
    /// every file's quarantine is written).
    struct ReadInputs {
        var index: PersonIndex
        var accounts: [FileAccount]
        var accountOrigins: [(source: Int, file: Int)]
        var rejections: [StoredRejection]
        var quarantineFiles: [String]
        var warnings: [String: [String: Int]]
        var failure: KlapptError?
    }

    /// Reads every input (SPEC 2-4.1): files, and slices of big CSV files, on all cores; each
    /// file's slices merged in order into the person index as soon as they are read.
    func readInputs(files: [[String]], pseudonymizer: Pseudonymizer, quarantine: Quarantine) throws(KlapptError) -> ReadInputs {
        var index = PersonIndex()
        var accounts: [FileAccount] = []
        var accountOrigins: [(source: Int, file: Int)] = []
        var storedRejections: [StoredRejection] = []
        var quarantineFiles: [String] = []
        var warnings: [String: [String: Int]] = [:]
        var failure: KlapptError?

        // Files are independent until linkage, and so are the slices of a big CSV file: they are
        // read on all cores at once and merged in file order afterwards, so that the result does
        // not depend on which slice finished first.
        // Each source's reader, specialised once for its format and role (the per-row loop is generic).
        var made: [SourceReader] = []
        for source in pipeline.sources {
            made.append(
                try SourceReader.make(
                    source: source, codeLists: pipeline.codeLists, nationalityBreakdown: pipeline.nationalityBreakdown,
                    pseudonymizer: pseudonymizer, period: period))
        }
        let readers = made
        // Every input file in pipeline order (sources, then paths); its slices are consecutive.
        var inputs: [(sourceIndex: Int, fileIndex: Int, path: String, slices: Range<Int>)] = []
        var slices: [FileSlice] = []
        var failures: [Int: KlapptError] = [:]
        var headerLines: [Int: Int] = [:]
        for (sourceIndex, paths) in files.enumerated() {
            for (fileIndex, path) in paths.enumerated() {
                let first = slices.count
                do {
                    let layout = try readers[sourceIndex].layout(path)
                    if let line = (layout as? HeaderRowLayout)?.headerLine { headerLines[inputs.count] = line }
                    for part in readers[sourceIndex].slices(path, layout, sliceBytes) {
                        slices.append(
                            FileSlice(sourceIndex: sourceIndex, fileIndex: fileIndex, path: path, range: part.range, firstLine: part.firstLine, layout: layout))
                    }
                } catch {
                    failures[inputs.count] = error
                }
                inputs.append((sourceIndex, fileIndex, path, first..<slices.count))
            }
        }
        var inputOfSlice = [Int](repeating: 0, count: slices.count)
        for (number, input) in inputs.enumerated() {
            for position in input.slices { inputOfSlice[position] = number }
        }
        let progressCounter = progress.map {
            ProgressCounter(report: $0, sizes: Dictionary(files.joined().map { ($0, QuarterlyRun.fileSize($0)) }, uniquingKeysWith: { a, _ in a }))
        }
        // Slices are read by one worker per core while this thread merges each file's slices, in
        // the file's order, as soon as they are read (merging is sequential; reading is not).
        // XML files are not cut: a whole file is one long piece of work. They are handed out
        // first, the longest first, and the short CSV slices fill the cores around them, so that
        // reading does not end with one core working through the last file alone (a state's
        // quarter: 1.2 s on one core before). A file is merged when it is read, whatever its place
        // in the pipeline (which record lands where in the index changes nothing: supersession and
        // the order of a person's records follow the rows' origins), so no result waits in memory
        // for the files before it; what the run reports per file (quarantine, accounts, the first
        // failure) still follows the pipeline's order of files.
        let workerCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, slices.count))
        let wholeFiles = slices.indices.filter { slices[$0].range == nil }
            .sorted { QuarterlyRun.fileSize(slices[$0].path) > QuarterlyRun.fileSize(slices[$1].path) }
        let schedule = wholeFiles + slices.indices.filter { slices[$0].range != nil }
        let results = ResultSlots<SliceResult>(count: slices.count, window: 2 * workerCount, schedule: schedule)
        let work = slices
        for path in Set(work.map(\.path)) { logger.info("Lese Datei", metadata: ["datei": "\(path)"]) }
        let workers = DispatchGroup()
        for _ in 0..<workerCount {
            DispatchQueue.global().async(group: workers) {
                while let position = results.claim() {
                    let slice = work[position]
                    results[position] = .success(readers[slice.sourceIndex].read(slice, progressCounter.map { counter in { counter.add(slice.path, $0) } }))
                }
            }
        }
        defer {
            results.cancel()
            workers.wait()
        }
        var merges = inputs.map { FileMerge(source: pipeline.sources[$0.sourceIndex], path: $0.path) }
        for (number, line) in headerLines { merges[number].headerLine = line }
        var nextSlice = inputs.map(\.slices.lowerBound)
        var waiting: [Int: SliceResult] = [:]
        var finished = 0
        /// Reports the files whose slices are all merged, in pipeline order; throws the first failure.
        func finishReadyFiles() throws(KlapptError) {
            while finished < inputs.count {
                if let error = failures[finished] { throw error }
                let input = inputs[finished]
                guard nextSlice[finished] == input.slices.upperBound else { return }
                let source = pipeline.sources[input.sourceIndex]
                let file = merges[finished]
                let written = try quarantine.write(
                    source: source.id, inputPath: input.path, columns: file.quarantineColumns,
                    rows: (file.quarantined + file.footers).map { ($0.line, $0.reason, $0.field, $0.cells) })
                if let written { quarantineFiles.append(written) }
                storedRejections += file.quarantined.map {
                    StoredRejection(source: source.id, file: input.path, line: $0.line, reason: $0.reason, field: $0.field)
                }
                for (kind, values) in file.warnings {
                    for (value, count) in values { warnings[kind, default: [:]][value, default: 0] += count }
                }
                if let stand = file.newestStand { index.setFileStand(stand, source: input.sourceIndex, file: input.fileIndex) }
                let account = file.account
                accounts.append(account)
                accountOrigins.append((input.sourceIndex, input.fileIndex))
                if account.rowsRead == 0, let xml = source.format as? XMLFormat, failure == nil,
                    let explanation = XMLFormat.noRecordExplanation(path: input.path, source: source, recordElement: xml.recordElement)
                {
                    failure = .inputFormat(explanation)
                }
                let damaged = file.quarantined.filter { $0.reason == .spreadsheetNumber }
                if damaged.count >= QuarterlyRun.spreadsheetDamageLimit, failure == nil {
                    failure = .spreadsheetDamage(
                        file: input.path, rows: damaged.count, fields: Set(damaged.compactMap(\.field)).sorted(), quarantine: quarantine.directory)
                }
                let share = account.rowsRead == 0 ? 0 : Double(account.rejected) / Double(account.rowsRead)
                if share > pipeline.maxRejectShare, failure == nil {
                    failure = .tooManyRejected(
                        file: input.path, rejected: account.rejected, rowsRead: account.rowsRead, allowedShare: pipeline.maxRejectShare,
                        mostFrequent: account.reasons.max { $0.value < $1.value }.map { "\($0.key) (\($0.value))" }, quarantine: quarantine.directory)
                }
                merges[finished] = FileMerge(source: source, path: input.path)  // its rows are in the index now
                finished += 1
            }
        }
        try finishReadyFiles()
        for _ in 0..<slices.count {
            let (position, result) = results.takeAny()
            let number = inputOfSlice[position]
            guard failures[number] == nil else { continue }  // a failed file's later slices
            switch result {
            case .success(let slice): waiting[position] = slice
            case .failure(let error): failures[number] = error
            }
            let reader = readers[inputs[number].sourceIndex]
            while failures[number] == nil, let slice = waiting.removeValue(forKey: nextSlice[number]) {
                do {
                    try merges[number].merge(slice, into: &index) { slice in reader.read(slice, nil) }
                    nextSlice[number] += 1
                    if nextSlice[number] == inputs[number].slices.upperBound { merges[number].endOfFile() }
                } catch {
                    failures[number] = error
                }
            }
            if failures[number] != nil { waiting = waiting.filter { inputOfSlice[$0.key] != number } }
            try finishReadyFiles()
        }
        try finishReadyFiles()
        return ReadInputs(
            index: index, accounts: accounts, accountOrigins: accountOrigins, rejections: storedRejections,
            quarantineFiles: quarantineFiles, warnings: warnings, failure: failure)
    }

    /// Refuses a key other than the one the store's finished quarters were computed with (issue 9),
    /// unless a new key series is begun on purpose.
    /// Returns the store's current key series (nil for a new store).
    func checkKeySeries(store: Store, keyCheck: String) throws(KlapptError) -> (check: String, periods: [String])? {
        let series = try store.currentKeySeries()
        guard let series, series.check != keyCheck, !newKeySeries else { return series }
        throw .key(.otherKey(store: store.path, periods: series.periods, expected: series.check, found: keyCheck))
    }

    /// The plausibility findings of the files just read, against the store's earlier runs of this
    /// quarter and of the previous one (a validation reads an existing store and never makes one).
    func plausibilityFindings(accounts: [FileAccount], store: Store?) throws(KlapptError) -> [String] {
        var earlier = store
        let path = outputs.store
        if earlier == nil, mode == .validate, FileManager.default.fileExists(atPath: path) { earlier = try Store(path: path) }
        return Plausibility.findings(
            period: period, sources: pipeline.sources, accounts: accounts, rules: pipeline.plausibility,
            sameQuarter: try earlier?.acceptedBySource(period: period),
            previousQuarter: try earlier?.acceptedBySource(period: period.previous))
    }

    /// Bytes per slice of a big CSV file: small enough that both cores stay busy to the end, large
    /// enough that cutting costs nothing.
    public static let defaultSliceBytes = 16 << 20

    public static func timestamp() -> String {
        ISO8601DateFormatter().string(from: Date())
    }

    static func percent(_ share: Double) -> String {
        String(format: "%.1f %%", share * 100).replacingOccurrences(of: ".", with: ",")
    }
}
