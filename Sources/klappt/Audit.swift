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
                Exit-Code 0: alle gesperrten Zellen geschützt; 65: mindestens eine ist es nicht.
                """)

        @Argument(help: "Veröffentlichte Datei indikatoren_<Quartal>.csv.")
        var file: String

        @Option(name: .customLong("min-cell"), help: "Mindestfallzahl (Standard 3, wie min_cell der Pipeline).")
        var minCell: Int = 3

        func validate() throws {
            guard minCell >= 1 else { throw ValidationError("--min-cell muss mindestens 1 sein.") }
        }

        func run() throws {
            do {
                guard FileManager.default.isReadableFile(atPath: file) else { throw KlapptError.inputUnreadable(path: file, reason: "nicht gefunden") }
                let results = try PublishedTableAudit.audit(file: file, minCell: minCell)
                print(PublishedTableAudit.report(results, file: file, minCell: minCell))
                if results.contains(where: { !$0.unsafe.isEmpty }) { throw ExitCode(65) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Klappt.fail(error)
            }
        }
    }
}
