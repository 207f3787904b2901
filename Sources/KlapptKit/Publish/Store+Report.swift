import Foundation

/// What the funding report reads from the store (issue 13), and the views that make the store
/// readable for an analyst. Every read here returns published values only: a suppressed cell's
/// exact value is replaced by NULL inside the SQL, so it never reaches the report's code.
extension Store {
    /// Schema 6: the run report per run, the labels, and views with readable names.
    static let reportSchema = """
        ALTER TABLE runs ADD COLUMN laufbericht TEXT;
        CREATE TABLE IF NOT EXISTS beschriftungen(
            art TEXT NOT NULL, code TEXT NOT NULL, beschriftung TEXT NOT NULL, erlaeuterung TEXT,
            PRIMARY KEY(art, code)) WITHOUT ROWID;
        CREATE VIEW IF NOT EXISTS veroeffentlichte_indikatoren AS
            SELECT i.zeitraum, i.indikator, COALESCE(bi.beschriftung, i.indikator) AS indikator_text,
                   i.dimension, COALESCE(bd.beschriftung, i.dimension) AS dimension_text,
                   i.auspraegung, COALESCE(ba.beschriftung, i.auspraegung) AS auspraegung_text,
                   CASE WHEN i.gesperrt = 1 THEN '*' ELSE i.wert END AS wert
            FROM indikatoren i
            LEFT JOIN beschriftungen bi ON bi.art = 'indikator' AND bi.code = i.indikator
            LEFT JOIN beschriftungen bd ON bd.art = 'dimension' AND bd.code = i.dimension
            LEFT JOIN beschriftungen ba ON ba.art = i.dimension AND ba.code = i.auspraegung;
        CREATE VIEW IF NOT EXISTS veroeffentlichte_uebergaenge AS
            SELECT u.zeitraum, u.von, COALESCE(bv.beschriftung, u.von) AS von_text, u.nach, COALESCE(bn.beschriftung, u.nach) AS nach_text,
                   CASE WHEN u.gesperrt = 1 THEN '*' ELSE u.wert END AS wert
            FROM uebergaenge u
            LEFT JOIN beschriftungen bv ON bv.art = 'zustand' AND bv.code = u.von
            LEFT JOIN beschriftungen bn ON bn.art = 'zustand' AND bn.code = u.nach;
        CREATE VIEW IF NOT EXISTS bestand_je_zustand AS
            SELECT z.zeitraum, z.zustand, COALESCE(b.beschriftung, z.zustand) AS zustand_text, z.personen,
                   CASE WHEN i.gesperrt = 1 THEN '*' ELSE i.wert END AS veroeffentlicht
            FROM (SELECT zeitraum, COALESCE(aktivitaet, 'ohne_aktivitaet') AS zustand, COUNT(*) AS personen
                  FROM persons GROUP BY zeitraum, COALESCE(aktivitaet, 'ohne_aktivitaet')) z
            LEFT JOIN beschriftungen b ON b.art = 'zustand' AND b.code = z.zustand
            LEFT JOIN indikatoren i ON i.zeitraum = z.zeitraum AND i.indikator = z.zustand
                                   AND i.dimension = 'insgesamt' AND i.auspraegung = 'insgesamt';
        """

    /// Schema 11 (issue 31): the `persons` view also names the municipality (`gemeinde_text`, from
    /// the labels; its AGS stays in `gemeinde`), and `sperrungen_erklaert` says which quarter and
    /// which table each row of `sperrungen` concerns: a quarter's rows include the previous
    /// quarter's cells as that quarter's linked system bounds them (`tabelle` `vorquartal…`).
    static let explainedViews = """
        DROP VIEW IF EXISTS persons;
        \(personsView(namingMunicipalities: true))
        CREATE VIEW sperrungen_erklaert AS
            SELECT s.zeitraum AS lauf_zeitraum,
                   CASE WHEN s.tabelle LIKE 'vorquartal%' THEN
                        CASE WHEN substr(s.zeitraum, 7, 1) = '1' THEN (CAST(substr(s.zeitraum, 1, 4) AS INTEGER) - 1) || '-Q4'
                             ELSE substr(s.zeitraum, 1, 6) || (CAST(substr(s.zeitraum, 7, 1) AS INTEGER) - 1) END
                        ELSE s.zeitraum END AS betrifft_zeitraum,
                   CASE s.tabelle WHEN 'quartal' THEN 'Tabelle des Quartals' WHEN 'uebergaenge' THEN 'Übergänge des Quartals'
                        WHEN 'vorquartal' THEN 'Tabelle des Vorquartals (schon veröffentlicht; hier nur, wie dieser Lauf sie schützt)'
                        WHEN 'vorquartal_uebergaenge' THEN 'Übergänge des Vorquartals (schon veröffentlicht; hier nur, wie dieser Lauf sie schützt)'
                        ELSE s.tabelle END AS bedeutung,
                   s.*
            FROM sperrungen s;
        """

