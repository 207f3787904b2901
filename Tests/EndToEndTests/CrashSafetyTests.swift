import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// SPEC 8: a run killed at any moment leaves the previous outputs intact (or, once its store commit
/// has happened, is completed by the next start), the store always passes its integrity check, and
/// re-runs never double count.
@Suite(.serialized) struct CrashSafetyTests {
    struct Snapshot: Equatable {
        var table: Data?
        var report: Data?
        var figures: [[String?]]
    }

    func snapshot(_ output: String) throws -> Snapshot {
        let store = try Store(path: "\(output)/klappt.sqlite")
        #expect(try store.query("PRAGMA integrity_check")[0][0] == "ok")
        return Snapshot(
            table: FileManager.default.contents(atPath: "\(output)/indikatoren_2026-Q3.csv"),
            report: FileManager.default.contents(atPath: "\(output)/lauf_2026-Q3.json"),
            figures: try store.query("SELECT indikator, dimension, auspraegung, wert, gesperrt FROM indikatoren WHERE zeitraum = '2026-Q3' ORDER BY 1, 2, 3"))
    }

    @Test func killedRunsLeaveThePreviousOutputsOrCompleteOnTheNextStart() throws {
        let directory = makeTemporaryDirectory("klappt-kill")
        let key = writeTestKey(in: directory)
        try SampleGenerator(persons: 300, seed: 1, period: Period("2026-Q3")!).write(to: "\(directory)/old")
        try SampleGenerator(persons: 8000, seed: 2, period: Period("2026-Q3")!).write(to: "\(directory)/new")
        func args(_ input: String, _ output: String) -> [String] {
            [
                "run", "pipelines/quartal.yaml", "--period", "2026-Q3", "--source", "jobcenter=\(directory)/\(input)/jobcenter/*.csv",
                "--source", "auslaenderbehoerde=\(directory)/\(input)/auslaenderbehoerde/*.csv",
                "--source", "berufskolleg=\(directory)/\(input)/berufskolleg/*.xml", "--output-dir", output, "--key-file", key,
            ]
        }
        // What the new inputs give when nothing interrupts them, and how long that takes.
        let reference = "\(directory)/reference"
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try runKlappt(args("new", reference)).status == 0)
        let duration = clock.now - start
        let expectedNew = try snapshot(reference)
        let newFingerprint = try #require(try Store(path: "\(reference)/klappt.sqlite").latestRun(period: Period("2026-Q3")!)).fingerprint

        for fraction in [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97, 1.05] {
            let output = "\(directory)/kill-\(fraction)"
            #expect(try runKlappt(args("old", output)).status == 0)
            let previous = try snapshot(output)
            let (process, out, err) = try startKlappt(args("new", output))
            Thread.sleep(forTimeInterval: Double(duration.components.seconds) * fraction + Double(duration.components.attoseconds) * 1e-18 * fraction)
            kill(process.processIdentifier, SIGKILL)
            _ = out.fileHandleForReading.readDataToEndOfFile()
            _ = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()

            let store = try Store(path: "\(output)/klappt.sqlite")
            let committed = try store.latestRun(period: Period("2026-Q3")!)?.fingerprint == newFingerprint
            let after = try snapshot(output)
            if !committed {
                // Killed before the commit point: every previous output byte for byte.
                #expect(after == previous, "Abbruch bei \(fraction)")
            } else {
                // Killed after it: the figures are the new ones, and the next start puts the files in place.
                #expect(after.figures == expectedNew.figures, "Abbruch bei \(fraction)")
                try Publisher.recover(ledger: store, outputDirectory: output)
                #expect(FileManager.default.contents(atPath: "\(output)/indikatoren_2026-Q3.csv") == expectedNew.table, "Abbruch bei \(fraction)")
                #expect(try store.pendingRuns().isEmpty)
            }
            // The next start leaves no half-written file behind.
            try Publisher.recover(ledger: store, outputDirectory: output)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasSuffix(".tmp") || $0.hasSuffix(".pending") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
    }

