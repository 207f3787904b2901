import Foundation

/// The short German summary a coordinator reads on the terminal after a run (issue 2, point 1).
public enum Summary {
    public static func text(_ outcome: RunOutcome, outputs: QuarterlyRun.Outputs, mode: QuarterlyRun.Mode, keyNote: String?) -> String {
        var lines: [String] = []
        let title = mode == .run ? "klappt: Quartal \(outcome.period) (Stichtag \(outcome.period.referenceDate.iso)) verarbeitet" : "klappt: Eingaben für \(outcome.period) geprüft"
        lines.append(title)
        lines.append("")
        lines.append("Eingabedateien:")
        for file in outcome.files {
            lines.append("  \(file.source): \(URL(fileURLWithPath: file.file).lastPathComponent)")
            var line = "    \(number(file.rowsRead)) Zeilen gelesen, \(number(file.accepted)) angenommen, \(number(file.rejected)) abgewiesen, \(number(file.duplicates)) Duplikate"
            if file.superseded > 0 { line += ", \(number(file.superseded)) durch neuere Zeilen ersetzt" }
            lines.append(line)
            let top = file.reasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
            if !top.isEmpty {
                lines.append("    Gründe: " + top.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
        }
        lines.append("")
        lines.append("Personen: \(number(outcome.filter.persons)) insgesamt; " +
                     outcome.personsBySource.sorted { $0.key < $1.key }.map { "\($0.key) \(number($0.value))" }.joined(separator: ", ") +
                     "; in mehreren Quellen verknüpft: \(number(outcome.linkedPersons))")
        let f = outcome.filter
        lines.append("Zielgruppe: \(number(f.ageInRange)) im Alter, davon \(number(f.refugeeResidence)) mit Aufenthalt im Fluchtkontext, davon \(number(f.inDistrictOrUnknown)) im Kreis oder Wohnort unbekannt")
        lines.append("            = \(number(f.targetGroup)) Personen in der Zielgruppe, \(number(f.withCurrentRecord)) im Bestand am Stichtag")
        if let unknown = outcome.warnings["aufenthalt_unbekannt"] {
            lines.append("Warnung: \(number(unknown.values.reduce(0, +))) Aufenthaltstexte nicht zuordenbar (als „unbekannt“ gezählt; Liste im Laufbericht, Codeliste pipelines/codelists/aufenthalt.csv ergänzen)")
        }
        for (kind, values) in outcome.warnings.sorted(by: { $0.key < $1.key }) where kind != "aufenthalt_unbekannt" {
            lines.append("Warnung: \(kind): \(number(values.values.reduce(0, +))) Werte (siehe Laufbericht)")
        }
        if let table = outcome.table {
            lines.append("Geheimhaltung: \(table.primary.count) Zellen primär gesperrt, \(table.secondary.count) sekundär")
        }
        lines.append("")
        if mode == .run {
            lines.append("Ausgaben:")
            lines.append("  Tabelle (veröffentlichbar): \(outputs.table)")
            lines.append("  Speicher (intern):          \(outputs.store)")
            lines.append("  Laufbericht:                \(outputs.report)")
        } else {
            lines.append("Laufbericht: \(outputs.report)")
        }
        if !outcome.quarantineFiles.isEmpty {
            lines.append("  Quarantäne (personenbezogen, nur lokal): \(outputs.quarantine)/")
        }
        if let keyNote { lines.append(""); lines.append(keyNote) }
        return lines.joined(separator: "\n")
    }

    static func number(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(".") }
            result.append(character)
        }
        return result
    }
}
