import Foundation
import KlapptKit
import KlapptSamples
import KlapptTestSupport
import Testing

/// The job centre's and the register's lists as Excel workbooks (issue 21): the same figures and
/// per-file accounting as the same rows in CSV, and hostile or wrong files refused with 65.
@Suite struct WorkbookSourceTests {
    /// `pipelines/quartal.yaml` with `format: xlsx` and without `csv:` for the register and the job
    /// centre, in a copy of `pipelines/`; and the lines that differ from the original.
    static func workbookPipeline() throws -> (path: String, removed: [String], added: [String]) {
        let copy = "\(makeTemporaryDirectory("klappt-xlsx-pipeline"))/pipelines"
        try FileManager.default.copyItem(atPath: "\(repositoryRoot)/pipelines", toPath: copy)
        let original = try String(contentsOfFile: "\(copy)/quartal.yaml", encoding: .utf8).components(separatedBy: "\n")
        var changed: [String] = []
        var skipping = false
        for line in original {
            if skipping, line.hasPrefix("      ") { continue }
            skipping = false
            if line == "    csv:" {
                skipping = true
                continue
            }
            changed.append(line == "    format: csv" ? "    format: xlsx" : line)
        }
        let path = "\(copy)/quartal_xlsx.yaml"
        try changed.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (path, original.filter { !changed.contains($0) }, changed.filter { !original.contains($0) })
    }

    func run(_ pipelineFile: String, inputs: String, lists: String, output: String, adjust: (inout Pipeline) -> Void = { _ in }) throws(KlapptError)
        -> RunOutcome
    {
        var pipeline = try Pipeline.load(path: pipelineFile).overriding(
            sources: [
                "jobcenter": "\(inputs)/jobcenter/*.\(lists)", "auslaenderbehoerde": "\(inputs)/auslaenderbehoerde/*.\(lists)",
                "berufskolleg": "\(inputs)/berufskolleg/*.xml",
            ], outputDirectory: output)
        adjust(&pipeline)
        let run = QuarterlyRun(pipeline: pipeline, period: Period("2026-Q3")!, mode: .run, logger: quietLogger)
        let result = try run.execute(key: testKey)
        guard let outcome = result.outcome else { throw .internalError("unverändert") }
        return outcome
    }

