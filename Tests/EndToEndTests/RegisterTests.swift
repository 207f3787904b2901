import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// Issue 11: the register is read like every source (SPEC 2.1): file-level faults fail the run (65)
/// naming file, line and column, and the summary says who is reached by no programme.
@Suite(.serialized) struct RegisterTests {
    let directory: String
    let key: String

    init() throws {
        directory = makeTemporaryDirectory("klappt-register")
        key = writeTestKey(in: directory)
        try SampleGenerator(persons: 200, seed: 17, period: Period("2026-Q3")!).write(to: "\(directory)/in")
    }

    func run(register: String, output: String) throws -> CommandResult {
        try runKlappt([
            "run", "pipelines/quartal.yaml", "--period", "2026-Q3", "--source", "jobcenter=\(directory)/in/jobcenter/*.csv",
            "--source", "berufskolleg=\(directory)/in/berufskolleg/*.xml", "--source", "auslaenderbehoerde=\(register)",
            "--output-dir", output, "--key-file", key,
        ])
    }

    @Test func theSummaryCountsThoseReachedByNoProgramme() throws {
        let result = try run(register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/ok")
        #expect(result.status == 0, "\(result.stderr)")
        let expectation = try JSONDecoder().decode(
            SampleGenerator.Expectation.self, from: try Data(contentsOf: URL(fileURLWithPath: "\(directory)/in/erwartet_2026-Q3.json")))
        let without = try #require(expectation.figures["ohne_aktivitaet|insgesamt|insgesamt"])
        #expect(without > 0)
        #expect(result.stdout.contains("davon ohne Aktivität: \(without) (bekannt, aber von keinem Programm erreicht)"))
        #expect(result.stdout.contains("auslaenderbehoerde: register_kreis_unna_2026-09-30.csv"))
    }

    /// SPEC 2.1 v3 (issue 32): the register writes an unknown day and month as `00`. Such rows are
    /// accepted, count with the first day of what is known for the age, and (exact linkage) meet
    /// another source's fictitious 1 January.
    @Test func partlyKnownBirthDatesAreAcceptedAndLinked() throws {
        let folder = "\(directory)/teilweise"
        for sub in ["ab", "jc", "bk"] { try FileManager.default.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true) }
        try """
        AZR_Nummer;Familienname;Vornamen;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Zuzug;Stand
        100000000001;Karimi;Ali;00.00.2004;M;423;Duldung (§ 60a AufenthG);59423;Unna;;30.09.2026
        100000000002;Haidari;Sara;00.05.2003;W;423;Duldung (§ 60a AufenthG);59423;Unna;;30.09.2026
        100000000003;Leer;Datum;00.00.0000;W;423;Duldung (§ 60a AufenthG);59423;Unna;;30.09.2026

        """.write(toFile: "\(folder)/ab/register.csv", atomically: true, encoding: .utf8)
        try """
        \u{FEFF}Kundennummer;Nachname;Vorname;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Status;Status_seit;Massnahme;Bemerkung;Stand\r
        123D1;Karimi;Ali;01.01.2004;M;423;Duldung;59423;Unna;ALO;01.07.2026;;;30.09.2026\r

        """.write(toFile: "\(folder)/jc/jc.csv", atomically: true, encoding: .utf8)
        try """
        <?xml version="1.0" encoding="UTF-8"?>
        <Schuelerdaten xmlns="urn:klappt:berufskolleg:1" Schulnummer="170011" Stand="2026-09-30">
          <Schueler Id="S1"><Name>Muhammad</Name><Vorname>Hassan</Vorname><Geburtsdatum>2000-05-15</Geburtsdatum><Geschlecht>3</Geschlecht>
            <StaatKrz>423</StaatKrz><PLZ>59423</PLZ><Status>2</Status><Gliederung>A12</Gliederung><Aufnahmedatum>2025-08-20</Aufnahmedatum>
            <Entlassdatum></Entlassdatum><Abschluss></Abschluss><Aufenthaltsstatus>Duldung</Aufenthaltsstatus></Schueler>
        </Schuelerdaten>

        """.write(toFile: "\(folder)/bk/bk.xml", atomically: true, encoding: .utf8)
        let outcome = try runPipeline(
            jobcenter: "\(folder)/jc/*.csv", berufskolleg: "\(folder)/bk/*.xml", register: "\(folder)/ab/*.csv", output: "\(folder)/out",
            adjust: { $0.maxRejectShare = 1 })
        let register = try #require(outcome.files.first { $0.source == "auslaenderbehoerde" })
        #expect(register.accepted == 2 && register.rejected == 1 && register.reasons == ["geburtsdatum_ungueltig": 1])
        #expect(outcome.filter.persons == 3)
        #expect(outcome.linkedPersons == 1)
        #expect(outcome.filter.targetGroup == 3)
        let table = try #require(outcome.table?.table)
        let ages = table.cells.filter { $0.indicator == .zielgruppe && $0.dimension == "altersgruppe" }
            .map { "\($0.category)=\(table.values[$0] ?? 0)" }.sorted()
        // Karimi 2004-01-01 and Haidari 2003-05-01 are 22 and 23 on 30.09.2026; Muhammad 26.
        #expect(ages == ["18-20=0", "21-23=2", "24-26=1"])
    }

