import Foundation
import KlapptFormats

/// Audits a published indicator file (`indikatoren_<period>.csv`) from the reader's side: which
/// values of each `*` cell are consistent with everything the file publishes (SPEC 6). This is
/// `klappt audit FILE.csv`: it needs no store and no exact values, only the file.
///
/// Every suppressed cell is treated as possibly small: it is safe when the largest consistent value
/// is at least `minCell`, and a cell whose interval is a single value is disclosed outright.
public enum PublishedTableAudit {
    public struct PeriodResult: Sendable {
        public var period: String
        public var findings: [SuppressionAudit.Finding]
        public var unsafe: [SuppressionAudit.Finding] { findings.filter { !$0.protected } }
    }

    /// One row of a published file.
    typealias Row = (period: String, cell: CellID, value: Int?, line: Int)

    public static func audit(file: String, minCell: Int, registry: Registry = .standard) throws(KlapptError) -> [PeriodResult] {
        let families = Array(registry.indicatorFamilies.values)
        let rows = try read(file, registry: registry)
        return periods(of: rows).map { period in
            let own = rows.filter { $0.period == period }
            let cells = own.map(\.cell)
            let system = TableSystem(cells: cells, identities: identities(families, cells))
            return PeriodResult(period: period, findings: audit(system: system, values: own.map(\.value), minCell: minCell))
        }
    }

    /// The Land's table (`land_indikatoren_<period>.csv`) audited together with every district's own
    /// publication (issue 22, `klappt audit LAND --kreis A --kreis B …`), from the published files
    /// alone. Beside each named file, its companions are read where they exist: the transition table
    /// of the same quarter (`uebergaenge_`, `land_uebergaenge_`) and the previous quarter's table
    /// and transition table. One system of all of them (`LandRollup.jointLinks`): each state cell
    /// is the sum of the districts' cells, a `kreis` row that district's total, and every
    /// publisher's transitions add up to its two quarters. A district's key is the common prefix of
    /// its municipalities' AGS. Every `*` of every file is audited; a cell is safe when its largest
    /// consistent value reaches `minCell`. `used` receives every file read.
    public static func auditJointly(
        land file: String, districts: [String], minCell: Int, registry: Registry = .standard, used: (String) -> Void = { _ in }
    ) throws(KlapptError) -> [PeriodResult] {
        let families = Array(registry.indicatorFamilies.values)
        let state = try read(file, registry: registry)
        var publishers: [(tables: LinkedProtection.Tables, file: String, key: String?)] = [(.own, file, nil)]
        for district in districts {
            let rows = try read(district, registry: registry)
            let codes = Set(
                rows.filter { $0.cell.dimension == Dimension.municipality && $0.cell.category.count == 8 }.map { String($0.cell.category.prefix(5)) })
            guard codes.count == 1, let key = codes.first else {
                throw .inputFormat(
                    FormatError(
                        .malformed, file: district,
                        message:
                            "Die Gemeinden der Tabelle gehören nicht zu genau einem Kreis (\(codes.sorted().joined(separator: ", "))): ist das die Veröffentlichung eines Kreises?"
                    ))
            }
            publishers.append((.district(key), district, key))
        }
        let keys = publishers.compactMap(\.key)
        var results: [PeriodResult] = []
        for period in periods(of: state) {
            guard let quarter = Period(period) else { continue }
            var cells: [CellID] = []
            var values: [Int?] = []
            for publisher in publishers {
                let directory = URL(fileURLWithPath: publisher.file).deletingLastPathComponent().path
                let name = URL(fileURLWithPath: publisher.file).lastPathComponent
                let transitions = name.replacingOccurrences(of: "indikatoren_", with: "uebergaenge_")
                let before = quarter.previous.description
                for (path, table, wanted, required) in [
                    (publisher.file, publisher.tables.current, period, true),
                    ("\(directory)/\(transitions)", publisher.tables.transitions, period, false),
                    ("\(directory)/\(name.replacingOccurrences(of: period, with: before))", publisher.tables.previous, before, false),
                    ("\(directory)/\(transitions.replacingOccurrences(of: period, with: before))", publisher.tables.previousTransitions, before, false),
                ] {
                    guard required || (path != publisher.file && FileManager.default.isReadableFile(atPath: path)) else { continue }
                    used(path)
                    for row in try read(path, registry: registry) where row.period == wanted {
                        cells.append(CellID(table: table, indicator: row.cell.indicator, dimension: row.cell.dimension, category: row.cell.category))
                        values.append(row.value)
                    }
                }
            }
            let stateCells = cells.filter { $0.table.isEmpty }
            let system = TableSystem(cells: cells, identities: identities(families, stateCells), links: LandRollup.jointLinks(cells: cells, districts: keys))
            results.append(PeriodResult(period: period, findings: audit(system: system, values: values, minCell: minCell)))
        }
        return results
    }

    /// Every `*` audited as possibly small, from the published values alone.
    static func audit(system: TableSystem, values: [Int?], minCell: Int) -> [SuppressionAudit.Finding] {
        let suppressed = Set(values.indices.filter { values[$0] == nil })
        return SuppressionAudit(minCell: minCell).audit(
            system: system, values: values.map { $0 ?? 0 }, suppressed: suppressed, primary: suppressed, exactValuesKnown: false)
    }

