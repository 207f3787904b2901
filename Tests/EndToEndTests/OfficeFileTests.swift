import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// Issue 31: partner files as office software leaves them (a spreadsheet's numbers, title lines,
/// footers, hidden sheets, UTF-16, copies, a renamed record element), each through the real binary,
/// and the rule above all of them: no input value outside the quarantine, on any path.
@Suite(.serialized) struct OfficeFileTests {
    /// Every value of the hostile inputs carries this (names are folded to lower case on the way:
    /// the search ignores case).
    static let marker = "QXMARKERQX"
    /// Birth dates of the marker rows, in both spellings: personal too.
    static let markerDates = ["17.05.2001", "2001-05-17", "23.11.1999", "1999-11-23"]

    let quarter: GeneratedQuarter
    var directory: String { quarter.directory }
    var key: String { quarter.key }

    init() throws { quarter = try GeneratedQuarter("klappt-office", persons: 120, seed: 17) }

    var register: String { quarter.register }
    var jobcenter: String { quarter.jobcenter }
    var college: String { quarter.college }

    static let jobcenterHeader =
        "Kundennummer;Nachname;Vorname;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Status;Status_seit;Massnahme;Bemerkung;Stand"

    /// A job-centre row whose every value but the codes carries the marker.
    static func markerRow(_ number: Int, id: String? = nil, birth: String = "17.05.2001") -> String {
        let m = marker
        return [
            id ?? "\(m)\(number)", "\(m)Nachname", "\(m)Vorname", birth, "W", "475", "Duldung \(m)", "59423", "\(m)ort", "ALO", "01.07.2026",
            "\(m)massnahme", "\(m) ruft an", "30.09.2026",
        ].joined(separator: ";")
    }

    /// Writes `lines` as a job-centre CSV (UTF-8 with BOM, CRLF) into a folder of its own; returns the glob.
    func writeList(_ name: String, _ lines: [String], bom: Bool = true) throws -> String {
        let folder = "\(directory)/\(name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = (bom ? "\u{FEFF}" : "") + lines.joined(separator: "\r\n") + "\r\n"
        try text.write(toFile: "\(folder)/liste.csv", atomically: true, encoding: .utf8)
        return "\(folder)/*.csv"
    }

    /// A copy of `pipelines/` whose pipeline file tells an `on_failure` hook to write its whole
    /// environment to `hookFile`, with `edit` applied.
    func pipelineCopy(hookFile: String, _ edit: (String) -> String = { $0 }) throws -> String {
        let copy = "\(makeTemporaryDirectory("klappt-office-pipeline"))/pipelines"
        try FileManager.default.copyItem(atPath: "\(repositoryRoot)/pipelines", toPath: copy)
        let file = "\(copy)/quartal.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8) + "\non_failure: 'env > \(hookFile)'\n"
        try edit(text).write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func run(
        _ pipeline: String, output: String, jobcenter: String? = nil, college: String? = nil, register: String? = nil, extra: [String] = []
    ) throws -> CommandResult {
        try runKlappt(
            [
                "run", pipeline, "--period", "2026-Q3", "--source", "jobcenter=\(jobcenter ?? self.jobcenter)", "--source",
                "berufskolleg=\(college ?? self.college)", "--source", "auslaenderbehoerde=\(register ?? self.register)", "--output-dir", output,
                "--key-file", key, "--log-format", "json",
            ] + extra)
    }

    /// Where the marker or a marker date appears outside the quarantine: standard output and error
    /// (the JSON log), the hook's environment, and every file of the output folder but the
    /// quarantine (the store with its WAL, `lauf_*.json`, `pruefung_*.json`, the reports).
    func leaks(_ result: CommandResult, output: String, hookFile: String?) -> [String] {
        var places: [(String, Data)] = [("stdout", Data(result.stdout.utf8)), ("stderr", Data(result.stderr.utf8))]
        if let hookFile, let data = FileManager.default.contents(atPath: hookFile) { places.append(("on_failure", data)) }
        for file in filesBelow(output) where !file.contains("/quarantaene/") {
            places.append((file, FileManager.default.contents(atPath: file) ?? Data()))
        }
        let needles = [Self.marker.lowercased()] + Self.markerDates
        return places.compactMap { name, data in
            let text = String(decoding: data, as: UTF8.self).lowercased()
            let latin = String(data: data, encoding: .isoLatin1)?.lowercased() ?? ""
            return needles.contains { text.contains($0) || latin.contains($0) } ? name : nil
        }
    }

    /// The quarantine holds the values (nothing is lost).
    func quarantineHoldsMarker(_ output: String) -> Bool {
        filesBelow("\(output)/quarantaene").contains { file in
            String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self).contains(Self.marker)
        }
    }

