import ArgumentParser
import Foundation
import KlapptKit

extension Klappt {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bericht",
            abstract: "Schreibt den Förderbericht (bericht_<Quartal>.xlsx und .html) eines fertigen Quartals neu aus dem Speicher.",
            discussion: """
                Liest nur veröffentlichte Werte aus klappt.sqlite (gesperrte Zellen bleiben *) und die Beschriftungen der Pipeline; \
                die Eingaben werden nicht gelesen. Nach einer geänderten Beschriftung (codelists/beschriftungen.csv) genügt dieser Befehl.
                """)

        @Argument(help: "Pipeline-Datei (YAML), z. B. pipelines/quartal.yaml.")
        var pipeline: String

        @Option(help: ArgumentHelp("Quartal JJJJ-Qn (Standard: das neueste fertige Quartal im Speicher).", valueName: "QUARTAL"))
        var period: String?

        @Option(name: .customLong("output-dir"), help: "Ausgabeverzeichnis mit klappt.sqlite (ersetzt das der Pipeline-Datei).")
        var outputDirectory: String?

        func validate() throws {
            if let period, Period(period) == nil {
                throw ValidationError("--period „\(period)“ ist kein Quartal der Form 2026-Q3.")
            }
        }

        func run() throws {
            do {
                let loaded = try Pipeline.load(path: pipeline).overriding(sources: [:], outputDirectory: outputDirectory)
                let (period, files) = try ReportRebuild(pipeline: loaded, period: period.flatMap(Period.init)).execute()
                if files.isEmpty {
                    print("Die Pipeline wählt keinen Förderbericht aus (outputs:); für \(period) wurde nichts geschrieben.")
                }
                print("Förderbericht \(period) aus dem Speicher geschrieben:")
                for file in files { print("  \(file)") }
            } catch {
                throw Klappt.fail(error)
            }
        }
    }
}
