import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// The colleges' pupil export as the SVWS-Server writes it (issue 21): the shipped pipeline
/// `pipelines/beispiele/berufskolleg_svws.yaml` with its own code lists for the college source,
/// on the committed sample made by `klappt samples --layout svws`.
@Suite struct SVWSLayoutTests {
    static let pipelineFile = "\(repositoryRoot)/pipelines/beispiele/berufskolleg_svws.yaml"

    func expectation(_ folder: String, _ period: String) throws -> SampleGenerator.Expectation {
        let data = try #require(FileManager.default.contents(atPath: "\(folder)/\(period)/erwartet_\(period).json"))
        return try JSONDecoder().decode(SampleGenerator.Expectation.self, from: data)
    }

    @Test func theCommittedSampleGivesItsExpectedFiguresTransitionsAndAccounting() throws {
        let output = makeTemporaryDirectory("klappt-svws")
        let pipeline = try Pipeline.load(path: Self.pipelineFile).overriding(sources: [:], outputDirectory: output)
        let college = try #require(pipeline.sources.first { $0.id == "berufskolleg" })
        #expect(college.codeListOverrides.keys.sorted() == ["gliederung", "nationalitaeten", "plz", "schueler_status"])
        #expect(pipeline.sources.filter { $0.codeLists != nil }.map(\.id) == ["berufskolleg"])
        for period in ["2026-Q2", "2026-Q3"] {
            let outcome = try #require(try QuarterlyRun(pipeline: pipeline, period: Period(period)!, logger: quietLogger).execute(key: testKey).outcome)
            let truth = try expectation("\(repositoryRoot)/samples/svws", period)
            let table = try #require(outcome.table?.table)
            var mismatches: [String] = []
            for cell in table.cells where truth.figures["\(cell.indicator.rawValue)|\(cell.dimension)|\(cell.category)"] != table.values[cell] {
                mismatches.append("\(cell)")
            }
            #expect(mismatches.isEmpty, "\(period): \(mismatches.prefix(5))")
            #expect(table.cells.count == 432)
            #expect(outcome.filter.targetGroup == truth.targetGroup)
            for file in truth.files {
                let account = try #require(outcome.files.first { $0.file.hasSuffix(file.file) }, "\(file.file)")
                let counted: [Int] = [account.rowsRead, account.accepted, account.rejected, account.duplicates]
                let expected: [Int] = [file.rowsRead, file.accepted, file.rejected, file.duplicates]
                #expect(counted == expected, "\(file.file)")
                #expect(account.reasons == file.reasons, "\(file.file)")
            }
            #expect(outcome.files.filter { $0.file.contains("schueler_export_") }.count == 3)
            if let expected = truth.transitions {
                let transitions = try #require(outcome.transitions)
                for pair in TransitionTable.pairs { #expect(transitions[pair.from, pair.to] == expected["\(pair.from)|\(pair.to)"]) }
            }
        }
    }

    /// The committed sample is what the generator makes: `klappt samples --layout svws` with the
    /// defaults of the README (400 persons, seed 1, 2026-Q2..2026-Q3).
    @Test func theCommittedSampleIsTheGeneratorsOutput() throws {
        let directory = makeTemporaryDirectory("klappt-svws-gen")
        var generator = SampleGenerator(persons: 400, seed: 1, period: Period("2026-Q2")!)
        generator.collegeLayout = .svws
        _ = try generator.writeQuarters(to: directory, periods: [Period("2026-Q2")!, Period("2026-Q3")!])
        for period in ["2026-Q2", "2026-Q3"] {
            let made = filesBelow("\(directory)/\(period)").map { String($0.dropFirst(directory.count)) }
            let committed = filesBelow("\(repositoryRoot)/samples/svws/\(period)").map { String($0.dropFirst("\(repositoryRoot)/samples/svws".count)) }
            #expect(made == committed)
            for file in made {
                #expect(
                    FileManager.default.contents(atPath: directory + file) == FileManager.default.contents(atPath: "\(repositoryRoot)/samples/svws" + file),
                    "\(file)")
            }
        }
        let header = try String(contentsOfFile: "\(directory)/2026-Q3/berufskolleg/schueler_export_170011_2026-09-30.csv", encoding: .utf8)
            .components(separatedBy: "\r\n")[0]
        #expect(
            header
                == #""Schüler-ID";"Nachname";"Vorname";"Geschlecht";"Geburtsdatum";"Klasse";"Status";"Aufnahmedatum";"Entlassdatum (diese Schule)";"Wohnort";"Staatsangehörigkeit""#
        )
    }

    @Test func aSourcesOwnCodeListsReplaceOnlyItsOwn() throws {
        let copy = "\(makeTemporaryDirectory("klappt-svws-listen"))/pipelines"
        try FileManager.default.copyItem(atPath: "\(repositoryRoot)/pipelines", toPath: copy)
        let file = "\(copy)/beispiele/berufskolleg_svws.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        // An unknown list name in a source is a pipeline error at its line (64).
        try text.replacingOccurrences(of: "      gliederung: codelists/svws_klassen.csv", with: "      klassen: codelists/svws_klassen.csv")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: KlapptError.self) { try Pipeline.load(path: file) }
        #expect(error?.exitCode == 64)
        #expect(error?.description.contains("klassen") == true)
        // The pipeline's own lists stay for the other sources; the hint for an unknown value names both.
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let pipeline = try Pipeline.load(path: file)
        let jobcenter = try #require(pipeline.sources.first { $0.id == "jobcenter" })
        #expect(jobcenter.codeLists == nil)
        #expect(pipeline.codeLists.nationalities["475"] == "SYR")
        let college = try #require(pipeline.sources.first { $0.id == "berufskolleg" }?.codeLists)
        #expect(college.nationalities["SYR"] == "SYR")
        #expect(college.nationalities["475"] == nil)
        #expect(college.courses["AV1"] == .schule)
        #expect(college.postcodes["Unna"] == "05978036")
        #expect(pipeline.codeListPaths["plz"]?.hasSuffix("orte_kreis_unna.csv (Quelle berufskolleg)") == true)
        #expect(pipeline.configurationFiles.contains { $0.hasSuffix("svws_klassen.csv") })
    }
}
