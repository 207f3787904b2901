import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// Issue 9: the ordinary mistakes of the people who run klappt, each through the real binary:
/// nothing personal outside the quarantine, no publication of an empty, partial or misdated
/// delivery, no silent new key, a check that never touches the published quarter, failures that
/// reach the ledger and a person, and messages that lead to the real cause.
@Suite(.serialized) struct SafeByDefaultTests {
    let quarter: GeneratedQuarter
    var directory: String { quarter.directory }
    var key: String { quarter.key }

    init() throws { quarter = try GeneratedQuarter("klappt-safe", persons: 150, seed: 31) }

    var jobcenter: String { quarter.jobcenter }
    var college: String { quarter.college }
    var register: String { quarter.register }

    /// `klappt run` on the generated inputs, or on others; a pipeline without a register source
    /// (`pipelineWithoutRegister`, `pipelineCopy(withoutRegister: true)`) gets no `--source` for it.
    func run(
        _ extra: [String] = [], output: String, pipeline: String = "pipelines/quartal.yaml", period: String = "2026-Q3",
        jobcenter: String? = nil, college: String? = nil, key: String? = nil
    ) throws -> CommandResult {
        var sources = ["--source", "jobcenter=\(jobcenter ?? self.jobcenter)", "--source", "berufskolleg=\(college ?? self.college)"]
        if !pipeline.contains("klappt-ohne-register"), !pipeline.contains("klappt-pipeline-ohne") {
            sources += ["--source", "auslaenderbehoerde=\(register)"]
        }
        return try runKlappt(["run", pipeline, "--period", period] + sources + ["--output-dir", output, "--key-file", key ?? self.key] + extra)
    }

    /// A copy of `pipelines/` with `edit` applied to the pipeline file; returns the copy's path.
    func pipelineCopy(withoutRegister: Bool = false, _ edit: (String) -> String, codeLists: (String) -> Void = { _ in }) throws -> String {
        let copy = "\(makeTemporaryDirectory(withoutRegister ? "klappt-pipeline-ohne" : "klappt-pipeline"))/pipelines"
        let original = withoutRegister ? URL(fileURLWithPath: pipelineWithoutRegister).deletingLastPathComponent().path : "\(repositoryRoot)/pipelines"
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        let file = "\(copy)/quartal.yaml"
        try edit(try String(contentsOfFile: file, encoding: .utf8)).write(toFile: file, atomically: true, encoding: .utf8)
        codeLists("\(copy)/codelists")
        return file
    }

    /// The published files of a period, byte for byte.
    func published(_ output: String, period: String = "2026-Q3") -> [Data?] {
        ["indikatoren_\(period).csv", "lauf_\(period).json"].map { FileManager.default.contents(atPath: "\(output)/\($0)") }
    }

