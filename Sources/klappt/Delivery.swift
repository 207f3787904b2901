import ArgumentParser
import Foundation
import KlapptKit

extension Klappt {
    struct Delivery: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "uebermittlung",
            abstract: "Schreibt die signierte Übermittlung eines fertigen Quartals an das Land (exakte Zellen, was der Kreis veröffentlicht hat).",
            discussion: """
                Aus dem Speicher: die exakten Werte aller Zellen des Quartals, welche davon der Kreis veröffentlicht und welche er gesperrt hat, \
                Kreisschlüssel und -name, Zeitraum, das Tabellensystem und die klappt-Version, signiert mit dem Signaturschlüssel des Kreises \
                (klappt keygen --signing). Kein Pseudonym, keine Personenzeile, nichts aus einer Eingabe. Die exakten kleinen Zahlen machen die \
                Datei dennoch schutzbedürftig (Rechte 0600): sie geht nur im Rahmen der Auftragsverarbeitung des Programms an das Land.
                """)

        @Argument(help: "Pipeline-Datei (YAML), z. B. pipelines/quartal.yaml.")
        var pipeline: String

        @Option(help: ArgumentHelp("Quartal JJJJ-Qn.", valueName: "QUARTAL"))
        var period: String

        @Option(name: .customLong("output-dir"), help: "Ausgabeverzeichnis mit klappt.sqlite (ersetzt das der Pipeline-Datei).")
        var outputDirectory: String?

        @Option(name: .customLong("signing-key"), help: "Privater Signaturschlüssel des Kreises (klappt keygen --signing).")
        var signingKey: String

        @Option(name: .customLong("out"), help: "Die Übermittlungsdatei (wird mit Rechten 0600 geschrieben).")
        var out: String

        func validate() throws {
            if Period(period) == nil { throw ValidationError("--period „\(period)“ ist kein Quartal der Form 2026-Q3.") }
        }

        func run() throws {
            do {
                let loaded = try Pipeline.load(path: pipeline).overriding(sources: [:], outputDirectory: outputDirectory)
                let key = try SigningKeyFile.loadPrivate(path: signingKey)
                let delivery = try DistrictDelivery.make(pipeline: loaded, period: Period(period)!)
                let digest = try delivery.write(to: out, key: key, pipeline: loaded)
                let withheld = delivery.zellen.filter { !$0.veroeffentlicht }.count
                print(
                    "Übermittlung \(period) für den Kreis \(delivery.kreis) (\(delivery.kreisName)) geschrieben: \(out) (Rechte 0600, sha256 \(digest.prefix(12))…): \(delivery.zellen.count) Zellen, davon \(withheld) vom Kreis gesperrt\(delivery.uebergaenge.map { ", \($0.count) Übergänge" } ?? ""). Nur im Rahmen der Auftragsverarbeitung an das Land senden."
                )
            } catch {
                throw Klappt.fail(error)
            }
        }
    }
}
