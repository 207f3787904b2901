import Foundation
import Logging

/// The short German summary a coordinator reads on the terminal after a run (issue 2, point 1).
public enum Summary {
    /// Keeps the summary as the coordinator's internal page, `quarantaene/<P>/zusammenfassung.txt`
    /// (mode 0600, never published; issue 31): what is to do (unknown texts, persons who fell out of
    /// the target group, what to re-run) stays out of the published report but is kept after a
    /// cron run, whose log has no summary. It holds counts, codes and paths, no input value.
    public static func keepInternally(_ summary: String, outputDirectory: String, period: Period, mode: QuarterlyRun.Mode, logger: Logger) {
        let quarantine = Quarantine(outputDirectory: outputDirectory, period: period, mode: mode)
        do { try quarantine.writeSummary(summary + "\n") } catch {
            logger.warning("Zusammenfassung nicht abgelegt", metadata: ["ordner": "\(quarantine.directory)", "grund": "\(error)"])
        }
    }

    public static func text(
        _ outcome: RunOutcome, outputs: QuarterlyRun.Outputs, mode: QuarterlyRun.Mode, keyNote: String?,
        codeListPaths: [String: String] = [:], reportSinks: [any PeriodSink] = [], labels: ReportLabels? = nil
    ) -> String {
        var lines: [String] = []
        let title =
            mode == .run
            ? "klappt: Quartal \(outcome.period) (Stichtag \(outcome.period.referenceDate.iso)) verarbeitet" : "klappt: Eingaben für \(outcome.period) geprüft"
        lines.append(title)
        lines.append("")
        lines.append("Eingabedateien:")
        for file in outcome.files {
            lines.append("  \(file.source): \(URL(fileURLWithPath: file.file).lastPathComponent)")
            var line =
                "    \(counted(file.rowsRead, "Zeile", "Zeilen")) gelesen, \(number(file.accepted)) angenommen, \(number(file.rejected)) abgewiesen, \(counted(file.duplicates, "Duplikat", "Duplikate"))"
            if file.superseded > 0 { line += ", \(number(file.superseded)) durch neuere Zeilen ersetzt" }
            lines.append(line)
            if let header = file.headerLine {
                lines.append("    Kopfzeile in Zeile \(header) gefunden; die \(counted(header - 1, "Zeile", "Zeilen")) darüber (Titel) sind keine Datensätze")
            }
            if let footers = file.footerRows {
                lines.append("    \(counted(footers, "Fußzeile", "Fußzeilen")) am Ende (Summe oder Notiz) nicht als Datensatz gezählt")
            }
            // Every reason, most frequent first (issue 9: not only the top three), in the report's
            // sentences (issue 23).
            let reasons = file.reasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            if !reasons.isEmpty {
                lines.append("    Abgewiesen, weil:")
                for (reason, count) in reasons { lines.append("      \(number(count)) × \(reasonSentence(reason, labels: labels))") }
            }
        }
        lines.append("")
        lines.append(
            "Personen: \(number(outcome.filter.persons)) insgesamt; "
                + outcome.personsBySource.sorted { $0.key < $1.key }.map { "\($0.key) \(number($0.value))" }.joined(separator: ", ")
                + "; in mehreren Quellen verknüpft: \(number(outcome.linkedPersons))")
        let f = outcome.filter
        lines.append(
            "Zielgruppe: \(number(f.ageInRange)) im Alter, davon \(number(f.refugeeResidence)) mit Aufenthalt im Fluchtkontext, davon \(number(f.inDistrictOrUnknown)) im Kreis oder Wohnort unbekannt"
        )
        lines.append("            = \(counted(f.targetGroup, "Person", "Personen")) in der Zielgruppe")
        lines.append("              davon im Bestand am Stichtag: \(number(f.withCurrentRecord))")
        lines.append("              davon ohne Aktivität: \(number(f.targetGroup - f.withCurrentRecord)) (bekannt, aber von keinem Programm erreicht)")
        lines += linkageLines(outcome)
        lines += warningLines(outcome, codeListPaths: codeListPaths)
        lines += transitionLines(outcome)
        if let table = outcome.table {
            let how: String
            switch table.method {
            case .optimal:
                how =
                    table.keptPublished > 0
                    ? "exakt: nachweislich der kleinste Verlust an Zahlen, passend zur früheren Veröffentlichung"
                    : "exakt: nachweislich der kleinste Verlust an Zahlen"
            case .heuristic(let reason, let lowerBound):
                let why: String
                switch reason {
                case .disabled?: why = "exaktes Verfahren abgeschaltet (time_limit_s: 0)"
                case .timeLimit?: why = "Zeitlimit erreicht"
                case .solverFailed?: why = "der exakte Löser kam zu keinem Ergebnis"
                case nil: why = "gewählt"
                }
                how = "Näherungsverfahren, \(why)" + (lowerBound.map { "; nötig sind mindestens \(number($0))" } ?? "")
            }
            lines.append(
                "Geheimhaltung: \(counted(table.primary.count, "Zelle", "Zellen")) primär gesperrt, \(number(table.secondary.count)) sekundär (\(how))")
            let primaryTotals = table.primary.filter { $0.dimension == TableSystem.totalDimension && $0.table.isEmpty }
                .map { labels?.label(ReportLabels.Kind.indicator, $0.indicator.rawValue) ?? $0.indicator.rawValue }.sorted()
            if !primaryTotals.isEmpty {
                lines.append(
                    "               Gesamtwerte des Kreises gesperrt, weil sie selbst unter min_cell liegen: \(primaryTotals.joined(separator: ", "))")
            }
            let totals = table.secondaryTotals.count
            if totals > 0 {
                lines.append(
                    table.method.isProvenOptimal
                        ? "               darunter \(counted(totals, "Gesamtwert", "Gesamtwerte")) des Kreises: ohne \(totals == 1 ? "ihn" : "sie") ließen sich die Tabellen nachweislich nicht schützen"
                        : "               darunter \(counted(totals, "Gesamtwert", "Gesamtwerte")) des Kreises (Näherungsverfahren: nicht nachgewiesen, dass es ohne \(totals == 1 ? "ihn" : "sie") nicht ginge)"
                )
            }
            if table.earlierPublicationDropped {
                lines.append(
                    "               Achtung: Die frühere Veröffentlichung dieses Quartals ließ sich nicht berücksichtigen (die Zahlen haben sich zu sehr geändert). Ihre Dateien nicht mehr weitergeben: zusammen mit den neuen könnten sie gesperrte Zahlen verraten."
                )
            } else if table.keptPublished > 0 {
                lines.append(
                    "               \(number(table.keptPublished)) Zahlen wie in der früheren Veröffentlichung dieses Quartals (bleiben sichtbar, damit auch beide Fassungen zusammen nichts verraten)"
                )
            }
        }
        lines.append("")
        if mode == .run {
            lines.append("Ausgaben:")
            lines.append("  Tabelle (veröffentlichbar): \(outputs.table)")
            lines.append("  Speicher (intern):          \(outputs.store)")
            lines.append("  Laufbericht:                \(outputs.report)")
            let directory = URL(fileURLWithPath: outputs.table).deletingLastPathComponent().path
            if outcome.transitions != nil {
                lines.append("  Übergänge (veröffentlichbar): \(directory)/uebergaenge_\(outcome.period).csv")
            }
            for sink in reportSinks {
                lines.append("  Förderbericht:              \(directory)/\(sink.fileName(for: outcome.period))")
            }
        } else {
            lines.append("Prüfbericht: \(outputs.report) (veröffentlichte Ausgaben bleiben unberührt)")
        }
        if !outcome.quarantineFiles.isEmpty {
            lines.append("  Quarantäne (personenbezogen, nur lokal): \(outputs.quarantine)/")
        }
        if let keyNote {
            lines.append("")
            lines.append(keyNote)
        }
        return lines.joined(separator: "\n")
    }

