import Foundation
import KlapptTestSupport
import Testing

@testable import KlapptKit

@Suite struct PipelineFileTests {
    let original = try! String(contentsOfFile: "\(repositoryRoot)/pipelines/quartal.yaml", encoding: .utf8)

    /// Writes a variant of the project's pipeline next to it (so its relative code-list paths hold).
    func load(_ text: String) throws(KlapptError) -> Pipeline {
        let path = "\(repositoryRoot)/pipelines/.test-\(UUID().uuidString).yaml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try Pipeline.load(path: path)
    }

    func pipelineError(_ text: String) -> PipelineError? {
        do {
            _ = try load(text)
            return nil
        } catch {
            if case .pipeline(let error) = error { return error }
            return nil
        }
    }

    @Test func theProjectPipelineLoads() throws {
        let pipeline = try load(original)
        #expect(pipeline.sources.map(\.id) == ["auslaenderbehoerde", "jobcenter", "berufskolleg"])
        #expect(pipeline.sources.map { $0.role.role } == ["auslaenderbehoerde", "jobcenter", "berufskolleg"])
        #expect(pipeline.indicatorFamilies.map(\.name) == ["zielgruppe", "bestand", "fluesse"])
        #expect(pipeline.minCell == 3)
        #expect(pipeline.suppressionTimeLimit == 10)
        #expect(pipeline.maxRejectShare == 0.05)
        #expect(pipeline.targetGroup.minAge == 18 && pipeline.targetGroup.maxAge == 26)
        #expect(pipeline.codeLists.municipalities.count == 10)
        #expect(pipeline.codeLists.courses["A12"] == .schule)
        #expect(pipeline.codeLists.courses["B09"] == .ausbildung)
        #expect(pipeline.outputDirectory == "\(repositoryRoot)/output")
    }

