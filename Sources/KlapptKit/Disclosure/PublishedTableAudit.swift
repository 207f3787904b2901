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

    public static func audit(file: String, minCell: Int, registry: Registry = .standard) throws(KlapptError) -> [PeriodResult] {
        // What a reader knows: every registered family's columns and identities.
        let families = Array(registry.indicatorFamilies.values)
        let known = Dictionary(families.flatMap(\.columns).map { ($0.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        let reader: CSVReader
        var rows: [(period: String, cell: CellID, value: Int?, line: Int)] = []
        do {
            reader = try CSVReader(path: file, options: .init(encoding: .utf8))
            let header = try reader.readHeader()
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
                let text = row.fields[4]
                let value: Int?
                if text == "*" {
                    value = nil
                } else if let number = Int(text), number >= 0 {
                    value = number
                } else {
                    throw KlapptError.inputFormat(
                        FormatError(.malformed, file: file, line: row.line, field: "wert", message: "„\(text)“ ist weder eine Anzahl noch *."))
                }
                rows.append((row.fields[0], CellID(indicator: indicator, dimension: row.fields[2], category: row.fields[3]), value, row.line))
            }
        } catch let error as KlapptError {
            throw error
        } catch let error as FormatError {
            throw .inputFormat(error)
        } catch {
            throw .internalError("\(error)")
        }
        var periods: [String] = []
        for row in rows where !periods.contains(row.period) { periods.append(row.period) }
        return periods.map { period in
            let own = rows.filter { $0.period == period }
            let cells = own.map(\.cell)
            let present = Set(cells.map(\.indicator))
            let system = TableSystem(cells: cells, identities: families.flatMap(\.identities).filter { $0.columns.allSatisfy(present.contains) })
            let values = own.map { $0.value ?? 0 }
            let suppressed = Set(own.indices.filter { own[$0].value == nil })
            let findings = SuppressionAudit(minCell: minCell).audit(
                system: system, values: values, suppressed: suppressed,
                primary: suppressed, exactValuesKnown: false)
            return PeriodResult(period: period, findings: findings)
        }
    }

    /// The German report `klappt audit` prints.
    public static func report(_ results: [PeriodResult], file: String, minCell: Int) -> String {
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
                lines.append("  \(finding.cell.indicator.rawValue) / \(finding.cell.dimension) / \(finding.cell.category): möglich \(range), \(verdict)")
            }
            let unsafe = result.unsafe.count
            lines.append(unsafe == 0 ? "  Ergebnis: alle gesperrten Zellen sind geschützt." : "  Ergebnis: \(unsafe) Zellen sind NICHT geschützt.")
        }
        return lines.joined(separator: "\n")
    }
}
