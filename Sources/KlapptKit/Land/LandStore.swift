import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The Land's store (`land.sqlite` in its output folder, issue 22): each roll-up with the
/// deliveries it used (file, sha256, signer) and the state table's exact cells with their
/// publication flag. Mode 0600: the exact small counts are not for publication.
public final class LandStore {
    static let schema = """
        CREATE TABLE IF NOT EXISTS laeufe(
            id INTEGER PRIMARY KEY AUTOINCREMENT, zeitraum TEXT NOT NULL, gestartet TEXT NOT NULL, beendet TEXT NOT NULL,
            version TEXT NOT NULL, fingerabdruck TEXT NOT NULL, tabelle_sha256 TEXT NOT NULL, gesperrte_zellen INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS uebermittlungen(
            lauf_id INTEGER NOT NULL REFERENCES laeufe(id), kreis TEXT NOT NULL, kreis_name TEXT NOT NULL, datei TEXT NOT NULL,
            sha256 TEXT NOT NULL, unterzeichner TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS zellen(
            zeitraum TEXT NOT NULL, indikator TEXT NOT NULL, dimension TEXT NOT NULL, auspraegung TEXT NOT NULL,
            wert INTEGER NOT NULL, gesperrt INTEGER NOT NULL, PRIMARY KEY(zeitraum, indikator, dimension, auspraegung));
        PRAGMA user_version = 1;
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
        } catch {
            throw .outputNotWritable("Landesspeicher „\(path)“: \(error)")
        }
    }

    /// What a roll-up's result depends on: the deliveries' bytes, `min_cell` and the klappt version.
    public static func fingerprint(_ deliveries: [LandRollup.Verified], minCell: Int) -> String {
        let text = (deliveries.map(\.sha256).sorted() + ["min_cell=\(minCell)", "version=\(QuarterlyRun.version)"]).joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The latest roll-up of `period` with this fingerprint whose table is still the one it wrote.
    public func finishedRun(period: Period, fingerprint: String, table: String) throws(KlapptError) -> String? {
        let rows: [[String?]]
        do {
            rows = try database.query(
                "SELECT beendet, tabelle_sha256 FROM laeufe WHERE zeitraum = ? AND fingerabdruck = ? ORDER BY id DESC LIMIT 1",
                [.text(period.description), .text(fingerprint)])
        } catch {
            throw .outputNotWritable("Landesspeicher „\(path)“: \(error)")
        }
        guard let row = rows.first, let data = FileManager.default.contents(atPath: table),
            SHA256.hash(data: data).map({ String(format: "%02x", $0) }).joined() == row[1]
        else { return nil }
        return row[0]
    }

    /// Records a roll-up in one transaction: the run, its deliveries, the state's exact cells.
    public func record(
        period: Period, started: String, fingerprint: String, tableSHA256: String, deliveries: [LandRollup.Verified], protected: ProtectedTable
    ) throws(KlapptError) {
        let finished = ISO8601DateFormatter().string(from: Date())
        do {
            try database.execute("BEGIN IMMEDIATE")
            try database.run(
                "INSERT INTO laeufe(zeitraum, gestartet, beendet, version, fingerabdruck, tabelle_sha256, gesperrte_zellen) VALUES (?,?,?,?,?,?,?)",
                rows: [
                    [
                        .text(period.description), .text(started), .text(finished), .text(QuarterlyRun.version), .text(fingerprint), .text(tableSHA256),
                        .int(protected.suppressed.count),
                    ]
                ])
            let id = try database.query("SELECT last_insert_rowid()")[0][0] ?? "0"
            try database.run(
                "INSERT INTO uebermittlungen(lauf_id, kreis, kreis_name, datei, sha256, unterzeichner) VALUES (?,?,?,?,?,?)",
                rows: deliveries.map {
                    [.int(Int(id) ?? 0), .text($0.delivery.kreis), .text($0.delivery.kreisName), .text($0.file), .text($0.sha256), .text($0.signer)]
                })
            try database.run("DELETE FROM zellen WHERE zeitraum = ?", rows: [[.text(period.description)]])
            try database.run(
                "INSERT INTO zellen(zeitraum, indikator, dimension, auspraegung, wert, gesperrt) VALUES (?,?,?,?,?,?)",
                rows: protected.table.cells.map {
                    [
                        .text(period.description), .text($0.indicator.rawValue), .text($0.dimension), .text($0.category), .int(protected.table.values[$0] ?? 0),
                        .int(protected.suppressed.contains($0) ? 1 : 0),
                    ]
                })
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw .outputNotWritable("Landesspeicher „\(path)“: \(error)")
        }
    }

    /// Rows of a query, for tests.
    package func query(_ sql: String) throws(KlapptError) -> [[String?]] {
        do { return try database.query(sql) } catch { throw .internalError("\(error)") }
    }
}
