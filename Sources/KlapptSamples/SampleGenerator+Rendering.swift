import Foundation
import KlapptFormats
import KlapptKit

extension SampleGenerator {
    /// A rendered row and how a correct reader must count it.
    enum Line {
        case valid(String)
        case junk(String, reason: String)
    }

    // MARK: - Job centre (SPEC 2.2)

    static let jobcenterColumns = [
        "Kundennummer", "Nachname", "Vorname", "Geburtsdatum", "Geschlecht", "Staatsangehoerigkeit",
        "Aufenthaltsstatus", "PLZ", "Wohnort", "Status", "Status_seit", "Massnahme", "Bemerkung", "Stand",
    ]

    func writeJobcenter(_ people: [TruePerson], directory: String, random: inout SeededRandom) throws -> [Expectation.File] {
        let reference = period.referenceDate
        let laterStand = shift(reference, years: 0, days: 5)
        // Rows of one customer number stay in order (a correction follows the row it corrects);
        // the groups are shuffled.
        var main: [[Line]] = []
        var later: [Line] = []
        for person in people {
            for state in person.jobcenter {
                let row = { (r: inout SeededRandom, s: JobcenterState, stand: CivilDate) in self.jobcenterRow(person, s, stand: stand, &r) }
                switch random.weighted([("plain", 94), ("laterDelivery", 4), ("correctedInFile", 2)]) {
                case "laterDelivery":
                    // An outdated row in the main export, the true one in a later delivery (newer Stand wins).
                    main.append([.valid(row(&random, outdated(state, &random), reference))])
                    later.append(.valid(row(&random, state, laterStand)))
                case "correctedInFile":
                    // The same customer number twice in one file: the later row wins.
                    main.append([.valid(row(&random, outdated(state, &random), reference)), .valid(row(&random, state, reference))])
                default:
                    main.append([.valid(row(&random, state, reference))])
                }
            }
        }
        let reasons = ["geburtsdatum_ungueltig", "name_fehlt", "status_unbekannt", "datum_ungueltig"]
        for index in 0..<(main.count / 50) {
            main.append([.junk(jobcenterJunk(index, reason: reasons[index % reasons.count], &random), reason: reasons[index % reasons.count])])
        }
        main.shuffle(using: &random)
        let mainLines = main.flatMap { $0 }
        let mainName = "jobcenter/jobcenter_kreis_unna_\(reference.iso).csv"
        let laterName = "jobcenter/jobcenter_kreis_unna_\(laterStand.iso)_nachlieferung.csv"
        var files = [try writeCSV(mainLines, header: Self.jobcenterColumns, to: "\(directory)/\(mainName)", name: mainName, utf8: false, &random)]
        if !later.isEmpty {
            // The later delivery comes as UTF-8 with BOM and another column order: fields are found by name.
            let order = [13, 0, 2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
            let reordered = later.map { line -> Line in
                guard case .valid(let text) = line else { return line }
                let cells = SampleGenerator.splitRenderedRow(text)
                return .valid(order.map { SampleGenerator.csvCell(cells[$0]) }.joined(separator: ";"))
            }
            files.append(
                try writeCSV(reordered, header: order.map { Self.jobcenterColumns[$0] }, to: "\(directory)/\(laterName)", name: laterName, utf8: true, &random))
        }
        return files
    }

    func outdated(_ state: JobcenterState, _ random: inout SeededRandom) -> JobcenterState {
        var old = state
        old.status = random.pick(["ALO", "ASU", "SON", "MAS", "AUS"].filter { $0 != state.status })
        old.since = shift(period.firstDay, years: -1, days: -Int.random(in: 0...200, using: &random))
        old.measure = old.status == "MAS" ? "Integrationskurs" : ""
        return old
    }

    func jobcenterRow(_ person: TruePerson, _ state: JobcenterState, stand: CivilDate, _ random: inout SeededRandom) -> String {
        var (given, family): (String, String)
        if person.spellings == nil {
            given = random.pick(SampleVocabulary.givenNames[person.given])
            family = random.pick(SampleVocabulary.allFamilyNames[person.family].filter { Windows1252.encode($0) != nil })
        } else {
            (given, family) = spelledNames(person, source: .jobcenter, &random)
        }
        if Windows1252.encode(family) == nil || Windows1252.encode(given) == nil {
            given = NameFolding.words(given).joined(separator: " ").capitalized
            family = NameFolding.words(family).joined(separator: "-").capitalized
        }
        var sex: String
        switch person.sex {
        case "m": sex = random.pick(["M", "M", "m", "männlich"])
        case "w": sex = random.pick(["W", "W", "w", "weiblich"])
        case "d": sex = random.pick(["D", "divers"])
        default: sex = ""
        }
        if person.jobcenterSexBlank { sex = "" }
        let status = random.chance(0.1) ? state.status.lowercased() : state.status
        let cells = [
            state.customer, family, given, birthText(person, source: .jobcenter, &random), sex,
            person.jobcenterNationalityUnknown ? "999" : person.nationality.key,
            person.jobcenterResidence.text,
            person.postcode, person.place, status, german(state.since), state.measure, random.pick(SampleVocabulary.remarks), german(stand),
        ]
        return cells.map(SampleGenerator.csvCell).joined(separator: ";")
    }

    func jobcenterJunk(_ index: Int, reason: String, _ random: inout SeededRandom) -> String {
        let reference = period.referenceDate
        var cells = [
            "999D\(100_000 + index)", "Fehler", "Zeile", german(shift(reference, years: -22, days: -index)), "W", "475", "Duldung",
            "59423", "Unna", "ALO", german(shift(period.firstDay, years: 0, days: -30)), "", "", german(reference),
        ]
        switch reason {
        case "geburtsdatum_ungueltig": cells[3] = random.pick(["31.02.2001", "2001-03-17", "", "1.3.2001"])
        case "name_fehlt": if index % 2 == 0 { cells[2] = "" } else { cells[1] = "   " }
        case "status_unbekannt": cells[9] = random.pick(["XYZ", "ALG", "?"])
        default: cells[10] = random.pick(["2026-07-01", "32.07.2026", "00.00.0000"])
        }
        return cells.map(SampleGenerator.csvCell).joined(separator: ";")
    }

    func german(_ date: CivilDate) -> String {
        let iso = date.iso
        return "\(iso.dropFirst(8))." + "\(iso.dropFirst(5).prefix(2))." + "\(iso.prefix(4))"
    }

    static func csvCell(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x3B || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" { quoted += "\"\"" } else { quoted.append(character) }
        }
        return quoted + "\""
    }

    /// Splits a row this generator rendered (quotes only as `csvCell` writes them).
    static func splitRenderedRow(_ row: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var quoted = false
        var iterator = Array(row.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            current.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" && current.isEmpty {
                quoted = true
            } else if scalar == ";" {
                cells.append(current)
                current = ""
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        cells.append(current)
        return cells
    }

    /// Writes rows with exact duplicates of some valid rows placed later in the file.
    func writeCSV(
        _ lines: [Line], header: [String], to path: String, name: String, utf8: Bool, byteOrderMark: Bool = true, lineEnd: String = "\r\n",
        _ random: inout SeededRandom
    ) throws -> Expectation.File {
        var rows: [String] = []
        var duplicates = 0
        var reasons: [String: Int] = [:]
        // Copies wait for their (random, later) position: position -> rows to insert after it.
        var pendingCopies: [Int: [String]] = [:]
        for (index, line) in lines.enumerated() {
            switch line {
            case .valid(let text):
                rows.append(text)
                if random.chance(0.02) {
                    pendingCopies[Int.random(in: index...lines.count, using: &random), default: []].append(text)
                    duplicates += 1
                }
            case .junk(let text, let reason):
                rows.append(text)
                reasons[reason, default: 0] += 1
            }
            if let copies = pendingCopies.removeValue(forKey: index) { rows += copies }
        }
        rows += pendingCopies[lines.count] ?? []
        var text = header.joined(separator: ";") + lineEnd
        for row in rows { text += row + lineEnd }
        let bytes: [UInt8] = utf8 ? (byteOrderMark ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8) : Windows1252.encode(text)!
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let rejected = reasons.values.reduce(0, +)
        return Expectation.File(
            file: name, rowsRead: rows.count, accepted: rows.count - rejected - duplicates,
            rejected: rejected, duplicates: duplicates, reasons: reasons)
    }

    // MARK: - Immigration office (SPEC 2.5)

    static let registerColumns = [
        "AZR_Nummer", "Familienname", "Vornamen", "Geburtsdatum", "Geschlecht", "Staatsangehoerigkeit", "Aufenthaltsstatus", "PLZ", "Wohnort",
        "Zuzug", "Stand",
    ]

    /// The register: UTF-8 without BOM and with LF line ends (SPEC 2.5 allows both), the names in
    /// other spellings than the programmes' (and often with a second given name), its own residence
    /// texts, an older row superseded by a newer `Stand`, dirty rows, and a `Zuzug` column that the
    /// pipeline does not read (so even nonsense in it is no fault).
    func writeRegister(_ people: [TruePerson], directory: String, random: inout SeededRandom) throws -> [Expectation.File] {
        let reference = period.referenceDate
        var groups: [[Line]] = []
        for person in people {
            guard let azr = person.azr else { continue }
            let current = registerRow(person, azr: azr, text: person.registerResidence.text, stand: reference, &random)
            if let old = person.registerOutdatedText {
                // Stand decides, not the order of the rows.
                let outdated = registerRow(person, azr: azr, text: old, stand: shift(reference, years: 0, days: -40), &random)
                groups.append(random.chance(0.5) ? [.valid(outdated), .valid(current)] : [.valid(current), .valid(outdated)])
            } else {
                groups.append([.valid(current)])
            }
        }
        let reasons = ["geburtsdatum_ungueltig", "name_fehlt", "feld_fehlt", "datum_ungueltig"]
        for index in 0..<(groups.count / 60) {
            let reason = reasons[index % reasons.count]
            groups.append([.junk(registerJunk(index, reason: reason, &random), reason: reason)])
        }
        groups.shuffle(using: &random)
        let name = "auslaenderbehoerde/register_kreis_unna_\(reference.iso).csv"
        return [
            try writeCSV(
                groups.flatMap { $0 }, header: Self.registerColumns, to: "\(directory)/\(name)", name: name, utf8: true, byteOrderMark: false, lineEnd: "\n",
                &random)
        ]
    }

    func registerRow(_ person: TruePerson, azr: String, text: String, stand: CivilDate, _ random: inout SeededRandom) -> String {
        var given: String
        let family: String
        if person.spellings == nil {
            // (The order of the draws is the committed samples'.)
            given = random.pick(SampleVocabulary.givenNames[person.given])
            if random.chance(0.3) { given += " " + random.pick(["Ali", "Amal", "Karim", "Noor", "Sami"]) }
            family = random.pick(SampleVocabulary.allFamilyNames[person.family])
        } else {
            (given, family) = spelledNames(person, source: .auslaenderbehoerde, &random)
        }
        let sex: String
        switch person.sex {
        case "m": sex = random.pick(["männlich", "M", "MÄNNLICH"])
        case "w": sex = random.pick(["weiblich", "W", "Weiblich"])
        case "d": sex = random.pick(["divers", "D"])
        default: sex = random.pick(["ohne Angabe", "X"])
        }
        let address = person.registerAddress ?? Address(postcode: person.postcode, place: person.place, ags: person.ags, outside: person.outside)
        let moved =
            random.chance(0.5) ? german(shift(period.firstDay, years: -Int.random(in: 0...4, using: &random), days: 11)) : random.pick(["", "unbekannt"])
        let cells = [
            azr, family, given, birthText(person, source: .auslaenderbehoerde, &random), sex, person.nationality.key, text, address.postcode, address.place,
            moved, german(stand),
        ]
        return cells.map(SampleGenerator.csvCell).joined(separator: ";")
    }

    func registerJunk(_ index: Int, reason: String, _ random: inout SeededRandom) -> String {
        let reference = period.referenceDate
        var cells = [
            String(format: "%012d", 990_000_000_000 + index), "Fehler", "Eintrag", german(shift(reference, years: -21, days: -index)), "weiblich", "475",
            "Duldung (§ 60a AufenthG)", "59423", "Unna", "", german(reference),
        ]
        switch reason {
        case "geburtsdatum_ungueltig": cells[3] = random.pick(["30.02.2004", "2004-03-17", ""])
        case "name_fehlt": cells[1] = random.pick(["", "  ", "محمد"])
        case "feld_fehlt": cells[0] = random.pick(["", "   "])
        default: cells[10] = random.pick(["31.09.2026", "2026-09-30"])
        }
        return cells.map(SampleGenerator.csvCell).joined(separator: ";")
    }

    // MARK: - Vocational colleges (SPEC 2.3)

    func writeColleges(_ people: [TruePerson], directory: String, random: inout SeededRandom) throws -> [Expectation.File] {
        let reference = period.referenceDate
        var files: [Expectation.File] = []
        for (school, info) in SampleVocabulary.schools.enumerated() {
            var lines: [Line] = []
            for person in people {
                for record in person.college where record.school == school {
                    lines.append(.valid(collegeRecord(person, record, school: school, prefix: school == 1 ? "bk:" : "", &random)))
                }
            }
            let reasons = ["geburtsdatum_ungueltig", "name_fehlt", "status_unbekannt", "gliederung_unbekannt", "datum_ungueltig", "feld_fehlt"]
            for index in 0..<(lines.count / 40) {
                let reason = reasons[(index + school) % reasons.count]
                lines.append(.junk(collegeJunk(index, school: school, reason: reason, prefix: school == 1 ? "bk:" : "", &random), reason: reason))
            }
            lines.shuffle(using: &random)
            var records: [String] = []
            var duplicates = 0
            var reasonCounts: [String: Int] = [:]
            for line in lines {
                switch line {
                case .valid(let text):
                    records.append(text)
                    if random.chance(0.02) {
                        records.append(text)
                        duplicates += 1
                    }
                case .junk(let text, let reason):
                    records.append(text)
                    reasonCounts[reason, default: 0] += 1
                }
            }
            let prefix = school == 1 ? "bk:" : ""
            let namespace = school == 1 ? "xmlns:bk=\"urn:klappt:berufskolleg:1\"" : "xmlns=\"urn:klappt:berufskolleg:1\""
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?svws export=\"1.4\"?>\n<!-- Export aus SchILD-NRW, synthetische Testdaten -->\n"
            xml += "<\(prefix)Schuelerdaten \(namespace) Schulnummer=\"\(info.number)\" Schule=\"\(info.name)\" Stand=\"\(reference.iso)\">\n"
            for record in records { xml += record }
            xml += "</\(prefix)Schuelerdaten>\n"
            let name = "berufskolleg/bk_\(info.number)_\(reference.iso).xml"
            try Data(xml.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
            let rejected = reasonCounts.values.reduce(0, +)
            files.append(
                Expectation.File(
                    file: name, rowsRead: records.count, accepted: records.count - rejected - duplicates,
                    rejected: rejected, duplicates: duplicates, reasons: reasonCounts))
        }
        return files
    }

    /// Text of a name element: plain, as CDATA, or with character references.
    func xmlText(_ value: String, _ random: inout SeededRandom) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            default: escaped.append(character)
            }
        }
        switch random.weighted([("plain", 80), ("cdata", 10), ("references", 10)]) {
        case "cdata": return "<![CDATA[\(value)]]>"
        case "references":
            return escaped.unicodeScalars.map { $0.value > 0x7F ? "&#x\(String($0.value, radix: 16, uppercase: true));" : String($0) }.joined()
        default: return escaped
        }
    }

    func collegeRecord(_ person: TruePerson, _ record: CollegeRecord, school: Int, prefix p: String, _ random: inout SeededRandom) -> String {
        var (given, family) = spelledNames(person, source: .berufskolleg, &random)
        // Swapped name fields (SPEC 4.1 sorts the codes, so they still link); only for one-word names,
        // where the given-name token (first word) is the whole name.
        if random.chance(0.15), !family.contains(" "), !family.contains("-") { swap(&given, &family) }
        let sex = ["m": "3", "w": "4", "d": "5", "x": "6"][person.sex]!
        let close = school == 2
        var lines = ["  <\(p)Schueler Id=\"\(record.id)\">"]
        lines.append("    <\(p)Name>\(xmlText(family, &random))</\(p)Name>")
        lines.append("    <\(p)Vorname>\(xmlText(given, &random))</\(p)Vorname>")
        if random.chance(0.05) { lines.append("    <!-- geprüft -->") }
        lines.append("    <\(p)Geburtsdatum>\(collegeBirth(person, &random).iso)</\(p)Geburtsdatum>")
        lines.append("    <\(p)Geschlecht>\(sex)</\(p)Geschlecht>")
        lines.append("    <\(p)StaatKrz>\(person.nationality.key)</\(p)StaatKrz>")
        lines.append("    <\(p)PLZ>\(person.postcode)</\(p)PLZ>")
        lines.append("    <\(p)Status>\(record.status)</\(p)Status>")
        lines.append("    <\(p)Gliederung>\(record.course)</\(p)Gliederung>")
        lines.append(element("Aufnahmedatum", record.entry?.iso ?? "", selfClosing: close, prefix: p))
        lines.append(element("Entlassdatum", record.exit?.iso ?? "", selfClosing: close, prefix: p))
        let qualification = record.qualification ? (SampleVocabulary.trainingCourses.contains(record.course) ? "BAB" : "BK") : ""
        lines.append(element("Abschluss", qualification, selfClosing: close, prefix: p))
        if let residence = person.collegeResidence, !residence.text.isEmpty {
            lines.append("    <\(p)Aufenthaltsstatus>\(xmlText(residence.text, &random))</\(p)Aufenthaltsstatus>")
        }
        lines.append("  </\(p)Schueler>")
        return lines.joined(separator: "\n") + "\n"
    }

    func element(_ name: String, _ value: String, selfClosing: Bool, prefix p: String) -> String {
        value.isEmpty && selfClosing ? "    <\(p)\(name)/>" : "    <\(p)\(name)>\(value)</\(p)\(name)>"
    }

    func collegeJunk(_ index: Int, school: Int, reason: String, prefix p: String, _ random: inout SeededRandom) -> String {
        var fields: [(String, String)] = [
            ("Name", "Fehler"), ("Vorname", "Datensatz"), ("Geburtsdatum", shift(period.referenceDate, years: -20, days: -index).iso),
            ("Geschlecht", "4"), ("StaatKrz", "423"), ("PLZ", "59174"), ("Status", "2"), ("Gliederung", "A12"),
            ("Aufnahmedatum", "2025-08-20"), ("Entlassdatum", ""), ("Abschluss", ""),
        ]
        switch reason {
        case "geburtsdatum_ungueltig": fields[2].1 = random.pick(["17.03.2004", "2004-02-30", ""])
        case "name_fehlt": fields[1].1 = "محمد"
        case "status_unbekannt": fields[6].1 = random.pick(["7", "A", "99"])
        case "gliederung_unbekannt": fields[7].1 = random.pick(["Z99", "", "X01"])
        case "datum_ungueltig": fields[8].1 = random.pick(["2025-13-01", "20.08.2025", "2025-02-29"])
        default: fields.remove(at: 2)  // feld_fehlt: no Geburtsdatum element
        }
        var lines = ["  <\(p)Schueler Id=\"X\(school)\(1000 + index)\">"]
        for (name, value) in fields { lines.append("    <\(p)\(name)>\(value)</\(p)\(name)>") }
        lines.append("  </\(p)Schueler>")
        return lines.joined(separator: "\n") + "\n"
    }
}
