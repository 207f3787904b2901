import ArgumentParser
import Foundation
import KlapptKit
import Logging

/// The `klappt` command: quarterly figures for "Gemeinsam klappt's" from job-centre and
/// Berufskolleg exports. Thin by design: options are parsed here, the work is done in KlapptKit,
/// and every `KlapptError` becomes its exit code in one place (`Klappt.fail`).
@main
struct Klappt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "klappt",
        abstract: "Quartalszahlen für „Gemeinsam klappt's“ aus den Exporten von Ausländerbehörde, Jobcenter und Berufskollegs.",
        discussion: """
            Exit-Codes: 0 fertig, 64 Aufruf- oder Pipeline-Fehler, 65 Eingabedaten fehlerhaft, 66 Eingabe fehlt, \
            70 interner Fehler, 73 Ausgabe nicht schreibbar, 75 anderer Lauf aktiv, 77 Schlüsseldatei unsicher.
            """,
        version: QuarterlyRun.version,
        subcommands: [Run.self, Validate.self, Report.self, Status.self, Audit.self, Keygen.self, Samples.self, Delivery.self, Land.self])

    /// The allocator's policy for big blocks first (`MemoryPolicy`), then the command.
    static func main() {
        MemoryPolicy.apply()
        main(nil)
    }

    /// Prints the error in German and exits with its code (SPEC 8), for commands without logging.
    static func fail(_ error: Error) -> ExitCode {
        let code = (error as? KlapptErrorCode)?.exitCode ?? 70
        FileHandle.standardError.write(Data("klappt: \(error)\n".utf8))
        return ExitCode(code)
    }
}

extension KlapptError: KlapptErrorCode {}

/// Options shared by `run` and `validate`.
struct InputOptions: ParsableArguments {
    @Argument(help: "Pipeline-Datei (YAML), z. B. pipelines/quartal.yaml.")
    var pipeline: String

    @Option(
        help: ArgumentHelp(
            "Berichtsquartal JJJJ-Qn oder ein Bereich JJJJ-Qn..JJJJ-Qn (Standard: das letzte abgeschlossene Quartal; nennen die Quellpfade {zeitraum} oder {stichtag}, jedes gelieferte Quartal der letzten zwei Jahre).",
            valueName: "QUARTAL"))
    var period: String?

    @Option(name: .customLong("source"), help: ArgumentHelp("Ersetzt den Pfad einer Quelle: ID=GLOB, z. B. 'jobcenter=daten/*.csv'.", valueName: "ID=GLOB"))
    var sources: [String] = []

    @Option(name: .customLong("output-dir"), help: "Ausgabeverzeichnis (wird angelegt, wenn es fehlt).")
    var outputDirectory: String?

    @Option(
        name: .customLong("linkage"),
        help: ArgumentHelp("Verknüpfung der Datensätze zu Personen (ersetzt linkage: der Pipeline-Datei): probabilistic oder exact.", valueName: "VERFAHREN"))
    var linkage: String?

    @Flag(name: .shortAndLong, help: "Ausführliche Protokollzeilen auf stderr.")
    var verbose = false

    @Option(name: .customLong("log-format"), help: "Protokoll auf stderr: text (Standard) oder json (eine Zeile je Ereignis, für cron).")
    var logFormat: LogFormat = .text

    func validate() throws {
        if let period {
            guard let periods = PeriodSelection.parse(period) else {
                throw ValidationError("--period „\(period)“ ist kein Quartal der Form 2026-Q3 und kein Bereich der Form 2026-Q2..2026-Q3.")
            }
            // Only a quarter that has ended can be complete (issue 9).
            let today = Period.today()
            for parsed in periods where !parsed.hasEnded(before: today) {
                throw ValidationError(
                    "--period \(parsed): das Quartal endet erst am \(parsed.referenceDate.german); verarbeitet werden nur abgeschlossene Quartale (zuletzt \(Period.lastCompleted(before: today)))."
                )
            }
        }
        for source in sources where !source.contains("=") {
            throw ValidationError("--source „\(source)“ hat nicht die Form ID=GLOB.")
        }
        if let linkage, case .failure(let error) = LinkageMethod.named(linkage) { throw ValidationError("--linkage: \(error.message)") }
    }

    /// The quarters to process, oldest first (`PeriodSelection`).
    func resolvedPeriods(for pipeline: Pipeline) -> [Period] {
        if let period, let periods = PeriodSelection.parse(period) { return periods }
        return PeriodSelection.defaultPeriods(for: pipeline, today: Period.today())
    }

    func loadPipeline() throws(KlapptError) -> Pipeline {
        var overrides: [String: String] = [:]
        for source in sources {
            let parts = source.split(separator: "=", maxSplits: 1)
            overrides[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        var loaded = try Pipeline.load(path: pipeline).overriding(sources: overrides, outputDirectory: outputDirectory)
        if let linkage, case .success(let method) = LinkageMethod.named(linkage) { loaded.linkage = method }
        return loaded
    }
}
