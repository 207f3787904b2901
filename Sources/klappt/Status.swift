import ArgumentParser
import Foundation
import KlapptKit

extension Klappt {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Zeigt die Quartale im Speicher, ihre Eingaben und Läufe.")

        @Argument(help: "Pipeline-Datei (für das Ausgabeverzeichnis).")
        var pipeline: String

        @Option(name: .customLong("output-dir"), help: "Ausgabeverzeichnis mit klappt.sqlite (ersetzt das der Pipeline-Datei).")
        var outputDirectory: String?

        func run() throws {
            do {
                let loaded = try Pipeline.load(path: pipeline).overriding(sources: [:], outputDirectory: outputDirectory)
                let path = "\(loaded.outputDirectory)/klappt.sqlite"
                guard FileManager.default.fileExists(atPath: path) else {
                    print("Noch kein Speicher unter \(path): es gab noch keinen Lauf.")
                    return
                }
                print(try Store(path: path).statusText())
            } catch {
                throw Klappt.fail(error)
            }
        }
    }
}
