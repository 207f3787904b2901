import Foundation

/// The checks before publication that catch ordinary delivery mistakes (issue 9): a missing file or
/// school, an empty or partial export, data of another quarter. Pure: it sees the accounts of the
/// files just read and what the store knows of earlier runs, and returns the findings in German.
/// A run with findings publishes nothing (exit 65) unless the operator overrides them.
public enum Plausibility {
    /// Accepted rows and files of each source in an earlier finished run.
    public typealias Delivery = [String: (accepted: Int, files: Int)]

    public static func findings(
        period: Period, sources: [SourceSpec], accounts: [FileAccount], rules: PlausibilityRules,
        sameQuarter: Delivery?, previousQuarter: Delivery?
    ) -> [String] {
        var findings: [String] = []
        let reference = period.referenceDate
        for source in sources {
            let files = accounts.filter { $0.source == source.id }
            if let expected = source.expectation.files, files.count < expected {
                findings.append(
                    "Quelle „\(source.id)“: \(Summary.counted(files.count, "Datei", "Dateien")) geliefert, erwartet \(expected == 1 ? "mindestens eine" : "mindestens \(expected)") (expect.files in der Pipeline-Datei)."
                )
            }
            if let schools = source.expectation.schools {
                let delivered = Set(files.compactMap(\.school))
                let missing = schools.filter { !delivered.contains($0) }
                if !missing.isEmpty {
                    findings.append(
                        "Quelle „\(source.id)“: \(missing.count == 1 ? "keine Datei der Schule" : "keine Dateien der Schulen") \(missing.joined(separator: ", ")) (erwartet: \(schools.joined(separator: ", ")); geliefert: \(delivered.isEmpty ? "keine" : delivered.sorted().joined(separator: ", ")))."
                    )
                }
            }
            for file in files where file.rowsRead == 0 {
                findings.append("„\(file.file)“ enthält keinen einzigen Datensatz: eine leere oder abgebrochene Lieferung?")
            }
            for file in files {
                guard let text = file.newestStand, let stand = CivilDate(iso: text) else { continue }
                let distance = stand.dayNumber - reference.dayNumber
                if abs(distance) > rules.maxStandDistanceDays {
                    let direction = distance > 0 ? "nach" : "vor"
                    findings.append(
                        "„\(file.file)“: der neueste Stand (\(stand.german)) liegt \(Summary.counted(abs(distance), "Tag", "Tage")) \(direction) dem Stichtag \(reference.german) des Quartals \(period) (erlaubt: \(rules.maxStandDistanceDays)). Gehört die Lieferung zu einem anderen Quartal (--period)?"
                    )
                }
            }
            let accepted = files.reduce(0) { $0 + $1.accepted }
            for (earlier, label) in [
                (sameQuarter, "beim letzten fertigen Lauf desselben Quartals \(period)"), (previousQuarter, "im Vorquartal \(period.previous)"),
            ] {
                guard let before = earlier?[source.id]?.accepted, before > 0 else { continue }
                let drop = Double(before - accepted) / Double(before)
                if accepted == 0 || (drop > rules.maxDrop && before - accepted > rules.minDropRows) {
                    findings.append(
                        "Quelle „\(source.id)“: \(Summary.number(accepted)) angenommene Zeilen, \(label) \(Summary.number(before)) (\(percent(-drop)); erlaubt sind höchstens \(percent(-rules.maxDrop))). Fehlt eine Datei oder ist eine unvollständig?"
                    )
                }
            }
        }
        return findings
    }

    /// `−30 %`, German style.
    static func percent(_ share: Double) -> String {
        let text = String(format: "%.1f", abs(share) * 100).replacingOccurrences(of: ".", with: ",").replacingOccurrences(of: ",0", with: "")
        return (share < 0 ? "−" : "+") + text + " %"
    }
}