    func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    func report(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Job-centre rows in the reference layout (UTF-8 with BOM), one per tuple.
    func writeJobcenter(_ path: String, rows: [[String]]) throws {
        let header =
            "Kundennummer;Nachname;Vorname;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Status;Status_seit;Massnahme;Bemerkung;Stand"
        let text = "\u{FEFF}" + ([header] + rows.map { $0.joined(separator: ";") }).joined(separator: "\r\n") + "\r\n"
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    // MARK: - Personal data

    @Test func freeTextWithNamesNeverLeavesTheQuarantine() throws {
        // Free text typed into coded fields, as in the issue, plus the generator's own persons.
        try FileManager.default.copyItem(atPath: "\(directory)/in/jobcenter", toPath: "\(directory)/frei")
        try writeJobcenter(
            "\(directory)/frei/zusatz.csv",
            rows: [
                [
                    "123D900001", "Qasemi", "Samira", "03.04.2004", "W", "Syrien (Kundin Aischa)", "Duldung - Rückfrage bei Fr. Petrovic (Tel. 0151 2345678)",
                    "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026",
                ],
                [
                    "123D900002", "Haddad", "Yara", "07.08.2003", "Herr Omar Farouk", "475", "Duldung", "59423", "Unna", "ASU", "01.02.2026", "", "",
                    "30.09.2026",
                ],
            ])
        let output = "\(directory)/frei-out"
        let result = try run(["--log-format", "json", "-v"], output: output, jobcenter: "\(directory)/frei/*.csv")
        #expect(result.status == 0, "\(result.stderr)")
        let text = try run(["--force"], output: output, jobcenter: "\(directory)/frei/*.csv")
        #expect(text.status == 0, "\(text.stderr)")
        var secrets: Set<String> = ["Petrovic", "0151 2345678", "Aischa", "Omar Farouk", "Qasemi", "Samira", "Haddad", "123D900001", "2004-04-03"]
        // The generator's names, birth dates and ids.
        let export = try String(contentsOfFile: filesBelow("\(directory)/in/jobcenter").first { $0.hasSuffix("30.csv") }!, encoding: .isoLatin1)
        for line in export.components(separatedBy: "\r\n").dropFirst() {
            let cells = line.components(separatedBy: ";")
            guard cells.count >= 4, cells[0].hasPrefix("123D") else { continue }
            secrets.formUnion([cells[0], cells[1], cells[2], cells[3]])
        }
        let places = filesBelow(output).filter { !$0.contains("/quarantaene/") }
        #expect(places.contains { $0.hasSuffix("lauf_2026-Q3.json") } && places.contains { $0.hasSuffix("klappt.sqlite") })
        for file in places {
            let content = String(decoding: try #require(FileManager.default.contents(atPath: file)), as: UTF8.self)
            let leaked = secrets.filter { $0.count >= 4 && content.contains($0) }
            #expect(leaked.isEmpty, "\(file) enthält \(leaked.prefix(5))")
        }
        for (name, stream) in [("stdout", result.stdout + text.stdout), ("stderr", result.stderr + text.stderr)] {
            let leaked = secrets.filter { $0.count >= 4 && stream.contains($0) }
            #expect(leaked.isEmpty, "\(name) enthält \(leaked.prefix(5))")
        }
        // The report has counts; the values are in a private file of the quarantine, with the line to add.
        let lauf = try report("\(output)/lauf_2026-Q3.json")
        let warnings = try #require(lauf["warnings"] as? [[String: Any]])
        #expect(warnings.allSatisfy { $0["value"] == nil })
        #expect((warnings.first { $0["kind"] as? String == "aufenthalt_unbekannt" }?["rows"] as? Int ?? 0) >= 1)
        let values = "\(output)/quarantaene/2026-Q3/unbekannte_werte.csv"
        #expect(lauf["unknown_values_file"] as? String == values)
        let listed = try String(contentsOfFile: values, encoding: .utf8)
        #expect(listed.contains("Duldung - Rückfrage bei Fr. Petrovic (Tel. 0151 2345678);GRUPPE"))
        #expect(listed.contains("Syrien (Kundin Aischa)"))
        #expect(listed.contains("Herr Omar Farouk"))
        #expect(text.stdout.contains("Die Werte stehen mit der Zeile zum Ergänzen in „\(values)“"))
        // Modes: the store and the quarantine are private, the published table is not.
        #expect(try mode(values) == 0o600)
        #expect(try mode("\(output)/klappt.sqlite") == 0o600)
        #expect(try mode("\(output)/quarantaene") == 0o700)
        #expect(try mode("\(output)/indikatoren_2026-Q3.csv") == 0o644)
    }

    @Test func residenceWarningSaysWhoFellOutOfTheTargetGroup() throws {
        // Three persons of 20 in Unna known only with an unknown residence text: they fall out; a
        // fourth has the same text but is 40 (out anyway), a fifth has it but also a known text.
        try FileManager.default.createDirectory(atPath: "\(directory)/res", withIntermediateDirectories: true)
        try writeJobcenter(
            "\(directory)/res/a.csv",
            rows: [
                ["K1", "Amini", "Reza", "01.01.2006", "M", "423", "Duldung bis Klärung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026"],
                ["K2", "Bakri", "Lina", "01.01.2006", "W", "475", "duldung  bis klärung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026"],
                ["K3", "Chalabi", "Omid", "01.01.2006", "M", "423", "Schutzstatus beantragt", "", "", "ASU", "01.02.2026", "", "", "30.09.2026"],
                ["K4", "Darwish", "Nour", "01.01.1986", "W", "475", "Duldung bis Klärung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026"],
                ["K5", "Elias", "Sami", "01.01.2006", "M", "475", "Duldung bis Klärung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026"],
                ["K6", "Elias", "Sami", "01.01.2006", "M", "475", "Duldung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026"],
            ])
        // One college record, whose residence is not given (colleges rarely keep it).
        try """
        <?xml version="1.0" encoding="UTF-8"?>
        <Schuelerdaten xmlns="urn:klappt:berufskolleg:1" Schulnummer="170011" Stand="2026-09-30">
          <Schueler Id="S1"><Name>Fuad</Name><Vorname>Karim</Vorname><Geburtsdatum>2005-05-05</Geburtsdatum><Geschlecht>3</Geschlecht>
            <StaatKrz>475</StaatKrz><PLZ>59423</PLZ><Status>2</Status><Gliederung>A12</Gliederung><Aufnahmedatum>2025-08-20</Aufnahmedatum></Schueler>
        </Schuelerdaten>

        """.write(toFile: "\(directory)/res/bk.xml", atomically: true, encoding: .utf8)
        let output = "\(directory)/res-out"
        let first = try run(output: output, pipeline: pipelineWithoutRegister, jobcenter: "\(directory)/res/*.csv", college: "\(directory)/res/*.xml")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stdout.contains(
                "Warnung: Aufenthaltstexte, die die Codeliste nicht kennt (\(URL(fileURLWithPath: pipelineWithoutRegister).deletingLastPathComponent().path)/codelists/aufenthalt.csv): 3 Schreibweisen in 5 Zeilen."
            )
        )
        #expect(first.stdout.contains("3 Personen fallen deshalb aus der Zielgruppe"))
        let before = try report("\(output)/lauf_2026-Q3.json")
        let funnel = try #require(before["target_group"] as? [String: Any])
        #expect(funnel["out_by_unknown_residence_text"] as? Int == 3)
        let warning = try #require((before["warnings"] as? [[String: Any]])?.first)
        #expect(warning["persons_out_of_target_group"] as? Int == 3)
        #expect(warning["distinct_values"] as? Int == 3)
        // With the two spellings in the code list the target group grows by exactly those three.
        let pipeline = try pipelineCopy(
            withoutRegister: true, { $0 },
            codeLists: { folder in
                let list = "\(folder)/aufenthalt.csv"
                let text = (try? String(contentsOfFile: list, encoding: .utf8)) ?? ""
                try? (text + "Duldung bis Klärung;duldung\nSchutzstatus beantragt;gestattung\n").write(toFile: list, atomically: true, encoding: .utf8)
            })
        let second = try run(output: "\(directory)/res-out2", pipeline: pipeline, jobcenter: "\(directory)/res/*.csv", college: "\(directory)/res/*.xml")
        #expect(second.status == 0, "\(second.stderr)")
        let after = try #require(try report("\(directory)/res-out2/lauf_2026-Q3.json")["target_group"] as? [String: Any])
        #expect(after["target_group"] as? Int == (funnel["target_group"] as? Int ?? -9) + 3)
        #expect(after["out_by_unknown_residence_text"] as? Int == 0)
    }

    // MARK: - Plausibility

    @Test func emptyOrPartialDeliveriesAreNotPublished() throws {
        let output = "\(directory)/plaus"
        #expect(try run(output: output).status == 0)
        let before = published(output)
        // A job-centre file with only its header line.
        try writeJobcenter("\(directory)/leer/jobcenter.csv", rows: [])
        let empty = try run(output: output, jobcenter: "\(directory)/leer/*.csv")
        #expect(empty.status == 65)
        #expect(empty.stderr.contains("Plausibilitätsprüfung nicht bestanden"))
        #expect(empty.stderr.contains("enthält keinen einzigen Datensatz"))
        #expect(empty.stderr.contains("Quelle „jobcenter“: 0 angenommene Zeilen, beim letzten fertigen Lauf desselben Quartals 2026-Q3"))
        #expect(empty.stderr.contains("--ignore-plausibility"))
        #expect(published(output) == before)
        // One college file of three missing: the largest, so the drop is at least a third.
        let files = filesBelow("\(directory)/in/berufskolleg").sorted { fileSize($0) > fileSize($1) }
        try FileManager.default.createDirectory(atPath: "\(directory)/zwei", withIntermediateDirectories: true)
        for file in files.dropFirst() {
            try FileManager.default.copyItem(atPath: file, toPath: "\(directory)/zwei/\(URL(fileURLWithPath: file).lastPathComponent)")
        }
        let partial = try run(output: output, college: "\(directory)/zwei/*.xml")
        #expect(partial.status == 65)
        #expect(partial.stderr.contains("Quelle „berufskolleg“"))
        #expect(partial.stderr.contains("erlaubt sind höchstens −30 %"))
        #expect(published(output) == before)
        // Declared schools catch it whatever the size of the missing file.
        let school = try #require(URL(fileURLWithPath: files[0]).lastPathComponent.split(separator: "_").dropFirst().first.map(String.init))
        let declared = try pipelineCopy {
            $0.replacingOccurrences(
                of: "    # expect: {schools: [\"170011\", \"170023\", \"170035\"]}", with: "    expect: {schools: [\"170011\", \"170023\", \"170035\"]}")
        }
        let schools = try run(output: "\(directory)/plaus-schulen", pipeline: declared, college: "\(directory)/zwei/*.xml")
        #expect(schools.status == 65)
        #expect(schools.stderr.contains("keine Datei der Schule \(school)"))
        // Published anyway on purpose: exit 0, and the ledger and status say so.
        let forced = try run(["--ignore-plausibility"], output: output, college: "\(directory)/zwei/*.xml")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(published(output) != before)
        let store = try Store(path: "\(output)/klappt.sqlite")
        let overridden = try store.query("SELECT plausibilitaet_uebergangen FROM runs ORDER BY id DESC LIMIT 1")[0][0]
        #expect(overridden?.contains("Quelle „berufskolleg“") == true)
        let status = try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output])
        #expect(status.stdout.contains("Plausibilitätsprüfung übergangen"))
        #expect(try report("\(output)/lauf_2026-Q3.json")["plausibility_overridden"] as? [String] != [])
    }

