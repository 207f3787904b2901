import Foundation
import KlapptFormats
import KlapptKit
import KlapptTestSupport
import Testing

/// The funding report (SPEC 11, issue 13): the workbook and the page hold exactly the published
/// table, never a suppressed value, never a personal value; `klappt bericht` makes them again from
/// the store.
@Suite struct FundingReportTests {
    /// The committed samples (2026-Q2 and 2026-Q3, 400 persons: many small cells) run once.
    static let fixture: String = {
        let output = makeTemporaryDirectory("klappt-bericht")
        let pipeline = try! standardPipeline.overriding(sources: [:], outputDirectory: output)
        for period in ["2026-Q2", "2026-Q3"] {
            _ = try! QuarterlyRun(pipeline: pipeline, period: Period(period)!, logger: quietLogger).execute(key: testKey)
        }
        return output
    }()

    static let dimensions = Dimension.standard(for: standardPipeline).filter { $0.name != "insgesamt" }
    static let indicators = [
        "zielgruppe", "personen", "ausbildung", "beschaeftigung", "schule", "massnahme", "arbeitsuchend", "sonstige", "ohne_aktivitaet",
        "eintritt_ausbildung", "abschluss", "abbruch",
    ]

    /// A copy of the fixture's output folder, for tests that change it.
    func copyOfFixture() throws -> String {
        let copy = "\(makeTemporaryDirectory("klappt-bericht-kopie"))/out"
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: copy)
        return copy
    }

    @Test func workbookHoldsExactlyThePublishedTable() throws {
        let published = try publishedCSV("\(Self.fixture)/indikatoren_2026-Q3.csv")
        let book = try XLSXWorkbook(path: "\(Self.fixture)/bericht_2026-Q3.xlsx")
        #expect(
            book.sheetNames == [
                "Übersicht", "Gemeinde", "Geschlecht", "Altersgruppe", "Aufenthalt", "Staatsangehörigkeit", "Zeitreihe", "Übergänge", "Datenqualität",
                "Methode",
            ])
        var suppressed = 0
        for dimension in Self.dimensions {
            let sheet = standardPipeline.labels.label("dimension", dimension.name)
            let headerIndex = try #require(
                book.sheets[sheet]?.keys.sorted().first { book.sheets[sheet]![$0]![0] == .text(sheet) && book.sheets[sheet]![$0]!.count > 1 })
            let header = (index: headerIndex, cells: book.sheets[sheet]![headerIndex]!)
            let hasCode = dimension.name == "gemeinde" || dimension.name == "staatsangehoerigkeit"
            // Indicators in words, in the table's order, after the text columns.
            #expect(header.cells[hasCode ? 2 : 1] == .text("Zielgruppe"))
            #expect(header.cells[hasCode ? 13 : 12] == .text("Abbruch"))
            for category in dimension.categories + ["insgesamt"] {
                let label = category == "insgesamt" ? "Insgesamt" : standardPipeline.labels.label(dimension.name, category)
                let row = try #require(book.row(sheet, labelled: label, from: header.index), "\(sheet): \(label)")
                if hasCode && category != "insgesamt" {
                    // Codes as text: the AGS keeps its leading zero.
                    #expect(row.cells[1] == .text(category))
                }
                for (offset, indicator) in Self.indicators.enumerated() {
                    let key = category == "insgesamt" ? "\(indicator)|insgesamt|insgesamt" : "\(indicator)|\(dimension.name)|\(category)"
                    let value = try #require(published[key])
                    let cell = row.cells[offset + (hasCode ? 2 : 1)]
                    if value == "*" {
                        suppressed += 1
                        #expect(cell == .text("*"), "\(sheet) \(label) \(indicator)")
                    } else {
                        #expect(cell == .number(Double(value)!), "\(sheet) \(label) \(indicator)")
                    }
                }
            }
            // The legend of `*` under the table.
            #expect(book.sheets[sheet]!.values.contains { $0[0].map { "\($0)".hasPrefix("* gesperrt: Fallzahl unter 3") } ?? false })
        }
        #expect(suppressed > 50)  // the samples' quarter has many small cells: the test sees them
        #expect(book.row("Gemeinde", labelled: "Bergkamen")?.cells[1] == .text("05978004"))
        // Native charts (municipalities, series, transitions), frozen header rows, A4, properties.
        #expect(book.parts.keys.filter { $0.hasPrefix("xl/charts/chart") }.count == 3)
        #expect(book.parts["xl/charts/chart1.xml"]?.contains("<c:barChart>") == true)
        #expect(book.parts["xl/charts/chart2.xml"]?.contains("<c:lineChart>") == true)
        #expect(book.parts["xl/worksheets/sheet2.xml"]?.contains(#"state="frozen""#) == true)
        #expect(book.parts["xl/worksheets/sheet2.xml"]?.contains(#"paperSize="9""#) == true)
        #expect(book.parts["xl/workbook.xml"]?.contains("_xlnm.Print_Titles") == true)
        let core = try #require(book.parts["docProps/core.xml"])
        #expect(core.contains("<dc:title>Förderbericht 3. Quartal 2026</dc:title>"))
        #expect(core.contains("<dc:creator>klappt \(QuarterlyRun.version)</dc:creator>"))
        #expect(core.contains("Quartal 2026-Q3"))
    }

    /// What the printed workbook needs (issue 23, looked at as LibreOffice PDF pages): columns as
    /// wide as their texts (file names, chart headers), header rows as high as their wrapped
    /// headers, and the method's definitions wrapped in rows of their own height on a sheet narrow
    /// enough for A4 landscape at 100 %.
    @Test func printedPagesHaveRoomForTheirTexts() throws {
        let book = try KlapptTestSupport.XLSXWorkbook(path: "\(Self.fixture)/bericht_2026-Q3.xlsx")
        func sheetXML(_ name: String) throws -> String {
            let position = try #require(book.sheetNames.firstIndex(of: name))
            return try #require(book.parts["xl/worksheets/sheet\(position + 1).xml"])
        }
        func widths(_ name: String) throws -> [Int: Double] {
            var result: [Int: Double] = [:]
            for match in XLSXWorkbook.matches(#"<col min="([0-9]+)" max="([0-9]+)" width="([0-9.]+)""#, in: try sheetXML(name)) {
                for column in Int(match[1])!...Int(match[2])! { result[column - 1] = Double(match[3])! }
            }
            return result
        }
        func height(_ name: String, row: Int) throws -> Double? {
            XLSXWorkbook.matches(#"<row r="\#(row + 1)"[^>]* ht="([0-9.]+)""#, in: try sheetXML(name)).first.map { Double($0[1])! }
        }
        // Datenqualität: the file names fit their column; the long header has room for its lines.
        let quality = try #require(book.sheets["Datenqualität"])
        let names = quality.values.compactMap { row -> String? in
            if case .text(let text)? = row[1], text.hasSuffix(".csv") || text.hasSuffix(".xml") { return text }
            return nil
        }
        #expect(!names.isEmpty)
        #expect(try widths("Datenqualität")[1] ?? 0 >= Double(names.map(\.count).max()!))
        // Issue 31: the coordinator's to-do list (who fell out of the target group, the
        // quarantine's path, "neu rechnen") is not in the published report.
        let texts = quality.values.flatMap { $0.values }.compactMap { cell -> String? in if case .text(let text) = cell { text } else { nil } }
        #expect(!texts.contains("Personen aus der Zielgruppe gefallen"))
        #expect(!texts.contains { $0.contains("quarantaene") || $0.contains("neu rechnen") })
        _ = height
        // Gemeinde: the chart's data block header is not cut inside a word.
        let chartHeader = try #require(book.sheets["Gemeinde"]?.first { $0.value[0] == .text("Gemeinde") && $0.value.values.contains(.text("Beschäftigung")) })
        let column = try #require(chartHeader.value.first { $0.value == .text("Beschäftigung") }?.key)
        #expect(try widths("Gemeinde")[column] ?? 0 >= Double("Beschäftigung".count) + 1)
        // Methode: every definition wrapped in a row as high as its lines; the sheet fits A4 landscape at 100 %.
        let method = try #require(book.sheets["Methode"])
        let methodWidths = try widths("Methode")
        #expect(methodWidths.values.reduce(0, +) <= 140)
        let definitions = method.filter { if case .text(let text)? = $0.value[1] { return text.count > 120 } else { return false } }
        #expect(definitions.count >= 3)
        // A definition's text may be merged across columns B to the range's end: its width is theirs.
        let merges = XLSXWorkbook.matches(#"<mergeCell ref="B([0-9]+):([A-Z])[0-9]+"/>"#, in: try sheetXML("Methode"))
        for (row, cells) in definitions {
            guard case .text(let text)? = cells[1] else { continue }
            let lastColumn = merges.first { Int($0[1]) == row + 1 }.map { Int($0[2].unicodeScalars.first!.value) - 65 } ?? 1
            let width = (1...lastColumn).reduce(0.0) { $0 + (methodWidths[$1] ?? 8.43) }
            let lines = (Double(text.count) / width).rounded(.up)
            let rowHeight = try height("Methode", row: row)
            #expect((rowHeight ?? 0) >= lines * 15, "\(text.prefix(30)) \(row) \(String(describing: rowHeight))")
        }
        #expect(try sheetXML("Methode").contains("wrapText") || (book.parts["xl/styles.xml"] ?? "").contains("wrapText=\"1\""))
    }

    /// Print titles repeat a table's header on every printed page: only on sheets that print
    /// nothing but that table (issue 21, item 7: they stood above a chart's data block).
    @Test func printTitlesOnlyWhereTheTableIsAllTheSheetPrints() throws {
        let book = try KlapptTestSupport.XLSXWorkbook(path: "\(Self.fixture)/bericht_2026-Q3.xlsx")
        let workbookXML = try #require(book.parts["xl/workbook.xml"])
        var withTitles: [String] = []
        var withCharts: [String] = []
        for name in book.sheetNames {
            if workbookXML.contains("_xlnm.Print_Titles\" localSheetId=\"\(book.sheetNames.firstIndex(of: name)!)\"") { withTitles.append(name) }
            let rows = book.sheets[name] ?? [:]
            if rows.values.contains(where: { "\($0[0] ?? .text(""))".hasPrefix("Werte für das Diagramm") }) { withCharts.append(name) }
        }
        #expect(!withCharts.isEmpty)
        #expect(!withTitles.isEmpty)
        #expect(Set(withTitles).isDisjoint(with: withCharts), "Drucktitel über Diagrammdaten: \(Set(withTitles).intersection(withCharts))")
    }

    @Test func workbookChartsReadPublishedValuesWithGapsForStars() throws {
        let published = try publishedCSV("\(Self.fixture)/indikatoren_2026-Q3.csv")
        let book = try XLSXWorkbook(path: "\(Self.fixture)/bericht_2026-Q3.xlsx")
        let rows = try #require(book.sheets["Gemeinde"])
        let start = try #require(rows.keys.sorted().first { "\(rows[$0]?[0] ?? .text(""))".hasPrefix("Werte für das Diagramm") })
        let parts = ["ausbildung", "beschaeftigung", "schule", "massnahme", "arbeitsuchend", "sonstige", "ohne_aktivitaet"]
        var gaps = 0
        for category in Self.dimensions[0].categories {
            let row = try #require(book.row("Gemeinde", labelled: standardPipeline.labels.label("gemeinde", category), from: start))
            for (offset, indicator) in parts.enumerated() {
                let value = try #require(published["\(indicator)|gemeinde|\(category)"])
                if value == "*" {
                    gaps += 1
                    #expect(row.cells[offset + 1] == nil)
                } else {
                    #expect(row.cells[offset + 1] == .number(Double(value)!))
                }
            }
        }
        #expect(gaps > 10)
    }

    @Test func pageHoldsExactlyThePublishedTableAndIsSelfContained() throws {
        let published = try publishedCSV("\(Self.fixture)/indikatoren_2026-Q3.csv")
        let page = try String(contentsOfFile: "\(Self.fixture)/bericht_2026-Q3.html", encoding: .utf8)
        #expect(!page.lowercased().contains("<script"))
        #expect(!page.contains("src="))
        // url() only for fragments of the page itself (the hatching of withheld parts).
        let urls = XLSXWorkbook.matches(#"url\(([^)]*)\)"#, in: page).map { $0[1] }
        #expect(!urls.isEmpty && urls.allSatisfy { $0.hasPrefix("#") && page.contains("id=\"\($0.dropFirst())\"") })
        #expect(!page.contains("@import"))
        let links = XLSXWorkbook.matches(#"href="([^"]*)""#, in: page).map { $0[1] }
        #expect(!links.isEmpty && links.allSatisfy { $0.hasPrefix("#") })
        #expect(page.components(separatedBy: "<svg ").count - 1 == 3)
        #expect(page.contains("@page { size: A4 landscape"))
        #expect(page.contains("thead { display: table-header-group; }"))
        for dimension in Self.dimensions {
            let table = try #require(XLSXWorkbook.matches(#"<table id="tabelle_\#(dimension.name)">(.*?)</table>"#, in: page).first?[1])
            #expect(table.contains("<caption>"))
            #expect(table.contains(#"<th scope="col""#))
            let rows = XLSXWorkbook.matches(#"<tr[^>]*><th scope="row">([^<]*)</th>(.*?)</tr>"#, in: table)
            #expect(rows.count == dimension.categories.count + 1)
            for (row, category) in zip(rows, dimension.categories + ["insgesamt"]) {
                #expect(row[1] == (category == "insgesamt" ? "Insgesamt" : standardPipeline.labels.label(dimension.name, category)))
                let numbers = XLSXWorkbook.matches(#"<td class="zahl[^"]*">([^<]*)</td>"#, in: row[2]).map {
                    $0[1].replacingOccurrences(of: ".", with: "")
                }
                let expected = Self.indicators.map {
                    published[category == "insgesamt" ? "\($0)|insgesamt|insgesamt" : "\($0)|\(dimension.name)|\(category)"]!
                }
                #expect(numbers == expected, "\(dimension.name) \(category)")
            }
        }
        #expect(page.contains(#"<td class="text">05978004</td>"#))
        #expect(page.contains("Bergkamen"))
        #expect(page.contains("Arabische Republik Syrien"))
    }

    /// The strongest form of "no suppressed value leaks": the store's exact values of every
    /// suppressed cell (of both quarters and the transitions) are replaced by sentinels, the report
    /// is made again from the store, and both files come out byte for byte the same.
    @Test func suppressedValuesNeverReachTheReport() throws {
        let output = try copyOfFixture()
        let before = try ["xlsx", "html"].map { try Data(contentsOf: URL(fileURLWithPath: "\(output)/bericht_2026-Q3.\($0)")) }
        let store = try Store(path: "\(output)/klappt.sqlite")
        _ = try store.query("UPDATE indikatoren SET wert = 900000 + rowid WHERE gesperrt = 1")
        _ = try store.query("UPDATE uebergaenge SET wert = 800000 + rowid WHERE gesperrt = 1")
        #expect(try store.query("SELECT COUNT(*) FROM indikatoren WHERE wert >= 900000")[0][0].flatMap { Int($0) } ?? 0 > 100)
        var pipeline = try standardPipeline.overriding(sources: [:], outputDirectory: output)
        pipeline.outputDirectory = output
        let (period, files) = try ReportRebuild(pipeline: pipeline, period: Period("2026-Q3")).execute()
        #expect(period.description == "2026-Q3" && files.count == 2)
        let after = try ["xlsx", "html"].map { try Data(contentsOf: URL(fileURLWithPath: "\(output)/bericht_2026-Q3.\($0)")) }
        #expect(before == after)
        let book = try XLSXWorkbook(path: "\(output)/bericht_2026-Q3.xlsx")
        let page = try String(contentsOfFile: "\(output)/bericht_2026-Q3.html", encoding: .utf8)
        // Nor any sentinel in a cell, a shared string, a chart or the page (raw or German formatted).
        let parts = book.parts.filter { $0.key.hasPrefix("xl/worksheets/") || $0.key.hasPrefix("xl/charts/") || $0.key == "xl/sharedStrings.xml" }
        for (name, text) in [("html", page)] + parts.map({ ($0.key, $0.value) }) {
            let found = XLSXWorkbook.matches(#"(?<![0-9.#])[89]0[0-9](\.?)[0-9]{3}(?![0-9])"#, in: text).map { $0[0] }
            #expect(found.isEmpty, "\(name): \(found.prefix(5))")
        }
    }

    @Test func noNameBirthDateOrIdInEitherFile() throws {
        var secrets = Set<String>()
        for file in filesBelow("\(repositoryRoot)/samples/2026-Q3") {
            let data = try #require(FileManager.default.contents(atPath: file))
            let text = String(data: data, encoding: .utf8) ?? String(decoding: data, as: UTF8.self)
            if file.hasSuffix(".csv") {
                // The exports' own grammar (quoted fields hold line breaks), in their encodings.
                let reader = try CSVReader(path: file, options: .init(encoding: file.contains("/jobcenter/") ? nil : .utf8))
                let header = try reader.readHeader()
                while let row = try reader.next() {
                    for (name, cell) in zip(header, row.fields)
                    where ["Kundennummer", "AZR_Nummer", "Nachname", "Familienname", "Vorname", "Vornamen", "Geburtsdatum"].contains(name) {
                        secrets.insert(cell.trimmingCharacters(in: .whitespaces))
                    }
                }
            } else {
                for element in ["Name", "Vorname", "Geburtsdatum"] {
                    for match in XLSXWorkbook.matches("<\(element)>([^<]*)</\(element)>", in: text) { secrets.insert(match[1]) }
                }
                for match in XLSXWorkbook.matches(#"Id="([^"]*)""#, in: text) { secrets.insert(match[1]) }
            }
        }
        // The generator names its broken rows with ordinary German words ("Fehler Zeile", "Defekt
        // Datensatz") that the report uses in its own sentences: those are not names.
        secrets = secrets.filter { $0.count >= 5 }.subtracting(["Fehler", "Zeile", "Defekt", "Datensatz"])
        #expect(secrets.count > 500)
        let book = try XLSXWorkbook(path: "\(Self.fixture)/bericht_2026-Q3.xlsx")
        let page = try String(contentsOfFile: "\(Self.fixture)/bericht_2026-Q3.html", encoding: .utf8)
        for (name, text) in [("html", page)] + book.parts.map({ ($0.key, $0.value) }) {
            let leaked = secrets.filter { text.contains($0) }
            #expect(leaked.isEmpty, "\(name) enthält \(leaked.prefix(5))")
        }
    }

    @Test func quarterWithoutPredecessorSaysWhyAndShowsNoChange() throws {
        let page = try String(contentsOfFile: "\(Self.fixture)/bericht_2026-Q2.html", encoding: .utf8)
        #expect(page.contains("Keine Übergangstabelle:"))
        #expect(page.contains("Für das Vorquartal liegen keine Zahlen vor: keine Veränderungen."))
        #expect(page.components(separatedBy: "<svg ").count - 1 == 2)
        let q3 = try String(contentsOfFile: "\(Self.fixture)/bericht_2026-Q3.html", encoding: .utf8)
        // The series holds both quarters; the change is Q3 − Q2 of the published totals.
        let q2Table = try publishedCSV("\(Self.fixture)/indikatoren_2026-Q2.csv")
        let q3Table = try publishedCSV("\(Self.fixture)/indikatoren_2026-Q3.csv")
        let change = Int(q3Table["zielgruppe|insgesamt|insgesamt"]!)! - Int(q2Table["zielgruppe|insgesamt|insgesamt"]!)!
        #expect(q3.contains(#"<th scope="col">Q2/2026</th><th scope="col">Q3/2026</th>"#))
        #expect(q3.contains(GermanNumber.change(change)))
    }

    @Test func reportIsMadeAgainFromTheStoreWithEditedLabels() throws {
        let output = try copyOfFixture()
        let folder = makeTemporaryDirectory("klappt-bericht-pipeline")
        try FileManager.default.copyItem(atPath: "\(repositoryRoot)/pipelines", toPath: "\(folder)/pipelines")
        let labels = "\(folder)/pipelines/codelists/beschriftungen.csv"
        let text = try String(contentsOfFile: labels, encoding: .utf8)
        try text.replacingOccurrences(of: "indikator;ohne_aktivitaet;Ohne Aktivität;", with: "indikator;ohne_aktivitaet;Von keinem Programm erreicht;")
            .write(toFile: labels, atomically: true, encoding: .utf8)
        let result = try runKlappt(["bericht", "\(folder)/pipelines/quartal.yaml", "--output-dir", output, "--period", "2026-Q3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Förderbericht 2026-Q3 aus dem Speicher geschrieben:"))
        let page = try String(contentsOfFile: "\(output)/bericht_2026-Q3.html", encoding: .utf8)
        #expect(page.contains(#"<th scope="col">Von keinem Programm erreicht</th>"#))
        // The ledger records the new files (the next run does not take them for damaged ones).
        let store = try Store(path: "\(output)/klappt.sqlite")
        let recorded = try store.query(
            "SELECT o.sha256 FROM outputs o JOIN runs r ON r.id = o.run_id WHERE r.zeitraum = '2026-Q3' AND o.art = 'bericht_html' ORDER BY r.id DESC LIMIT 1")
        #expect(recorded.first?[0] == (try QuarterlyRun.sha256(of: "\(output)/bericht_2026-Q3.html")))
        // Without --period: the newest quarter in the store.
        let newest = try runKlappt(["bericht", "\(folder)/pipelines/quartal.yaml", "--output-dir", output])
        #expect(newest.status == 0 && newest.stdout.contains("Förderbericht 2026-Q3"))
    }

    @Test func reportOfAQuarterNotInTheStoreIsInputMissing() throws {
        let output = try copyOfFixture()
        let result = try runKlappt(["bericht", "pipelines/quartal.yaml", "--output-dir", output, "--period", "2025-Q4"])
        #expect(result.status == 66)
        #expect(result.stderr.contains("hat das Quartal 2025-Q4 nicht (fertig: 2026-Q2, 2026-Q3)."))
        let empty = makeTemporaryDirectory("klappt-bericht-leer")
        let none = try runKlappt(["bericht", "pipelines/quartal.yaml", "--output-dir", empty])
        #expect(none.status == 66)
        #expect(none.stderr.contains("noch kein fertiges Quartal"))
    }

    /// A run of before schema 6 has no run report in the store: the unchanged file stands in, a
    /// changed one is refused (its counts might not be the run's).
    @Test func runOfAnOlderKlapptTakesItsReportFileOnlyWhenUnchanged() throws {
        let output = try copyOfFixture()
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(output)/bericht_2026-Q3.html"))
        _ = try Store(path: "\(output)/klappt.sqlite").query("UPDATE runs SET laufbericht = NULL")
        let pipeline = try standardPipeline.overriding(sources: [:], outputDirectory: output)
        _ = try ReportRebuild(pipeline: pipeline, period: Period("2026-Q3")).execute()
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(output)/bericht_2026-Q3.html")) == before)
        let report = "\(output)/lauf_2026-Q3.json"
        try (try String(contentsOfFile: report, encoding: .utf8) + "\n").write(toFile: report, atomically: true, encoding: .utf8)
        #expect(throws: KlapptError.self) { try ReportRebuild(pipeline: pipeline, period: Period("2026-Q3")).execute() }
    }

    @Test func storeViewsGiveThePublishedFigureWithLabels() throws {
        let published = try publishedCSV("\(Self.fixture)/indikatoren_2026-Q3.csv")
        let store = try Store(path: "\(Self.fixture)/klappt.sqlite")
        let rows = try store.query(
            "SELECT indikator, dimension, auspraegung, indikator_text, auspraegung_text, wert, gesperrt FROM veroeffentlichte_indikatoren WHERE zeitraum = '2026-Q3'"
        )
        #expect(rows.count == published.count)
        // One type (issue 23): the published count, or NULL with gesperrt = 1 where the CSV has `*`.
        for row in rows {
            let csv = published["\(row[0]!)|\(row[1]!)|\(row[2]!)"]
            #expect(csv == (row[5] ?? "*") && row[6] == (csv == "*" ? "1" : "0"), "\(row)")
        }
        #expect(try store.query("SELECT DISTINCT typeof(wert) FROM veroeffentlichte_indikatoren ORDER BY 1") == [["integer"], ["null"]])
        // A sum over a column with withheld cells is visibly not the total: SQL says how many are unknown.
        let municipalities = try store.query(
            "SELECT sum(wert), sum(gesperrt) FROM veroeffentlichte_indikatoren WHERE zeitraum = '2026-Q3' AND indikator = 'zielgruppe' AND dimension = 'gemeinde'"
        )[0]
        let withheld = published.filter { $0.key.hasPrefix("zielgruppe|gemeinde|") && $0.value == "*" }.count
        #expect(municipalities[1] == String(withheld))
        #expect(withheld > 0 && Int(municipalities[0]!)! < Int(published["zielgruppe|insgesamt|insgesamt"]!)!)
        #expect(rows.contains { $0[2] == "05978004" && $0[4] == "Bergkamen" })
        #expect(rows.contains { $0[0] == "ohne_aktivitaet" && $0[3] == "Ohne Aktivität" })
        let transitions = try publishedTransitionsCSV("\(Self.fixture)/uebergaenge_2026-Q3.csv")
        let viewed = try store.query("SELECT von, nach, von_text, wert, gesperrt FROM veroeffentlichte_uebergaenge WHERE zeitraum = '2026-Q3'")
        #expect(viewed.count == 63)
        for row in viewed { #expect(transitions["\(row[0]!)>\(row[1]!)"] == (row[3] ?? "*") && (row[3] == nil) == (row[4] == "1")) }
        #expect(viewed.contains { $0[0] == "ausserhalb" && $0[2] == "Außerhalb" })
        // The stock per state: exact counts, internal by name, beside the published figure.
        let states = try store.query("SELECT zustand, personen_exakt, veroeffentlicht, gesperrt FROM intern_bestand_je_zustand WHERE zeitraum = '2026-Q3'")
        #expect(states.count == 7)
        #expect(states.reduce(0) { $0 + Int($1[1]!)! } == Int(published["zielgruppe|insgesamt|insgesamt"]!)!)
        for state in states { #expect((state[2] ?? "*") == published["\(state[0]!)|insgesamt|insgesamt"]) }
        #expect(try store.query("SELECT name FROM sqlite_master WHERE name = 'bestand_je_zustand'").isEmpty)
    }

    func publishedTransitionsCSV(_ path: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\r\n").dropFirst() where !line.isEmpty {
            let cells = line.components(separatedBy: ";")
            values["\(cells[1])>\(cells[2])"] = cells[3]
        }
        return values
    }
}
