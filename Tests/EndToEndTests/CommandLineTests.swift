import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// The executable as cron and the coordinator use it: exit codes (SPEC 8), logs, progress, status.
@Suite(.serialized) struct CommandLineTests {
    let directory: String
    let key: String

    init() throws {
        directory = makeTemporaryDirectory("klappt-cli")
        key = writeTestKey(in: directory)
        try SampleGenerator(persons: 150, seed: 21, period: Period("2026-Q3")!).write(to: "\(directory)/in")
    }

    func arguments(_ extra: [String] = [], output: String? = nil, jobcenter: String? = nil) -> [String] {
        [
            "run", "pipelines/quartal.yaml", "--period", "2026-Q3", "--source", "auslaenderbehoerde=\(directory)/in/auslaenderbehoerde/*.csv",
            "--source", "jobcenter=\(jobcenter ?? "\(directory)/in/jobcenter/*.csv")",
            "--source", "berufskolleg=\(directory)/in/berufskolleg/*.xml",
            "--output-dir", output ?? "\(directory)/out", "--key-file", key,
        ] + extra
    }

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: klapptBinary), "\(klapptBinary)")
    }

    @Test func exitCodes() throws {
        // 0: done, with the German summary; progress lines never appear when stderr is not a terminal.
        let done = try runKlappt(arguments())
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("Zielgruppe"))
        #expect(!done.stderr.contains("Lese "))
        // 0 again, without work: the inputs are unchanged.
        let again = try runKlappt(arguments())
        #expect(again.status == 0)
        #expect(again.stdout.contains("bereits fertig"))
        // 64: usage.
        #expect(try runKlappt(arguments(["--period", "2026-Q7"])).status == 64)
        #expect(try runKlappt(["run", "\(directory)/fehlt.yaml"]).status == 64)
        // 66: no input files.
        let missing = try runKlappt(arguments(jobcenter: "\(directory)/leer/*.csv"))
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("jobcenter"))
        // 65: a file that cannot be read.
        let broken = "\(directory)/broken"
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(broken)/x.csv", contents: Data("Kundennummer;Name\r\n1;\"offen\r\n".utf8))
        let bad = try runKlappt(arguments(output: "\(directory)/out65", jobcenter: "\(broken)/*.csv"))
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("x.csv"))
        // 73: the output directory cannot be made (a file is in the way).
        _ = FileManager.default.createFile(atPath: "\(directory)/datei", contents: Data())
        #expect(try runKlappt(arguments(output: "\(directory)/datei/out")).status == 73)
        // 77: a key readable by others.
        chmod(key, 0o644)
        defer { chmod(key, 0o600) }
        let unsafe = try runKlappt(arguments(["--force"]))
        #expect(unsafe.status == 77)
        #expect(unsafe.stderr.contains("chmod 600"))
    }

    @Test func secondRunOnTheSameOutputExits75AtOnce() throws {
        let output = "\(directory)/locked"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let lock = try RunLock(directory: output)
        // "At once" needs no clock: this process holds the lock until after the call, so a run
        // that waited for it would never return; one that returns 75 did not wait. (A timing
        // assertion stood here; timings belong in the benchmark target.)
        let result = try runKlappt(arguments(output: output))
        withExtendedLifetime(lock) {}
        #expect(result.status == 75)
        #expect(result.stderr.contains("PID \(getpid())"))
        #expect(result.stderr.contains("gestartet"))
    }

    @Test func twoRunsStartedAtOnceNeverInterleave() throws {
        let big = makeTemporaryDirectory("klappt-two")
        try SampleGenerator(persons: 6000, seed: 5, period: Period("2026-Q3")!).write(to: "\(big)/in")
        let args = [
            "run", "pipelines/quartal.yaml", "--period", "2026-Q3", "--source", "auslaenderbehoerde=\(directory)/in/auslaenderbehoerde/*.csv", "--source",
            "jobcenter=\(big)/in/jobcenter/*.csv",
            "--source", "berufskolleg=\(big)/in/berufskolleg/*.xml", "--output-dir", "\(big)/out", "--key-file", key,
        ]
        let first = try startKlappt(args)
        let second = try startKlappt(args)
        for (process, out, err) in [first, second] {
            _ = out.fileHandleForReading.readDataToEndOfFile()
            _ = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
        }
        let codes = [first.0.terminationStatus, second.0.terminationStatus].sorted()
        // One run did the work; the other was refused (75) or, if it came after, found nothing to do (0).
        #expect(codes == [0, 75] || codes == [0, 0])
        let store = try Store(path: "\(big)/out/klappt.sqlite")
        #expect(try store.query("SELECT COUNT(*) FROM runs")[0][0] == "1")
        #expect(try store.query("PRAGMA integrity_check")[0][0] == "ok")
    }

    @Test func jsonLogsAreOneObjectPerLineWithoutPersonalData() throws {
        let result = try runKlappt(arguments(["--log-format", "json", "-v"], output: "\(directory)/json"))
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["meldung"] != nil)
            #expect(object?["stufe"] != nil)
        }
        // Names and customer numbers of the inputs never reach a log line.
        let input = try String(contentsOfFile: filesBelow("\(directory)/in/jobcenter").first { $0.hasSuffix("30.csv") }!, encoding: .isoLatin1)
        for row in input.components(separatedBy: "\r\n").dropFirst().prefix(50) {
            let cells = row.components(separatedBy: ";")
            guard cells.count > 3, cells[0].hasPrefix("123D") else { continue }
            #expect(!result.stderr.contains(cells[0]))
            #expect(!result.stderr.contains(";\(cells[1]);"))
        }
        // A failure is a JSON line too.
        let failed = try runKlappt([
            "run", "pipelines/quartal.yaml", "--log-format", "json", "--source", "jobcenter=\(directory)/nichts/*.csv", "--output-dir", "\(directory)/json2",
            "--key-file", key,
        ])
        #expect(failed.status == 66)
        let object = try JSONSerialization.jsonObject(with: Data(failed.stderr.split(separator: "\n").last!.utf8)) as? [String: Any]
        #expect(object?["exit"] as? String == "66")
        #expect(object?["stufe"] as? String == "error")
    }

    @Test func statusListsPeriodsInputsAndRuns() throws {
        let output = "\(directory)/status"
        #expect(try runKlappt(arguments(output: output)).status == 0)
        #expect(try runKlappt(arguments(["--force"], output: output)).status == 0)
        let status = try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output])
        #expect(status.status == 0)
        #expect(status.stdout.contains("Zeitraum 2026-Q3: 2 Läufe"))
        #expect(status.stdout.contains("Lauf 2:"))
        #expect(status.stdout.contains("bk_170011_2026-09-30.xml"))
    }

    @Test func helpEverywhere() throws {
        for command in [[], ["run"], ["validate"], ["status"], ["audit"], ["keygen"], ["samples"]] {
            let result = try runKlappt(command + ["--help"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("USAGE"))
        }
    }
}
