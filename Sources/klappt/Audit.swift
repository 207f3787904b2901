import ArgumentParser
import Foundation
import KlapptKit

extension Klappt {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prüft eine veröffentlichte Indikatortabelle: kann eine gesperrte Zelle erschlossen werden?",
            discussion: """
                Berechnet für jede gesperrte Zelle (*) exakt (lineare Optimierung), welche Werte mit allem \
                Veröffentlichten vereinbar sind: Summen der Kategorien zur Zeile insgesamt, Summe der sechs \
                Aktivitäten zu personen, keine negativen Werte. Eine Zelle ist geschützt, wenn ihr größter \
                möglicher Wert mindestens die Mindestfallzahl erreicht.
                Mit --kreis (je Kreis einmal) wird eine Landestabelle land_indikatoren_<Quartal>.csv zusammen mit den \
                Veröffentlichungen der Kreise geprüft: jede Zelle des Landes ist die Summe der Kreise, eine Zeile kreis die \
                Zeile insgesamt des Kreises; geprüft wird jede gesperrte Zelle des Landes und jedes Kreises. Neben jeder genannten \
                Datei werden, wo vorhanden, die Übergänge desselben Quartals (uebergaenge_…, land_uebergaenge_…) und Tabelle und \
                Übergänge des Vorquartals mitgelesen (SPEC 10: die Übergänge summieren sich zu beiden Quartalen).
                Exit-Code 0: alle gesperrten Zellen geschützt; 65: mindestens eine ist es nicht.
                """)

        @Argument(help: "Veröffentlichte Datei indikatoren_<Quartal>.csv (oder land_indikatoren_<Quartal>.csv mit --kreis).")
        var file: String

        @Option(name: .customLong("kreis"), help: "Veröffentlichte indikatoren_<Quartal>.csv eines Kreises, zusammen mit der Landestabelle zu prüfen.")
        var districts: [String] = []

        @Option(
            name: .customLong("pipeline"),
            help: "Pipeline-Datei, aus deren Postleitzahlenliste die Namen der Gemeinden kommen (Standard: pipelines/quartal.yaml, wenn vorhanden).")
        var pipeline: String?

        @Option(name: .customLong("min-cell"), help: "Mindestfallzahl (Standard 3, wie min_cell der Pipeline).")
        var minCell: Int = 3

        func validate() throws {
            guard minCell >= 1 else { throw ValidationError("--min-cell muss mindestens 1 sein.") }
        }

        func run() throws {
            do {
                guard FileManager.default.isReadableFile(atPath: file) else { throw KlapptError.inputUnreadable(path: file, reason: "nicht gefunden") }
                var used: [String] = []
                let results =
                    districts.isEmpty
                    ? try PublishedTableAudit.audit(file: file, minCell: minCell)
                    : try PublishedTableAudit.auditJointly(land: file, districts: districts, minCell: minCell) { used.append($0) }
                if !districts.isEmpty { print("Zusammen geprüft: \(used.joined(separator: ", "))") }
                print(PublishedTableAudit.report(results, file: file, minCell: minCell, names: try municipalityNames()))
                if results.contains(where: { !$0.unsafe.isEmpty }) { throw ExitCode(65) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Klappt.fail(error)
            }
        }

        /// AGS → municipality name from the pipeline's postcode list (issue 23: cells named by name
        /// too, not by code only); empty when there is no pipeline to ask.
        func municipalityNames() throws -> [String: String] {
            let path = pipeline ?? "pipelines/quartal.yaml"
            guard pipeline != nil || FileManager.default.fileExists(atPath: path) else { return [:] }
            let loaded = try Pipeline.load(path: path)
            return Dictionary(loaded.codeLists.municipalities.map { ($0.ags, $0.name) }, uniquingKeysWith: { first, _ in first })
        }
    }
}
