import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// File-level failures (SPEC 2.1, 8): the right exit code, a German message naming file, line and
/// field, and no output of the period written or replaced.
@Suite struct FailureTests {
    /// A finished run on generated inputs; returns the folder and the published files' bytes.
    func finishedRun() throws -> (directory: String, before: [String: Data]) {
        let directory = makeTemporaryDirectory("klappt-fail")
        try SampleGenerator(persons: 120, seed: 3, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        _ = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/out")
        var before: [String: Data] = [:]
        for name in ["indikatoren_2026-Q3.csv", "lauf_2026-Q3.json"] { before[name] = FileManager.default.contents(atPath: "\(directory)/out/\(name)") }
        return (directory, before)
    }

    func expectFailure(_ code: Int32, mentioning parts: [String], in directory: String, before: [String: Data]) throws {
        do {
            _ = try runPipeline(
                jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
                register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/out")
            Issue.record("Lauf hätte mit \(code) scheitern müssen")
        } catch {
            #expect(error.exitCode == code, "\(error)")
            for part in parts { #expect(error.description.contains(part), "\(error.description) erwähnt nicht \(part)") }
        }
        for (name, data) in before { #expect(FileManager.default.contents(atPath: "\(directory)/out/\(name)") == data, "\(name) wurde verändert") }
        let store = try Store(path: "\(directory)/out/klappt.sqlite")
        #expect(try store.query("SELECT COUNT(*) FROM runs")[0][0] == "1")
    }

    @Test func malformedXMLFailsWith65AndKeepsThePreviousOutputs() throws {
        let (directory, before) = try finishedRun()
        let file = filesBelow("\(directory)/in/berufskolleg")[0]
        var text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("</Name>"))
        text = text.replacingOccurrences(of: "</Name>", with: "</Nme>")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try expectFailure(65, mentioning: [URL(fileURLWithPath: file).lastPathComponent, "Zeile"], in: directory, before: before)
    }

    /// Files are read in any order (whole XML files first) and merged as they come; the failure
    /// reported is still the first in the pipeline's order of files, the same on every run.
    @Test func twoBrokenFilesReportTheFirstInPipelineOrder() throws {
        let (directory, before) = try finishedRun()
        let xml = filesBelow("\(directory)/in/berufskolleg")[0]
        let text = try String(contentsOfFile: xml, encoding: .utf8).replacingOccurrences(of: "</Name>", with: "</Nme>")
        try text.write(toFile: xml, atomically: true, encoding: .utf8)
        let csv = filesBelow("\(directory)/in/jobcenter")[0]
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: csv)))
        let third = bytes.indices.filter { bytes[$0] == 0x0A }[2] + 1
        bytes[bytes[third...].firstIndex(of: UInt8(ascii: ";"))! + 1] = 0x81
        _ = FileManager.default.createFile(atPath: csv, contents: Data(bytes))
        for _ in 0..<3 {
            try expectFailure(65, mentioning: [URL(fileURLWithPath: csv).lastPathComponent, "Nachname"], in: directory, before: before)
        }
    }

    @Test func truncatedXMLFailsWith65() throws {
        let (directory, before) = try finishedRun()
        let file = filesBelow("\(directory)/in/berufskolleg")[0]
        let data = try #require(FileManager.default.contents(atPath: file))
        _ = FileManager.default.createFile(atPath: file, contents: data.prefix(data.count / 2))
        try expectFailure(65, mentioning: [URL(fileURLWithPath: file).lastPathComponent], in: directory, before: before)
    }

    @Test func missingRequiredColumnFailsWith65NamingIt() throws {
        let (directory, before) = try finishedRun()
        let file = filesBelow("\(directory)/in/jobcenter")[0]
        let data = try #require(FileManager.default.contents(atPath: file))
        var bytes = [UInt8](data)
        let header = Array("Geburtsdatum".utf8)
        let start = (0...(bytes.count - header.count)).first { Array(bytes[$0..<($0 + header.count)]) == header }!
        bytes.replaceSubrange(start..<(start + header.count), with: Array("Geburtstag".utf8))
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        try expectFailure(65, mentioning: ["Geburtsdatum", "Zeile 1", URL(fileURLWithPath: file).lastPathComponent], in: directory, before: before)
    }

    @Test func undecodableBytesFailWith65NamingLineAndColumn() throws {
        let (directory, before) = try finishedRun()
        let file = filesBelow("\(directory)/in/jobcenter")[0]
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: file)))
        let lineStarts = bytes.indices.filter { bytes[$0] == 0x0A }
        let third = lineStarts[2] + 1
        let firstDelimiter = bytes[third...].firstIndex(of: UInt8(ascii: ";"))!
        bytes[firstDelimiter + 1] = 0x81  // undefined in Windows-1252, in column Nachname
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        try expectFailure(65, mentioning: ["Nachname", "Zeile"], in: directory, before: before)
    }

    @Test func tooManyRejectedRowsFailWith65() throws {
        let (directory, before) = try finishedRun()
        let file = filesBelow("\(directory)/in/jobcenter")[0]
        let data = try #require(FileManager.default.contents(atPath: file))
        let text = try #require(String(data: data, encoding: .isoLatin1))
        let broken = text.replacingOccurrences(of: ";ALO;", with: ";XXX;").replacingOccurrences(of: ";MAS;", with: ";XXX;")
        _ = FileManager.default.createFile(atPath: file, contents: broken.data(using: .isoLatin1))
        try expectFailure(65, mentioning: ["abgewiesen", "status_unbekannt"], in: directory, before: before)
    }

    @Test func noInputFilesIsExit66() throws {
        let directory = makeTemporaryDirectory("klappt-empty")
        do {
            _ = try runPipeline(jobcenter: "\(directory)/nichts/*.csv", berufskolleg: "\(directory)/*.xml", output: "\(directory)/out")
            Issue.record("expected 66")
        } catch {
            #expect(error.exitCode == 66)
            guard case .noInputFiles(let source, let glob) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(source == "jobcenter" && glob == "\(directory)/nichts/*.csv")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out/klappt.sqlite"))
    }

    @Test func validateWritesOnlyTheReport() throws {
        let directory = makeTemporaryDirectory("klappt-validate")
        try SampleGenerator(persons: 80, seed: 5, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        let outcome = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/out", mode: .validate)
        #expect(outcome.table == nil)
        #expect(outcome.filter.persons == 80)
        let written = filesBelow("\(directory)/out").map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(written.contains("pruefung_2026-Q3.json"))
        #expect(!written.contains("lauf_2026-Q3.json"))
        #expect(!written.contains("indikatoren_2026-Q3.csv"))
        #expect(!written.contains("klappt.sqlite"))
    }
}
