import Foundation
import KlapptTestSupport
import Testing

@testable import KlapptKit

/// A store written by klappt 1.0 (schema version 1) is upgraded in place, without losing a row.
@Suite struct StoreMigrationTests {
    static let version1Persons = """
        CREATE TABLE persons(
            zeitraum TEXT NOT NULL, pseudonym TEXT NOT NULL, geschlecht TEXT NOT NULL,
            altersgruppe TEXT NOT NULL, gemeinde TEXT NOT NULL, aufenthalt TEXT NOT NULL,
            staatsangehoerigkeit TEXT NOT NULL, aktivitaet TEXT, quellen TEXT NOT NULL,
            PRIMARY KEY(zeitraum, pseudonym));
        """

    @Test func version1StoreIsUpgradedWithItsPersons() throws {
        let path = "\(makeTemporaryDirectory("klappt-store"))/klappt.sqlite"
        do {
            let database = try SQLiteDatabase(path: path)
            let others = Store.schema.replacingOccurrences(of: Store.personsTable("persons"), with: "")
            try database.execute("BEGIN; \(others) \(Self.version1Persons) PRAGMA user_version = 1; COMMIT;")
            try database.execute("INSERT INTO persons VALUES ('2026-Q2', 'ab12', 'w', '18-20', '05978036', 'duldung', 'SYR', 'schule', 'berufskolleg')")
            try database.execute("INSERT INTO persons VALUES ('2026-Q2', '00ff', 'm', '24-26', 'unbekannt', 'schutz', 'AFG', NULL, 'jobcenter,berufskolleg')")
            try database.execute(
                "INSERT INTO runs(zeitraum, gestartet, beendet, pipeline, version, personen, zielgruppe, bestand, gesperrte_zellen, fingerabdruck, tabelle_sha256, bericht_sha256, veroeffentlicht) VALUES ('2026-Q2', '', '', 'p', '1.0', 2, 2, 1, 0, '', '', '', 1)"
            )
        }
        let store = try Store(path: path)
        #expect(try store.query("PRAGMA user_version") == [["\(Store.schemaVersion)"]])
        // Schema 7: the persons are coded (integers, the pseudonym as bytes); `persons` is the view of them.
        #expect(try store.query("SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = 'personen_kodiert'") == [["1"]])
        #expect(try store.query("SELECT type FROM sqlite_master WHERE name = 'persons'") == [["view"]])
        #expect(
            try store.query("SELECT zeitraum, hex(pseudonym), typeof(geschlecht) FROM personen_kodiert ORDER BY pseudonym") == [
                ["20262", "00FF", "integer"], ["20262", "AB12", "integer"],
            ])
        #expect(
            try store.query("SELECT zeitraum, geschlecht, altersgruppe, gemeinde, aufenthalt, staatsangehoerigkeit FROM persons ORDER BY pseudonym") == [
                ["2026-Q2", "m", "24-26", "unbekannt", "schutz", "AFG"], ["2026-Q2", "w", "18-20", "05978036", "duldung", "SYR"],
            ])
        #expect(
            try store.query("SELECT pseudonym, aktivitaet, quellen FROM persons ORDER BY pseudonym") == [
                ["00ff", nil, "jobcenter,berufskolleg"], ["ab12", "schule", "berufskolleg"],
            ])
        // Schema 10: the exact stock per state is the internal view, counted on the coded table;
        // schema 11: which quarter each suppression concerns.
        #expect(
            try store.query("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name") == [
                ["intern_bestand_je_zustand"], ["persons"], ["sperrungen_erklaert"], ["veroeffentlichte_indikatoren"], ["veroeffentlichte_uebergaenge"],
            ])
        // Schema 12: every run before it linked exactly.
        #expect(try store.query("SELECT DISTINCT verknuepfung FROM runs") == [["exact/1"]])
        // Schema 11: the municipality's name beside its code (none here: the store has no labels).
        #expect(try store.query("SELECT COUNT(gemeinde_text) = COUNT(*) FROM persons") == [["1"]])
        #expect(
            try store.query("SELECT zeitraum, zustand, personen_exakt FROM intern_bestand_je_zustand ORDER BY zustand") == [
                ["2026-Q2", "ohne_aktivitaet", "1"], ["2026-Q2", "schule", "1"],
            ])
        // Opening again changes nothing.
        _ = try Store(path: path)
        #expect(try store.query("SELECT COUNT(*) FROM persons") == [["2"]])
    }

    @Test func unknownNewerVersionIsRefused() throws {
        let path = "\(makeTemporaryDirectory("klappt-store"))/klappt.sqlite"
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute("CREATE TABLE runs(id INTEGER); PRAGMA user_version = \(Store.schemaVersion + 1);")
        }
        #expect(throws: KlapptError.self) { _ = try Store(path: path) }
    }

    /// The Land store of version 2 (before the state's transitions) gains its transition table and
    /// keeps its runs; one of version 1 (before the reports) both steps.
    @Test(arguments: [1, 2])
    func landStoreIsUpgraded(from version: Int) throws {
        let folder = makeTemporaryDirectory("klappt-land-store")
        do {
            let database = try SQLiteDatabase(path: "\(folder)/land.sqlite")
            var schema = LandStore.schema
                .replacingOccurrences(of: "PRAGMA user_version = 3;", with: "PRAGMA user_version = \(version);")
            let transitions = schema.range(of: "CREATE TABLE IF NOT EXISTS uebergaenge(")!.lowerBound..<schema.range(of: "PRAGMA user_version")!.lowerBound
            schema.removeSubrange(transitions)
            if version == 1 {
                schema = schema.replacingOccurrences(of: ",\n    veroeffentlicht INTEGER NOT NULL DEFAULT 0);", with: ");")
                let outputs =
                    schema.range(of: "CREATE TABLE IF NOT EXISTS ausgaben(")!.lowerBound..<schema.range(of: "CREATE TABLE IF NOT EXISTS zellen(")!.lowerBound
                schema.removeSubrange(outputs)
            }
            try database.execute(schema)
            // A finished roll-up (version 1 had no flag: its runs count as published).
            try database.execute(
                version == 1
                    ? "INSERT INTO laeufe(zeitraum, gestartet, beendet, version, fingerabdruck, tabelle_sha256, gesperrte_zellen) VALUES ('2026-Q2', 'a', 'b', '1.1.0', 'f', 's', 3)"
                    : "INSERT INTO laeufe(zeitraum, gestartet, beendet, version, fingerabdruck, tabelle_sha256, gesperrte_zellen, veroeffentlicht) VALUES ('2026-Q2', 'a', 'b', '1.1.0', 'f', 's', 3, 1)"
            )
        }
        let store = try LandStore(directory: folder)
        #expect(try store.query("PRAGMA user_version") == [["3"]])
        #expect(try store.query("SELECT COUNT(*) FROM uebergaenge") == [["0"]])
        #expect(try store.query("SELECT zeitraum, veroeffentlicht FROM laeufe") == [["2026-Q2", "1"]])
        #expect(try store.publication(of: Period("2026-Q2")!)?.tableSHA256 == "s")
    }
}