    /// What a reader knows: every registered family's identities among the columns present.
    static func identities(_ families: [any IndicatorFamily], _ cells: [CellID]) -> [TableIdentity] {
        let present = Set(cells.map(\.indicator))
        return families.flatMap(\.identities).filter { $0.columns.allSatisfy(present.contains) }
    }

    static func periods(of rows: [Row]) -> [String] {
        var periods: [String] = []
        for row in rows where !periods.contains(row.period) { periods.append(row.period) }
        return periods
    }

    /// The rows of a published file (SPEC 7's format).
    static func read(_ file: String, registry: Registry) throws(KlapptError) -> [Row] {
        guard FileManager.default.isReadableFile(atPath: file) else { throw .inputUnreadable(path: file, reason: "nicht gefunden") }
        let families = Array(registry.indicatorFamilies.values)
        let known = Dictionary(families.flatMap(\.columns).map { ($0.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [Row] = []
        func value(_ text: String, _ line: Int) throws(KlapptError) -> Int? {
            if text == "*" { return nil }
            guard let number = Int(text), number >= 0 else {
                throw .inputFormat(FormatError(.malformed, file: file, line: line, field: "wert", message: "„\(text)“ ist weder eine Anzahl noch *."))
            }
            return number
        }
        do {
            let reader = try CSVReader(path: file, options: .init(encoding: .utf8))
            let header = try reader.readHeader()
            if header == ["zeitraum", "von", "nach", "wert"] {
                // A transition table (SPEC 10): `von` as the dimension, `nach` as the category.
                while let row = try reader.next() {
                    guard row.fields.count == 4 else {
                        throw KlapptError.inputFormat(
                            FormatError(.malformed, file: file, line: row.line, message: "Zeile hat \(row.fields.count) statt 4 Felder."))
                    }
                    rows.append(
                        (
                            row.fields[0], CellID(indicator: .transition, dimension: row.fields[1], category: row.fields[2]),
                            try value(row.fields[3], row.line), row.line
                        ))
                }
                return rows
            }
            guard header == PublishedTable.header else {
                throw KlapptError.inputFormat(
                    FormatError(.malformed, file: file, line: 1, message: "Kopfzeile ist nicht „\(PublishedTable.header.joined(separator: ";"))“."))
            }
            while let row = try reader.next() {
                guard row.fields.count == 5 else {
                    throw KlapptError.inputFormat(FormatError(.malformed, file: file, line: row.line, message: "Zeile hat \(row.fields.count) statt 5 Felder."))
                }
                guard let indicator = known[row.fields[1]] else {
                    throw KlapptError.inputFormat(
                        FormatError(.malformed, file: file, line: row.line, field: "indikator", message: "Unbekannter Indikator „\(row.fields[1])“."))
                }
                rows.append(
                    (
                        row.fields[0], CellID(indicator: indicator, dimension: row.fields[2], category: row.fields[3]), try value(row.fields[4], row.line),
                        row.line
                    ))
            }
        } catch {
            throw KlapptError(error)
        }
        return rows
    }

    /// The German report `klappt audit` prints.
    /// `names`: a municipality's name by its AGS, shown beside the code.
    public static func report(_ results: [PeriodResult], file: String, minCell: Int, names: [String: String] = [:]) -> String {
        var lines = ["Prüfung der Geheimhaltung: \(file) (Mindestfallzahl \(minCell))"]
        for result in results {
            lines.append("")
            lines.append("Zeitraum \(result.period): \(result.findings.count) gesperrte Zellen")
            for finding in result.findings {
                let range = "[\(finding.interval.lower), \(finding.interval.upper.map(String.init) ?? "∞")]"
                let verdict: String
                if !finding.protected {
                    verdict =
                        finding.interval.upper == finding.interval.lower
                        ? "UNGESCHÜTZT: Wert ist eindeutig bestimmbar"
                        : "UNGESCHÜTZT: höchstens \(finding.interval.upper!)"
                } else if finding.interval.upper == finding.interval.lower {
                    verdict = "bestimmbar, aber nicht klein (kein Risiko)"
                } else {
                    verdict = "geschützt"
                }
                let table = finding.cell.table.isEmpty ? "" : "\(finding.cell.table.replacingOccurrences(of: "kreis:", with: "Kreis ")): "
                let category = names[finding.cell.category].map { "\(finding.cell.category) (\($0))" } ?? finding.cell.category
                lines.append("  \(table)\(finding.cell.indicator.rawValue) / \(finding.cell.dimension) / \(category): möglich \(range), \(verdict)")
            }
            let unsafe = result.unsafe.count
            // Issue 31: a withheld district total costs a reader most; the audit names each.
            let totals = result.findings.filter { $0.cell.table.isEmpty && $0.cell.dimension == TableSystem.totalDimension }
            if !totals.isEmpty {
                lines.append(
                    "  Gesamtzahlen des Kreises gesperrt: \(totals.map(\.cell.indicator.rawValue).joined(separator: ", ")) "
                        + "(klappt sperrt eine nur, wenn sie selbst unter \(minCell) liegt oder sich die Tabellen ohne sie nicht schützen lassen; "
                        + "welches von beiden, sagt der Laufbericht: suppression.primary_totals, secondary_totals)")
            }
            lines.append(unsafe == 0 ? "  Ergebnis: alle gesperrten Zellen sind geschützt." : "  Ergebnis: \(unsafe) Zellen sind NICHT geschützt.")
        }
        return lines.joined(separator: "\n")
    }
}
