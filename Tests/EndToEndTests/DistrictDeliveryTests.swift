import Crypto
import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// A district as configuration and its signed delivery to the Land (issue 22, first part): the
/// district key, `klappt keygen --signing`, `klappt uebermittlung`.
@Suite struct DistrictDeliveryTests {
    /// A copy of `pipelines/` whose postcode list is changed by `edit` and whose pipeline file by `pipelineEdit`.
    func pipelineCopy(plz edit: (String) -> String = { $0 }, pipeline pipelineEdit: (String) -> String = { $0 }) throws -> String {
        let copy = "\(makeTemporaryDirectory("klappt-kreis"))/pipelines"
        try FileManager.default.copyItem(atPath: "\(repositoryRoot)/pipelines", toPath: copy)
        let plz = "\(copy)/codelists/plz_kreis_unna.csv"
        try edit(try String(contentsOfFile: plz, encoding: .utf8)).write(toFile: plz, atomically: true, encoding: .utf8)
        let file = "\(copy)/quartal.yaml"
        try pipelineEdit(try String(contentsOfFile: file, encoding: .utf8)).write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func theDistrictKeyIsTheCommonPrefixOfTheMunicipalitiesOrStated() throws {
        #expect(standardPipeline.districtKey == "05978")
        // Two districts in the list (a Soest municipality added): the pipeline must say which.
        let soest = { (text: String) in text + "59494;05974040;Soest\n" }
        let error = #expect(throws: KlapptError.self) { try Pipeline.load(path: try pipelineCopy(plz: soest)) }
        #expect(error?.exitCode == 64)
        #expect(error?.description.contains("plz_kreis_unna.csv") == true)
        #expect(error?.description.contains("05974, 05978") == true)
        // Stated: only that district's postcodes are in the district, the others count as outside.
        let stated = try Pipeline.load(
            path: try pipelineCopy(
                plz: soest, pipeline: { $0.replacingOccurrences(of: "output_dir: ../output\n", with: "output_dir: ../output\ndistrict_key: \"05978\"\n") }))
        #expect(stated.districtKey == "05978")
        #expect(stated.codeLists.postcodes["59494"] == nil)
        #expect(stated.codeLists.postcodes["59423"] == "05978036")
        #expect(stated.codeLists.municipalities.count == 10)
        let other = try Pipeline.load(
            path: try pipelineCopy(
                plz: soest, pipeline: { $0.replacingOccurrences(of: "output_dir: ../output\n", with: "output_dir: ../output\ndistrict_key: \"05974\"\n") }))
        #expect(other.codeLists.municipalities.map(\.ags) == ["05974040"])
        for bad in ["\"5978\"", "\"0597X\"", "\"05970\""] {
            let wrong = #expect(throws: KlapptError.self) {
                try Pipeline.load(
                    path: try pipelineCopy(pipeline: {
                        $0.replacingOccurrences(of: "output_dir: ../output\n", with: "output_dir: ../output\ndistrict_key: \(bad)\n")
                    }))
            }
            #expect(wrong?.exitCode == 64, "\(bad)")
            #expect(wrong?.description.contains("district_key") == true, "\(bad)")
        }
    }

    /// Another district is configuration: `klappt samples --plz` invents persons living in the Kreis
    /// Olpe, a copy of `pipelines/` with Olpe's postcode list counts them, and the figures are the
    /// generator's ground truth, with Olpe's seven municipalities in place of Unna's ten.
    @Test func anotherDistrictRunsFromACopyOfThePipelinesWithItsPostcodeList() throws {
        let list = "\(repositoryRoot)/pipelines/beispiele/land/plz_kreis_olpe.csv"
        let pipeline = try pipelineCopy { _ in try! String(contentsOfFile: list, encoding: .utf8) }
        let folder = URL(fileURLWithPath: pipeline).deletingLastPathComponent().deletingLastPathComponent().path
        let made = try runKlappt(["samples", "--out", "\(folder)/samples/2026-Q3", "--persons", "500", "--seed", "5", "--period", "2026-Q3", "--plz", list])
        #expect(made.status == 0, "\(made.stderr)")
        let output = "\(folder)/out"
        let run = try runKlappt(["run", pipeline, "--period", "2026-Q3", "--output-dir", output, "--key-file", writeTestKey(in: folder)])
        #expect(run.status == 0, "\(run.stderr)")
        let expectation = try JSONDecoder().decode(
            SampleGenerator.Expectation.self, from: try Data(contentsOf: URL(fileURLWithPath: "\(folder)/samples/2026-Q3/erwartet_2026-Q3.json")))
        let store = try Store(path: "\(output)/klappt.sqlite")
        let exact = Dictionary(
            uniqueKeysWithValues: try store.query("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum = '2026-Q3'").map {
                ("\($0[0]!)|\($0[1]!)|\($0[2]!)", Int($0[3]!)!)
            })
        #expect(exact == expectation.figures)
        let municipalities = Set(exact.keys.filter { $0.hasPrefix("zielgruppe|gemeinde|") }.map { String($0.split(separator: "|")[2]) })
        #expect(municipalities == ["05966004", "05966008", "05966012", "05966016", "05966020", "05966024", "05966028", "unbekannt"])
        #expect((exact["zielgruppe|insgesamt|insgesamt"] ?? 0) > 100)
        #expect(try Pipeline.load(path: pipeline).districtKey == "05966")
    }