    // MARK: - No input value outside the quarantine

    @Test func noErrorPathQuotesAnInputValue() throws {
        let hook = "\(directory)/hook-env.txt"
        let pipeline = try pipelineCopy(hookFile: hook)
        let rows = (1...30).map { Self.markerRow($0) }
        // Each path: a name, the job-centre and college globs, the exit code it must end with.
        var paths: [(name: String, jobcenter: String?, college: String?, register: String?, exit: Int32)] = []
        // The defect of issue 31: a list without its header row.
        paths.append(("ohne Kopfzeile", try writeList("p1", rows), nil, nil, 65))
        // A title line with the marker and no header at all.
        paths.append(("Titel ohne Kopfzeile", try writeList("p2", ["Liste \(Self.marker)"] + rows), nil, nil, 65))
        // The header, then rows with ids a spreadsheet turned into numbers.
        paths.append(
            (
                "Tabellenzahlen", try writeList("p3", [Self.jobcenterHeader] + (1...5).map { Self.markerRow($0, id: "1,2\($0)E+10\($0)") } + rows),
                nil, nil, 65
            ))
        // Too many rejected rows: names missing.
        paths.append(
            (
                "zu viele abgewiesen",
                try writeList("p4", [Self.jobcenterHeader] + rows.map { $0.replacingOccurrences(of: "\(Self.marker)Nachname", with: "") }), nil, nil, 65
            ))
        // Bytes that are no UTF-8 in a UTF-8 register.
        let registerFolder = "\(directory)/p5"
        try FileManager.default.createDirectory(atPath: registerFolder, withIntermediateDirectories: true)
        var register = Data(
            "AZR_Nummer;Familienname;Vornamen;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Zuzug;Stand\n".utf8)
        register += Data("123456789012;\(Self.marker)a;\(Self.marker)b;17.05.2001;W;475;Duldung;59423;Unna;;30.09.2026\n".utf8)
        register += Data("123456789013;\(Self.marker)".utf8) + Data([0xFF, 0xFE]) + Data(";x;17.05.2001;W;475;Duldung;59423;Unna;;30.09.2026\n".utf8)
        try register.write(to: URL(fileURLWithPath: "\(registerFolder)/r.csv"))
        paths.append(("ungültige Bytes", nil, nil, "\(registerFolder)/*.csv", 65))
        // College exports: an unclosed record, a renamed record element, an undeclared entity.
        let xmlHead = #"<?xml version="1.0" encoding="UTF-8"?><Schuelerdaten xmlns="urn:klappt:berufskolleg:1" Schulnummer="170011" Stand="2026-09-30">"#
        let record = { (element: String) in
            "<\(element) Id=\"\(Self.marker)1\"><Name>\(Self.marker)N</Name><Vorname>\(Self.marker)V</Vorname><Geburtsdatum>1999-11-23</Geburtsdatum><Geschlecht>4</Geschlecht><StaatKrz>475</StaatKrz><PLZ>59423</PLZ><Status>2</Status><Gliederung>A12</Gliederung><Aufnahmedatum>2025-08-20</Aufnahmedatum><Entlassdatum></Entlassdatum><Abschluss></Abschluss></\(element)>\n"
        }
        for (name, body) in [
            ("offen", record("Schueler") + record("Schueler").replacingOccurrences(of: "</Schueler>", with: "")),
            ("umbenannt", record("Schüler") + record("Schüler")),
            ("Entität", record("Schueler").replacingOccurrences(of: "\(Self.marker)N<", with: "&\(Self.marker);<")),
        ] {
            let folder = "\(directory)/x-\(paths.count)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try (xmlHead + "\n" + body + "</Schuelerdaten>\n").write(toFile: "\(folder)/bk.xml", atomically: true, encoding: .utf8)
            paths.append(("XML \(name)", nil, "\(folder)/*.xml", nil, 65))
        }

        for (number, path) in paths.enumerated() {
            try? FileManager.default.removeItem(atPath: hook)
            let output = "\(directory)/out-\(number)"
            // A finished quarter first, so that the store exists and the failure lands in its ledger.
            #expect(try run(pipeline, output: output).status == 0)
            for verbose in [false, true] {
                let result = try run(
                    pipeline, output: output, jobcenter: path.jobcenter, college: path.college, register: path.register,
                    extra: verbose ? ["--verbose", "--force"] : ["--force"])
                #expect(result.status == path.exit, "\(path.name): \(result.stderr)")
                #expect(FileManager.default.fileExists(atPath: hook), "\(path.name): the hook ran")
                let leaked = leaks(result, output: output, hookFile: hook)
                #expect(leaked.isEmpty, "\(path.name)\(verbose ? " (--verbose)" : ""): input values in \(leaked): \(result.stderr)")
            }
            let store = try Store(path: "\(output)/klappt.sqlite")
            #expect(try store.query("SELECT COUNT(*) FROM failed_runs")[0][0] == "2", "\(path.name)")
        }
    }

