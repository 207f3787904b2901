import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// Runs the pipeline on exports made by `klappt samples` and compares with the generator's own
/// ground truth (`erwartet_<period>.json`), which it derives from the people it invented, not from
/// the pipeline's code.
@Suite struct GeneratedQuarterTests {
    struct Case: Sendable, CustomStringConvertible {
        var persons: Int
        var seed: UInt64
        var period: String
        var description: String { "\(persons) Personen, Seed \(seed), \(period)" }
    }

    static let cases = [
        Case(persons: 300, seed: 1, period: "2026-Q3"), Case(persons: 1200, seed: 42, period: "2024-Q1"), Case(persons: 700, seed: 7, period: "2025-Q4"),
    ]

    func generate(_ c: Case) throws -> (directory: String, expectation: SampleGenerator.Expectation) {
        let directory = makeTemporaryDirectory("klappt-gen")
        let expectation = try SampleGenerator(persons: c.persons, seed: c.seed, period: Period(c.period)!).write(to: "\(directory)/in")
        return (directory, expectation)
    }

    @Test(arguments: cases)
    func figuresAndAccountingMatchTheGroundTruth(_ c: Case) throws {
        let (directory, expectation) = try generate(c)
        let outcome = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/out", period: c.period)
        let table = try #require(outcome.table?.table)
        var mismatches: [String] = []
        for cell in table.cells {
            let key = "\(cell.indicator.rawValue)|\(cell.dimension)|\(cell.category)"
            if expectation.figures[key] != table.values[cell] {
                mismatches.append("\(key): erwartet \(expectation.figures[key] ?? -1), berechnet \(table.values[cell] ?? -1)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        #expect(table.cells.count == expectation.figures.count)
        #expect(outcome.filter.persons == expectation.persons)
        #expect(outcome.filter.targetGroup == expectation.targetGroup)
        for file in expectation.files {
            let account = try #require(outcome.files.first { $0.file.hasSuffix(file.file) })
            let counted: [Int] = [account.rowsRead, account.accepted, account.rejected, account.duplicates]
            let expected: [Int] = [file.rowsRead, file.accepted, file.rejected, file.duplicates]
            #expect(counted == expected, "\(file.file)")
            #expect(account.reasons == file.reasons, "\(file.file)")
            #expect(account.rowsRead == account.accepted + account.rejected + account.duplicates)
        }
    }

    @Test func publishedEqualsStoreUnlessSuppressedAndEverySmallCellIsSuppressed() throws {
        let (directory, _) = try generate(Self.cases[0])
        let output = "\(directory)/out"
        _ = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: output)
        let store = try Store(path: "\(output)/klappt.sqlite")
        var stored: [String: (Int, Bool)] = [:]
        for row in try store.query("SELECT indikator, dimension, auspraegung, wert, gesperrt FROM indikatoren WHERE zeitraum = '2026-Q3'") {
            stored["\(row[0]!);\(row[1]!);\(row[2]!)"] = (Int(row[3]!)!, row[4] == "1")
        }
        let text = try String(contentsOfFile: "\(output)/indikatoren_2026-Q3.csv", encoding: .utf8)
        let rows = text.dropFirst().components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(rows.count == stored.count)
        var suppressed = 0
        for row in rows {
            let cells = row.components(separatedBy: ";")
            let (value, locked) = try #require(stored["\(cells[1]);\(cells[2]);\(cells[3])"])
            if cells[4] == "*" {
                suppressed += 1
                #expect(locked)
            } else {
                #expect(!locked)
                #expect(Int(cells[4]) == value)
            }
            if value == 1 || value == 2 { #expect(cells[4] == "*") }
        }
        #expect(suppressed > 0)
    }

    @Test func noPersonalDataOutsideTheQuarantine() throws {
        let (directory, _) = try generate(Self.cases[0])
        let output = "\(directory)/out"
        _ = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: output)
        // What must never leave the quarantine: names, birth dates (both layouts), customer numbers, student ids.
        let jobcenter = try String(contentsOfFile: filesBelow("\(directory)/in/jobcenter").first { $0.hasSuffix("30.csv") }!, encoding: .isoLatin1)
        var secrets = Set<String>()
        for line in jobcenter.components(separatedBy: "\r\n").dropFirst() {
            let cells = line.components(separatedBy: ";")
            guard cells.count >= 4, cells[0].hasPrefix("123D") else { continue }
            secrets.formUnion([cells[0], cells[1], cells[2], cells[3]])
            let date = cells[3].components(separatedBy: ".")
            if date.count == 3 { secrets.insert("\(date[2])-\(date[1])-\(date[0])") }
        }
        let college = try String(contentsOfFile: filesBelow("\(directory)/in/berufskolleg")[0], encoding: .utf8)
        for match in college.components(separatedBy: "Id=\"").dropFirst() { secrets.insert(String(match.prefix { $0 != "\"" })) }
        #expect(secrets.count > 100)
        let outputs = filesBelow(output).filter { !$0.contains("/quarantaene/") }
        #expect(outputs.contains { $0.hasSuffix("klappt.sqlite") })
        for file in outputs {
            let bytes = try #require(FileManager.default.contents(atPath: file))
            let text = String(decoding: bytes, as: UTF8.self)
            let leaked = secrets.filter { $0.count >= 4 && text.contains($0) }
            #expect(leaked.isEmpty, "\(file) enthält \(leaked.prefix(5))")
        }
        // The quarantine is private.
        for file in filesBelow(output) where file.contains("/quarantaene/") {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        let quarantineDirectory = try FileManager.default.attributesOfItem(atPath: "\(output)/quarantaene")[.posixPermissions] as? Int
        #expect(quarantineDirectory == 0o700)
    }

    @Test func rerunIsByteIdenticalAndNeverDoublesTheStore() throws {
        let (directory, _) = try generate(Self.cases[0])
        let output = "\(directory)/out"
        let pipeline = try testPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: output)
        var run = QuarterlyRun(pipeline: pipeline, period: Period("2026-Q3")!, logger: quietLogger)
        _ = try run.execute(key: testKey)
        let first = FileManager.default.contents(atPath: "\(output)/indikatoren_2026-Q3.csv")
        let store = try Store(path: "\(output)/klappt.sqlite")
        let counts = { () throws -> [String] in
            try ["indikatoren", "persons", "rejects", "sperrungen"].map { try store.query("SELECT COUNT(*) FROM \($0) WHERE zeitraum = '2026-Q3'")[0][0]! }
        }
        let before = try counts()
        run.force = true
        _ = try run.execute(key: testKey)
        #expect(FileManager.default.contents(atPath: "\(output)/indikatoren_2026-Q3.csv") == first)
        #expect(try counts() == before)
        #expect(try store.query("SELECT COUNT(*) FROM runs")[0][0] == "2")
        #expect(try store.query("PRAGMA integrity_check")[0][0] == "ok")
    }
}

/// The committed samples and their committed expectation agree with the pipeline.
@Suite struct CommittedSamplesTests {
    /// `samples/` holds two quarters of one population; the project's pipeline processes both (as
    /// the README's main command does) and gives the generator's figures and transitions.
    @Test func samplesGiveTheirExpectedFiguresAndTransitions() throws {
        let output = makeTemporaryDirectory("klappt-samples-run")
        var outcomes: [RunOutcome] = []
        for period in ["2026-Q2", "2026-Q3"] {
            var pipeline = try standardPipeline.overriding(sources: [:], outputDirectory: output)
            pipeline.maxRejectShare = 0.05
            let result = try QuarterlyRun(pipeline: pipeline, period: Period(period)!, logger: quietLogger).execute(key: testKey)
            let outcome = try #require(result.outcome)
            let data = try #require(FileManager.default.contents(atPath: "\(repositoryRoot)/samples/\(period)/erwartet_\(period).json"))
            let expectation = try JSONDecoder().decode(SampleGenerator.Expectation.self, from: data)
            let table = try #require(outcome.table?.table)
            for cell in table.cells {
                #expect(expectation.figures["\(cell.indicator.rawValue)|\(cell.dimension)|\(cell.category)"] == table.values[cell], "\(period) \(cell)")
            }
            if let expected = expectation.transitions {
                let transitions = try #require(outcome.transitions)
                for pair in TransitionTable.pairs { #expect(transitions[pair.from, pair.to] == expected["\(pair.from)|\(pair.to)"]) }
            }
            outcomes.append(outcome)
        }
        #expect(outcomes[1].transitions != nil)
    }
}

/// A big CSV or XML file is read in slices on all cores; cutting it finely must change nothing: not
/// a figure, not a count, not a line number of a rejected row, not a warning.
@Suite struct SlicedReadingTests {
    @Test func finelyCutFilesGiveTheSameOutcomeAsWholeFiles() throws {
        let directory = makeTemporaryDirectory("klappt-slices")
        _ = try SampleGenerator(persons: 1500, seed: 11, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        func run(_ sliceBytes: Int, _ name: String) throws -> RunOutcome {
            try runPipeline(
                jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
                register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/\(name)", sliceBytes: sliceBytes)
        }
        /// The target group as the store keeps it: every person with every category, in pseudonym order.
        func persons(_ name: String) throws -> [[String?]] {
            try Store(path: "\(directory)/\(name)/klappt.sqlite").query("SELECT * FROM persons ORDER BY pseudonym")
        }
        let whole = try run(QuarterlyRun.defaultSliceBytes, "whole")
        let wholePersons = try persons("whole")
        // Issue 24: libxml2 alone (`parser: libxml2`, whole files) gives the same outcome as the scanner.
        let reference = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/libxml2"
        ) { pipeline in
            for index in pipeline.sources.indices where pipeline.sources[index].format is XMLFormat {
                pipeline.sources[index].format = XMLFormat(recordElement: "Schueler", referenceParser: true)
            }
        }
        #expect(reference.files == whole.files)
        #expect(reference.rejections == whole.rejections)
        #expect(reference.warnings == whole.warnings)
        #expect(try persons("libxml2") == wholePersons)
        #expect(reference.table?.table.values == whole.table?.table.values)
        let collegeFiles = whole.files.filter { $0.file.hasSuffix(".xml") }
        #expect(collegeFiles.count == 3 && collegeFiles.allSatisfy { $0.rejected > 0 || $0.duplicates > 0 || $0.accepted > 0 })
        #expect(wholePersons.count == whole.filter.targetGroup && wholePersons.count > 100)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: whole.files[0].file)[.size] as? Int)
        let smallestCollegeFile = try collegeFiles.map { try #require(try FileManager.default.attributesOfItem(atPath: $0.file)[.size] as? Int) }.min()!
        for sliceBytes in [2_000, 7_777, 40_000] {
            #expect(size > 3 * sliceBytes, "the file must be cut into several slices")
            if sliceBytes < 20_000 { #expect(smallestCollegeFile > 3 * sliceBytes, "the college files too") }
            let sliced = try run(sliceBytes, "sliced-\(sliceBytes)")
            #expect(sliced.files == whole.files)
            #expect(sliced.rejections == whole.rejections)
            #expect(sliced.warnings == whole.warnings)
            #expect(try persons("sliced-\(sliceBytes)") == wholePersons)
            #expect(sliced.filter == whole.filter)
            #expect(sliced.table?.table.values == whole.table?.table.values)
        }
        #expect(!whole.rejections.isEmpty && !whole.warnings.isEmpty && whole.files[0].duplicates > 0)
    }
}

/// SPEC 10 on two consecutive generated quarters of one population (arrivals, people who move away,
/// age out, change status, start and finish courses): every transition cell equals the generator's
/// own count, both quarters' figures too, and the linked audit passes (else the run would fail).
@Suite struct GeneratedTransitionsTests {
    struct Case: Sendable, CustomStringConvertible {
        var persons: Int
        var seed: UInt64
        var periods: String
        var description: String { "\(persons) Personen, Seed \(seed), \(periods)" }
    }

    static let cases = [Case(persons: 500, seed: 2, periods: "2026-Q2..2026-Q3"), Case(persons: 1500, seed: 19, periods: "2025-Q4..2026-Q1")]

    @Test(arguments: cases)
    func transitionsEqualTheGroundTruth(_ c: Case) throws {
        let directory = makeTemporaryDirectory("klappt-transitions")
        let periods = try #require(PeriodSelection.parse(c.periods))
        let expectations = try SampleGenerator(persons: c.persons, seed: c.seed, period: periods[0]).writeQuarters(to: "\(directory)/in", periods: periods)
        var outcomes: [RunOutcome] = []
        for period in periods {
            let input = "\(directory)/in/\(period)"
            outcomes.append(
                try runPipeline(
                    jobcenter: "\(input)/jobcenter/*.csv", berufskolleg: "\(input)/berufskolleg/*.xml", register: "\(input)/auslaenderbehoerde/*.csv",
                    output: "\(directory)/out", period: period.description))
        }
        for (outcome, expectation) in zip(outcomes, expectations) {
            let table = try #require(outcome.table?.table)
            let mismatches = table.cells.filter { expectation.figures["\($0.indicator.rawValue)|\($0.dimension)|\($0.category)"] != table.values[$0] }
            #expect(mismatches.isEmpty, "\(outcome.period): \(mismatches.prefix(5))")
            #expect(outcome.filter.persons == expectation.persons)
        }
        #expect(outcomes[0].transitions == nil)
        #expect(outcomes[0].transitionNote?.contains("Keine Übergangstabelle") == true)
        let transitions = try #require(outcomes[1].transitions)
        let expected = try #require(expectations[1].transitions)
        for pair in TransitionTable.pairs {
            #expect(transitions[pair.from, pair.to] == expected["\(pair.from)|\(pair.to)"], "\(pair.from) > \(pair.to)")
        }
        #expect(transitions.counts.reduce(0, +) > c.persons / 2)
        // Published: 63 rows, `*` exactly where the store says withheld.
        let store = try Store(path: "\(directory)/out/klappt.sqlite")
        let stored = try store.query("SELECT von, nach, wert, gesperrt FROM uebergaenge WHERE zeitraum = '\(periods[1])' ORDER BY rowid")
        #expect(stored.count == 63)
        let text = try String(contentsOfFile: "\(directory)/out/uebergaenge_\(periods[1]).csv", encoding: .utf8)
        let rows = text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(rows.count == 63)
        for row in rows {
            let cells = row.components(separatedBy: ";")
            let entry = try #require(stored.first { $0[0] == cells[1] && $0[1] == cells[2] })
            #expect(cells[3] == (entry[3] == "1" ? "*" : entry[2]))
            if let value = Int(entry[2] ?? ""), value > 0, value < 3 { #expect(cells[3] == "*") }
        }
    }
}