    /// Schema 10 (issue 23): the published views with `wert` of one type, an integer or NULL (SQL's
    /// unknown) where withheld, and the flag `gesperrt`; the exact stock per state renamed as
    /// internal. Replaces the views of schema 6 and 7.
    static let typedViews = """
        DROP VIEW IF EXISTS veroeffentlichte_indikatoren;
        DROP VIEW IF EXISTS veroeffentlichte_uebergaenge;
        DROP VIEW IF EXISTS bestand_je_zustand;
        CREATE VIEW veroeffentlichte_indikatoren AS
            SELECT i.zeitraum, i.indikator, COALESCE(bi.beschriftung, i.indikator) AS indikator_text,
                   i.dimension, COALESCE(bd.beschriftung, i.dimension) AS dimension_text,
                   i.auspraegung, COALESCE(ba.beschriftung, i.auspraegung) AS auspraegung_text,
                   CASE WHEN i.gesperrt = 1 THEN NULL ELSE i.wert END AS wert, i.gesperrt AS gesperrt
            FROM indikatoren i
            LEFT JOIN beschriftungen bi ON bi.art = 'indikator' AND bi.code = i.indikator
            LEFT JOIN beschriftungen bd ON bd.art = 'dimension' AND bd.code = i.dimension
            LEFT JOIN beschriftungen ba ON ba.art = i.dimension AND ba.code = i.auspraegung;
        CREATE VIEW veroeffentlichte_uebergaenge AS
            SELECT u.zeitraum, u.von, COALESCE(bv.beschriftung, u.von) AS von_text, u.nach, COALESCE(bn.beschriftung, u.nach) AS nach_text,
                   CASE WHEN u.gesperrt = 1 THEN NULL ELSE u.wert END AS wert, u.gesperrt AS gesperrt
            FROM uebergaenge u
            LEFT JOIN beschriftungen bv ON bv.art = 'zustand' AND bv.code = u.von
            LEFT JOIN beschriftungen bn ON bn.art = 'zustand' AND bn.code = u.nach;
        CREATE VIEW intern_bestand_je_zustand AS
            SELECT z.zeitraum, z.zustand, COALESCE(b.beschriftung, z.zustand) AS zustand_text, z.personen AS personen_exakt,
                   CASE WHEN i.gesperrt = 1 THEN NULL ELSE i.wert END AS veroeffentlicht, i.gesperrt AS gesperrt
            FROM (SELECT (p.zeitraum / 10) || '-Q' || (p.zeitraum % 10) AS zeitraum, COALESCE(t.wert, 'ohne_aktivitaet') AS zustand, p.personen
                  FROM (SELECT zeitraum, aktivitaet, COUNT(*) AS personen FROM personen_kodiert GROUP BY zeitraum, aktivitaet) p
                  LEFT JOIN kodes t ON t.spalte = 'aktivitaet' AND t.kode = p.aktivitaet) z
            LEFT JOIN beschriftungen b ON b.art = 'zustand' AND b.code = z.zustand
            LEFT JOIN indikatoren i ON i.zeitraum = z.zeitraum AND i.indikator = z.zustand
                                   AND i.dimension = 'insgesamt' AND i.auspraegung = 'insgesamt';
        """

    /// The latest finished run of a period as the report needs it.
    public struct ReportRun: Sendable {
        public var id: Int
        public var finished: String
        /// The run report as written; nil for runs of before schema 6.
        public var runReport: RunReport?
        /// The period whose persons the run's transitions came from.
        public var linkedToPrevious: Bool
    }