    /// The warnings about values no code list knows: counts and what became of the rows and
    /// persons, never a value (those may hold names; they are in the local file only).
    static func warningLines(_ outcome: RunOutcome, codeListPaths: [String: String]) -> [String] {
        var lines: [String] = []
        let listNote = outcome.unknownValuesFile.map { " Die Werte stehen mit der Zeile zum Ergänzen in „\($0)“ (personenbezogen, nur lokal)." } ?? ""
        for kind in outcome.warnings.keys.sorted() {
            let values = outcome.warnings[kind]!
            let rows = values.values.reduce(0, +)
            guard let known = UnknownValueKind(rawValue: kind) else {
                lines.append("Warnung: \(kind): \(counted(rows, "Zeile", "Zeilen")).\(listNote)")
                continue
            }
            let list = codeListPaths[known.codeList].map { " (\($0))" } ?? ""
            var line =
                "Warnung: \(known.germanName), die die Codeliste nicht kennt\(list): \(counted(values.count, "Schreibweise", "Schreibweisen")) in \(counted(rows, "Zeile", "Zeilen"))."
            switch known {
            case .residence:
                let out = outcome.filter.outByUnknownResidenceText
                line += " Diese Zeilen zählen mit Aufenthaltsgruppe „unbekannt“ und damit nicht zum Fluchtkontext: "
                line +=
                    out == 0
                    ? "niemand fällt deshalb aus der Zielgruppe."
                    : "\(counted(out, "Person fällt", "Personen fallen")) deshalb aus der Zielgruppe (mit passender Gruppe in der Codeliste zählten sie mit)."
            case .nationality:
                line += " Sie zählen als Staatsangehörigkeit „unbekannt“."
            case .sex:
                line += " Sie zählen als Geschlecht „x“ (ohne Angabe)."
            }
            lines.append(line + listNote)
        }
        return lines
    }