    /// Issue 24: klappt's scanner reads XML by default; `parser: libxml2` chooses libxml2 alone, and
    /// any other parser is refused at its line.
    @Test func theXMLParserIsTheScannerUnlessTheFileAsksForLibxml2() throws {
        func xml(_ pipeline: Pipeline) -> XMLFormat? { pipeline.sources.first { $0.id == "berufskolleg" }?.format as? XMLFormat }
        #expect(xml(try load(original))?.referenceParser == false)
        let chosen = original.replacingOccurrences(of: "      # parser: libxml2 ", with: "      parser: libxml2 ")
        #expect(chosen != original)
        #expect(xml(try load(chosen))?.referenceParser == true)
        let other = original.replacingOccurrences(of: "      # parser: libxml2 ", with: "      parser: expat ")
        let error = try #require(pipelineError(other))
        #expect(error.message.contains("Unbekannter Parser „expat“ (klappt oder libxml2)"))
        let line = other.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("parser: expat") }! + 1
        #expect(error.line == line)
    }

    /// Issue 32: `linkage:` names how records are linked into persons; `exact` is SPEC 4.1's rule
    /// and the default; a method this klappt lacks is refused at load, with its line.
    @Test func theLinkageIsASettingOfThePipeline() throws {
        #expect(original.contains("\nlinkage: probabilistic\n"))
        let loaded = try load(original)
        #expect(loaded.linkage == .probabilistic)
        #expect(loaded.linkageSettings == LinkageSettings(threshold: 0.5, reviewFrom: 0.2))
        // Without the key, probabilistic linkage is the default (SPEC 4.1 v3).
        #expect(try load(original.replacingOccurrences(of: "\nlinkage: probabilistic\n", with: "\n")).linkage == .probabilistic)
        #expect(try load(original.replacingOccurrences(of: "\nlinkage: probabilistic\n", with: "\nlinkage: exact\n")).linkage == .exact)
        #expect(LinkageMethod.exact.ledgerValue == "exact/1")
        #expect(LinkageMethod.probabilistic.ledgerValue == "probabilistic/1")
        let line = try #require(original.components(separatedBy: "\n").firstIndex(of: "linkage: probabilistic")) + 1
        let unknown = try #require(pipelineError(original.replacingOccurrences(of: "\nlinkage: probabilistic\n", with: "\nlinkage: unscharf\n")))
        #expect(unknown.message.contains("Unbekannte Verknüpfung „unscharf“ (vorhanden: exact, probabilistic)"))
        #expect(unknown.line == line)
        // Threshold and review band are checked, naming their line.
        let settings = try #require(pipelineError(original.replacingOccurrences(of: "  threshold: 0.5\n", with: "  threshold: 0.3\n")))
        #expect(settings.message.contains("threshold muss mindestens 0,5"))
        #expect(settings.line == original.components(separatedBy: "\n").firstIndex(of: "  threshold: 0.5")! + 1)
        let band = try #require(pipelineError(original.replacingOccurrences(of: "  review_from: 0.2\n", with: "  review_from: 0.7\n")))
        #expect(band.message.contains("review_from"))
        let limit = try #require(pipelineError(original.replacingOccurrences(of: "  review_limit: 1000\n", with: "  review_limit: -1\n")))
        #expect(limit.message.contains("review_limit"))
        // None listed would hide the band: at least one.
        let none = try #require(pipelineError(original.replacingOccurrences(of: "  review_limit: 1000\n", with: "  review_limit: 0\n")))
        #expect(none.message.contains("review_limit muss mindestens 1 sein"))
        #expect(none.line == original.components(separatedBy: "\n").firstIndex(of: "  review_limit: 1000")! + 1)
        let decided = try load(original.replacingOccurrences(of: "  # decisions: entscheidungen.csv", with: "  decisions: entscheidungen.csv"))
        #expect(decided.linkageSettings.decisionsFile == "\(repositoryRoot)/pipelines/entscheidungen.csv")
    }

    @Test func unknownKeyIsReportedWithItsLine() throws {
        let text = original.replacingOccurrences(of: "max_reject_share: 0.05", with: "max_reject_shar: 0.05")
        let error = try #require(pipelineError(text))
        #expect(error.message.contains("max_reject_shar"))
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("max_reject_shar") }! + 1
        #expect(error.line == line)
    }

    @Test(arguments: [
        ("date_format: TT.MM.JJJJ", "date_format: TT.MM.JJ", "Datumsformat"),
        ("role: jobcenter", "role: arbeitsamt", "arbeitsamt"),
        (
            "      given_name: Vorname\n      birth_date: Geburtsdatum\n      sex: Geschlecht\n      nationality: Staatsangehoerigkeit",
            "      given_name: Vorname\n      sex: Geschlecht\n      nationality: Staatsangehoerigkeit", "birth_date"
        ),
        ("codelists/aufenthalt.csv", "codelists/fehlt.csv", "nicht gefunden"),
        ("min_cell: 3", "min_cell: drei", "ganze Zahl"),
        ("time_limit_s: 10", "time_limit_s: -1", "zwischen 0 und 3600"),
        ("time_limit_s: 10", "time_limit_s: zehn", "Zahl"),
        ("[AFG, ERI,", "[AFX, ERI,", "AFX"),
        ("age_groups: [\"18-20\", \"21-23\", \"24-26\"]", "age_groups: [\"18-20\", \"24-26\"]", "Alter 21"),
    ])
    func mistakesFailBeforeAnyInputIsRead(find: String, replace: String, mention: String) throws {
        #expect(original.contains(find))
        let error = try #require(pipelineError(original.replacingOccurrences(of: find, with: replace)))
        #expect(error.description.contains(mention))
    }

    @Test func overridesReplaceGlobAndOutput() throws {
        let pipeline = try standardPipeline.overriding(sources: ["jobcenter": "/data/*.csv"], outputDirectory: "/tmp/out")
        #expect(pipeline.sources.first { $0.id == "jobcenter" }?.glob == "/data/*.csv")
        #expect(pipeline.outputDirectory == "/tmp/out")
        #expect(throws: KlapptError.self) { try standardPipeline.overriding(sources: ["schule": "x"], outputDirectory: nil) }
    }
}

