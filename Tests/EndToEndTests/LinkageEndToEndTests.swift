import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// Probabilistic linkage through the whole run (SPEC 4.1 v3; handbook, sections 8a and 8b): the
/// figures against the true persons of quarters whose names and birth dates vary as the partners
/// write them, one identity from quarter to quarter, the review list and the decisions file.
@Suite struct LinkageEndToEndTests {
    /// Two quarters of `persons` with identity variants, under `directory/in/<period>/`.
    static func variantQuarters(persons: Int, seed: UInt64) throws -> (directory: String, truth: [SampleGenerator.Expectation]) {
        let directory = makeTemporaryDirectory("klappt-varianten")
        var generator = SampleGenerator(persons: persons, seed: seed, period: Period("2026-Q2")!)
        generator.identityVariants = true
        let truth = try generator.writeQuarters(to: "\(directory)/in", periods: [Period("2026-Q2")!, Period("2026-Q3")!])
        return (directory, truth)
    }

    static func sources(_ directory: String) -> [String] {
        [
            "--source", "auslaenderbehoerde=\(directory)/in/{zeitraum}/auslaenderbehoerde/*.csv", "--source",
            "jobcenter=\(directory)/in/{zeitraum}/jobcenter/*.csv", "--source", "berufskolleg=\(directory)/in/{zeitraum}/berufskolleg/*.xml",
        ]
    }

    /// Runs both quarters with `linkage` and returns the second's outcome.
    func secondQuarter(_ directory: String, linkage: LinkageMethod) throws -> RunOutcome {
        let output = "\(directory)/out-\(linkage.name)"
        var last: RunOutcome?
        for period in ["2026-Q2", "2026-Q3"] {
            last = try runPipeline(
                jobcenter: "\(directory)/in/\(period)/jobcenter/*.csv", berufskolleg: "\(directory)/in/\(period)/berufskolleg/*.xml",
                register: "\(directory)/in/\(period)/auslaenderbehoerde/*.csv", output: output, period: period
            ) { $0.linkage = linkage }
        }
        return try #require(last)
    }

    @Test func figuresOfTheTruePersonsWithinTheIssuesBounds() throws {
        let (directory, truth) = try Self.variantQuarters(persons: 1500, seed: 4)
        let expected = truth[1]
        func errors(_ outcome: RunOutcome) throws -> (targetGroup: Double, withoutActivity: Double, cells: Double, transitions: Double) {
            let table = try #require(outcome.table?.table)
            func total(_ indicator: String) -> Int {
                table.cells.first { $0.indicator.rawValue == indicator && $0.dimension == "insgesamt" }.flatMap { table.values[$0] } ?? 0
            }
            func truthTotal(_ indicator: String) -> Int { expected.figures["\(indicator)|insgesamt|insgesamt"] ?? 0 }
            var cellError = 0
            var cellSum = 0
            for cell in table.cells {
                let want = expected.figures["\(cell.indicator.rawValue)|\(cell.dimension)|\(cell.category)"] ?? 0
                cellError += abs((table.values[cell] ?? 0) - want)
                cellSum += want
            }
            let transitions = try #require(outcome.transitions)
            let wanted = try #require(expected.transitions)
            var transitionError = 0
            for pair in TransitionTable.pairs { transitionError += abs(transitions[pair.from, pair.to] - (wanted["\(pair.from)|\(pair.to)"] ?? 0)) }
            return (
                Double(total("zielgruppe") - truthTotal("zielgruppe")) / Double(truthTotal("zielgruppe")),
                Double(total("ohne_aktivitaet") - truthTotal("ohne_aktivitaet")) / Double(truthTotal("ohne_aktivitaet")),
                Double(cellError) / Double(cellSum), Double(transitionError) / Double(wanted.values.reduce(0, +))
            )
        }
        let probabilistic = try errors(secondQuarter(directory, linkage: .probabilistic))
        #expect(abs(probabilistic.targetGroup) <= 0.015, "\(probabilistic)")
        #expect(abs(probabilistic.withoutActivity) <= 0.04, "\(probabilistic)")
        #expect(probabilistic.cells <= 0.012, "\(probabilistic)")
        #expect(probabilistic.transitions <= 0.04, "\(probabilistic)")
        // The exact rule on the same quarters: every missed link is one person too many, most of
        // them "reached by no programme".
        let exact = try errors(secondQuarter(directory, linkage: .exact))
        #expect(exact.withoutActivity > 0.2, "\(exact)")
        #expect(exact.cells > 4 * probabilistic.cells, "\(exact) \(probabilistic)")
    }

