import ArgumentParser
import Foundation
import KlapptKit

extension Klappt {
    struct Land: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "land",
            abstract: "Die Landestabelle aus den signierten Übermittlungen der Kreise, gemeinsam mit deren Veröffentlichungen geschützt.",
            discussion: """
                Prüft jede Übermittlung gegen <Kreisschlüssel>.pub im Ordner der vertrauenswürdigen Schlüssel, bildet die Landestabelle \
                (Summe über die Kreise, Merkmal kreis statt gemeinde) und sperrt so, dass keine kleine Zelle des Landes oder eines Kreises \
                aus allen Veröffentlichungen zusammen erschlossen werden kann. Schreibt land_indikatoren_<Quartal>.csv und den Landesbericht land_bericht_<Quartal>.xlsx und .html (veröffentlichbar) sowie land.sqlite (intern, exakte Werte).
                """)

        @Option(help: ArgumentHelp("Quartal JJJJ-Qn.", valueName: "QUARTAL"))
        var period: String

        @Option(help: "Die Übermittlungsdateien (Muster, z. B. '/daten/land/2026-Q3/*.json').")
        var deliveries: String

        @Option(name: .customLong("trusted-keys"), help: "Ordner mit den öffentlichen Schlüsseln der Kreise (<Kreisschlüssel>.pub).")
        var trustedKeys: String

        @Option(name: .customLong("output-dir"), help: "Ausgabeverzeichnis.")
        var outputDirectory: String

        @Option(help: "Kreisschlüssel, die geliefert haben müssen, durch Komma getrennt (z. B. 05978,05974).")
        var expect: String?

        @Option(name: .customLong("min-cell"), help: "Kleinste veröffentlichte Zahl (wie min_cell der Kreise).")
        var minCell: Int = 3

        func validate() throws {
            if Period(period) == nil { throw ValidationError("--period „\(period)“ ist kein Quartal der Form 2026-Q3.") }
            guard minCell >= 1 else { throw ValidationError("--min-cell muss mindestens 1 sein.") }
        }

        @Flag(name: .shortAndLong, help: "Jeden Schritt protokollieren.")
        var verbose = false

        func run() throws {
            let console = Console(format: .text, verbose: verbose)
            do {
                var land = LandRun(
                    period: Period(period)!, deliveries: QuarterlyRun.glob(Pipeline.absolute(deliveries)), trustedKeys: Pipeline.absolute(trustedKeys),
                    outputDirectory: Pipeline.absolute(outputDirectory),
                    expected: expect.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
                land.minCell = minCell
                land.logger = console.logger
                switch try land.execute() {
                case .unchanged(let files, let since, let verified):
                    print(
                        "klappt: Landestabelle \(period) ist mit denselben Übermittlungen (\(verified.count)) bereits fertig (Lauf vom \(since)): \(files[0]). Nichts zu tun."
                    )
                case .published(let files, let protected, let verified):
                    print("klappt: Landestabelle \(period) aus \(Summary.counted(verified.count, "Übermittlung", "Übermittlungen")):")
                    for entry in verified {
                        print("  \(entry.delivery.kreis) \(entry.delivery.kreisName): \(entry.file) (sha256 \(entry.sha256.prefix(12))…, Signatur geprüft)")
                    }
                    print(
                        "Geheimhaltung: \(protected.primary.count) Zellen primär gesperrt, \(protected.secondary.count) sekundär (\(protected.method)); geprüft mit allen Veröffentlichungen der Kreise zusammen (\(protected.audit.count) gesperrte Zellen des Landes und der Kreise)."
                    )
                    let named = { (kind: String) in files.filter { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix(kind) } }
                    print("Tabelle (veröffentlichbar): \(named("land_indikatoren").joined())")
                    if let transitions = named("land_uebergaenge").first {
                        print("Übergänge (veröffentlichbar): \(transitions)")
                    } else {
                        let without = verified.filter { $0.delivery.uebergaenge == nil }.map(\.delivery.kreis)
                        print(
                            "Keine Übergangstabelle des Landes: ohne Übergänge übermittelt haben \(without.joined(separator: ", ")) (dort fehlt das Vorquartal)."
                        )
                    }
                    print("Landesbericht (veröffentlichbar): \(named("land_bericht").joined(separator: ", "))")
                    print("Landesspeicher (intern, exakte Werte): \(Pipeline.absolute(outputDirectory))/land.sqlite")
                }
            } catch {
                throw Klappt.fail(error)
            }
        }
    }
}
