import Benchmark
import Foundation
import KlapptFormats
import KlapptKit
import KlapptSamples
import Logging

/// Inputs made once per benchmark process by klappt's own generator (20,000 persons, 2026-Q3).
let fixture: (directory: String, csv: String, xml: [String], pipeline: Pipeline) = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-benchmark-\(getpid())").path
    try! SampleGenerator(persons: 20_000, seed: 1, period: Period("2026-Q3")!).write(to: directory)
    let csv = "\(directory)/jobcenter/jobcenter_kreis_unna_2026-09-30.csv"
    let xml = (try! FileManager.default.contentsOfDirectory(atPath: "\(directory)/berufskolleg")).sorted().map { "\(directory)/berufskolleg/\($0)" }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    let pipeline = try! Pipeline.load(path: "\(root)/pipelines/quartal.yaml").overriding(
        sources: ["jobcenter": "\(directory)/jobcenter/*.csv", "berufskolleg": "\(directory)/berufskolleg/*.xml"],
        outputDirectory: "\(directory)/out")
    return (directory, csv, xml, pipeline)
}()

let key = Array(UInt8(0)...UInt8(31))

/// The same 20,000 persons' job-centre list saved as a workbook (issue 21), made once.
let workbookFixture: String = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-benchmark-xlsx-\(getpid())").path
    var generator = SampleGenerator(persons: 20_000, seed: 1, period: Period("2026-Q3")!, sources: [.jobcenter])
    generator.listFormat = .xlsx
    try! generator.write(to: directory)
    return "\(directory)/jobcenter/jobcenter_kreis_unna_2026-09-30.xlsx"
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(5))

    // The readers as the run uses them: raw field bytes, nothing decoded.
    Benchmark("CSV reader (job-centre export, 20,000 persons)") { benchmark in
        for _ in benchmark.scaledIterations {
            let reader = try CSVReader(path: fixture.csv)
            _ = try reader.readHeader()
            var rows = 0
            while try reader.advance() { rows += reader.fields.count }
            blackHole(rows)
        }
    }

    // The same rows from a workbook: open (shared strings), inflate and parse the sheet.
    Benchmark("Workbook reader (job-centre list as .xlsx, 20,000 persons)") { benchmark in
        for _ in benchmark.scaledIterations {
            let workbook = try XLSXWorkbook(path: workbookFixture)
            let reader = try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: nil))
            _ = try reader.readHeader()
            var rows = 0
            while try reader.advance() { rows += reader.fieldSpans.count }
            blackHole(rows)
        }
    }

    Benchmark("XML reader (three Berufskolleg exports)") { benchmark in
        let mapped = [
            "@Id", "Name", "Vorname", "Geburtsdatum", "Geschlecht", "StaatKrz", "Aufenthaltsstatus", "PLZ", "Status", "Gliederung",
            "Aufnahmedatum", "Entlassdatum", "/@Stand",
        ]
        for _ in benchmark.scaledIterations {
            var records = 0
            for file in fixture.xml {
                let reader = try XMLRecordReader(path: file, recordElement: "Schueler", mappedFields: mapped)
                while try reader.advance() { records += reader.fieldSpans.count }
            }
            blackHole(records)
        }
    }

    Benchmark("Pseudonymiser (linkage material and HMAC)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let pseudonymizer = Pseudonymizer(keyBytes: key)
        let birth = CivilDate(year: 2001, month: 3, day: 17)!
        for index in benchmark.scaledIterations {
            blackHole(pseudonymizer.personPseudonym(givenToken: index % 2 == 0 ? "mohammed" : "yusuf", familyToken: "alhassan", birthDate: birth))
        }
    }

    Benchmark("Person index (add and group 100,000 records)") { benchmark in
        let pseudonymizer = Pseudonymizer(keyBytes: key)
        let records = (0..<100_000).map { index in
            PseudoRecord(
                person: pseudonymizer.personPseudonym("p\(index / 2)"), recordKey: pseudonymizer.recordKey(source: "jobcenter", id: "\(index)"),
                rank: JobcenterRole.attributeRank, origin: RowOrigin(sourceIndex: 0, fileIndex: 0, order: index, line: index + 2), asOf: nil,
                sex: .m, age: 20, nationality: "SYR", municipality: .unknown, residence: .duldung, currentActivity: .sonstige, flows: [])
        }
        for _ in benchmark.scaledIterations {
            var index = PersonIndex()
            index.add(records)
            blackHole(index.persons().count)
        }
    }

    Benchmark("Whole run (20,000 persons, all outputs)", configuration: .init(maxIterations: 10)) { benchmark in
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        for _ in benchmark.scaledIterations {
            var run = QuarterlyRun(pipeline: fixture.pipeline, period: Period("2026-Q3")!, logger: logger)
            run.force = true
            blackHole(try run.execute(key: key).outcome?.filter.targetGroup)
        }
    }
    transitionBenchmarks()
    suppressionBenchmarks()
}