    @Test func recoveryCompletesAPublicationInterruptedAfterTheCommit() throws {
        let directory = makeTemporaryDirectory("klappt-recover")
        try SampleGenerator(persons: 120, seed: 8, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        let output = "\(directory)/out"
        var pipeline = try testPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: output)
        pipeline.maxRejectShare = 0.05
        let run = QuarterlyRun(pipeline: pipeline, period: Period("2026-Q3")!, logger: quietLogger)
        _ = try run.execute(key: testKey)
        let published = try #require(FileManager.default.contents(atPath: run.outputs.table))
        // Simulate the crash window: committed in the store, files still pending.
        try FileManager.default.moveItem(atPath: run.outputs.table, toPath: "\(output)/.indikatoren_2026-Q3.csv.pending")
        try FileManager.default.moveItem(atPath: run.outputs.report, toPath: "\(output)/.lauf_2026-Q3.json.pending")
        let store = try Store(path: run.outputs.store)
        _ = try store.query("UPDATE runs SET veroeffentlicht = 0")
        _ = FileManager.default.createFile(atPath: "\(output)/.indikatoren_2025-Q4.csv.pending", contents: Data("Rest eines abgebrochenen Laufs".utf8))
        #expect(try Publisher.recover(ledger: store, outputDirectory: output) == ["2026-Q3"])
        #expect(FileManager.default.contents(atPath: run.outputs.table) == published)
        #expect(FileManager.default.fileExists(atPath: run.outputs.report))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/.indikatoren_2025-Q4.csv.pending"))
        #expect(try store.pendingRuns().isEmpty)
    }

    @Test func unchangedInputsAreNotRunTwiceUnlessForced() throws {
        let directory = makeTemporaryDirectory("klappt-idem")
        try SampleGenerator(persons: 120, seed: 9, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        let output = "\(directory)/out"
        let jc = "\(directory)/in/jobcenter/*.csv"
        let bk = "\(directory)/in/berufskolleg/*.xml"
        let rg = "\(directory)/in/auslaenderbehoerde/*.csv"
        let first = try runPipeline(jobcenter: jc, berufskolleg: bk, register: rg, output: output)
        let table = FileManager.default.contents(atPath: "\(output)/indikatoren_2026-Q3.csv")
        var again = QuarterlyRun(
            pipeline: try testPipeline(jobcenter: jc, berufskolleg: bk, register: rg, output: output),
            period: Period("2026-Q3")!, logger: quietLogger)
        again.force = false
        #expect(try again.execute(key: testKey).unchangedSince == first.startedAt)
        let store = try Store(path: "\(output)/klappt.sqlite")
        #expect(try store.query("SELECT COUNT(*) FROM runs")[0][0] == "1")
        // --force runs again: byte-identical table, the period replaced, not doubled.
        var pipeline = try testPipeline(jobcenter: jc, berufskolleg: bk, register: rg, output: output)
        pipeline.maxRejectShare = 0.05
        var forced = QuarterlyRun(pipeline: pipeline, period: Period("2026-Q3")!, logger: quietLogger)
        forced.force = true
        #expect(try forced.execute(key: testKey).unchangedSince == nil)
        #expect(FileManager.default.contents(atPath: "\(output)/indikatoren_2026-Q3.csv") == table)
        #expect(try store.query("SELECT COUNT(*) FROM runs")[0][0] == "2")
        #expect(try store.query("SELECT COUNT(*) FROM indikatoren WHERE zeitraum = '2026-Q3'")[0][0] == "432")
        // A changed input file is new work.
        let file = filesBelow("\(directory)/in/berufskolleg")[0]
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try (text + "<!-- Nachtrag -->\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try again.execute(key: testKey).unchangedSince == nil)
        // Another key is refused (issue 9: pseudonyms would stop matching) ...
        var otherKey = testKey
        otherKey[0] = 99
        var other = QuarterlyRun(pipeline: pipeline, period: Period("2026-Q3")!, logger: quietLogger)
        let refused = #expect(throws: KlapptError.self) { try other.execute(key: otherKey) }
        #expect(refused?.exitCode == 77)
        guard case .key(.otherKey(_, let periods, let expected, let found))? = refused else {
            Issue.record("\(String(describing: refused))")
            return
        }
        #expect(periods == ["2026-Q3"] && expected == Pseudonymizer(keyBytes: testKey).keyCheck && found == Pseudonymizer(keyBytes: otherKey).keyCheck)
        // ... unless a new key series begins on purpose: then it is new work, and the ledger says so.
        other.newKeySeries = true
        #expect(try other.execute(key: otherKey).unchangedSince == nil)
        #expect(try store.query("SELECT neue_schluesselserie FROM runs ORDER BY id DESC LIMIT 1") == [["1"]])
    }

    @Test func failingAuditIsAnInternalError70AndPublishesNothing() throws {
        let directory = makeTemporaryDirectory("klappt-70")
        try SampleGenerator(persons: 150, seed: 4, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        let pipeline = try testPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: "\(directory)/out"
        )
        var run = QuarterlyRun(pipeline: pipeline, period: Period("2026-Q3")!, logger: quietLogger)
        run.secondarySuppression = NoSecondarySuppression()
        do {
            _ = try run.execute(key: testKey)
            Issue.record("expected 70")
        } catch {
            #expect(error.exitCode == 70)
            #expect(error.description.contains("ungeschützt"))
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out/indikatoren_2026-Q3.csv"))
    }
}
