import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The internal SQLite store (SPEC 7), kept across periods. A run appends itself and its inputs to
/// the ledger (`runs`, `inputs`) and replaces its period's `rejects`, `persons` and `indikatoren` in
/// one transaction, so the store never holds a half-written or doubled period.
///
/// Nothing personal is ever stored: rejects keep file, line and reason, persons their pseudonym and
/// categories. WAL mode lets a reader look at the store while a run writes.
public final class Store: PublicationLedger {
    public static let schema = """
        CREATE TABLE IF NOT EXISTS runs(
            id INTEGER PRIMARY KEY AUTOINCREMENT, zeitraum TEXT NOT NULL, gestartet TEXT NOT NULL,
            beendet TEXT NOT NULL, pipeline TEXT NOT NULL, version TEXT NOT NULL,
            personen INTEGER NOT NULL, zielgruppe INTEGER NOT NULL, bestand INTEGER NOT NULL,
            gesperrte_zellen INTEGER NOT NULL, fingerabdruck TEXT NOT NULL,
            tabelle_sha256 TEXT NOT NULL, bericht_sha256 TEXT NOT NULL, veroeffentlicht INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS inputs(
            run_id INTEGER NOT NULL REFERENCES runs(id), zeitraum TEXT NOT NULL, quelle TEXT NOT NULL,
            datei TEXT NOT NULL, sha256 TEXT NOT NULL, zeilen_gelesen INTEGER NOT NULL,
            angenommen INTEGER NOT NULL, abgelehnt INTEGER NOT NULL, duplikate INTEGER NOT NULL,
            gruende TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS rejects(
            zeitraum TEXT NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id), quelle TEXT NOT NULL,
            datei TEXT NOT NULL, zeile INTEGER NOT NULL, grund TEXT NOT NULL, feld TEXT);
        \(personsTable("persons"))
        CREATE TABLE IF NOT EXISTS indikatoren(
            zeitraum TEXT NOT NULL, indikator TEXT NOT NULL, dimension TEXT NOT NULL,
            auspraegung TEXT NOT NULL, wert INTEGER NOT NULL, gesperrt INTEGER NOT NULL,
            PRIMARY KEY(zeitraum, indikator, dimension, auspraegung));
        CREATE TABLE IF NOT EXISTS sperrungen(
            zeitraum TEXT NOT NULL, indikator TEXT NOT NULL, dimension TEXT NOT NULL, auspraegung TEXT NOT NULL,
            art TEXT NOT NULL CHECK (art IN ('primaer', 'sekundaer')), untergrenze INTEGER NOT NULL, obergrenze INTEGER,
            geschuetzt INTEGER NOT NULL, PRIMARY KEY(zeitraum, indikator, dimension, auspraegung));
        CREATE INDEX IF NOT EXISTS rejects_zeitraum ON rejects(zeitraum);
        """

    /// Version 2: `persons` is a WITHOUT ROWID table (the key is the row: half the pages of
    /// version 1, which kept a rowid table and a separate index of the same key).
    /// Version 3: the ledger keeps the key's check value per run, whether the run began a new key
    /// series and which plausibility findings were overridden, and every failed run (`failed_runs`).
    /// Version 4: the files of each run in `outputs` (kind, file name, sha256), whatever sinks the
    /// pipeline chose; runs of before are given theirs from the two sha256 columns of `runs`.
    /// A new store is made as version 2 and then upgraded, so every upgrade step is run each time.
    /// Version 5 (SPEC 10): `uebergaenge` (a period's transition table, exact, with the suppression
    /// flag), `sperrungen` keyed by table too (the period's, its transitions', the previous
    /// quarter's primaries as this period's linked system bounds them), and per run the previous
    /// quarter's run it was linked to (`vorquartal_lauf`: a re-run of that quarter makes it stale).
    /// Version 6 (issue 13): each run's report (`runs.laufbericht`, counts only) so that
    /// `klappt bericht` can make the funding report again; the report's labels (`beschriftungen`)
    /// and views with readable names (see `docs/speicher.md`).
    /// Version 7 (issue 14): the persons as integers (`personen_kodiert`, `kodes`); `persons` is a
    /// view with the columns of before (see `Store+CodedPersons.swift`).
    /// Version 8 (issue 14): `pruefsummen`, the identity and sha256 of each input a run read, so
    /// that a run with nothing to do does not read its inputs again.
    /// Version 9 (issue 22): `uebermittlungen`, the signed deliveries to the Land made from the store
    /// (period, file, its sha256, the signer's public key, when).
    /// Version 10 (issue 23): the views give `wert` as an integer or NULL with a `gesperrt` flag (one
    /// type: a sum over a column with withheld cells is visibly not the total); the exact stock per
    /// state is the internal view `intern_bestand_je_zustand`.
    public static let schemaVersion = 12