    /// SPEC 10, in German: per state of the previous quarter, where its persons are now (published
    /// values, `*` where suppressed); or why there is no transition table.
    /// Probabilistic linkage: what it compared and linked, its estimated errors and what they mean
    /// for `ohne_aktivitaet`, the review list (handbook, section 8a and 8b).
    static func linkageLines(_ outcome: RunOutcome) -> [String] {
        guard let linkage = outcome.linkage else { return [] }
        func decimal(_ value: Double) -> String { String(format: "%.1f", value).replacingOccurrences(of: ".", with: ",") }
        var lines = [
            "Verknüpfung (probabilistisch, Schwelle \(decimal(linkage.threshold * 100)) %): \(number(linkage.comparedPairs)) Paare verglichen, \(number(linkage.acceptedPairs)) als dieselbe Person erkannt"
                + (linkage.refusedJoins > 0
                    ? ", \(counted(linkage.refusedJoins, "Verkettung", "Verkettungen")) abgelehnt (Datensätze, die das Modell für verschiedene Personen hält)"
                    : ""),
            "  geschätzte Fehler: etwa \(decimal(linkage.expectedFalseLinks)) falsche und \(decimal(linkage.expectedMissedLinks)) verpasste Verknüpfungen",
        ]
        if let range = linkage.withoutActivityRange, range.count == 2 {
            lines.append("  ohne Aktivität liegt danach wahrscheinlich zwischen \(number(range[0])) und \(number(range[1]))")
        }
        if linkage.decisionsApplied > 0 {
            lines.append("  \(counted(linkage.decisionsApplied, "Entscheidung", "Entscheidungen")) aus der Entscheidungsdatei angewandt")
        }
        if let file = linkage.reviewFile {
            let band = linkage.reviewBandPairs ?? linkage.reviewPairs
            let listed =
                band > linkage.reviewPairs
                ? "\(counted(band, "Paar", "Paare")) im Prüfbereich, die \(number(linkage.reviewPairs)) wahrscheinlichsten zur Prüfung"
                : "\(counted(linkage.reviewPairs, "Paar", "Paare")) zur Prüfung"
            lines.append("  \(listed): \(file) (persönliche Daten, nur lokal; Spalte „entscheidung“: gleich oder verschieden)")
        }
        return lines
    }

    static func transitionLines(_ outcome: RunOutcome) -> [String] {
        if let note = outcome.transitionNote { return [note] }
        guard let protected = outcome.table, outcome.transitions != nil, let previous = outcome.previousPeriod else { return [] }
        let published = PublishableTransitions(protected, previousPeriod: previous)
        var lines = ["Übergänge seit \(previous) (veröffentlichte Werte, * gesperrt):"]
        func name(_ state: PersonState) -> String {
            switch state {
            case .activity(let activity): return "in \(activity.germanName)"
            case .withoutActivity: return "ohne Aktivität"
            case .outside: return "außerhalb der Zielgruppe"
            }
        }
        for from in PersonState.all {
            let row = published.cells.filter { $0.from == from }
            let total = row.reduce(into: (sum: 0, hidden: false)) { result, cell in
                if case .count(let value) = cell.value { result.sum += value } else { result.hidden = true }
            }
            guard total.sum > 0 || total.hidden else { continue }
            let count =
                from == .outside
                ? (total.hidden ? "*" : number(total.sum)) : (outcome.previousTotals[from.description] ?? (total.hidden ? "*" : number(total.sum)))
            let targets = row.compactMap { cell -> String? in
                if case .count(0) = cell.value { return nil }
                return "\(cell.value.description) \(cell.to == .outside ? "außerhalb" : name(cell.to))"
            }
            let origin: String
            if from == .outside {
                // A withheld total says so in words before the parts (issue 23).
                origin =
                    count == "*"
                    ? "Neu in der Zielgruppe (vorher außerhalb; Gesamtzahl gesperrt)" : "Neu in der Zielgruppe (vorher außerhalb): \(count) Personen"
            } else {
                origin = count == "*" ? "Von den Personen \(name(from)) im Vorquartal (Anzahl gesperrt)" : "Von \(count) Personen \(name(from)) im Vorquartal"
            }
            lines.append("  \(origin): " + targets.joined(separator: ", "))
        }
        return lines
    }

    /// A rejection reason in words: the label list's explanation (`beschriftungen.csv`, as in the
    /// funding report), else klappt's own, without the closing full stop.
    static func reasonSentence(_ reason: String, labels: ReportLabels?) -> String {
        let text = labels?.definition(ReportLabels.Kind.reason, reason) ?? ReasonCode(rawValue: reason)?.germanText ?? reason
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    /// `1 Zeile`, `2 Zeilen`, `1.234 Zeilen`: the number with German digit grouping and the noun in
    /// the right number.
    public static func counted(_ value: Int, _ singular: String, _ plural: String) -> String {
        "\(number(value)) \(value == 1 ? singular : plural)"
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