@Suite struct KeyFileTests {
    @Test func keygenMakesAPrivateKeyAndRefusesToOverwrite() throws {
        let path = makeTemporaryDirectory() + "/sub/klappt.key"
        try KeyFile.create(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try KeyFile.load(path: path).count == 32)
        #expect(throws: KlapptError.self) { try KeyFile.create(path: path) }
    }

    @Test func keyReadableByOthersIsRefusedWith77() throws {
        let path = makeTemporaryDirectory() + "/k"
        _ = FileManager.default.createFile(
            atPath: path, contents: Data((String(repeating: "ab", count: 32) + "\n").utf8), attributes: [.posixPermissions: 0o644])
        do {
            _ = try KeyFile.load(path: path)
            Issue.record("expected refusal")
        } catch {
            #expect(error.exitCode == 77)
            guard case .key(.readableByOthers(let file, let mode)) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(file == path && mode == "644")
        }
    }

    @Test(arguments: ["abc", String(repeating: "g", count: 64), String(repeating: "a", count: 62)])
    func malformedKeyIsRefused(content: String) throws {
        let path = makeTemporaryDirectory() + "/k"
        _ = FileManager.default.createFile(atPath: path, contents: Data(content.utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: KlapptError.self) { _ = try KeyFile.load(path: path) }
    }

    @Test func surroundingWhiteSpaceIsIgnored() throws {
        let path = makeTemporaryDirectory() + "/k"
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(("  \n" + String(repeating: "0F", count: 32) + "\r\n\n").utf8), attributes: [.posixPermissions: 0o600])
        #expect(try KeyFile.load(path: path) == Array(repeating: 0x0F, count: 32))
    }

    @Test func keySourcePrecedence() throws {
        let pipeline = standardPipeline
        #expect(try KeySource.resolve(option: "/a", pipeline: pipeline, environment: ["KLAPPT_KEY_FILE": "/b"]).path == "/a")
        #expect(try KeySource.resolve(option: nil, pipeline: pipeline, environment: ["KLAPPT_KEY_FILE": "/b"]).path == "/b")
        #expect(try KeySource.resolve(option: nil, pipeline: pipeline, environment: [:]).path == NSHomeDirectory() + "/.config/klappt/klappt.key")
    }

    @Test func exitCodesFollowSysexits() {
        #expect(KlapptError.usage("").exitCode == 64)
        #expect(KlapptError.pipeline(PipelineError(file: "p", message: "")).exitCode == 64)
        #expect(KlapptError.tooManyRejected(file: "f", rejected: 2, rowsRead: 3, allowedShare: 0.05, mostFrequent: nil, quarantine: "q").exitCode == 65)
        #expect(KlapptError.implausible([]).exitCode == 65)
        #expect(KlapptError.noInputFiles(source: "s", glob: "g").exitCode == 66)
        #expect(KlapptError.key(.missing(path: "k")).exitCode == 66)
        #expect(KlapptError.internalError("").exitCode == 70)
        #expect(KlapptError.outputNotWritable("").exitCode == 73)
        #expect(KlapptError.locked(directory: "d", holder: "h").exitCode == 75)
        #expect(KlapptError.key(.notAKey(path: "k")).exitCode == 77)
        #expect(KlapptError.key(.otherKey(store: "s", periods: [], expected: "a", found: "b")).exitCode == 77)
    }
}

@Suite struct CanonicalFieldTests {
    @Test func ordinalsAreThePositionsInAllCases() {
        #expect(CanonicalField.allCases.map(\.ordinal) == Array(CanonicalField.allCases.indices))
    }

    @Test func fieldValuesKeepEachFieldApart() {
        var values = FieldValues()
        for field in CanonicalField.allCases { values[field] = field.rawValue }
        #expect(CanonicalField.allCases.allSatisfy { values[$0] == $0.rawValue })
        values[.status] = nil
        #expect(values[.status] == nil && values[.statusSince] == "status_since")
    }
}