    /// Issue 32: the ledger records which linkage made each quarter, and a quarter is never
    /// compared with one linked another way: the transitions are left out and the run says why.
    @Test func quartersLinkedAnotherWayAreNotCompared() throws {
        let output = "\(directory)/verknuepfung"
        let quarters = try #require(PeriodSelection.parse("2026-Q2..2026-Q3"))
        _ = try SampleGenerator(persons: 150, seed: 23, period: quarters[0]).writeQuarters(to: "\(directory)/zwei", periods: quarters)
        func run(_ period: String) throws(KlapptError) -> RunOutcome {
            try runPipeline(
                jobcenter: "\(directory)/zwei/\(period)/jobcenter/*.csv", berufskolleg: "\(directory)/zwei/\(period)/berufskolleg/*.xml",
                register: "\(directory)/zwei/\(period)/auslaenderbehoerde/*.csv", output: output, period: period)
        }
        _ = try run("2026-Q2")
        #expect(try run("2026-Q3").transitions != nil)
        let store = try Store(path: "\(output)/klappt.sqlite")
        #expect(try store.query("SELECT DISTINCT verknuepfung FROM runs WHERE veroeffentlicht = 1") == [["exact/1"]])
        // As if the previous quarter had been linked by another method.
        _ = try store.query("UPDATE runs SET verknuepfung = 'probabilistic/1' WHERE zeitraum = '2026-Q2'")
        var pipeline = try testPipeline(
            jobcenter: "\(directory)/zwei/2026-Q3/jobcenter/*.csv", berufskolleg: "\(directory)/zwei/2026-Q3/berufskolleg/*.xml",
            register: "\(directory)/zwei/2026-Q3/auslaenderbehoerde/*.csv", output: output)
        pipeline.linkage = .exact
        var again = QuarterlyRun(pipeline: pipeline, period: quarters[1], mode: .run, logger: quietLogger)
        again.force = true
        let outcome = try #require(try again.execute(key: testKey).outcome)
        #expect(outcome.transitions == nil)
        #expect(outcome.transitionNote?.contains("mit einer anderen Verknüpfung berechnet (probabilistic/1, dieses Quartal exact/1)") == true)
    }

    @Test func undecodableBytesNameFileLineAndColumn() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: filesBelow("\(directory)/in/auslaenderbehoerde")[0]))
        var lines = original.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        // Line 3: a Windows-1252 "ü" (0xFC) in the family name of a UTF-8 file.
        var cells = lines[2].split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).map(Array.init)
        cells[1] += [0xFC]
        lines[2] = Array(cells.joined(separator: [UInt8(ascii: ";")]))
        try FileManager.default.createDirectory(atPath: "\(directory)/kaputt", withIntermediateDirectories: true)
        try Data(lines.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: "\(directory)/kaputt/register.csv"))
        let result = try run(register: "\(directory)/kaputt/*.csv", output: "\(directory)/out1")
        #expect(result.status == 65)
        #expect(result.stderr.contains("register.csv, Zeile 3, Feld Familienname"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out1/indikatoren_2026-Q3.csv"))
    }

    @Test func aMissingColumnIsTheSendersUnlessThePipelineMisspellsIt() throws {
        let original = try String(contentsOfFile: filesBelow("\(directory)/in/auslaenderbehoerde")[0], encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(directory)/ohne", withIntermediateDirectories: true)
        try original.replacingOccurrences(of: "AZR_Nummer;", with: "Nummer_im_Register;").write(
            toFile: "\(directory)/ohne/register.csv", atomically: true, encoding: .utf8)
        let result = try run(register: "\(directory)/ohne/*.csv", output: "\(directory)/out2")
        #expect(result.status == 65)
        #expect(result.stderr.contains("register.csv, Zeile 1, Feld AZR_Nummer"))
        #expect(result.stderr.contains("Pflichtspalte „AZR_Nummer“ fehlt"))
    }
}
