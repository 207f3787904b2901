import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The Land's store (`land.sqlite` in its output folder, issue 22): each roll-up with the
/// deliveries it used (file, sha256, signer), the files it wrote (the ledger of the commit point,
/// shared with `klappt run` through `Publisher`) and the state table's exact cells with their
/// publication flag. Mode 0600: the exact small counts are not for publication.
public final class LandStore: PublicationLedger {
    static let schema = """
        CREATE TABLE IF NOT EXISTS laeufe(
            id INTEGER PRIMARY KEY AUTOINCREMENT, zeitraum TEXT NOT NULL, gestartet TEXT NOT NULL, beendet TEXT NOT NULL,
            version TEXT NOT NULL, fingerabdruck TEXT NOT NULL, tabelle_sha256 TEXT NOT NULL, gesperrte_zellen INTEGER NOT NULL,
            veroeffentlicht INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS uebermittlungen(
            lauf_id INTEGER NOT NULL REFERENCES laeufe(id), kreis TEXT NOT NULL, kreis_name TEXT NOT NULL, datei TEXT NOT NULL,
            sha256 TEXT NOT NULL, unterzeichner TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ausgaben(
            lauf_id INTEGER NOT NULL REFERENCES laeufe(id), art TEXT NOT NULL, datei TEXT NOT NULL, sha256 TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS zellen(
            zeitraum TEXT NOT NULL, indikator TEXT NOT NULL, dimension TEXT NOT NULL, auspraegung TEXT NOT NULL,
            wert INTEGER NOT NULL, gesperrt INTEGER NOT NULL, PRIMARY KEY(zeitraum, indikator, dimension, auspraegung));
        CREATE TABLE IF NOT EXISTS uebergaenge(
            zeitraum TEXT NOT NULL, von TEXT NOT NULL, nach TEXT NOT NULL, wert INTEGER NOT NULL, gesperrt INTEGER NOT NULL,
            PRIMARY KEY(zeitraum, von, nach));
        PRAGMA user_version = 3;
        """

    /// Version 1 (before the reports) had no ledger of files: its runs count as published.
    static let fromVersion1 = """
        ALTER TABLE laeufe ADD COLUMN veroeffentlicht INTEGER NOT NULL DEFAULT 1;
        CREATE TABLE IF NOT EXISTS ausgaben(
            lauf_id INTEGER NOT NULL REFERENCES laeufe(id), art TEXT NOT NULL, datei TEXT NOT NULL, sha256 TEXT NOT NULL);
        PRAGMA user_version = 2;
        """

    /// Version 2 (before the state's transitions) had no transition table.
    static let fromVersion2 = """
        CREATE TABLE IF NOT EXISTS uebergaenge(
            zeitraum TEXT NOT NULL, von TEXT NOT NULL, nach TEXT NOT NULL, wert INTEGER NOT NULL, gesperrt INTEGER NOT NULL,
            PRIMARY KEY(zeitraum, von, nach));
        PRAGMA user_version = 3;
        """

    let database: SQLiteDatabase
    public let path: String

    public init(directory: String) throws(KlapptError) {
        path = "\(directory)/land.sqlite"
        let existed = FileManager.default.fileExists(atPath: path)
        do {
            database = try SQLiteDatabase(path: path)
            chmod(path, 0o600)
            try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            let version = try database.query("PRAGMA user_version")[0][0]
            if !existed || version == "0" { try database.execute(LandStore.schema) }
            if version == "1" { try database.execute(LandStore.fromVersion1) }
            if version == "1" || version == "2" { try database.execute(LandStore.fromVersion2) }
        } catch {
            throw .outputNotWritable("Landesspeicher „\(path)“: \(error)")
        }
    }

    func failure(_ error: any Error) -> KlapptError {
        error as? KlapptError ?? .outputNotWritable("Landesspeicher „\(path)“: \(error)")
    }