    /// Each kind of file a spreadsheet or a file manager leaves, refused (65) with what happened
    /// and what to do, naming the file.
    @Test func officeFilesAreRefusedSayingWhatToDo() throws {
        let pipeline = "\(repositoryRoot)/pipelines/quartal.yaml"
        let original = try #require(filesBelow("\(directory)/in/jobcenter").first { !$0.contains("nachlieferung") })
        let text = try #require(String(data: try Data(contentsOf: URL(fileURLWithPath: original)), encoding: .windowsCP1252))
        // "Unicode-Text" from Excel: UTF-16 with its mark, tabs or semicolons; and without a mark.
        for (name, data) in [
            ("utf16le", Data([0xFF, 0xFE]) + text.data(using: .utf16LittleEndian)!),
            ("utf16be", Data([0xFE, 0xFF]) + text.data(using: .utf16BigEndian)!),
            ("utf16tab", Data([0xFF, 0xFE]) + text.replacingOccurrences(of: ";", with: "\t").data(using: .utf16LittleEndian)!),
            ("utf16ohne", text.data(using: .utf16LittleEndian)!),
        ] {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(name)", withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: "\(directory)/\(name)/liste.csv"))
            let result = try run(pipeline, output: "\(directory)/o-\(name)", jobcenter: "\(directory)/\(name)/*.csv")
            #expect(result.status == 65, "\(name)")
            #expect(result.stderr.contains("liste.csv, Zeile 1: Die Datei ist als UTF-16"), "\(name): \(result.stderr)")
            #expect(result.stderr.contains("CSV UTF-8"), "\(name)")
            #expect(!result.stderr.contains("\u{0}"))
        }
        // A byte-identical copy beside the list: refused, naming both.
        try FileManager.default.createDirectory(atPath: "\(directory)/kopie", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: original, toPath: "\(directory)/kopie/liste.csv")
        try FileManager.default.copyItem(atPath: original, toPath: "\(directory)/kopie/liste - Kopie.csv")
        let copy = try run(pipeline, output: "\(directory)/o-kopie", jobcenter: "\(directory)/kopie/*.csv")
        #expect(copy.status == 65)
        #expect(copy.stderr.contains("liste.csv: Die Datei ist Byte für Byte dieselbe wie „\(directory)/kopie/liste - Kopie.csv“"), "\(copy.stderr)")
        // A renamed record element: the elements that repeat, and xml.record named.
        let college = try #require(filesBelow("\(directory)/in/berufskolleg").first)
        let renamed = try String(contentsOfFile: college, encoding: .utf8).replacingOccurrences(of: "<Schueler ", with: "<Schüler ")
            .replacingOccurrences(of: "</Schueler>", with: "</Schüler>")
        try FileManager.default.createDirectory(atPath: "\(directory)/umbenannt", withIntermediateDirectories: true)
        try renamed.write(toFile: "\(directory)/umbenannt/bk.xml", atomically: true, encoding: .utf8)
        let element = try run(pipeline, output: "\(directory)/o-element", college: "\(directory)/umbenannt/*.xml")
        #expect(element.status == 65)
        #expect(element.stderr.contains("kein einziges Element <Schueler>, das xml.record der Quelle „berufskolleg“"), "\(element.stderr)")
        #expect(element.stderr.contains("Mehrfach kommen vor: <Schüler> ("), "\(element.stderr)")
        // A header that stands below 20 title lines is found when the pipeline pins it.
        let lines = text.components(separatedBy: "\r\n")
        let titled = (1...22).map { "Titel \($0)" } + lines
        try FileManager.default.createDirectory(atPath: "\(directory)/tief", withIntermediateDirectories: true)
        try Data(titled.joined(separator: "\r\n").utf8).write(to: URL(fileURLWithPath: "\(directory)/tief/liste.csv"))
        let unpinned = try run(pipeline, output: "\(directory)/o-tief", jobcenter: "\(directory)/tief/*.csv")
        #expect(unpinned.status == 65)
        #expect(unpinned.stderr.contains("Keine der ersten 20 Zeilen ist eine Kopfzeile") && unpinned.stderr.contains("csv.header_row"))
        let pinnedPipeline = try pipelineCopy(hookFile: "\(directory)/unused") {
            $0.replacingOccurrences(of: "      encoding: auto ", with: "      header_row: 23\n      encoding: auto ")
        }
        let pinned = try run(pinnedPipeline, output: "\(directory)/o-tief2", jobcenter: "\(directory)/tief/*.csv")
        #expect(pinned.status == 0, "\(pinned.stderr)")
        let pinnedReport =
            try JSONSerialization.jsonObject(with: try #require(FileManager.default.contents(atPath: "\(directory)/o-tief2/lauf_2026-Q3.json")))
            as! [String: Any]
        let pinnedList = try #require((pinnedReport["inputs"] as! [[String: Any]]).first { ($0["file"] as! String).hasSuffix("tief/liste.csv") })
        #expect(pinnedList["header_line"] as? Int == 23)
    }

    /// Issue 31's first defect, as a real office program leaves it: the sample's job-centre list of
    /// 2026-Q3 opened in LibreOffice Calc 7.4 (German CSV import) and saved as .xlsx (committed in
    /// the corpus). Calc turned 13 customer numbers like `121E100113` into 1.7976931348623157E+308
    /// and one nationality key `000` into 0; before, the run took them and made 11 people one.
    @Test func aListSavedByLibreOfficeCalcFailsSayingWhy() throws {
        try FileManager.default.createDirectory(atPath: "\(directory)/calc", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: "\(repositoryRoot)/Tests/KlapptFormatsTests/Corpus/jobcenter_2026-Q3_libreoffice_calc.xlsx", toPath: "\(directory)/calc/liste.xlsx")
        let pipeline = try pipelineCopy(hookFile: "\(directory)/calc-hook") { text in
            let start = text.range(of: "  - id: jobcenter")!
            let end = text.range(of: "  - id: berufskolleg")!
            var block = String(text[start.lowerBound..<end.lowerBound]).replacingOccurrences(of: "    format: csv\n", with: "    format: xlsx\n")
            block = block.replacing(/\ \ \ \ csv:\n(      .*\n)+/, with: "")
            return String(text[..<start.lowerBound]) + block + String(text[end.lowerBound...])
        }
        let result = try run(pipeline, output: "\(directory)/calc-out", jobcenter: "\(directory)/calc/*.xlsx")
        #expect(result.status == 65, "\(result.stderr)")
        #expect(
            result.stderr.contains("„\(directory)/calc/liste.xlsx“: In 14 Zeilen sind Kennungen oder Codes (Spalten „Kundennummer“, „Staatsangehoerigkeit“)"),
            "\(result.stderr)")
        #expect(result.stderr.contains("in einer Tabellenkalkulation geöffnet und gespeichert"))
        #expect(!result.stderr.contains("1.79769") && !result.stderr.contains("E+308"))
    }