    @Test func theDerivedPipelineDiffersOnlyInTheFormatOfTheTwoLists() throws {
        let (_, removed, added) = try Self.workbookPipeline()
        #expect(added == ["    format: xlsx", "    format: xlsx"])
        #expect(
            Set(removed) == [
                "    format: csv", "    csv:", "      delimiter: \";\"", "      quote: '\"'", "      encoding: utf-8       # UTF-8, mit oder ohne BOM",
                "      encoding: auto        # UTF-8 mit BOM wird erkannt, sonst Windows-1252",
            ])
    }

    @Test func aGeneratedQuarterSavedAsWorkbooksGivesTheSameCellsAndAccounting() throws {
        let directory = makeTemporaryDirectory("klappt-xlsx")
        var generator = SampleGenerator(persons: 900, seed: 11, period: Period("2026-Q3")!)
        let csvTruth = try generator.write(to: "\(directory)/csv")
        generator.listFormat = .xlsx
        let truth = try generator.write(to: "\(directory)/xlsx")
        #expect(truth.figures == csvTruth.figures)

        let pipeline = try Self.workbookPipeline().path
        let fromCSV = try run("\(repositoryRoot)/pipelines/quartal.yaml", inputs: "\(directory)/csv", lists: "csv", output: "\(directory)/out-csv")
        let fromWorkbooks = try run(pipeline, inputs: "\(directory)/xlsx", lists: "xlsx", output: "\(directory)/out-xlsx")

        let table = try #require(fromWorkbooks.table?.table)
        let csvTable = try #require(fromCSV.table?.table)
        #expect(table.cells.count == 432)
        var mismatches: [String] = []
        for cell in table.cells {
            let key = "\(cell.indicator.rawValue)|\(cell.dimension)|\(cell.category)"
            if truth.figures[key] != table.values[cell] || csvTable.values[cell] != table.values[cell] {
                mismatches.append("\(key): Soll \(truth.figures[key] ?? -1), xlsx \(table.values[cell] ?? -1), csv \(csvTable.values[cell] ?? -1)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        #expect(fromWorkbooks.files.count == fromCSV.files.count)
        for account in fromWorkbooks.files {
            let stem = URL(fileURLWithPath: account.file).deletingPathExtension().lastPathComponent
            let csv = try #require(fromCSV.files.first { URL(fileURLWithPath: $0.file).deletingPathExtension().lastPathComponent == stem })
            let counted: [Int] = [account.rowsRead, account.accepted, account.rejected, account.duplicates]
            let expected: [Int] = [csv.rowsRead, csv.accepted, csv.rejected, csv.duplicates]
            #expect(counted == expected, "\(stem)")
            #expect(account.reasons == csv.reasons, "\(stem)")
            #expect(account.rowsRead > 0)
        }
        for file in truth.files where file.file.hasSuffix(".xlsx") {
            let account = try #require(fromWorkbooks.files.first { $0.file.hasSuffix(file.file) })
            let counted: [Int] = [account.rowsRead, account.accepted, account.rejected, account.duplicates]
            let expected: [Int] = [file.rowsRead, file.accepted, file.rejected, file.duplicates]
            #expect(counted == expected, "\(file.file)")
        }
        #expect(
            try String(contentsOfFile: "\(directory)/out-xlsx/indikatoren_2026-Q3.csv", encoding: .utf8)
                == String(contentsOfFile: "\(directory)/out-csv/indikatoren_2026-Q3.csv", encoding: .utf8))
    }

    @Test func theGeneratedWorkbooksHoldDatesAsDatesAndKeysAsNumbers() throws {
        let directory = makeTemporaryDirectory("klappt-xlsx-zellen")
        var generator = SampleGenerator(persons: 60, seed: 5, period: Period("2026-Q3")!)
        generator.listFormat = .xlsx
        try generator.write(to: directory)
        let workbook = try XLSXWorkbook(path: "\(directory)/jobcenter/jobcenter_kreis_unna_2026-09-30.xlsx")
        #expect(workbook.sheetNames == ["Kunden", "Hinweise"])
        let rows = try #require(workbook.sheets["Kunden"])
        let header = (0..<14).map { rows[0]?[$0]?.description ?? "" }
        let column = { (name: String) in header.firstIndex(of: name)! }
        // A valid row: birth date, Stand and Status_seit are date serials, PLZ and nationality numbers.
        let valid = try #require(rows.keys.sorted().dropFirst().first { rows[$0]?[0]?.description.hasPrefix("999D") == false })
        for name in ["Geburtsdatum", "Stand", "Status_seit", "PLZ"] {
            guard case .number = rows[valid]?[column(name)] else {
                Issue.record("\(name) ist keine Zahl: \(String(describing: rows[valid]?[column(name)]))")
                continue
            }
        }
        #expect(workbook.parts["xl/styles.xml"]?.contains("dd.mm.yyyy") == true)
        #expect(workbook.parts["xl/worksheets/sheet2.xml"]?.isEmpty == false)
    }

    // MARK: - Hostile and wrong files end to end

    /// A finished quarter from workbooks; then the register's workbook is replaced by `hostile` and
    /// the run must fail with 65 naming it, leaving every published file as it was.
    func expectRefusal(mentioning parts: [String], editPipeline: (String) -> String = { $0 }, _ hostile: (String) throws -> Void) throws {
        let directory = makeTemporaryDirectory("klappt-xlsx-feindlich")
        var generator = SampleGenerator(persons: 150, seed: 2, period: Period("2026-Q3")!)
        generator.listFormat = .xlsx
        try generator.write(to: "\(directory)/in")
        let pipeline = try Self.workbookPipeline().path
        _ = try run(pipeline, inputs: "\(directory)/in", lists: "xlsx", output: "\(directory)/out")
        let published = ["indikatoren_2026-Q3.csv", "lauf_2026-Q3.json", "bericht_2026-Q3.xlsx", "bericht_2026-Q3.html"]
        let before = published.map { FileManager.default.contents(atPath: "\(directory)/out/\($0)") }
        let register = "\(directory)/in/auslaenderbehoerde/register_kreis_unna_2026-09-30.xlsx"
        try hostile(register)
        let edited = pipeline.replacingOccurrences(of: ".yaml", with: "_geaendert.yaml")
        try editPipeline(try String(contentsOfFile: pipeline, encoding: .utf8)).write(toFile: edited, atomically: true, encoding: .utf8)
        do {
            _ = try run(edited, inputs: "\(directory)/in", lists: "xlsx", output: "\(directory)/out")
            Issue.record("Lauf hätte mit 65 scheitern müssen")
        } catch {
            #expect(error.exitCode == 65, "\(error)")
            #expect(error.description.contains("register_kreis_unna_2026-09-30.xlsx"), "\(error.description)")
            for part in parts { #expect(error.description.contains(part), "\(error.description) erwähnt nicht „\(part)“") }
        }
        #expect(published.map { FileManager.default.contents(atPath: "\(directory)/out/\($0)") } == before)
        let store = try Store(path: "\(directory)/out/klappt.sqlite")
        #expect(try store.query("SELECT COUNT(*) FROM runs")[0][0] == "1")
    }

    @Test func aCSVUnderAnXLSXNameIsRefused() throws {
        try expectRefusal(mentioning: ["CSV", "format: csv"]) { path in
            try Data("AZR_Nummer;Familienname\n1;Ali\n".utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func anOldBinaryWorkbookIsRefused() throws {
        try expectRefusal(mentioning: [".xls", "speichern"]) { path in
            try Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 4088)).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func anEncryptedWorkbookIsRefused() throws {
        try expectRefusal(mentioning: ["ohne Kennwort"]) { path in
            let name = Array("EncryptedPackage".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            try Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 1016) + name).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func aTruncatedWorkbookIsRefused() throws {
        try expectRefusal(mentioning: ["abgeschnitten"]) { path in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func aZipBombIsRefusedBeforeItIsInflated() throws {
        try expectRefusal(mentioning: ["Zip-Bomben"]) { path in
            var parts = try XLSXWorkbook(path: path).parts.mapValues { Data($0.utf8) }
            let row = #"<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>"#
            parts["xl/worksheets/sheet1.xml"] = Data(
                (#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"# + String(repeating: row, count: 100_000)
                    + "</sheetData></worksheet>").utf8)
            try writeZip(parts, to: path)
        }
    }

    /// The register's workbook of a generated quarter with its parts changed by `edit`; the run's
    /// outcome with the pipeline changed by `editPipeline`, and the same without changes.
    func runWithEditedRegister(
        editPipeline: (String) -> String = { $0 }, _ edit: (inout [String: String]) throws -> Void
    ) throws -> (edited: Result<RunOutcome, KlapptError>, plain: RunOutcome) {
        let directory = makeTemporaryDirectory("klappt-xlsx-buero")
        var generator = SampleGenerator(persons: 150, seed: 2, period: Period("2026-Q3")!)
        generator.listFormat = .xlsx
        try generator.write(to: "\(directory)/in")
        let pipeline = try Self.workbookPipeline().path
        let plain = try run(pipeline, inputs: "\(directory)/in", lists: "xlsx", output: "\(directory)/out-plain")
        let register = "\(directory)/in/auslaenderbehoerde/register_kreis_unna_2026-09-30.xlsx"
        var parts = try XLSXWorkbook(path: register).parts
        try edit(&parts)
        try writeZip(parts.mapValues { Data($0.utf8) }, to: register)
        let edited = pipeline.replacingOccurrences(of: ".yaml", with: "_geaendert.yaml")
        try editPipeline(try String(contentsOfFile: pipeline, encoding: .utf8)).write(toFile: edited, atomically: true, encoding: .utf8)
        let result = Result { () throws(KlapptError) in try run(edited, inputs: "\(directory)/in", lists: "xlsx", output: "\(directory)/out") }
        return (result, plain)
    }

    /// The register's account without its check sum (the edited workbook's bytes differ).
    static func registerAccount(_ outcome: RunOutcome) -> FileAccount? {
        guard var account = outcome.files.first(where: { $0.source == "auslaenderbehoerde" }) else { return nil }
        account.sha256 = ""
        return account
    }

    /// Issue 31: a hidden query sheet in front of the list is not read; the first visible one is.
    @Test func aHiddenFirstSheetIsPassedOver() throws {
        let (edited, plain) = try runWithEditedRegister { parts in
            var workbook = try #require(parts["xl/workbook.xml"])
            let register = try #require(workbook.firstMatch(of: /<sheet [^>]*name="Register"[^>]*\/>/)).output
            let notes = try #require(workbook.firstMatch(of: /<sheet [^>]*name="Hinweise"[^>]*\/>/)).output
            // "Hinweise" first, hidden: a list opened in Excel with a helper sheet in front.
            workbook = workbook.replacingOccurrences(of: String(register), with: "\u{1}").replacingOccurrences(of: String(notes), with: "\u{2}")
            workbook = workbook.replacingOccurrences(of: "\u{1}", with: String(notes).replacingOccurrences(of: "<sheet ", with: "<sheet state=\"hidden\" "))
                .replacingOccurrences(of: "\u{2}", with: String(register))
            parts["xl/workbook.xml"] = workbook
        }
        let outcome = try edited.get()
        #expect(Self.registerAccount(outcome) == Self.registerAccount(plain))
        // A sheet the workbook lacks: the message lists the sheets and says which is hidden.
        let (missing, _) = try runWithEditedRegister(
            editPipeline: {
                $0.replacingOccurrences(of: "    role: auslaenderbehoerde\n", with: "    role: auslaenderbehoerde\n    xlsx: {sheet: AZR-Auszug}\n")
            },
            { parts in
                parts["xl/workbook.xml"] = parts["xl/workbook.xml"]!.replacingOccurrences(
                    of: "<sheet name=\"Hinweise\"", with: "<sheet state=\"hidden\" name=\"Hinweise\"")
            })
        guard case .failure(let error) = missing else {
            Issue.record("Lauf hätte mit 65 scheitern müssen")
            return
        }
        #expect(error.description.contains("(vorhanden: „Register“, „Hinweise“ (ausgeblendet))"), "\(error.description)")
    }

    /// Issue 31: `xlsx.sheet` as a list of names to try, and as names per file pattern.
    @Test func sheetNamesAsAListOrPerFilePattern() throws {
        for option in ["xlsx: {sheet: [AZR-Auszug, Register]}", #"xlsx: {sheet: {"*nachlieferung*": Kunden, "register_*": [Register]}}"#] {
            let (edited, plain) = try runWithEditedRegister(
                editPipeline: { $0.replacingOccurrences(of: "    role: auslaenderbehoerde\n", with: "    role: auslaenderbehoerde\n    \(option)\n") },
                { _ in })
            #expect(Self.registerAccount(try edited.get()) == Self.registerAccount(plain), "\(option)")
        }
    }

    /// Issue 31: title rows above the header and a total below the list, as a coordinator's
    /// spreadsheet has them: the header is found (and named), the total is a footer row.
    @Test func titleRowsAndAFooterAroundTheList() throws {
        let (edited, plain) = try runWithEditedRegister { parts in
            var sheet = try #require(parts["xl/worksheets/sheet1.xml"])
            sheet = sheet.replacing(/<row r="(\d+)"/) { "<row r=\"\(Int($0.output.1)! + 3)\"" }
            sheet = sheet.replacing(/\ r="([A-Z]+)(\d+)"/) { " r=\"\($0.output.1)\(Int($0.output.2)! + 3)\"" }
            let title =
                #"<row r="1"><c r="A1" t="inlineStr"><is><t>Register Kreis Unna – Auszug</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>Stand: 30.09.2026</t></is></c></row>"#
            sheet = sheet.replacingOccurrences(of: "<sheetData>", with: "<sheetData>" + title)
            let footer = #"<row r="99990"><c r="A99990" t="inlineStr"><is><t>Summe:</t></is></c><c r="B99990"><v>371</v></c></row>"#
            sheet = sheet.replacingOccurrences(of: "</sheetData>", with: footer + "</sheetData>")
            parts["xl/worksheets/sheet1.xml"] = sheet
        }
        let account = try #require(Self.registerAccount(try edited.get()))
        var expected = try #require(Self.registerAccount(plain))
        expected.headerLine = 4
        expected.footerRows = 1
        #expect(account == expected)
    }

    /// Issue 31, the defect: ids a spreadsheet turned into numbers (`1.7976931348623157E+308`)
    /// made several people one; now each such row is rejected and three fail the file, saying why.
    @Test func idsASpreadsheetTurnedIntoNumbersFailTheFile() throws {
        let (edited, _) = try runWithEditedRegister { parts in
            var sheet = try #require(parts["xl/worksheets/sheet1.xml"])
            var changed = 0
            // Three AZR numbers (column A, text) become the number a spreadsheet made of them.
            sheet = sheet.replacing(/<c r="A(\d+)" t="s"><v>\d+<\/v>/) { match in
                guard match.output.1 != "1", changed < 3 else { return String(match.output.0) }
                changed += 1
                return "<c r=\"A\(match.output.1)\"><v>1.7976931348623157E+308</v>"
            }
            #expect(changed == 3)
            parts["xl/worksheets/sheet1.xml"] = sheet
        }
        guard case .failure(let error) = edited else {
            Issue.record("Lauf hätte mit 65 scheitern müssen")
            return
        }
        #expect(error.exitCode == 65)
        guard case .spreadsheetDamage(_, let rows, let fields, _) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(rows == 3 && fields == ["AZR_Nummer"])
        #expect(error.description.contains("in einer Tabellenkalkulation geöffnet und gespeichert"))
        #expect(!error.description.contains("1.79769"))
    }

    @Test func aWorkbookWithoutTheNamedSheetIsRefused() throws {
        // The register's source names a sheet the workbook does not have.
        let named = { (text: String) in
            text.replacingOccurrences(of: "    role: auslaenderbehoerde\n", with: "    role: auslaenderbehoerde\n    xlsx: {sheet: AZR-Auszug}\n")
        }
        try expectRefusal(mentioning: ["„AZR-Auszug“", "„Register“, „Hinweise“"], editPipeline: named) { _ in }
    }
}