/// SPEC 10: the transitions of a state-scale quarter (1,000,000 target-group persons in each of two
/// quarters, 90 % of them in both): one merge join of two pseudonym-sorted lists.
let transitionFixture: (previous: [(PersonPseudonym, PersonState)], current: [(PersonPseudonym, PersonState)]) = {
    let pseudonymizer = Pseudonymizer(keyBytes: key)
    let states = PersonState.all.dropLast()
    let everyone = (0..<1_100_000).map { pseudonymizer.personPseudonym("p\($0)") }
    let previous = everyone[0..<1_000_000].enumerated().map { ($1, states[states.startIndex + $0 % states.count]) }.sorted { $0.0 < $1.0 }
    let current = everyone[100_000...].enumerated().map { ($1, states[states.startIndex + ($0 / 3) % states.count]) }.sorted { $0.0 < $1.0 }
    return (previous, current)
}()

let transitionBenchmarks: @Sendable () -> Void = {
    Benchmark("Transitions (merge join, 1,000,000 persons a quarter)", configuration: .init(maxIterations: 20)) { benchmark in
        let fixture = transitionFixture
        for _ in benchmark.scaledIterations {
            blackHole(TransitionTable(previous: fixture.previous, current: fixture.current).counts[0])
        }
    }
}

/// Issue 15: secondary suppression plus audit of a period, as the run does it, on generated
/// quarters: 2026-Q2 alone (432 cells) and 2026-Q3 linked to Q2's publication and the transitions.
let suppressionFixtures: [(name: String, table: IndicatorTable, problem: ProtectionProblem)] = {
    var logger = Logger(label: "benchmark")
    logger.logLevel = .critical
    var fixtures: [(String, IndicatorTable, ProtectionProblem)] = []
    for persons in [900, 2000, 4000] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-benchmark-sdc-\(persons)-\(getpid())").path
        let periods = [Period("2026-Q2")!, Period("2026-Q3")!]
        _ = try! SampleGenerator(persons: persons, seed: 1, period: periods[0]).writeQuarters(to: "\(directory)/in", periods: periods)
        var outcomes: [RunOutcome] = []
        for period in periods {
            let input = "\(directory)/in/\(period)"
            let pipeline = try! fixture.pipeline.overriding(
                sources: [
                    "jobcenter": "\(input)/jobcenter/*.csv", "berufskolleg": "\(input)/berufskolleg/*.xml",
                    "auslaenderbehoerde": "\(input)/auslaenderbehoerde/*.csv",
                ], outputDirectory: "\(directory)/out")
            outcomes.append(try! QuarterlyRun(pipeline: pipeline, period: period, logger: logger).execute(key: key).outcome!)
        }
        let store = try! Store(path: "\(directory)/out/klappt.sqlite")
        let runID = Int(try! store.query("SELECT id FROM runs WHERE zeitraum = '2026-Q2' AND veroeffentlicht = 1")[0][0]!)!
        let q2 = outcomes[0].table!.table
        let q3 = outcomes[1].table!.table
        let previous = try! store.loadQuarter(periods[0], runID: runID, indicators: q2.indicators)
        fixtures.append(("2026-Q2, \(persons) persons", q2, ProtectionProblem(table: q2, minCell: 3)))
        fixtures.append(
            (
                "2026-Q3 linked, \(persons) persons", q3,
                LinkedProtection.problem(table: q3, transitions: outcomes[1].transitions!, previous: previous, minCell: 3)
            ))
        try? FileManager.default.removeItem(atPath: directory)
    }
    return fixtures
}()

let suppressionBenchmarks: @Sendable () -> Void = {
    for index in 0..<6 {
        let names = ["900", "2000", "4000"].flatMap { ["2026-Q2, \($0) persons", "2026-Q3 linked, \($0) persons"] }
        Benchmark("Suppression and audit (\(names[index]))", configuration: .init(maxIterations: 20)) { benchmark in
            let fixture = suppressionFixtures[index]
            let control = DisclosureControl(minCell: 3)
            for _ in benchmark.scaledIterations {
                blackHole(try control.protect(fixture.table, linked: fixture.problem).secondary.count)
            }
        }
    }
}
