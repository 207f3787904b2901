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
