import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// Disclosure control on whole generated quarters (issue 3): the audit passes every time, the store
/// keeps every suppressed cell's interval, the report counts the secondary cells, and the published
/// file passes `klappt audit` on its own.
@Suite struct DisclosureEndToEndTests {
    @Test(arguments: [(1000, UInt64(11)), (4000, UInt64(12)), (10000, UInt64(13))])
    func generatedQuartersArePublishedSafely(persons: Int, seed: UInt64) throws {
        let directory = makeTemporaryDirectory("klappt-sdc")
        try SampleGenerator(persons: persons, seed: seed, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        let output = "\(directory)/out"
        let outcome = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: output)
        let protected = try #require(outcome.table)
        #expect(!protected.primary.isEmpty)
        #expect(protected.audit.count == protected.suppressed.count)
        #expect(protected.audit.allSatisfy { $0.protected })
        for finding in protected.audit where finding.primary {
            #expect((finding.interval.upper ?? .max) >= 3, "\(finding.cell)")
            #expect(finding.interval.lower <= finding.value!)
        }

        let store = try Store(path: "\(output)/klappt.sqlite")
        let rows = try store.query("SELECT art, COUNT(*) FROM sperrungen WHERE zeitraum = '2026-Q3' GROUP BY art ORDER BY art")
        let stored = Dictionary(uniqueKeysWithValues: rows.map { ($0[0]!, Int($0[1]!)!) })
        #expect(stored["primaer"] == protected.primary.count)
        #expect(stored["sekundaer", default: 0] == protected.secondary.count)
        #expect(try store.query("SELECT COUNT(*) FROM indikatoren WHERE zeitraum = '2026-Q3' AND gesperrt = 1")[0][0] == String(protected.suppressed.count))

        let report = try JSONSerialization.jsonObject(with: try #require(FileManager.default.contents(atPath: "\(output)/lauf_2026-Q3.json"))) as? [String: Any]
        let suppression = try #require(report?["suppression"] as? [String: Any])
        #expect(suppression["secondary_cells"] as? Int == protected.secondary.count)
        #expect(suppression["primary_cells"] as? Int == protected.primary.count)

        let results = try PublishedTableAudit.audit(file: "\(output)/indikatoren_2026-Q3.csv", minCell: 3)
        #expect(results.count == 1)
        #expect(results[0].findings.count == protected.suppressed.count)
        #expect(results[0].unsafe.isEmpty)
    }

    @Test func auditOfAPublishedFileFindsWhatATamperedFileDiscloses() throws {
        let directory = makeTemporaryDirectory("klappt-audit")
        try SampleGenerator(persons: 400, seed: 1, period: Period("2026-Q3")!).write(to: "\(directory)/in")
        let output = "\(directory)/out"
        let outcome = try runPipeline(
            jobcenter: "\(directory)/in/jobcenter/*.csv", berufskolleg: "\(directory)/in/berufskolleg/*.xml",
            register: "\(directory)/in/auslaenderbehoerde/*.csv", output: output)
        let protected = try #require(outcome.table)
        #expect(!protected.secondary.isEmpty)
        // Publish the secondary cells' values: the primaries they protected become recoverable.
        var text = try String(contentsOfFile: "\(output)/indikatoren_2026-Q3.csv", encoding: .utf8)
        for cell in protected.secondary {
            let line = "2026-Q3;\(cell.indicator.rawValue);\(cell.dimension);\(cell.category);"
            text = text.replacingOccurrences(of: line + "*\r\n", with: line + "\(protected.table.values[cell]!)\r\n")
        }
        let tampered = "\(directory)/tampered.csv"
        try text.write(toFile: tampered, atomically: true, encoding: .utf8)
        let results = try PublishedTableAudit.audit(file: tampered, minCell: 3)
        #expect(results[0].findings.count == protected.primary.count)
        #expect(!results[0].unsafe.isEmpty)
        let report = PublishedTableAudit.report(results, file: tampered, minCell: 3)
        #expect(report.contains("UNGESCHÜTZT"))
        #expect(report.contains("NICHT geschützt"))
    }

    @Test func malformedPublishedFileIsRejected() throws {
        let path = makeTemporaryDirectory("klappt-audit-bad") + "/x.csv"
        try "\u{FEFF}zeitraum;indikator;dimension;auspraegung;wert\r\n2026-Q3;personen;insgesamt;insgesamt;viele\r\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try PublishedTableAudit.audit(file: path, minCell: 3)
            Issue.record("expected 65")
        } catch {
            #expect(error.exitCode == 65)
            #expect(error.description.contains("Zeile 2"))
        }
    }
}