    /// Issue 31: withholding a cell costs what a reader loses; the sample quarter's district
    /// totals are all shown but those that are themselves below min_cell.
    @Test func districtTotalsAreWithheldOnlyWhenTheyMustBe() throws {
        let output = "\(directory)/summen"
        let result = try runKlappt(["run", "pipelines/quartal.yaml", "--output-dir", output, "--key-file", key])
        #expect(result.status == 0, "\(result.stderr)")
        let store = try Store(path: "\(output)/klappt.sqlite")
        for period in ["2026-Q2", "2026-Q3"] {
            let totals = try store.query(
                "SELECT indikator, wert, gesperrt FROM indikatoren WHERE zeitraum = '\(period)' AND dimension = 'insgesamt'")
            #expect(totals.count == 12)
            for row in totals {
                let value = Int(row[1]!)!
                #expect((row[2] == "1") == (value > 0 && value < 3), "\(period) \(row)")
            }
        }
        let report = try JSONSerialization.jsonObject(with: try #require(FileManager.default.contents(atPath: "\(output)/lauf_2026-Q3.json"))) as! [String: Any]
        let suppression = try #require(report["suppression"] as? [String: Any])
        #expect(suppression["secondary_totals"] as? Int == 0)
        #expect(suppression["primary_totals"] as? Int == 1)
        #expect(suppression["cost"] as? String == "wert+1, gesamtwerte zuletzt")
        // The audit of the published file names the one withheld total (itself 2).
        let audit = try runKlappt(["audit", "\(output)/indikatoren_2026-Q3.csv"])
        #expect(audit.status == 0)
        #expect(audit.stdout.contains("Gesamtzahlen des Kreises gesperrt: eintritt_ausbildung ("), "\(audit.stdout)")
    }

    @Test func aFinishedRunWithMarkersEverywhereKeepsThemInTheQuarantine() throws {
        // Markers in every free or unknown value (residence text, place, measure, remark, an
        // unknown nationality key), in a footer row and a title line, and rows rejected for
        // their names: the run succeeds, and only the quarantine holds the values.
        let m = Self.marker
        var rows = (1...40).map { Self.markerRow($0, id: "900D1000\(String(format: "%02d", $0))") }
        rows[3] = rows[3].replacingOccurrences(of: "\(m)Nachname", with: "")
        rows[4] = rows[4].replacingOccurrences(of: ";475;", with: ";9\(m);")
        let list = try writeList("ok", ["Teilnehmende \(m)", "Stand: 30.09.2026", "", Self.jobcenterHeader] + rows + ["", "Summe: \(m)"])
        let output = "\(directory)/ok-out"
        let hook = "\(directory)/ok-hook.txt"
        let result = try run(try pipelineCopy(hookFile: hook), output: output, jobcenter: list)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(leaks(result, output: output, hookFile: hook).isEmpty)
        #expect(quarantineHoldsMarker(output))
        // The coordinator's internal page: the summary, kept (0600) beside the quarantine, with
        // counts and paths only.
        let page = "\(output)/quarantaene/2026-Q3/zusammenfassung.txt"
        let text = try String(contentsOfFile: page, encoding: .utf8)
        #expect(text.contains("1 Fußzeile am Ende") && text.contains("Kopfzeile in Zeile 4 gefunden"))
        #expect(!text.lowercased().contains(Self.marker.lowercased()))
        #expect(try FileManager.default.attributesOfItem(atPath: page)[.posixPermissions] as? Int == 0o600)
        let report = try JSONSerialization.jsonObject(with: try #require(FileManager.default.contents(atPath: "\(output)/lauf_2026-Q3.json"))) as! [String: Any]
        let inputs = report["inputs"] as! [[String: Any]]
        let list0 = try #require(inputs.first { ($0["file"] as! String).hasSuffix("ok/liste.csv") })
        #expect(list0["header_line"] as? Int == 4)
        #expect(list0["footer_rows"] as? Int == 1)
        #expect(list0["rows_read"] as? Int == 40)
        #expect(list0["rejected"] as? Int == 1)
        // Nothing lost: the footer stands in the quarantine file too, as what it is.
        let quarantined = try String(contentsOfFile: "\(output)/quarantaene/2026-Q3/jobcenter_liste.csv", encoding: .utf8)
        #expect(quarantined.contains(";fusszeile;;Summe: \(m)"), "\(quarantined)")
        let store = try Store(path: "\(output)/klappt.sqlite")
        #expect(try store.query("SELECT COUNT(*) FROM rejects WHERE grund = 'fusszeile'") == [["0"]])
    }
}