    @Test func theReviewListAndTheDecisionsFileWorkThroughTheBinary() throws {
        let (directory, _) = try Self.variantQuarters(persons: 1500, seed: 4)
        let key = writeTestKey(in: directory)
        let output = "\(directory)/out"
        let first = try runKlappt(
            ["run", "pipelines/quartal.yaml", "--period", "2026-Q3"] + Self.sources(directory) + ["--output-dir", output, "--key-file", key])
        #expect(first.status == 0, "\(first.stderr)")
        let list = "\(output)/quarantaene/2026-Q3/pruefpaare.csv"
        #expect(first.stdout.contains("Paare zur Prüfung: \(list) (persönliche Daten, nur lokal"), "\(first.stdout)")
        #expect(first.stdout.contains("geschätzte Fehler: etwa "))
        #expect(first.stdout.contains("ohne Aktivität liegt danach wahrscheinlich zwischen "))
        let attributes = try FileManager.default.attributesOfItem(atPath: list)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        var lines = try String(contentsOfFile: list, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        #expect(
            lines[0].hasSuffix(
                "paar;entscheidung;wahrscheinlichkeit;vergleich;satz;quelle;datei;zeile;kennung;familienname;vorname;geburtsdatum;geschlecht;staatsangehoerigkeit;plz"
            ))
        #expect(lines.count >= 5, "wenigstens zwei Paare")
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/lauf_2026-Q3.json"))) as? [String: Any])
        let linkage = try #require(report["linkage"] as? [String: Any])
        #expect(linkage["method"] as? String == "probabilistic/1")
        #expect(linkage["review_pairs"] as? Int == (lines.count - 1) / 2)
        #expect(linkage["decisions_applied"] as? Int == 0)
        let personsBefore = try #require((report["persons"] as? [String: Any])?["total"] as? Int)

        // The coordinator decides the first two pairs: the first are one person, the second two.
        func decide(_ line: String, _ decision: String) -> String {
            var cells = line.components(separatedBy: ";")
            cells[1] = decision
            return cells.joined(separator: ";")
        }
        let firstPair = lines[1].components(separatedBy: ";")[4]
        let firstPartner = lines[2].components(separatedBy: ";")[4]
        lines[1] = decide(lines[1], "gleich")
        lines[3] = decide(lines[3], "Verschieden")
        let decisions = "\(directory)/entscheidungen.csv"
        try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: decisions, atomically: true, encoding: .utf8)
        let pipelines = "\(directory)/pipelines"
        try FileManager.default.copyItem(atPath: "\(repositoryRoot)/pipelines", toPath: pipelines)
        let pipeline = "\(pipelines)/quartal.yaml"
        let text = try String(contentsOfFile: pipeline, encoding: .utf8)
        try text.replacingOccurrences(of: "  # decisions: entscheidungen.csv", with: "  decisions: \(decisions)").write(
            toFile: pipeline, atomically: true, encoding: .utf8)

        let second = try runKlappt(
            ["run", pipeline, "--period", "2026-Q3"] + Self.sources(directory) + ["--output-dir", output, "--key-file", key])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("2 Entscheidungen aus der Entscheidungsdatei angewandt"), "\(second.stdout)")
        let again = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(output)/lauf_2026-Q3.json"))) as? [String: Any])
        #expect((again["linkage"] as? [String: Any])?["decisions_applied"] as? Int == 2)
        #expect(((again["persons"] as? [String: Any])?["total"] as? Int ?? 0) < personsBefore)
        // Decided pairs are not listed again.
        let relisted = try String(contentsOfFile: list, encoding: .utf8)
        #expect(!(relisted.contains(firstPair) && relisted.contains(firstPartner)))

        // A decision that is neither word: 65, naming the file, the line and the column, quoting nothing.
        lines[1] = decide(lines[1], "vielleicht")
        try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: decisions, atomically: true, encoding: .utf8)
        // Again without --force: only the decisions file changed, and that alone is new work.
        let wrong = try runKlappt(["run", pipeline, "--period", "2026-Q3"] + Self.sources(directory) + ["--output-dir", output, "--key-file", key])
        #expect(wrong.status == 65)
        #expect(wrong.stderr.contains(decisions) && wrong.stderr.contains("Zeile 2") && wrong.stderr.contains("entscheidung"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("vielleicht"))

        // The list holds at most `review_limit` pairs, the most likely first; the summary says how
        // many are in the band.
        let limited = try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(of: "  review_limit: 1000\n", with: "  review_limit: 1\n")
            .replacingOccurrences(of: "  decisions: \(decisions)\n", with: "")
        try limited.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let capped = try runKlappt(["run", pipeline, "--period", "2026-Q3"] + Self.sources(directory) + ["--output-dir", output, "--key-file", key])
        #expect(capped.status == 0, "\(capped.stderr)")
        let band = (report["linkage"] as? [String: Any])?["review_pairs"] as? Int ?? 0
        #expect(capped.stdout.contains("\(band) Paare im Prüfbereich, die 1 wahrscheinlichsten zur Prüfung: \(list)"), "\(capped.stdout)")
        let cappedLines = try String(contentsOfFile: list, encoding: .utf8).split(whereSeparator: \.isNewline)
        #expect(cappedLines.count == 3)
        #expect(cappedLines[1].contains(lines[1].components(separatedBy: ";")[2]), "the most likely pair first")
    }
}