    static func personsTable(_ name: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(name)(
            zeitraum TEXT NOT NULL, pseudonym TEXT NOT NULL, geschlecht TEXT NOT NULL,
            altersgruppe TEXT NOT NULL, gemeinde TEXT NOT NULL, aufenthalt TEXT NOT NULL,
            staatsangehoerigkeit TEXT NOT NULL, aktivitaet TEXT, quellen TEXT NOT NULL,
            PRIMARY KEY(zeitraum, pseudonym)) WITHOUT ROWID;
        """
    }

    /// Upgrades a store of an earlier klappt in one transaction (nothing is lost).
    static let migrations: [Int: String] = [
        1: """
        \(personsTable("persons_v2"))
        INSERT INTO persons_v2 SELECT zeitraum, pseudonym, geschlecht, altersgruppe, gemeinde, aufenthalt, staatsangehoerigkeit, aktivitaet, quellen FROM persons;
        DROP TABLE persons;
        ALTER TABLE persons_v2 RENAME TO persons;
        """,
        2: """
        ALTER TABLE runs ADD COLUMN schluessel_pruefwert TEXT;
        ALTER TABLE runs ADD COLUMN neue_schluesselserie INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN plausibilitaet_uebergangen TEXT;
        CREATE TABLE IF NOT EXISTS failed_runs(
            id INTEGER PRIMARY KEY AUTOINCREMENT, zeitraum TEXT, modus TEXT NOT NULL, gestartet TEXT NOT NULL,
            beendet TEXT NOT NULL, exit INTEGER NOT NULL, grund TEXT NOT NULL);
        """,
        3: """
        CREATE TABLE IF NOT EXISTS outputs(
            run_id INTEGER NOT NULL REFERENCES runs(id), art TEXT NOT NULL, datei TEXT NOT NULL, sha256 TEXT NOT NULL,
            PRIMARY KEY(run_id, art));
        INSERT INTO outputs SELECT id, 'indikatoren', 'indikatoren_' || zeitraum || '.csv', tabelle_sha256 FROM runs;
        INSERT INTO outputs SELECT id, 'laufbericht', 'lauf_' || zeitraum || '.json', bericht_sha256 FROM runs;
        """,
        4: """
        CREATE TABLE IF NOT EXISTS uebergaenge(
            zeitraum TEXT NOT NULL, von TEXT NOT NULL, nach TEXT NOT NULL, wert INTEGER NOT NULL, gesperrt INTEGER NOT NULL,
            PRIMARY KEY(zeitraum, von, nach));
        CREATE TABLE sperrungen_v5(
            zeitraum TEXT NOT NULL, tabelle TEXT NOT NULL, indikator TEXT NOT NULL, dimension TEXT NOT NULL, auspraegung TEXT NOT NULL,
            art TEXT NOT NULL CHECK (art IN ('primaer', 'sekundaer')), untergrenze INTEGER NOT NULL, obergrenze INTEGER,
            geschuetzt INTEGER NOT NULL, PRIMARY KEY(zeitraum, tabelle, indikator, dimension, auspraegung));
        INSERT INTO sperrungen_v5 SELECT zeitraum, 'quartal', indikator, dimension, auspraegung, art, untergrenze, obergrenze, geschuetzt FROM sperrungen;
        DROP TABLE sperrungen;
        ALTER TABLE sperrungen_v5 RENAME TO sperrungen;
        ALTER TABLE runs ADD COLUMN vorquartal_lauf INTEGER;
        """,
        5: Store.reportSchema,
        7: Store.checksumSchema,
        8: """
        CREATE TABLE IF NOT EXISTS uebermittlungen(
            id INTEGER PRIMARY KEY AUTOINCREMENT, zeitraum TEXT NOT NULL, datei TEXT NOT NULL, sha256 TEXT NOT NULL,
            unterzeichner TEXT NOT NULL, erstellt TEXT NOT NULL);
        """,
        9: Store.typedViews,
        10: Store.explainedViews,
        // Schema 12 (issue 32): the linkage method of each run; every run before it linked exactly.
        11: "ALTER TABLE runs ADD COLUMN verknuepfung TEXT; UPDATE runs SET verknuepfung = 'exact/1';",
    ]

    let database: SQLiteDatabase
    public let path: String

    public init(path: String) throws(KlapptError) {
        self.path = path
        Store.restrictToOwner(path)
        do {
            database = try SQLiteDatabase(path: path)
            try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            let version = Int(try database.query("PRAGMA user_version")[0][0] ?? "0") ?? 0
            let tables = try database.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")[0][0]
            if (version == 0 && tables == "0") || (version < Store.schemaVersion && version >= 1) {
                try database.execute("BEGIN IMMEDIATE")
                do {
                    var from = version
                    if from == 0 {
                        try database.execute(Store.schema)
                        from = 2
                    }
                    for step in from..<Store.schemaVersion {
                        if let sql = Store.migrations[step] { try database.execute(sql) } else { try Store.migrateToCodedPersons(database) }
                    }
                    try database.execute("PRAGMA user_version = \(Store.schemaVersion); COMMIT;")
                    // Coding the persons (schema 7) freed the pages of their text rows: give them back.
                    if version >= 1, version < 7 { try database.execute("VACUUM") }
                } catch {
                    try? database.execute("ROLLBACK")
                    throw error
                }
            } else if version != Store.schemaVersion {
                throw SQLiteDatabase.Failure(code: 0, message: "unbekannte Schema-Version \(version) (erwartet \(Store.schemaVersion))")
            }
        } catch {
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
    }

    /// The store holds pseudonymised person rows: readable by its owner only (0600), and so are the
    /// journal files SQLite makes next to it (it gives them the main file's mode). A store of an
    /// earlier klappt (0644) is tightened on its next opening.
    static func restrictToOwner(_ path: String) {
        // A new store is made 0600; an existing one is only chmod-ed: opening and closing a file
        // descriptor of a database another connection of this process has open would drop that
        // connection's POSIX locks (SQLite's own connections share theirs; a raw close does not).
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        for file in [path, "\(path)-wal", "\(path)-shm", "\(path)-journal"] { chmod(file, 0o600) }
    }

    /// What a finished run wrote, for the ledger.
    public struct Publication: Sendable {
        public var fingerprint: String
        public var tableSHA256: String
        public var reportSHA256: String
        /// The key's check value (never the key), so that later runs can refuse another key.
        public var keyCheck: String? = nil
        /// The run began a new key series on purpose (`--new-key-series`).
        public var newKeySeries = false
        /// How the run linked records into persons (`LinkageMethod.ledgerValue`).
        public var linkage: String? = nil
        /// Plausibility findings the operator overrode (`--ignore-plausibility`), one per line.
        public var overriddenPlausibility: String? = nil
        /// Every file the run wrote.
        public var outputs: [OutputFile] = []
        /// The previous quarter's run the transitions were computed from (SPEC 10), if any.
        public var previousRun: Int? = nil
        /// The run report as written (`lauf_<period>.json`), for `klappt bericht`.
        public var runReport: String? = nil
        /// The labels the run's report used, for the store's views.
        public var labels: [(kind: String, code: String, label: String, definition: String?)] = []

        /// Records the files the run wrote; the ledger's columns of schema 2 keep the sums of the
        /// two files every klappt writes.
        mutating func record(_ files: [OutputFile]) {
            outputs = files
            tableSHA256 = files.first { $0.kind == IndicatorTableSink().kind }?.sha256 ?? ""
            reportSHA256 = files.first { $0.kind == RunReportSink().kind }?.sha256 ?? ""
        }
    }

    /// A file of a run, for the ledger: the sink's kind, the file name in the output folder, sha256.
    public struct OutputFile: Sendable, Equatable {
        public var kind: String
        public var file: String
        public var sha256: String

        public init(kind: String, file: String, sha256: String) {
            self.kind = kind
            self.file = file
            self.sha256 = sha256
        }
    }

    /// A period being written. The transaction opens at once and the period's old rows go; persons
    /// are inserted as they come, on a queue of their own, while the run goes on with the indicators
    /// and the disclosure control; `commit` adds the ledger, rejects and tables and commits: the
    /// run's commit point. Dropped without a commit, everything is rolled back.
    public final class PeriodWriter: @unchecked Sendable {
        public let store: Store
        private let period: String
        private let periodCode: Int
        private let queue = DispatchQueue(label: "klappt.store.persons")
        /// At most four batches wait for the queue: when SQLite is slower than classifying, the
        /// caller waits instead of the batches piling up (38 MB of a state's quarter at its peak).
        private let room = DispatchSemaphore(value: 4)
        /// Touched only on `queue` (and after `queue.sync`).
        private var coder: PersonCoder
        /// Touched only on `queue` (and after `queue.sync`).
        private var failure: KlapptError?
        /// The run's row, made when the rejections are written (its values are set at the commit);
        /// touched only on `queue` (and after `queue.sync`).
        private var runID: Int?
        /// Whether `addRejections` wrote the run's rejections; else the commit writes them.
        private var rejectionsWritten = false
        private var open = true

        public init(store: Store, period: Period) throws(KlapptError) {
            self.store = store
            self.period = period.description
            periodCode = period.code
            coder = PersonCoder(codes: StoreCodes())
            do {
                try store.database.execute("BEGIN IMMEDIATE")
                for table in ["rejects", "indikatoren", "sperrungen", "uebergaenge"] {
                    try store.database.run("DELETE FROM \(table) WHERE zeitraum = ?", rows: [[.text(self.period)]])
                }
                try store.database.run("DELETE FROM personen_kodiert WHERE zeitraum = ?", rows: [[.int(periodCode)]])
                coder = PersonCoder(codes: try store.storeCodes())
            } catch {
                try? store.database.execute("ROLLBACK")
                open = false
                throw .outputNotWritable("Speicher „\(store.path)“: \(error)")
            }
        }

        deinit {
            queue.sync {}
            if open { try? store.database.execute("ROLLBACK") }
        }

        /// Inserts target-group persons (in pseudonym order, so that each page is written once).
        public func add(_ persons: [PersonFacts]) {
            room.wait()
            queue.async { [self] in
                defer { room.signal() }
                guard failure == nil else { return }
                do { try store.insertPersons(persons, period: periodCode, coder: &coder) } catch {
                    failure = .outputNotWritable("Speicher „\(store.path)“: \(error)")
                }
            }
        }

        /// Writes the run's rejections (the run's row is made for them to refer to; the commit gives
        /// it its values). Both are in the period's transaction: no reader sees them before the
        /// commit. A run calls this once, after the persons, so that the store's thread writes a
        /// state's 74,000 rejections while the run aggregates and protects its table (a sixth of
        /// the commit's time otherwise, on the run's single-threaded end).
        public func addRejections(_ rejections: [StoredRejection]) {
            queue.async { [self] in
                guard failure == nil else { return }
                do {
                    try store.insertRejections(rejections, period: period, runID: try runRow())
                    rejectionsWritten = true
                } catch {
                    failure = .outputNotWritable("Speicher „\(store.path)“: \(error)")
                }
            }
        }

        /// The run's row in `runs`, made on first use; on `queue` (or after `queue.sync`).
        private func runRow() throws(SQLiteDatabase.Failure) -> Int {
            if let runID { return runID }
            let run = try store.insertRunRow(period: period)
            runID = run
            return run
        }

        /// Adds the ledger entries, rejects, indicators and suppressions, and commits.
        public func commit(_ outcome: RunOutcome, finishedAt: String, version: String, publication: Publication) throws(KlapptError) -> Int {
            queue.sync {}
            defer { open = false }
            if let failure {
                try? store.database.execute("ROLLBACK")
                throw failure
            }
            do {
                try Store.insertCodes(coder.codes.added, into: store.database)
                let runID = try runRow()
                if !rejectionsWritten { try store.insertRejections(outcome.rejections, period: period, runID: runID) }
                try store.insertLedger(outcome, finishedAt: finishedAt, version: version, publication: publication, runID: runID)
                try store.database.execute("COMMIT")
                return runID
            } catch let error as KlapptError {
                try? store.database.execute("ROLLBACK")
                throw error
            } catch {
                try? store.database.execute("ROLLBACK")
                throw .outputNotWritable("Speicher „\(store.path)“: \(error)")
            }
        }
    }

    func insertPersons(_ persons: [PersonFacts], period: Int, coder: inout PersonCoder) throws(SQLiteDatabase.Failure) {
        try database.insert(into: "personen_kodiert", columns: 9, count: persons.count) { row, statement, base in
            let p = persons[row]
            let codes = coder.codes(of: p)
            statement.bind(base + 1, period)
            statement.bindBlob(base + 2, count: 32) { p.pseudonym.write(to: $0) }
            statement.bind(base + 3, codes.0)
            statement.bind(base + 4, codes.1)
            statement.bind(base + 5, codes.2)
            statement.bind(base + 6, codes.3)
            statement.bind(base + 7, codes.4)
            if let activity = codes.5 { statement.bind(base + 8, activity) } else { statement.bindNull(base + 8) }
            statement.bind(base + 9, codes.6)
        }
    }

    /// Everything of a run but the persons, inside the open transaction; returns the run's id.
    /// The values of a run's row in `runs`, in the order of `insertLedger`'s columns.
    static func runValues(
        _ outcome: RunOutcome, _ protected: ProtectedTable, _ finishedAt: String, _ version: String, _ publication: Publication
    ) -> [SQLiteDatabase.Value] {
        [
            .text(outcome.period.description), .text(outcome.startedAt), .text(finishedAt), .text(outcome.pipelineName), .text(version),
            .int(outcome.filter.persons), .int(outcome.filter.targetGroup), .int(outcome.filter.withCurrentRecord),
            .int(protected.suppressed.count), .text(publication.fingerprint), .text(publication.tableSHA256),
            .text(publication.reportSHA256), publication.keyCheck.map { .text($0) } ?? .null, .int(publication.newKeySeries ? 1 : 0),
            publication.overriddenPlausibility.map { .text($0) } ?? .null, publication.previousRun.map { .int($0) } ?? .null,
            publication.runReport.map { .text($0) } ?? .null,
        ]
    }

    /// A row of `runs` for a run whose values come at its commit (`insertLedger`).
    func insertRunRow(period: String) throws(SQLiteDatabase.Failure) -> Int {
        try database.run(
            """
            INSERT INTO runs(zeitraum, gestartet, beendet, pipeline, version, personen, zielgruppe, bestand, gesperrte_zellen, fingerabdruck,
                             tabelle_sha256, bericht_sha256) VALUES (?, '', '', '', '', 0, 0, 0, 0, '', '', '')
            """, rows: [[.text(period)]])
        return database.lastInsertID
    }

    /// The rejections of a run (tens of thousands in a state's quarter: bound in place, no array of
    /// values per row).
    func insertRejections(_ rejections: [StoredRejection], period: String, runID: Int) throws(SQLiteDatabase.Failure) {
        try database.insert(into: "rejects", columns: 7, count: rejections.count) { row, statement, base in
            let rejection = rejections[row]
            statement.bind(base + 1, period)
            statement.bind(base + 2, runID)
            statement.bind(base + 3, rejection.source)
            statement.bind(base + 4, rejection.file)
            statement.bind(base + 5, rejection.line)
            statement.bind(base + 6, rejection.reason.rawValue)
            statement.bind(base + 7, rejection.field)
        }
    }

    /// Everything of a run but the persons and the rejections (`insertRejections`), inside the open
    /// transaction: the run's row (`insertRunRow`) gets its values.
    func insertLedger(_ outcome: RunOutcome, finishedAt: String, version: String, publication: Publication, runID: Int) throws {
        guard let protected = outcome.table else { throw KlapptError.internalError("Speichern ohne Tabelle") }
        let period = outcome.period.description
        try database.run(
            """
            UPDATE runs SET zeitraum = ?, gestartet = ?, beendet = ?, pipeline = ?, version = ?, personen = ?, zielgruppe = ?, bestand = ?,
                            gesperrte_zellen = ?, fingerabdruck = ?, tabelle_sha256 = ?, bericht_sha256 = ?, veroeffentlicht = 0,
                            schluessel_pruefwert = ?, neue_schluesselserie = ?, plausibilitaet_uebergangen = ?, vorquartal_lauf = ?,
                            laufbericht = ?
            WHERE id = ?
            """, rows: [Store.runValues(outcome, protected, finishedAt, version, publication) + [.int(runID)]])
        try database.run("UPDATE runs SET verknuepfung = ? WHERE id = ?", rows: [[publication.linkage.map { .text($0) } ?? .null, .int(runID)]])
        if !publication.labels.isEmpty {
            try database.execute("DELETE FROM beschriftungen")
            try database.run(
                "INSERT INTO beschriftungen VALUES (?,?,?,?)",
                rows: publication.labels.map { [.text($0.kind), .text($0.code), .text($0.label), $0.definition.map { .text($0) } ?? .null] })
        }
        try database.run(
            "INSERT INTO outputs VALUES (?,?,?,?)", rows: publication.outputs.map { [.int(runID), .text($0.kind), .text($0.file), .text($0.sha256)] })
        try database.run(
            "INSERT INTO inputs VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows: outcome.files.map { file in
                [
                    .int(runID), .text(period), .text(file.source), .text(file.file), .text(file.sha256), .int(file.rowsRead),
                    .int(file.accepted), .int(file.rejected), .int(file.duplicates), .text(Store.json(file.reasons)),
                ]
            })
        try database.run(
            "INSERT INTO indikatoren VALUES (?,?,?,?,?,?)",
            rows: protected.table.cells.map { cell in
                [
                    .text(period), .text(cell.indicator.rawValue), .text(cell.dimension), .text(cell.category),
                    .int(protected.table.values[cell] ?? 0), .int(protected.suppressed.contains(cell) ? 1 : 0),
                ]
            })
        // SPEC 6: each suppressed cell's feasible interval (NULL upper bound: unbounded), of every
        // table of the period's linked system.
        try database.run(
            "INSERT INTO sperrungen VALUES (?,?,?,?,?,?,?,?,?)",
            rows: protected.audit.map { finding in
                [
                    .text(period), .text(Store.tableName(finding.cell.table)), .text(finding.cell.indicator.rawValue), .text(finding.cell.dimension),
                    .text(finding.cell.category), .text(finding.primary ? "primaer" : "sekundaer"), .int(finding.interval.lower),
                    finding.interval.upper.map { .int($0) } ?? .null, .int(finding.protected ? 1 : 0),
                ]
            })
        // SPEC 10: the transition table, exact, with what publication withholds.
        try database.run(
            "INSERT INTO uebergaenge VALUES (?,?,?,?,?)",
            rows: protected.linkedValues.keys.filter { $0.table == CellID.Table.transitions }.sorted().map { cell in
                [
                    .text(period), .text(cell.dimension), .text(cell.category), .int(protected.linkedValues[cell] ?? 0),
                    .int(protected.suppressed.contains(cell) ? 1 : 0),
                ]
            })
    }

    /// The store's name of a table of the linked system.
    static func tableName(_ table: String) -> String { table.isEmpty ? "quartal" : table }

    /// Records that a run's files are in place.
    public func markPublished(run: Int) throws(KlapptError) {
        do { try database.run("UPDATE runs SET veroeffentlicht = 1 WHERE id = ?", rows: [[.int(run)]]) } catch {
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
    }

    /// A committed run of the ledger.
    public struct LedgerRun: Sendable {
        public var id: Int
        public var period: String
        public var started: String
        public var fingerprint: String
        public var tableSHA256: String
        public var reportSHA256: String
        public var published: Bool
        /// The files the run wrote.
        public var outputs: [OutputFile]
    }

    /// Committed runs whose files may not yet be in place.
    public func pendingRuns() throws(KlapptError) -> [LedgerRun] {
        try runs(where: "veroeffentlicht = 0")
    }

    /// The latest committed run of a period.
    public func latestRun(period: Period) throws(KlapptError) -> LedgerRun? {
        try runs(where: "zeitraum = '\(period)' ORDER BY id DESC LIMIT 1").first
    }

    func runs(where condition: String) throws(KlapptError) -> [LedgerRun] {
        var runs: [LedgerRun] = []
        for row in try query("SELECT id, zeitraum, gestartet, fingerabdruck, tabelle_sha256, bericht_sha256, veroeffentlicht FROM runs WHERE \(condition)") {
            let id = Int(row[0]!)!
            let outputs = try query("SELECT art, datei, sha256 FROM outputs WHERE run_id = \(id) ORDER BY rowid").map {
                OutputFile(kind: $0[0]!, file: $0[1]!, sha256: $0[2]!)
            }
            runs.append(
                LedgerRun(
                    id: id, period: row[1]!, started: row[2]!, fingerprint: row[3]!, tableSHA256: row[4]!,
                    reportSHA256: row[5]!, published: row[6] == "1", outputs: outputs))
        }
        return runs
    }

    /// The periods, their latest inputs and every run (failed ones too), in German (`klappt status`).
    public func statusText() throws(KlapptError) -> String {
        var lines = ["klappt-Speicher: \(path)"]
        let finished = try query("SELECT zeitraum, MAX(id) FROM runs GROUP BY zeitraum")
        let latest = Dictionary(finished.map { ($0[0]!, $0[1]!) }, uniquingKeysWith: { a, _ in a })
        let failedPeriods = try query("SELECT DISTINCT COALESCE(zeitraum, '') FROM failed_runs").map { $0[0]! }
        let periods = Set(latest.keys).union(failedPeriods).sorted()
        if periods.isEmpty { lines.append("Keine Läufe.") }
        for name in periods {
            // Finished and failed runs in the order they started.
            var entries: [(started: String, text: String)] = []
            for run in try query(
                """
                SELECT id, gestartet, beendet, personen, zielgruppe, bestand, gesperrte_zellen, veroeffentlicht, neue_schluesselserie,
                       plausibilitaet_uebergangen FROM runs WHERE zeitraum = '\(name)' ORDER BY id
                """)
            {
                var state = run[7] == "1" ? "veröffentlicht" : "Veröffentlichung unterbrochen (wird beim nächsten Lauf abgeschlossen)"
                if run[8] == "1" { state += ", Beginn einer neuen Schlüsselserie" }
                if let overridden = run[9] { state += ", Plausibilitätsprüfung übergangen (\(overridden.replacingOccurrences(of: "\n", with: "; ")))" }
                entries.append(
                    (
                        run[1]!,
                        "  Lauf \(run[0]!): \(run[1]!) bis \(run[2]!), \(Summary.counted(Int(run[3]!) ?? 0, "Person", "Personen")), Zielgruppe \(run[4]!), Bestand \(run[5]!), \(Summary.counted(Int(run[6]!) ?? 0, "gesperrte Zelle", "gesperrte Zellen")), \(state)"
                    ))
            }
            for failed in try query("SELECT gestartet, beendet, modus, exit, grund FROM failed_runs WHERE COALESCE(zeitraum, '') = '\(name)' ORDER BY id") {
                entries.append((failed[0]!, "  Fehlgeschlagen: \(failed[0]!) bis \(failed[1]!) (\(failed[2]!)), Exit \(failed[3]!): \(failed[4]!)"))
            }
            lines.append("")
            let runCount = entries.count
            for delivery in try query("SELECT erstellt, datei, sha256 FROM uebermittlungen WHERE zeitraum = '\(name)' ORDER BY id") {
                entries.append((delivery[0]!, "  An das Land übermittelt: \(delivery[0]!), \(delivery[1]!) (sha256 \(delivery[2]!.prefix(12))…)"))
            }
            let stale = try isStale(period: name) ? " – veraltet: Vorquartal neu berechnet (der nächste Lauf berechnet das Quartal neu)" : ""
            lines.append("Zeitraum \(name.isEmpty ? "(unbestimmt)" : name): \(Summary.counted(runCount, "Lauf", "Läufe"))\(stale)")
            lines += entries.sorted { $0.started < $1.started }.map(\.text)
            if let run = latest[name] {
                lines.append("  Eingaben des letzten fertigen Laufs:")
                for input in try query(
                    "SELECT quelle, datei, sha256, zeilen_gelesen, angenommen, abgelehnt, duplikate FROM inputs WHERE run_id = \(run) ORDER BY rowid")
                {
                    lines.append(
                        "    \(input[0]!): \(input[1]!) (sha256 \(input[2]!.prefix(12))…): \(input[3]!) gelesen, \(input[4]!) angenommen, \(input[5]!) abgewiesen, \(Summary.counted(Int(input[6]!) ?? 0, "Duplikat", "Duplikate"))"
                    )
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// SPEC 10: a period whose transitions were computed from a run of the previous quarter that is
    /// no longer its latest finished one.
    public func isStale(period name: String) throws(KlapptError) -> Bool {
        guard let period = Period(name),
            let used = try query("SELECT vorquartal_lauf FROM runs WHERE zeitraum = '\(name)' AND veroeffentlicht = 1 ORDER BY id DESC LIMIT 1").first?[0]
                ?? nil
        else { return false }
        let latest = try query("SELECT MAX(id) FROM runs WHERE zeitraum = '\(period.previous)' AND veroeffentlicht = 1").first?[0] ?? nil
        return latest != used
    }

    // MARK: - Key series, plausibility and failures (issue 9)

    /// The key check value of the latest finished run that recorded one, with the periods finished
    /// under it; nil when no finished run has one (a new store, or runs of before schema 3).
    public func currentKeySeries() throws(KlapptError) -> (check: String, periods: [String])? {
        guard
            let check = try query(
                "SELECT schluessel_pruefwert FROM runs WHERE veroeffentlicht = 1 AND schluessel_pruefwert IS NOT NULL ORDER BY id DESC LIMIT 1"
            ).first?[0] ?? nil
        else {
            return nil
        }
        let periods = try query("SELECT DISTINCT zeitraum FROM runs WHERE veroeffentlicht = 1 AND schluessel_pruefwert = '\(check)' ORDER BY zeitraum").map {
            $0[0]!
        }
        return (check, periods)
    }

    /// The periods with at least one finished run.
    public func finishedPeriods() throws(KlapptError) -> [String] {
        try query("SELECT DISTINCT zeitraum FROM runs WHERE veroeffentlicht = 1 ORDER BY zeitraum").map { $0[0]! }
    }

    /// Accepted rows and files per source of the latest finished run of `period`; nil when there is none.
    public func acceptedBySource(period: Period) throws(KlapptError) -> [String: (accepted: Int, files: Int)]? {
        guard let run = try query("SELECT MAX(id) FROM runs WHERE veroeffentlicht = 1 AND zeitraum = '\(period)'").first?[0] ?? nil else { return nil }
        var result: [String: (accepted: Int, files: Int)] = [:]
        for row in try query("SELECT quelle, SUM(angenommen), COUNT(*) FROM inputs WHERE run_id = \(run) GROUP BY quelle") {
            result[row[0]!] = (Int(row[1]!) ?? 0, Int(row[2]!) ?? 0)
        }
        return result
    }

    /// Appends a failed run to the ledger (its own transaction; nothing else changes).
    public func recordFailure(period: String?, mode: String, started: String, finished: String, exitCode: Int32, reason: String) throws(KlapptError) {
        do {
            try database.run(
                "INSERT INTO failed_runs(zeitraum, modus, gestartet, beendet, exit, grund) VALUES (?,?,?,?,?,?)",
                rows: [[period.map { .text($0) } ?? .null, .text(mode), .text(started), .text(finished), .int(Int(exitCode)), .text(reason)]])
        } catch {
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
    }

    /// Notes a delivery to the Land (`klappt uebermittlung`) for `klappt status`.
    public func recordDelivery(period: String, file: String, sha256: String, signer: String) throws(KlapptError) {
        let formatter = ISO8601DateFormatter()
        do {
            try database.run(
                "INSERT INTO uebermittlungen(zeitraum, datei, sha256, unterzeichner, erstellt) VALUES (?,?,?,?,?)",
                rows: [[.text(period), .text(file), .text(sha256), .text(signer), .text(formatter.string(from: Date()))]])
        } catch {
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
    }

    /// Rows of a query, for tests and `klappt status`.
    package func query(_ sql: String) throws(KlapptError) -> [[String?]] {
        do { return try database.query(sql) } catch { throw .internalError("\(error)") }
    }

    static func json(_ reasons: [String: Int]) -> String {
        let data = try? JSONSerialization.data(withJSONObject: reasons, options: [.sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