    /// What a roll-up's result depends on: the deliveries' bytes, `min_cell` and the klappt version.
    /// The Land's own previous publication is part of it (the joint system links to it): a new
    /// roll-up of the previous quarter makes this one new work.
    public static func fingerprint(_ deliveries: [LandRollup.Verified], minCell: Int, previousTable: String? = nil) -> String {
        let text = (deliveries.map(\.sha256).sorted() + ["min_cell=\(minCell)", "version=\(QuarterlyRun.version)", "vorquartal=\(previousTable ?? "")"])
            .joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The latest roll-up of `period` when it has this fingerprint, is published and every file it
    /// wrote is still in `outputDirectory` byte for byte: its end time.
    public func finishedRun(period: Period, fingerprint: String, outputDirectory: String) throws(KlapptError) -> String? {
        guard let run = try runs(where: "zeitraum = '\(period)' ORDER BY id DESC LIMIT 1").first, run.published, run.fingerprint == fingerprint,
            Publisher.filesInPlace(run, outputDirectory: outputDirectory)
        else { return nil }
        return run.started
    }

    /// The commit point of a roll-up, in one transaction: the run (not yet published), its
    /// deliveries, the files it writes and the state's exact cells. Returns the run's id.
    public func commit(
        period: Period, started: String, fingerprint: String, outputs: [Store.OutputFile], deliveries: [LandRollup.Verified], protected: ProtectedTable
    ) throws(KlapptError) -> Int {
        let finished = ISO8601DateFormatter().string(from: Date())
        let tableSHA256 = outputs.first { $0.kind == LandTableSink().kind }?.sha256 ?? ""
        do {
            try database.execute("BEGIN IMMEDIATE")
            try database.run(
                "INSERT INTO laeufe(zeitraum, gestartet, beendet, version, fingerabdruck, tabelle_sha256, gesperrte_zellen, veroeffentlicht) VALUES (?,?,?,?,?,?,?,0)",
                rows: [
                    [
                        .text(period.description), .text(started), .text(finished), .text(QuarterlyRun.version), .text(fingerprint), .text(tableSHA256),
                        .int(protected.suppressed.count),
                    ]
                ])
            let id = Int(try database.query("SELECT last_insert_rowid()")[0][0] ?? "0") ?? 0
            try database.run(
                "INSERT INTO uebermittlungen(lauf_id, kreis, kreis_name, datei, sha256, unterzeichner) VALUES (?,?,?,?,?,?)",
                rows: deliveries.map { [.int(id), .text($0.delivery.kreis), .text($0.delivery.kreisName), .text($0.file), .text($0.sha256), .text($0.signer)] })
            try database.run(
                "INSERT INTO ausgaben(lauf_id, art, datei, sha256) VALUES (?,?,?,?)",
                rows: outputs.map { [.int(id), .text($0.kind), .text($0.file), .text($0.sha256)] })
            try database.run("DELETE FROM zellen WHERE zeitraum = ?", rows: [[.text(period.description)]])
            try database.run(
                "INSERT INTO zellen(zeitraum, indikator, dimension, auspraegung, wert, gesperrt) VALUES (?,?,?,?,?,?)",
                rows: protected.table.cells.map {
                    [
                        .text(period.description), .text($0.indicator.rawValue), .text($0.dimension), .text($0.category), .int(protected.table.values[$0] ?? 0),
                        .int(protected.suppressed.contains($0) ? 1 : 0),
                    ]
                })
            try database.run("DELETE FROM uebergaenge WHERE zeitraum = ?", rows: [[.text(period.description)]])
            try database.run(
                "INSERT INTO uebergaenge(zeitraum, von, nach, wert, gesperrt) VALUES (?,?,?,?,?)",
                rows: LinkedProtection.transitionCells().compactMap { cell in
                    protected.linkedValues[cell].map {
                        [.text(period.description), .text(cell.dimension), .text(cell.category), .int($0), .int(protected.suppressed.contains(cell) ? 1 : 0)]
                    }
                })
            try database.execute("COMMIT")
            return id
        } catch {
            try? database.execute("ROLLBACK")
            throw failure(error)
        }
    }

    /// What the Land published of `period` (its latest published roll-up): the state's cells and
    /// transitions, exact, with their flags, and the table's sha256; nil when there is none.
    public func publication(of period: Period) throws(KlapptError) -> (publication: LandRollup.PreviousPublication, tableSHA256: String)? {
        guard let run = try runs(where: "zeitraum = '\(period)' AND veroeffentlicht = 1 ORDER BY id DESC LIMIT 1").first else { return nil }
        var cells: [String: (value: Int, published: Bool)] = [:]
        var transitions: [String: (value: Int, published: Bool)] = [:]
        do {
            for row in try database.query("SELECT indikator, dimension, auspraegung, wert, gesperrt FROM zellen WHERE zeitraum = '\(period)'") {
                cells[LandRollup.PreviousPublication.key(row[0] ?? "", row[1] ?? "", row[2] ?? "")] = (Int(row[3] ?? "") ?? 0, row[4] != "1")
            }
            for row in try database.query("SELECT von, nach, wert, gesperrt FROM uebergaenge WHERE zeitraum = '\(period)'") {
                transitions[LandRollup.PreviousPublication.key(row[0] ?? "", row[1] ?? "")] = (Int(row[2] ?? "") ?? 0, row[3] != "1")
            }
        } catch {
            throw failure(error)
        }
        return (LandRollup.PreviousPublication(period: period, cells: cells, transitions: transitions), run.tableSHA256)
    }

    public func pendingRuns() throws(KlapptError) -> [Store.LedgerRun] { try runs(where: "veroeffentlicht = 0") }

    public func markPublished(run: Int) throws(KlapptError) {
        do { try database.run("UPDATE laeufe SET veroeffentlicht = 1 WHERE id = ?", rows: [[.int(run)]]) } catch { throw failure(error) }
    }

    func runs(where condition: String) throws(KlapptError) -> [Store.LedgerRun] {
        do {
            return try database.query("SELECT id, zeitraum, gestartet, fingerabdruck, tabelle_sha256, veroeffentlicht FROM laeufe WHERE \(condition)").map {
                row in
                let id = Int(row[0] ?? "") ?? 0
                let outputs = try database.query("SELECT art, datei, sha256 FROM ausgaben WHERE lauf_id = \(id)").map {
                    Store.OutputFile(kind: $0[0] ?? "", file: $0[1] ?? "", sha256: $0[2] ?? "")
                }
                return Store.LedgerRun(
                    id: id, period: row[1] ?? "", started: row[2] ?? "", fingerprint: row[3] ?? "", tableSHA256: row[4] ?? "", reportSHA256: "",
                    published: row[5] == "1", outputs: outputs)
            }
        } catch {
            throw failure(error)
        }
    }

    /// Rows of a query, for tests.
    package func query(_ sql: String) throws(KlapptError) -> [[String?]] {
        do { return try database.query(sql) } catch { throw .internalError("\(error)") }
    }
}
