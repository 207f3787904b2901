import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// Issue 12, catch-up: source paths that name the quarter, `--period` ranges, and a run without
/// `--period` that processes every delivered quarter that is not finished, oldest first.
@Suite(.serialized) struct CatchUpTests {
    let directory: String
    let key: String

    init() throws {
        directory = makeTemporaryDirectory("klappt-catchup")
        key = writeTestKey(in: directory)
        try SampleGenerator(persons: 160, seed: 3, period: Period("2026-Q2")!).write(to: "\(directory)/in/2026-Q2")
        try SampleGenerator(persons: 160, seed: 4, period: Period("2026-Q3")!).write(to: "\(directory)/in/2026-Q3")
    }

    func arguments(_ extra: [String], output: String) -> [String] {
        [
            "run", "pipelines/quartal.yaml", "--source", "jobcenter=\(directory)/in/{zeitraum}/jobcenter/*.csv",
            "--source", "berufskolleg=\(directory)/in/{zeitraum}/berufskolleg/bk_*_{stichtag}.xml",
            "--source", "auslaenderbehoerde=\(directory)/in/{zeitraum}/auslaenderbehoerde/*.csv", "--output-dir", output, "--key-file", key,
        ] + extra
    }

    @Test func periodsParse() {
        #expect(PeriodSelection.parse("2026-Q3") == [Period("2026-Q3")!])
        #expect(PeriodSelection.parse("2025-Q4..2026-Q2") == ["2025-Q4", "2026-Q1", "2026-Q2"].map { Period($0)! })
        #expect(PeriodSelection.parse("2026-Q3..2026-Q2") == nil)
        #expect(PeriodSelection.parse("2026-Q3..") == nil)
        #expect(PeriodSelection.parse("2026-Q5") == nil)
    }

    @Test func aRangeRunsEachQuarterInOrderAndCatchUpFindsThemFinished() throws {
        let output = "\(directory)/out"
        let range = try runKlappt(arguments(["--period", "2026-Q2..2026-Q3"], output: output))
        #expect(range.status == 0, "\(range.stderr)")
        let q2 = try #require(range.stdout.range(of: "Quartal 2026-Q2 (Stichtag 2026-06-30) verarbeitet"))
        let q3 = try #require(range.stdout.range(of: "Quartal 2026-Q3 (Stichtag 2026-09-30) verarbeitet"))
        #expect(q2.lowerBound < q3.lowerBound)
        for period in ["2026-Q2", "2026-Q3"] {
            #expect(FileManager.default.fileExists(atPath: "\(output)/indikatoren_\(period).csv"))
            // Each quarter's figures are its own deliveries' (the generator's ground truth).
            let expectation = try JSONDecoder().decode(
                SampleGenerator.Expectation.self, from: try Data(contentsOf: URL(fileURLWithPath: "\(directory)/in/\(period)/erwartet_\(period).json")))
            let store = try Store(path: "\(output)/klappt.sqlite")
            let stored = try store.query("SELECT wert FROM indikatoren WHERE zeitraum = '\(period)' AND indikator = 'zielgruppe' AND dimension = 'insgesamt'")
            #expect(stored == [[String(expectation.targetGroup)]])
        }
        // Without --period: every delivered quarter of the last two years, oldest first; both are
        // finished with these inputs, so there is nothing to do.
        let again = try runKlappt(arguments([], output: output))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.components(separatedBy: "bereits fertig").count == 3)
        // 2026-Q3's transitions come from 2026-Q2 (SPEC 10).
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/lauf_2026-Q3.json"))) as? [String: Any])
        #expect((report["transitions"] as? [String: Any])?["previous_period"] as? String == "2026-Q2")
        #expect(FileManager.default.fileExists(atPath: "\(output)/uebergaenge_2026-Q3.csv"))
        #expect(range.stdout.contains("Übergänge (veröffentlichbar): \(output)/uebergaenge_2026-Q3.csv"))
        #expect(range.stdout.components(separatedBy: "Übergänge (veröffentlichbar)").count == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(output)/uebergaenge_2026-Q2.csv"))
        #expect(range.stdout.contains("Keine Übergangstabelle: das Vorquartal 2026-Q1 ist im Speicher nicht fertig berechnet"))
        // A later delivery for 2026-Q2, processed alone: 2026-Q3 is stale now ...
        let file = filesBelow("\(directory)/in/2026-Q2/berufskolleg")[0]
        try (try String(contentsOfFile: file, encoding: .utf8) + "<!-- Nachlieferung -->\n").write(toFile: file, atomically: true, encoding: .utf8)
        let redone = try runKlappt(arguments(["--period", "2026-Q2"], output: output))
        #expect(redone.status == 0, "\(redone.stderr)")
        let status = try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output])
        #expect(status.stdout.contains("Zeitraum 2026-Q3: 1 Lauf – veraltet: Vorquartal neu berechnet"))
        #expect(!status.stdout.contains("Zeitraum 2026-Q2: 2 Läufe – veraltet"))
        // ... and the next catch-up computes it again without --force, and then nothing is stale.
        let later = try runKlappt(arguments([], output: output))
        #expect(later.status == 0, "\(later.stderr)")
        #expect(later.stdout.contains("Quartal 2026-Q2 ist mit denselben Eingaben bereits fertig"))
        #expect(later.stdout.contains("Quartal 2026-Q3 (Stichtag 2026-09-30) verarbeitet"))
        #expect(!(try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output]).stdout.contains("veraltet")))
    }

    @Test func theFirstFailureEndsTheSequence() throws {
        let output = "\(directory)/out-fail"
        // (A failure is kept in the ledger of an existing output folder; it makes no folder.)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let missing = try runKlappt(
            arguments(["--period", "2026-Q1..2026-Q3"], output: output))
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("\(directory)/in/2026-Q1/"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/indikatoren_2026-Q2.csv"))
        let status = try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output])
        #expect(status.stdout.contains("Zeitraum 2026-Q1"))
        #expect(status.stdout.contains("Exit 66"))
    }
}