    @Test func signingKeysAreMadeOnceReadOnlyByTheirOwnerAndSignWhatTheyCover() throws {
        let folder = makeTemporaryDirectory("klappt-signatur")
        let path = "\(folder)/kreis.sig"
        let publicPath = try SigningKeyFile.create(path: path)
        #expect(publicPath == path + ".pub")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(throws: KlapptError.self) { try SigningKeyFile.create(path: path) }
        let key = try SigningKeyFile.loadPrivate(path: path)
        let trusted = try #require(SigningKeyFile.loadPublic(path: publicPath))
        #expect(trusted.rawRepresentation == key.publicKey.rawRepresentation)
        let message = Data("zielgruppe|insgesamt|insgesamt=272".utf8)
        let signature = try key.signature(for: message)
        #expect(trusted.isValidSignature(signature, for: message))
        #expect(!trusted.isValidSignature(signature, for: Data("zielgruppe|insgesamt|insgesamt=273".utf8)))
        // Readable by others: refused (77); the pseudonymisation key is no signing key.
        chmod(path, 0o644)
        #expect((#expect(throws: KlapptError.self) { try SigningKeyFile.loadPrivate(path: path) })?.exitCode == 77)
        let pseudonymKey = writeTestKey(in: folder)
        #expect(throws: KlapptError.self) { try SigningKeyFile.loadPrivate(path: pseudonymKey) }
    }

