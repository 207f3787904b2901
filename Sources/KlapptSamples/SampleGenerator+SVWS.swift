import Foundation
import KlapptKit

/// How the generator writes the colleges' exports.
public enum SampleCollegeLayout: String, Sendable, CaseIterable {
    /// The reference XML of SPEC 2.3, one file per school.
    case xml
    /// The pupil export a Berufskolleg secretary makes in the SVWS-Server (issue 21): CSV with the
    /// export's own column names, status as text, ISO3 nationality, `TT.MM.JJJJ` dates, the course
    /// only as the class name, the place of residence without a postcode, and no residence status.
    case svws
}

extension SampleGenerator {
    /// The columns of the SVWS pupil export (SVWS-NRW/SVWS-Import, `src/views/ExportView.vue`: the
    /// field labels are the header) that klappt needs, as a secretary ticks them.
    static let svwsColumns = [
        "Schüler-ID", "Nachname", "Vorname", "Geschlecht", "Geburtsdatum", "Klasse", "Status", "Aufnahmedatum", "Entlassdatum (diese Schule)",
        "Wohnort", "Staatsangehörigkeit",
    ]

    /// The class of each course in the samples (the list `pipelines/beispiele/codelists/svws_klassen.csv` maps back).
    static let svwsClasses: [String: String] = [
        "A01": "FK-KFZ1", "A02": "FK-ELT2", "A03": "FK-BUE1", "A04": "FK-GAS1", "A16": "FK-EH2", "A14": "BFS-PFL1", "A15": "BFS-KIN1",
        "B08": "BFS-SOZ2", "B09": "BFS-ERZ1", "A12": "AV1", "A13": "AV2", "A17": "IFK1", "A18": "FFM1", "A19": "FZ1", "B06": "BFS1",
        "B07": "BFS2", "C06": "FOS12", "C03": "HBFS1",
    ]

    /// DESTATIS key -> ISO 3166-1 alpha-3 as SVWS exports it (999 "ohne Angabe" is XXC there).
    static let svwsNationality: [String: String] = [
        "475": "SYR", "423": "AFG", "166": "UKR", "438": "IRQ", "163": "TUR", "224": "ERI", "439": "IRN", "273": "SOM", "232": "NGA",
        "461": "PAK", "261": "GIN", "221": "DZA", "000": "DEU", "160": "RUS", "997": "XXA", "999": "XXC", "": "",
    ]

    /// The status texts of the export (SchuelerStatus.json), in the spellings it writes.
    static let svwsStatus: [String: [String]] = [
        "0": ["Aufnahme"], "1": ["Warteliste"], "2": ["aktiv", "Aktiv"], "3": ["beurlaubt"], "6": ["Extern"], "8": ["Abschluss"],
        "9": ["Abgang (ohne Abschluss)"], "10": ["Ehemalige"],
    ]

    /// Every field quoted, as the SVWS export writes it.
    static func svwsCell(_ value: String) -> String { "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// One CSV per school in the SVWS layout, UTF-8 without byte-order mark, CRLF; duplicates and
    /// dirty rows as in the other sources.
    func writeSVWSColleges(_ people: [TruePerson], directory: String, random: inout SeededRandom) throws -> [Expectation.File] {
        let reference = period.referenceDate
        var files: [Expectation.File] = []
        for (school, info) in SampleVocabulary.schools.enumerated() {
            var lines: [Line] = []
            for person in people {
                for record in person.college where record.school == school { lines.append(.valid(svwsRow(person, record, &random))) }
            }
            let reasons = ["geburtsdatum_ungueltig", "name_fehlt", "status_unbekannt", "gliederung_unbekannt", "datum_ungueltig", "feld_fehlt"]
            for index in 0..<(lines.count / 40) {
                let reason = reasons[(index + school) % reasons.count]
                lines.append(.junk(svwsJunk(index, school: school, reason: reason, &random), reason: reason))
            }
            lines.shuffle(using: &random)
            let name = "berufskolleg/schueler_export_\(info.number)_\(reference.iso).csv"
            files.append(
                try writeCSV(
                    lines, header: Self.svwsColumns.map(Self.svwsCell), to: "\(directory)/\(name)", name: name, utf8: true, byteOrderMark: false,
                    &random))
        }
        return files
    }

    func svwsRow(_ person: TruePerson, _ record: CollegeRecord, _ random: inout SeededRandom) -> String {
        var (given, family) = spelledNames(person, source: .berufskolleg, &random)
        if random.chance(0.15), !family.contains(" "), !family.contains("-") { swap(&given, &family) }
        let sex = ["m": "männlich", "w": "weiblich", "d": "divers", "x": "ohne Angabe"][person.sex]!
        let cells = [
            record.id, family, given, sex, german(collegeBirth(person, &random)), Self.svwsClasses[record.course]!,
            random.pick(Self.svwsStatus[record.status] ?? [record.status]), record.entry.map(german) ?? "", record.exit.map(german) ?? "",
            person.place, Self.svwsNationality[person.nationality.key]!,
        ]
        return cells.map(Self.svwsCell).joined(separator: ";")
    }

    func svwsJunk(_ index: Int, school: Int, reason: String, _ random: inout SeededRandom) -> String {
        var cells = [
            "9\(school)\(10_000 + index)", "Fehler", "Datensatz", "weiblich", german(shift(period.referenceDate, years: -20, days: -index)), "AV1", "aktiv",
            "20.08.2025", "", "Kamen", "AFG",
        ]
        switch reason {
        case "geburtsdatum_ungueltig": cells[4] = random.pick(["2004-03-17", "30.02.2004", ""])
        case "name_fehlt": cells[2] = "محمد"
        case "status_unbekannt": cells[6] = random.pick(["unbekannt", "A", "7"])
        case "gliederung_unbekannt": cells[5] = random.pick(["ZZ9", ""])
        case "datum_ungueltig": cells[7] = random.pick(["20.13.2025", "2025-08-20", "29.02.2025"])
        default: cells[0] = ""  // feld_fehlt: no Schüler-ID
        }
        return cells.map(Self.svwsCell).joined(separator: ";")
    }
}