    func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test func onlyEndedQuartersAndOnlyTheirOwnData() throws {
        let output = "\(directory)/zeit"
        // A quarter that has not ended is a usage error; nothing is made.
        let future = try run(output: output, period: "2030-Q1")
        #expect(future.status == 64)
        #expect(future.stderr.contains("verarbeitet werden nur abgeschlossene Quartale"))
        #expect(!FileManager.default.fileExists(atPath: output))
        // Data of 2026-Q3 as 2026-Q2 (or as 2025-Q3): the Stand is far from the reference date.
        let early = try run(output: output, period: "2026-Q2")
        #expect(early.status == 65)
        #expect(early.stderr.contains("liegt 92 Tage nach dem Stichtag 30.06.2026 des Quartals 2026-Q2"))
        let late = try run(output: output, period: "2025-Q3")
        #expect(late.status == 65)
        #expect(late.stderr.contains("Tage nach dem Stichtag 30.09.2025"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/indikatoren_2026-Q2.csv"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/indikatoren_2025-Q3.csv"))
    }

    // MARK: - The key

    @Test func keyIsNeverMadeSilentlyAndAnotherKeyIsRefused() throws {
        let output = "\(directory)/schluessel"
        let home = makeTemporaryDirectory("klappt-key")
        // The very first run of an empty store makes the key (and says so).
        let created = try run(output: output, key: "\(home)/neu.key")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("neu angelegt"))
        #expect(try mode("\(home)/neu.key") == 0o600)
        // A mistyped key file once the store has a finished quarter: refused, nothing made or published.
        let before = published(output)
        let typo = try run(["--force"], output: output, key: "\(home)/nue.key")
        #expect(typo.status == 77)
        #expect(typo.stderr.contains("fehlt, aber der Speicher"))
        #expect(typo.stderr.contains("2026-Q3"))
        #expect(!FileManager.default.fileExists(atPath: "\(home)/nue.key"))
        // Another existing key: refused with the way out.
        let other = writeTestKey(in: makeTemporaryDirectory("klappt-key2"))
        var text = try String(contentsOfFile: other, encoding: .utf8)
        text = "ff" + text.dropFirst(2)
        try text.write(toFile: other, atomically: false, encoding: .utf8)
        let wrong = try run(["--force"], output: output, key: other)
        #expect(wrong.status == 77)
        #expect(wrong.stderr.contains("anderen Schlüssel berechnet"))
        #expect(wrong.stderr.contains("--new-key-series"))
        #expect(published(output) == before)
        // A new series on purpose.
        let series = try run(["--force", "--new-key-series"], output: output, key: other)
        #expect(series.status == 0, "\(series.stderr)")
        #expect(try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output]).stdout.contains("Beginn einer neuen Schlüsselserie"))
        // The output folder is shared: a key there is refused (and never made there).
        let inside = try run(output: "\(directory)/innen", key: "\(directory)/innen/klappt.key")
        #expect(inside.status == 77)
        #expect(inside.stderr.contains("liegt im Ausgabeordner"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/innen/klappt.key"))
    }

    // MARK: - validate

    @Test func validateNeverTouchesThePublishedQuarter() throws {
        let output = "\(directory)/pruef"
        #expect(try run(output: output).status == 0)
        let before = published(output)
        let store = try Data(contentsOf: URL(fileURLWithPath: "\(output)/klappt.sqlite"))
        let check = try runKlappt([
            "validate", "pipelines/quartal.yaml", "--period", "2026-Q3", "--source", "jobcenter=\(jobcenter)", "--source", "auslaenderbehoerde=\(register)",
            "--source", "berufskolleg=\(college)", "--output-dir", output,
        ])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("pruefung_2026-Q3.json"))
        #expect(try report("\(output)/pruefung_2026-Q3.json")["modus"] as? String == "validate")
        #expect(published(output) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(output)/klappt.sqlite")) == store)
        let again = try run(output: output)
        #expect(again.status == 0)
        #expect(again.stdout.contains("bereits fertig"))
    }

    // MARK: - Failures reach the ledger and a person

    @Test func failedRunsAreInTheLedgerAndTellTheHook() throws {
        let output = "\(directory)/fehler"
        #expect(try run(output: output).status == 0)
        let hook = "\(directory)/hook.txt"
        let pipeline = try pipelineCopy {
            $0 + "\non_failure: 'printf \"%s|%s|%s\" \"$KLAPPT_EXIT\" \"$KLAPPT_ZEITRAUM\" \"$KLAPPT_GRUND\" > \(hook)'\n"
        }
        try FileManager.default.createDirectory(atPath: "\(directory)/kaputt", withIntermediateDirectories: true)
        try Data("Kundennummer;Nachname\r\n123D1;\"Geheimname\r\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/kaputt/x.csv"))
        let failed = try run(output: output, pipeline: pipeline, jobcenter: "\(directory)/kaputt/*.csv")
        #expect(failed.status == 65)
        let told = try String(contentsOfFile: hook, encoding: .utf8)
        #expect(told.hasPrefix("65|2026-Q3|"))
        #expect(told.contains("x.csv"))
        #expect(!told.contains("Geheimname") && !told.contains("123D1") && !told.contains("\n"))
        let status = try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output])
        #expect(status.stdout.contains("Zeitraum 2026-Q3: 2 Läufe"))
        #expect(status.stdout.contains("Fehlgeschlagen:"))
        #expect(status.stdout.contains("Exit 65"))
        let store = try Store(path: "\(output)/klappt.sqlite")
        #expect(try store.query("SELECT exit, modus FROM failed_runs") == [["65", "run"]])
    }

    // MARK: - Messages that lead to the cause

    @Test func messagesPointToTheRealCause() throws {
        // A comma-separated export.
        try FileManager.default.createDirectory(atPath: "\(directory)/komma", withIntermediateDirectories: true)
        try Data("Kundennummer,Nachname,Vorname,Geburtsdatum,Status\r\n1,A,B,01.01.2000,ALO\r\n".utf8).write(
            to: URL(fileURLWithPath: "\(directory)/komma/k.csv"))
        let comma = try run(output: "\(directory)/m1", jobcenter: "\(directory)/komma/*.csv")
        #expect(comma.status == 65)
        #expect(comma.stderr.contains("mit „,“ statt „;“ getrennt"))
        // A header that nearly matches the pipeline's name (issue 23): as a rule the delivery's
        // column was renamed, so it is the input's fault (65); both spellings once, both remedies,
        // the pipeline file's line once.
        let typo = try pipelineCopy { $0.replacingOccurrences(of: "record_id: Kundennummer", with: "record_id: Kundenummer") }
        let lines = try String(contentsOfFile: typo, encoding: .utf8).components(separatedBy: "\n")
        let line = try #require(lines.firstIndex { $0.contains("record_id: Kundenummer") }) + 1
        let typed = try run(output: "\(directory)/m2", pipeline: typo)
        #expect(typed.status == 65)
        #expect(typed.stderr.components(separatedBy: "„Kundenummer“").count == 2, "\(typed.stderr)")
        #expect(typed.stderr.components(separatedBy: "„Kundennummer“").count == 2, "\(typed.stderr)")
        #expect(typed.stderr.components(separatedBy: "Zeile \(line)").count == 2, "\(typed.stderr)")
        #expect(typed.stderr.contains("beim Absender einen Export mit der gewohnten Kopfzeile anfordern"))
        #expect(typed.stderr.contains("fields.record_id der Quelle „jobcenter“ in der Pipeline-Datei (Zeile \(line)) anpassen"))
        // The register delivered with a renamed column: 65, each spelling once, the next steps.
        let registerFile = try #require(filesBelow("\(directory)/in/auslaenderbehoerde").first)
        var registerText = try String(contentsOfFile: registerFile, encoding: .utf8)
        registerText = registerText.replacingOccurrences(of: "Familienname;", with: "Familiename;")
        try FileManager.default.createDirectory(atPath: "\(directory)/umbenannt", withIntermediateDirectories: true)
        try registerText.write(toFile: "\(directory)/umbenannt/register.csv", atomically: true, encoding: .utf8)
        let renamed = try runKlappt([
            "run", "pipelines/quartal.yaml", "--period", "2026-Q3", "--source", "jobcenter=\(jobcenter)", "--source", "berufskolleg=\(college)", "--source",
            "auslaenderbehoerde=\(directory)/umbenannt/*.csv", "--output-dir", "\(directory)/m5", "--key-file", key,
        ])
        #expect(renamed.status == 65)
        #expect(renamed.stderr.components(separatedBy: "Familiename").count == 2, "\(renamed.stderr)")
        #expect(renamed.stderr.components(separatedBy: "Familienname").count == 2, "\(renamed.stderr)")
        #expect(renamed.stderr.contains("register.csv, Zeile 1: Die Kopfzeile hat „Familiename“, erwartet ist „Familienname“."))
        #expect(renamed.stderr.contains("beim Absender") && renamed.stderr.contains("in der Pipeline-Datei (Zeile"))
        // A college file whose second record lacks its closing tag: the line where that record opens,
        // in German, with the next step, and nothing of libxml2's English (issue 23).
        let college = try String(contentsOfFile: filesBelow("\(directory)/in/berufskolleg")[0], encoding: .utf8)
        let closings = college.ranges(of: "</Schueler>")
        let unclosed = college.replacingCharacters(in: closings[1], with: "")
        let opening = college.ranges(of: "<Schueler ")[1].lowerBound
        let openingLine = college[..<opening].filter { $0 == "\n" }.count + 1
        try FileManager.default.createDirectory(atPath: "\(directory)/offen", withIntermediateDirectories: true)
        try unclosed.write(toFile: "\(directory)/offen/bk.xml", atomically: true, encoding: .utf8)
        let open = try run(output: "\(directory)/m6", college: "\(directory)/offen/*.xml")
        #expect(open.status == 65)
        #expect(
            open.stderr.contains("bk.xml, Zeile \(openingLine): Der Datensatz <Schueler>, der in dieser Zeile beginnt, wird nicht geschlossen"),
            "\(open.stderr)")
        #expect(open.stderr.contains("Bitte bei der Schule einen neuen Export anfordern."))
        #expect(!open.stderr.contains("libxml2") && !open.stderr.contains("mismatch"))
        // With --verbose, the parser's words are in the log for whoever debugs.
        let verbose = try run(["--verbose"], output: "\(directory)/m7", college: "\(directory)/offen/*.xml")
        #expect(verbose.stderr.contains("Opening and ending tag mismatch"))
        // Empty files: named, and what to do next.
        try FileManager.default.createDirectory(atPath: "\(directory)/leer", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(directory)/leer/jc.csv", contents: Data()))
        #expect(FileManager.default.createFile(atPath: "\(directory)/leer/bk.xml", contents: Data()))
        let emptyList = try run(output: "\(directory)/m8", jobcenter: "\(directory)/leer/*.csv")
        #expect(emptyList.status == 65)
        #expect(emptyList.stderr.contains("jc.csv, Zeile 1: Die Datei ist leer") && emptyList.stderr.contains("bitte beim Absender die Liste neu anfordern"))
        let emptyCollege = try run(output: "\(directory)/m9", college: "\(directory)/leer/*.xml")
        #expect(emptyCollege.status == 65)
        #expect(
            emptyCollege.stderr.contains("bk.xml: Die Datei ist leer (0 Bytes)")
                && emptyCollege.stderr.contains("Bitte bei der Schule den Export neu anfordern."))
        // A college file cut right after a complete record.
        let xml = try String(contentsOfFile: filesBelow("\(directory)/in/berufskolleg")[0], encoding: .utf8)
        let cut = String(xml[..<xml.range(of: "</Schueler>", options: .backwards)!.upperBound]) + "\n"
        try FileManager.default.createDirectory(atPath: "\(directory)/cut", withIntermediateDirectories: true)
        try cut.write(toFile: "\(directory)/cut/bk.xml", atomically: true, encoding: .utf8)
        let truncated = try run(output: "\(directory)/m4", college: "\(directory)/cut/*.xml")
        #expect(truncated.status == 65)
        #expect(truncated.stderr.contains("bk.xml, Zeile"))
        #expect(truncated.stderr.contains("nach dem letzten vollständigen Datensatz"))
        #expect(!truncated.stderr.contains("Extra content"))
        // A column the export lacks is the sender's (65).
        let lacking = try pipelineCopy { $0.replacingOccurrences(of: "record_id: Kundennummer", with: "record_id: Personennummer") }
        let missing = try run(output: "\(directory)/m3", pipeline: lacking)
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("beim Absender nachfragen"))
    }

    @Test func summaryListsEveryReasonInGermanAndQuarantineKeepsValuesAsDelivered() throws {
        try FileManager.default.createDirectory(atPath: "\(directory)/gruende", withIntermediateDirectories: true)
        var rows: [[String]] = []
        for index in 0..<100 {
            rows.append([
                "K\(index)", "Name\(index)", "Vorname", "01.01.2000", "M", "475", "Duldung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026",
            ])
        }
        rows.append(["K900", "", "Vorname", "01.01.2000", "M", "475", "Duldung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026"])
        rows.append(["K901", "Name", "Vorname", "31.02.2000", "M", "475", "Duldung", "59423", "Unna", "ALO", "01.02.2026", "", "", "30.09.2026"])
        rows.append([
            "K902", "\"=HYPERLINK(\"\"x\"\")\"", "Vorname", "01.01.2000", "M", "475", "Duldung", "59423", "Unna", "XYZ", "01.02.2026", "", "", "30.09.2026",
        ])
        rows.append(["K903", "Name", "Vorname", "01.01.2000", "M", "475", "Duldung", "59423", "Unna", "ALO", "99.02.2026", "", "", "30.09.2026"])
        rows.append(rows[0])
        try writeJobcenter("\(directory)/gruende/g.csv", rows: rows)
        // A college record with an invalid birth date, for the XML quarantine's header.
        let xml = try String(contentsOfFile: filesBelow("\(directory)/in/berufskolleg")[0], encoding: .utf8)
        let broken = xml.replacingOccurrences(of: "<Geburtsdatum>", with: "<Geburtsdatum>=", options: [], range: xml.range(of: "<Geburtsdatum>"))
        try FileManager.default.createDirectory(atPath: "\(directory)/bk1", withIntermediateDirectories: true)
        try broken.write(toFile: "\(directory)/bk1/bk.xml", atomically: true, encoding: .utf8)
        let output = "\(directory)/g-out"
        let result = try run(output: output, jobcenter: "\(directory)/gruende/*.csv", college: "\(directory)/bk1/*.xml")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("105 Zeilen gelesen, 100 angenommen, 4 abgewiesen, 1 Duplikat"))
        // The reasons in the report's sentences (from beschriftungen.csv), not as codes (issue 23).
        #expect(
            result.stdout.contains(
                """
                    Abgewiesen, weil:
                      1 × Ein anderes Datumsfeld ist kein gültiges Datum
                      1 × Geburtsdatum fehlt oder ist kein gültiges Datum
                      1 × Vor- oder Nachname fehlt
                      1 × Status nicht in der Codeliste
                """), "\(result.stdout)")
        #expect(!result.stdout.contains("geburtsdatum_ungueltig"))
        let quarantine = try String(contentsOfFile: "\(output)/quarantaene/2026-Q3/jobcenter_g.csv", encoding: .utf8)
        #expect(quarantine.contains("\"=HYPERLINK(\"\"x\"\")\""))
        #expect(!quarantine.contains("'="))
        let xmlQuarantine = try String(contentsOfFile: "\(output)/quarantaene/2026-Q3/berufskolleg_bk.csv", encoding: .utf8)
        let header = try #require(xmlQuarantine.components(separatedBy: "\r\n").first)
        #expect(
            header.trimmingCharacters(in: CharacterSet(charactersIn: "\u{FEFF}"))
                == "zeile;grund;feld;Id;Name;Vorname;Geburtsdatum;Geschlecht;StaatKrz;Aufenthaltsstatus;PLZ;Status;Gliederung;Aufnahmedatum;Entlassdatum;Stand")
        #expect(xmlQuarantine.contains(";geburtsdatum_ungueltig;Geburtsdatum;"))
        #expect(xmlQuarantine.contains(";=") && !xmlQuarantine.contains("'="))
        // The store keeps each rejection as file, line, reason and field, and no value of the row.
        let store = try Store(path: "\(output)/klappt.sqlite")
        let rejects = try store.query(
            "SELECT quelle, datei, zeile, grund, feld FROM rejects WHERE zeitraum = '2026-Q3' AND quelle = 'jobcenter' ORDER BY zeile")
        let file = "\(directory)/gruende/g.csv"
        #expect(
            rejects == [
                ["jobcenter", file, "102", "name_fehlt", "Nachname"], ["jobcenter", file, "103", "geburtsdatum_ungueltig", "Geburtsdatum"],
                ["jobcenter", file, "104", "status_unbekannt", "Status"], ["jobcenter", file, "105", "datum_ungueltig", "Status_seit"],
            ])
        let xmlLine = try #require(xmlQuarantine.components(separatedBy: "\r\n").dropFirst().first?.split(separator: ";").first)
        #expect(
            try store.query("SELECT datei, zeile, grund, feld FROM rejects WHERE zeitraum = '2026-Q3' AND quelle = 'berufskolleg'")
                == [["\(directory)/bk1/bk.xml", String(xmlLine), "geburtsdatum_ungueltig", "Geburtsdatum"]])
    }
}