    @Test func theDeliveryHoldsTheExactCellsAndWhatWasPublishedSignedAndNothingPersonal() throws {
        let folder = makeTemporaryDirectory("klappt-uebermittlung")
        let output = "\(folder)/out"
        let key = writeTestKey(in: folder)
        // (SPEC 4.1's exact linkage: the figures below are the committed samples' true ones.)
        let run = try runKlappt(["run", "pipelines/quartal.yaml", "--linkage", "exact", "--output-dir", output, "--key-file", key])
        #expect(run.status == 0)
        // The summary says a withheld total in words before its parts (issue 23); in the committed
        // samples the persons new in the target group are withheld in total.
        #expect(run.stdout.contains("\n  Neu in der Zielgruppe (vorher außerhalb; Gesamtzahl gesperrt): 10 in Ausbildung, * in Beschäftigung"), "\(run.stdout)")
        #expect(!run.stdout.contains(": * Personen"))
        #expect(try runKlappt(["keygen", "--signing", "\(folder)/kreis.sig"]).status == 0)
        let file = "\(folder)/05978_2026-Q3.json"
        let result = try runKlappt([
            "uebermittlung", "pipelines/quartal.yaml", "--period", "2026-Q3", "--output-dir", output, "--signing-key", "\(folder)/kreis.sig", "--out", file,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)

        let signed = try JSONDecoder().decode(DistrictDelivery.Signed.self, from: try Data(contentsOf: URL(fileURLWithPath: file)))
        let trusted = try #require(SigningKeyFile.loadPublic(path: "\(folder)/kreis.sig.pub"))
        let signature = try #require(Data(base64Encoded: signed.signatur))
        #expect(trusted.isValidSignature(signature, for: Data(signed.inhalt.utf8)))
        var changed = Array(signed.inhalt.utf8)
        changed[changed.count / 2] ^= 0x01
        #expect(!trusted.isValidSignature(signature, for: Data(changed)))

        let delivery = try JSONDecoder().decode(DistrictDelivery.self, from: Data(signed.inhalt.utf8))
        #expect(delivery.kreis == "05978" && delivery.kreisName == "Kreis Unna" && delivery.zeitraum == "2026-Q3")
        #expect(delivery.tabellensystem.minCell == 3)
        #expect(delivery.zellen.count == 432)
        let store = try Store(path: "\(output)/klappt.sqlite")
        let exact = Dictionary(
            uniqueKeysWithValues: try store.query("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum = '2026-Q3'").map {
                ("\($0[0]!)|\($0[1]!)|\($0[2]!)", Int($0[3]!)!)
            })
        let published = try publishedCSV("\(output)/indikatoren_2026-Q3.csv")
        for cell in delivery.zellen {
            let id = "\(cell.indikator)|\(cell.dimension)|\(cell.auspraegung)"
            #expect(cell.wert == exact[id], "\(id)")
            #expect(cell.veroeffentlicht == (published[id] != "*"), "\(id)")
            if cell.veroeffentlicht { #expect(published[id] == String(cell.wert), "\(id)") }
        }
        #expect(delivery.zellen.contains { !$0.veroeffentlicht } && delivery.zellen.contains { $0.veroeffentlicht })
        let transitions = try #require(delivery.uebergaenge)
        #expect(transitions.count == 63)
        let publishedMoves = try String(contentsOfFile: "\(output)/uebergaenge_2026-Q3.csv", encoding: .utf8).components(separatedBy: "\r\n").dropFirst()
            .filter { !$0.isEmpty }.map { $0.components(separatedBy: ";") }
        #expect(transitions.map { "\($0.von)>\($0.nach)" } == publishedMoves.map { "\($0[1])>\($0[2])" })
        for (move, row) in zip(transitions, publishedMoves) { #expect(move.veroeffentlicht == (row[3] != "*")) }
        // The previous quarter the transitions are linked to: exact, with what 2026-Q2 published.
        let previous = try #require(delivery.vorquartal)
        #expect(previous.zeitraum == "2026-Q2" && previous.zellen.count == 432 && previous.uebergaenge == nil)
        let publishedBefore = try publishedCSV("\(output)/indikatoren_2026-Q2.csv")
        let exactBefore = Dictionary(
            uniqueKeysWithValues: try store.query("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum = '2026-Q2'").map {
                ("\($0[0]!)|\($0[1]!)|\($0[2]!)", Int($0[3]!)!)
            })
        for cell in previous.zellen {
            let id = "\(cell.indikator)|\(cell.dimension)|\(cell.auspraegung)"
            #expect(cell.wert == exactBefore[id] && cell.veroeffentlicht == (publishedBefore[id] != "*"), "\(id)")
        }

        // Nothing personal: no pseudonym of the store is in the file.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let pseudonyms = try store.query("SELECT pseudonym FROM persons WHERE zeitraum = '2026-Q3' LIMIT 50").map { $0[0]! }
        #expect(pseudonyms.count == 50)
        #expect(!pseudonyms.contains { text.contains($0) })
        let status = try runKlappt(["status", "pipelines/quartal.yaml", "--output-dir", output])
        #expect(status.stdout.contains("An das Land übermittelt:") && status.stdout.contains("05978_2026-Q3.json"))
        // 2026-Q2 run again (forced): 2026-Q3's transitions are stale, and its delivery is refused
        // until 2026-Q3 is run again (SPEC 10).
        #expect(try runKlappt(["run", "pipelines/quartal.yaml", "--period", "2026-Q2", "--force", "--output-dir", output, "--key-file", key]).status == 0)
        let stale = try runKlappt([
            "uebermittlung", "pipelines/quartal.yaml", "--period", "2026-Q3", "--output-dir", output, "--signing-key", "\(folder)/kreis.sig", "--out",
            "\(folder)/veraltet.json",
        ])
        #expect(stale.status == 65)
        #expect(stale.stderr.contains("Das Quartal 2026-Q3 ist veraltet") && stale.stderr.contains("klappt run --period 2026-Q3"))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/veraltet.json"))
        // A quarter the store has not finished: input missing (66).
        let missing = try runKlappt([
            "uebermittlung", "pipelines/quartal.yaml", "--period", "2025-Q1", "--output-dir", output, "--signing-key", "\(folder)/kreis.sig", "--out",
            "\(folder)/x.json",
        ])
        #expect(missing.status == 66)
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/x.json"))
    }

    /// `klappt land` through the binary on one district's delivery: the table, the Land store, a
    /// second run with nothing to do, and a changed delivery refused with nothing changed.
    @Test func theLandRollUpPublishesOnceAndRefusesAChangedDelivery() throws {
        let folder = makeTemporaryDirectory("klappt-land-cli")
        let output = "\(folder)/out"
        #expect(try runKlappt(["run", "pipelines/quartal.yaml", "--output-dir", output, "--key-file", writeTestKey(in: folder)]).status == 0)
        #expect(try runKlappt(["keygen", "--signing", "\(folder)/kreis.sig"]).status == 0)
        try FileManager.default.createDirectory(atPath: "\(folder)/vertraut", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(folder)/kreis.sig.pub", toPath: "\(folder)/vertraut/05978.pub")
        try FileManager.default.createDirectory(atPath: "\(folder)/eingang", withIntermediateDirectories: true)
        let delivery = "\(folder)/eingang/05978.json"
        #expect(
            try runKlappt([
                "uebermittlung", "pipelines/quartal.yaml", "--period", "2026-Q3", "--output-dir", output, "--signing-key", "\(folder)/kreis.sig", "--out",
                delivery,
            ]).status == 0)
        let land = [
            "land", "--period", "2026-Q3", "--deliveries", "\(folder)/eingang/*.json", "--trusted-keys", "\(folder)/vertraut", "--output-dir", "\(folder)/land",
            "--expect", "05978",
        ]
        let first = try runKlappt(land)
        #expect(first.status == 0, "\(first.stderr)")
        let table = try publishedCSV("\(folder)/land/land_indikatoren_2026-Q3.csv")
        #expect(table.count == 12 * (1 + 1 + 4 + 3 + 5 + 12))
        #expect(table["zielgruppe|kreis|05978"] == table["zielgruppe|insgesamt|insgesamt"])
        let district = try publishedCSV("\(output)/indikatoren_2026-Q3.csv")
        // One district: every state cell the district published is the same number.
        for (id, value) in table where !id.contains("|kreis|") && value != "*" { #expect(district[id] == value, "\(id)") }
        let store = try LandStore(directory: "\(folder)/land")
        #expect(try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int == 0o600)
        #expect(try store.query("SELECT kreis, length(sha256), length(unterzeichner) > 0 FROM uebermittlungen") == [["05978", "64", "1"]])
        #expect(try store.query("SELECT COUNT(*) FROM zellen") == [["\(table.count)"]])
        // The state's transitions (the district has 2026-Q2 in its store): 63 rows, each published
        // one the district's own number (one district), kept exactly in the Land store.
        let moves = try String(contentsOfFile: "\(folder)/land/land_uebergaenge_2026-Q3.csv", encoding: .utf8)
        let districtMoves = try String(contentsOfFile: "\(output)/uebergaenge_2026-Q3.csv", encoding: .utf8)
        #expect(FileManager.default.contents(atPath: "\(folder)/land/land_uebergaenge_2026-Q3.csv")?.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        #expect(moves.replacingOccurrences(of: "\u{FEFF}", with: "").hasPrefix("zeitraum;von;nach;wert\r\n"))
        let stateRows = moves.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(stateRows.count == 63)
        for (state, own) in zip(stateRows, districtMoves.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }) where !state.hasSuffix(";*") {
            #expect(state == own)
        }
        #expect(try store.query("SELECT COUNT(*) FROM uebergaenge") == [["63"]])
        #expect(first.stdout.contains("land_uebergaenge_2026-Q3.csv"))
        // The reports: the comparison, the transitions, what was withheld.
        let page = try String(contentsOfFile: "\(folder)/land/land_bericht_2026-Q3.html", encoding: .utf8)
        for words in ["Kreise im Vergleich", "Anteile der Kreise", "Übergänge von 2. Quartal 2026", "Gesperrte Zellen", "Kreis Unna", "<svg"] {
            #expect(page.contains(words), "\(words)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(folder)/land/land_bericht_2026-Q3.xlsx"))
        // The published files on their own, audited together: the Land's table and transitions, the
        // district's table, transitions and previous quarter.
        let audit = try runKlappt(["audit", "\(folder)/land/land_indikatoren_2026-Q3.csv", "--kreis", "\(output)/indikatoren_2026-Q3.csv"])
        #expect(audit.status == 0, "\(audit.stdout)")
        for file in ["land_uebergaenge_2026-Q3.csv", "out/uebergaenge_2026-Q3.csv", "out/indikatoren_2026-Q2.csv"] {
            #expect(audit.stdout.contains(file), "\(file)")
        }
        #expect(audit.stdout.contains("Ergebnis: alle gesperrten Zellen sind geschützt."))
        let again = try runKlappt(land)
        #expect(again.status == 0 && again.stdout.contains("bereits fertig"))
        #expect(try store.query("SELECT COUNT(*) FROM laeufe") == [["1"]])

        let before = FileManager.default.contents(atPath: "\(folder)/land/land_indikatoren_2026-Q3.csv")
        let text = try String(contentsOfFile: delivery, encoding: .utf8)
        let changed = try #require(text.range(of: #"\"wert\":12}"#))
        try text.replacingCharacters(in: changed, with: #"\"wert\":13}"#).write(toFile: delivery, atomically: true, encoding: .utf8)
        let refused = try runKlappt(land)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("05978") && refused.stderr.contains("verändert"))
        #expect(FileManager.default.contents(atPath: "\(folder)/land/land_indikatoren_2026-Q3.csv") == before)
        #expect(try store.query("SELECT COUNT(*) FROM laeufe") == [["1"]])
    }
}