    /// The latest published run of `period`; nil when the store has none.
    public func reportRun(period: Period) throws(KlapptError) -> ReportRun? {
        guard
            let row = try query(
                "SELECT id, beendet, laufbericht, vorquartal_lauf FROM runs WHERE zeitraum = '\(period)' AND veroeffentlicht = 1 ORDER BY id DESC LIMIT 1"
            ).first
        else { return nil }
        let report = row[2].flatMap { try? JSONDecoder().decode(RunReport.self, from: Data($0.utf8)) }
        return ReportRun(id: Int(row[0]!)!, finished: row[1]!, runReport: report, linkedToPrevious: row[3] != nil)
    }

    /// A period's indicator table as published (`*` for a suppressed cell); nil when it has none.
    public func publishedQuarter(_ period: Period) throws(KlapptError) -> PublishedQuarter? {
        let rows = try query(
            "SELECT indikator, dimension, auspraegung, CASE WHEN gesperrt = 1 THEN NULL ELSE wert END FROM indikatoren WHERE zeitraum = '\(period)'")
        guard !rows.isEmpty else { return nil }
        var values: [PublishedQuarter.Key: PublishableTable.Value] = [:]
        for row in rows {
            values[PublishedQuarter.Key(row[0]!, row[1]!, row[2]!)] = row[3].flatMap { Int($0) }.map { .count($0) } ?? .suppressed
        }
        return PublishedQuarter(period: period, values: values)
    }

    /// The published tables of the finished periods before `period`, oldest first, at most `limit`.
    public func publishedHistory(before period: Period, limit: Int) throws(KlapptError) -> [PublishedQuarter] {
        let periods = try finishedPeriods().compactMap(Period.init).filter { $0 < period }.suffix(limit)
        var quarters: [PublishedQuarter] = []
        for earlier in periods {
            if let quarter = try publishedQuarter(earlier) { quarters.append(quarter) }
        }
        return quarters
    }

    /// A period's transition table as published; nil when it has none.
    public func publishedTransitions(_ period: Period) throws(KlapptError) -> PublishableTransitions? {
        let rows = try query("SELECT von, nach, CASE WHEN gesperrt = 1 THEN NULL ELSE wert END FROM uebergaenge WHERE zeitraum = '\(period)'")
        guard !rows.isEmpty else { return nil }
        var values: [String: PublishableTable.Value] = [:]
        for row in rows { values["\(row[0]!)>\(row[1]!)"] = row[2].flatMap { Int($0) }.map { .count($0) } ?? .suppressed }
        return PublishableTransitions(
            previousPeriod: period.previous, cells: TransitionTable.pairs.map { ($0.from, $0.to, values["\($0.from)>\($0.to)"] ?? .count(0)) })
    }

    /// Records that `klappt bericht` replaced a file of a finished run (the ledger keeps what is in
    /// place, so that the next run does not take the new file for a damaged one).
    public func replaceOutput(run: Int, _ output: OutputFile) throws(KlapptError) {
        do {
            try database.run(
                "INSERT OR REPLACE INTO outputs VALUES (?,?,?,?)", rows: [[.int(run), .text(output.kind), .text(output.file), .text(output.sha256)]])
        } catch {
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
    }
}

extension Store {
    /// What the store's finished run of `period` published (withheld cells left out), with the
    /// values: its table's cells and its transition table's (`CellID.Table.transitions`). Empty
    /// when the period was never published.
    public func publishedCells(of period: Period) throws(KlapptError) -> [CellID: Int] {
        var cells: [CellID: Int] = [:]
        for row in try query("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum = '\(period)' AND gesperrt = 0") {
            guard let name = row[0], let dimension = row[1], let category = row[2], let value = row[3].flatMap({ Int($0) }) else { continue }
            cells[CellID(indicator: Indicator(name, rank: 0), dimension: dimension, category: category)] = value
        }
        for row in try query("SELECT von, nach, wert FROM uebergaenge WHERE zeitraum = '\(period)' AND gesperrt = 0") {
            guard let from = row[0], let to = row[1], let value = row[2].flatMap({ Int($0) }) else { continue }
            cells[CellID(table: CellID.Table.transitions, indicator: .transition, dimension: from, category: to)] = value
        }
        return cells
    }
}
