import ArgumentParser
import Foundation
import KlapptKit
import KlapptSamples

extension Klappt {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verarbeitet ein Quartal: Indikatortabelle, Übergänge, Förderbericht, SQLite-Speicher und Laufbericht.",
            discussion: """
                Schreibt nach OUTPUT: den Förderbericht bericht_<Quartal>.xlsx und .html, indikatoren_<Quartal>.csv und \
                uebergaenge_<Quartal>.csv (veröffentlichbar), klappt.sqlite (intern), lauf_<Quartal>.json (Laufbericht) und \
                abgewiesene Zeilen nach quarantaene/<Quartal>/ (personenbezogen, 0600).
                Der Schlüssel kommt aus --key-file, sonst KLAPPT_KEY_FILE, sonst der Pipeline-Datei.
                Ist das Quartal mit denselben Eingaben schon fertig, meldet klappt das und endet mit 0, ohne etwas zu tun.
                """)

        @OptionGroup var input: InputOptions

        @Option(name: .customLong("key-file"), help: "Schlüsseldatei (64 Hex-Zeichen, Rechte 0600).")
        var keyFile: String?

        @Flag(help: "Auch dann rechnen, wenn das Quartal mit denselben Eingaben schon fertig ist.")
        var force = false

        @Flag(
            name: .customLong("new-key-series"),
            help:
                "Einen anderen Schlüssel als den der fertigen Quartale bewusst annehmen: eine neue Schlüsselserie beginnt (Übergänge zu früheren Quartalen entfallen; wird im Speicher vermerkt)."
        )
        var newKeySeries = false

        @Flag(name: .customLong("ignore-plausibility"), help: "Trotz nicht bestandener Plausibilitätsprüfung veröffentlichen (wird im Speicher vermerkt).")
        var ignorePlausibility = false

        func run() throws {
            let console = Console(format: input.logFormat, verbose: input.verbose)
            var started = QuarterlyRun.timestamp()
            var loaded: Pipeline?
            var current: Period?
            do {
                let pipeline = try input.loadPipeline()
                loaded = pipeline
                let periods = input.resolvedPeriods(for: pipeline)
                var key = try KeySource.resolve(option: keyFile, pipeline: pipeline)
                let bytes = try key.load(outputDirectory: pipeline.outputDirectory)
                // Each quarter is a run of its own, oldest first, with its own commit point; the
                // first failure ends the invocation (a later quarter builds on the earlier ones).
                for (position, period) in periods.enumerated() {
                    current = period
                    started = QuarterlyRun.timestamp()
                    if position > 0, input.logFormat == .text { print("") }
                    try runQuarter(period, pipeline: pipeline, key: bytes, keyNote: position == 0 ? key.createdNote : nil, console: console)
                }
            } catch {
                // Every failed run in the ledger, and the operator's hook told (issue 9).
                if let pipeline = loaded {
                    let failure = FailedRun(period: current ?? input.resolvedPeriods(for: pipeline).last, mode: "run", started: started, error: error)
                    failure.record(outputDirectory: pipeline.outputDirectory)
                    if let command = pipeline.onFailure, let note = failure.notify(command: command, pipelineFile: pipeline.file) {
                        console.logger.error("\(note)")
                    }
                }
                throw console.fail(error)
            }
        }

        func runQuarter(_ period: Period, pipeline: Pipeline, key: [UInt8], keyNote: String?, console: Console) throws(KlapptError) {
            var run = QuarterlyRun(pipeline: pipeline, period: period, mode: .run, logger: console.logger)
            run.force = force
            run.newKeySeries = newKeySeries
            run.ignorePlausibility = ignorePlausibility
            run.progress = console.progressReporter()
            let result = try run.execute(key: key)
            guard let outcome = result.outcome else {
                let since = result.unchangedSince ?? "?"
                console.logger.notice("Eingaben unverändert, nichts zu tun", metadata: ["zeitraum": "\(period)", "letzter_lauf": "\(since)"])
                if input.logFormat == .text {
                    print(
                        "klappt: Quartal \(period) ist mit denselben Eingaben bereits fertig (Lauf vom \(since)). Nichts zu tun; --force erzwingt einen neuen Lauf."
                    )
                }
                return
            }
            console.logger.notice(
                "Lauf fertig",
                metadata: [
                    "zeitraum": "\(period)", "personen": "\(outcome.filter.persons)", "zielgruppe": "\(outcome.filter.targetGroup)",
                    "bestand": "\(outcome.filter.withCurrentRecord)", "gesperrt": "\(outcome.table?.suppressed.count ?? 0)",
                ])
            let summary = Summary.text(
                outcome, outputs: run.outputs, mode: .run, keyNote: keyNote, codeListPaths: pipeline.codeListPaths,
                reportSinks: pipeline.sinks.filter { $0 is any FundingReportSink }, labels: pipeline.labels)
            Summary.keepInternally(summary, outputDirectory: pipeline.outputDirectory, period: period, mode: .run, logger: console.logger)
            if input.logFormat == .text { print(summary) }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Liest und prüft die Eingaben; schreibt nur den Prüfbericht pruefung_<Quartal>.json.",
            discussion:
                "Braucht keinen Schlüssel: Personen werden mit einem flüchtigen Schlüssel nur innerhalb dieses Laufs verknüpft. Veröffentlichte Ausgaben und der Speicher bleiben unberührt; abgewiesene Zeilen kommen nach quarantaene/<Quartal>/pruefung/."
        )

        @Flag(name: .customLong("ignore-plausibility"), help: "Plausibilitätsbefunde nicht als Fehler werten.")
        var ignorePlausibility = false

        @OptionGroup var input: InputOptions

        func run() throws {
            let console = Console(format: input.logFormat, verbose: input.verbose)
            do {
                let pipeline = try input.loadPipeline()
                // A check looks at one quarter: the last of the selection.
                guard let period = input.resolvedPeriods(for: pipeline).last else { return }
                var run = QuarterlyRun(pipeline: pipeline, period: period, mode: .validate, logger: console.logger)
                run.ignorePlausibility = ignorePlausibility
                run.progress = console.progressReporter()
                guard let outcome = try run.execute(key: nil).outcome else { throw KlapptError.internalError("Prüfung ohne Ergebnis") }
                console.logger.notice("Prüfung fertig", metadata: ["zeitraum": "\(run.period)", "bericht": "\(run.outputs.report)"])
                let summary = Summary.text(
                    outcome, outputs: run.outputs, mode: .validate, keyNote: nil, codeListPaths: pipeline.codeListPaths, labels: pipeline.labels)
                Summary.keepInternally(summary, outputDirectory: pipeline.outputDirectory, period: run.period, mode: .validate, logger: console.logger)
                if input.logFormat == .text { print(summary) }
            } catch {
                throw console.fail(error)
            }
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erzeugt eine neue Schlüsseldatei (256 Bit, Rechte 0600).")

        @Argument(help: "Pfad der neuen Schlüsseldatei; eine vorhandene wird nie überschrieben.")
        var file: String

        @Flag(
            name: .customLong("signing"),
            help:
                "Stattdessen ein Signaturschlüsselpaar (Ed25519) für die Übermittlung an das Land: FILE (privat, 0600) und FILE.pub (einmal an das Land senden)."
        )
        var signing = false

        func run() throws {
            do {
                if signing {
                    let publicFile = try SigningKeyFile.create(path: file)
                    print(
                        "Signaturschlüssel geschrieben: \(file) (privat, Rechte 0600, nie weitergeben) und \(publicFile) (öffentlich: einmal an das Land senden, das ihn für diesen Kreis als vertrauenswürdig ablegt)."
                    )
                    return
                }
                try KeyFile.create(path: file)
                print(
                    "Schlüssel geschrieben: \(file) (Rechte 0600). Sicher aufbewahren: ohne ihn lassen sich Pseudonyme späterer Quartale nicht mehr verknüpfen."
                )
            } catch {
                throw Klappt.fail(error)
            }
        }
    }

    struct Samples: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erzeugt synthetische Exporte in den Referenzformaten (mit Sollwerten in erwartet_<Quartal>.json).")

        @Option(help: "Zielordner.")
        var out: String

        @Option(help: "Anzahl synthetischer Personen.")
        var persons: Int = 400

        @Option(help: "Startwert des Zufallsgenerators (gleicher Wert, gleiche Dateien).")
        var seed: UInt64 = 1

        @Option(
            help:
                "Berichtsquartal JJJJ-Qn, auf dessen Stichtag die Daten passen (Standard: letztes abgeschlossenes), oder ein Bereich JJJJ-Qn..JJJJ-Qn: dieselbe Bevölkerung über mehrere Quartale, je Quartal ein Unterordner."
        )
        var period: String?

        @Option(name: .customLong("only"), help: "Nur diese Quelle schreiben: jobcenter, berufskolleg oder auslaenderbehoerde (für Messungen).")
        var only: String?

        @Option(
            name: .customLong("format"),
            help: "Format der Listen von Jobcenter und Ausländerbehörde: csv (Referenzformat) oder xlsx (in Excel gespeichert, wie sie wirklich kommen).")
        var listFormat: String = "csv"

        @Option(
            name: .customLong("layout"),
            help: "Format der Berufskolleg-Exporte: xml (Referenzformat) oder svws (Schülerexport des SVWS-Servers als CSV).")
        var collegeLayout: String = "xml"

        @Option(
            name: .customLong("plz"),
            help:
                "Postleitzahlenliste des Kreises (plz;ags;gemeinde wie pipelines/codelists/plz_kreis_unna.csv): die Wohnorte im Kreis kommen aus ihr. Standard: Kreis Unna. Für die Daten eines anderen Kreises (klappt land üben)."
        )
        var postcodes: String?

        @Flag(
            name: .customLong("varianten"),
            help:
                "Namen und Geburtsdaten so verschieden geschrieben, wie die Partner es tun (Umschriften, Doppelnamen, Tippfehler, 00.00., 1. Januar, Geschwister mit gleichem Geburtstag). Die Sollwerte bleiben die der wahren Personen."
        )
        var variants = false

        func validate() throws {
            if SampleCollegeLayout(rawValue: collegeLayout) == nil { throw ValidationError("--layout: xml oder svws.") }
            if SampleListFormat(rawValue: listFormat) == nil { throw ValidationError("--format: csv oder xlsx.") }
            if let only, SampleSource(rawValue: only) == nil { throw ValidationError("--only: jobcenter, berufskolleg oder auslaenderbehoerde.") }
            guard persons >= 1 else { throw ValidationError("--persons muss mindestens 1 sein.") }
            if let period, PeriodSelection.parse(period) == nil {
                throw ValidationError("--period „\(period)“ ist kein Quartal der Form 2026-Q3 und kein Bereich der Form 2026-Q2..2026-Q3.")
            }
        }

        func run() throws {
            let quarters = period.flatMap(PeriodSelection.parse) ?? [Period.lastCompleted(before: Period.today())]
            do {
                let roles = only.flatMap(SampleSource.init).map { Set([$0]) } ?? Set(SampleSource.allCases)
                var generator = SampleGenerator(persons: persons, seed: seed, period: quarters[0], sources: roles)
                generator.listFormat = SampleListFormat(rawValue: listFormat) ?? .csv
                generator.collegeLayout = SampleCollegeLayout(rawValue: collegeLayout) ?? .xml
                generator.identityVariants = variants
                if let postcodes {
                    do { generator.municipalities = try SampleMunicipality.from(postcodeList: Pipeline.absolute(postcodes)) } catch {
                        throw KlapptError.pipeline(error)
                    }
                }
                // One quarter into OUT; several (one population moving between them) into OUT/<Quartal>/.
                let expectations = quarters.count == 1 ? [try generator.write(to: out)] : try generator.writeQuarters(to: out, periods: quarters)
                for (quarter, expectation) in zip(quarters, expectations) {
                    let folder = quarters.count == 1 ? out : "\(out)/\(quarter)"
                    print("Synthetische Exporte für \(quarter) geschrieben nach \(folder):")
                    for file in expectation.files { print("  \(file.file): \(file.rowsRead) Zeilen") }
                    print("Sollwerte: \(folder)/erwartet_\(quarter).json (\(expectation.persons) Personen, davon \(expectation.targetGroup) in der Zielgruppe)")
                }
            } catch let error as KlapptError {
                throw Klappt.fail(error)
            } catch {
                throw Klappt.fail(KlapptError.outputNotWritable("\(out): \(error)"))
            }
        }
    }
}
