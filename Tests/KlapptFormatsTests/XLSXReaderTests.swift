import Foundation
import KlapptFormats
import Testing
import ZIPFoundation

/// Workbooks written part by part, so that each test says exactly what the file holds: the cell
/// kinds of ECMA-376, the date systems, and hostile files.
struct WorkbookFixture {
    var sheets: [(name: String, xml: String)] = []
    var sharedStrings: [String] = []
    /// Number format id per cell style (`s` index); custom formats from 164 on.
    var cellFormats: [Int] = [0, 14, 164]
    var customFormats: [Int: String] = [164: "dd.mm.yyyy"]
    var date1904 = false
    var extraParts: [String: Data] = [:]

    static func sheetXML(_ rows: String, prolog: String = "") -> String {
        #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + prolog
            + #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"# + rows + "</sheetData></worksheet>"
    }

    func parts() -> [String: Data] {
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        var parts: [String: String] = [:]
        parts["[Content_Types].xml"] =
            #"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#
        parts["_rels/.rels"] =
            #"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="\#(rel)/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        var sheetList = ""
        var rels = ""
        for (index, sheet) in sheets.enumerated() {
            sheetList += #"<sheet name="\#(sheet.name)" sheetId="\#(index + 1)" r:id="rId\#(index + 1)"/>"#
            rels += #"<Relationship Id="rId\#(index + 1)" Type="\#(rel)/worksheet" Target="worksheets/sheet\#(index + 1).xml"/>"#
            parts["xl/worksheets/sheet\(index + 1).xml"] = sheet.xml
        }
        rels +=
            #"<Relationship Id="rS" Type="\#(rel)/styles" Target="styles.xml"/><Relationship Id="rT" Type="\#(rel)/sharedStrings" Target="/xl/sharedStrings.xml"/>"#
        parts["xl/workbook.xml"] =
            #"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="\#(main)" xmlns:r="\#(rel)"><workbookPr\#(date1904 ? #" date1904="1""# : "")/><sheets>\#(sheetList)</sheets></workbook>"#
        parts["xl/_rels/workbook.xml.rels"] =
            #"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\#(rels)</Relationships>"#
        let numFmts = customFormats.map { #"<numFmt numFmtId="\#($0.key)" formatCode="\#($0.value.replacingOccurrences(of: "\"", with: "&quot;"))"/>"# }
            .joined()
        let xfs = cellFormats.map { #"<xf numFmtId="\#($0)" fontId="0"/>"# }.joined()
        parts["xl/styles.xml"] =
            #"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="\#(main)"><numFmts>\#(numFmts)</numFmts><cellStyleXfs><xf numFmtId="14"/></cellStyleXfs><cellXfs>\#(xfs)</cellXfs></styleSheet>"#
        parts["xl/sharedStrings.xml"] =
            #"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="\#(main)">"# + sharedStrings.map { "<si>\($0)</si>" }.joined() + "</sst>"
        var data = parts.mapValues { Data($0.utf8) }
        for (name, bytes) in extraParts { data[name] = bytes }
        return data
    }

    /// Writes the workbook (deflated parts) to a new file and returns its path.
    func write(_ name: String = "mappe.xlsx", in directory: String? = nil) throws -> String {
        let folder = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("klappt-xlsx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/\(name)"
        try WorkbookFixture.zip(parts(), to: path)
        return path
    }

    static func zip(_ parts: [String: Data], to path: String) throws {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for name in parts.keys.sorted() {
            let data = parts[name]!
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }

    /// Every row of the first (or named) sheet as text per column, with its row number.
    static func rows(of path: String, sheet: String? = nil, rendering: DateCellRendering = .iso, width: Int? = nil) throws -> [(Int, [String])] {
        let workbook = try XLSXWorkbook(path: path)
        let reader = try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: sheet.map { [$0] } ?? []), dateRendering: rendering)
        reader.width = width
        var rows: [(Int, [String])] = []
        while try reader.advance() { rows.append((reader.recordLine, reader.cellTexts())) }
        return rows
    }
}

@Suite struct XLSXReaderTests {
    static let german = DateCellRendering(parts: [.day, .literal(UInt8(ascii: ".")), .month, .literal(UInt8(ascii: ".")), .year])

    @Test func cellKindsReadAsTheTextACoordinatorSees() throws {
        var fixture = WorkbookFixture()
        fixture.sharedStrings = [
            "<t>Kundennummer</t>", "<t xml:space=\"preserve\"> Ali </t>", "<r><rPr><b/></rPr><t>Abu </t></r><r><t>Bakr</t></r><rPh><t>ignoriert</t></rPh>",
            "<t>Zeile_x000D_\nzwei</t>",
        ]
        fixture.sheets = [
            (
                "Kunden",
                WorkbookFixture.sheetXML(
                    #"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Name</t></is></c><c r="C1" t="s"><v>2</v></c></row>"#
                        + #"<row r="2"><c r="A2"><v>59192</v></c><c r="B2" t="s"><v>1</v></c><c r="C2"><v>5.9192E4</v></c><c r="D2"><v>59192.0</v></c><c r="E2"><v>0.25</v></c><c r="F2"><v>-3</v></c></row>"#
                        + #"<row r="3"><c r="A3" t="b"><v>1</v></c><c r="B3" t="b"><v>0</v></c><c r="C3" t="str"><f>A1&amp;"x"</f><v>abc</v></c><c r="D3"><f>1+1</f><v>2</v></c><c r="E3" t="e"><v>#N/A</v></c><c r="F3" t="s"><v>3</v></c></row>"#
                        + #"<row r="4"><c r="A4" s="1"><v>38063</v></c><c r="B4" s="2"><v>38063.75</v></c><c r="C4" t="d"><v>2004-03-17T00:00:00</v></c><c r="D4" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c></row>"#
                )
            )
        ]
        let rows = try WorkbookFixture.rows(of: try fixture.write(), rendering: Self.german)
        #expect(rows.map(\.0) == [1, 2, 3, 4])
        #expect(rows[0].1 == ["Kundennummer", "Name", "Abu Bakr"])
        #expect(rows[1].1 == ["59192", " Ali ", "59192", "59192", "0.25", "-3"])
        #expect(rows[2].1 == ["WAHR", "FALSCH", "abc", "2", "", "Zeile\r\nzwei"])
        #expect(rows[3].1 == ["17.03.2004", "17.03.2004", "17.03.2004", "inline"])
    }

    @Test(arguments: [
        // serial, 1900 system, 1904 system (ISO)
        (1, "1900-01-01", "1904-01-02"), (59, "1900-02-28", "1904-02-29"), (60, "1900-02-29", "1904-03-01"), (61, "1900-03-01", "1904-03-02"),
        (38063, "2004-03-17", "2008-03-18"), (0, "0", "1904-01-01"), (2_958_465, "9999-12-31", "2958465"), (-1, "-1", "-1"),
    ])
    func dateSerialsInBothDateSystems(_ serial: Int, _ in1900: String, _ in1904: String) throws {
        for (system1904, expected) in [(false, in1900), (true, in1904)] {
            var fixture = WorkbookFixture()
            fixture.date1904 = system1904
            fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(#"<row r="1"><c r="A1" s="1"><v>\#(serial)</v></c></row>"#))]
            let rows = try WorkbookFixture.rows(of: try fixture.write())
            #expect(rows.first?.1 == [expected], "serial \(serial), 1904: \(system1904)")
        }
    }

    @Test func dateFormatsAreRecognisedByTheirCode() throws {
        var fixture = WorkbookFixture()
        fixture.cellFormats = [0, 164, 165, 166, 167, 168, 22, 49]
        fixture.customFormats = [164: "[$-407]d/ mmmm yyyy;@", 165: "0.00\" m\"", 166: "\"Tag\" 0", 167: "#,##0;[Red]-#,##0", 168: "yyyy\\-mm\\-dd"]
        let cells = (1...7).map { #"<c r="\#(Character(UnicodeScalar(64 + $0)!))1" s="\#($0)"><v>38063</v></c>"# }.joined()
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML("<row r=\"1\">\(cells)</row>"))]
        let rows = try WorkbookFixture.rows(of: try fixture.write())
        // 164 date, 165–167 not (quoted units, colour in brackets), 168 date, 22 built-in date-time, 49 text (@).
        #expect(rows.first?.1 == ["2004-03-17", "38063", "38063", "38063", "2004-03-17", "2004-03-17", "38063"])
    }

    @Test func rowsWithoutValuesAreNoRecordsAndGapsAreEmptyColumns() throws {
        var fixture = WorkbookFixture()
        fixture.sheets = [
            (
                "Blatt",
                WorkbookFixture.sheetXML(
                    #"<row r="1" s="3"/><row r="2"><c r="A2" s="1"/><c r="B2" t="s"></c></row>"#
                        + #"<row r="3"><c r="B3" t="inlineStr"><is><t>B</t></is></c><c r="D3" t="inlineStr"><is><t>D</t></is></c></row>"#
                        // Rows and cells without `r`: the next row, the next column.
                        + #"<row><c><v>1</v></c><c><v>2</v></c></row>"# + #"<row r="9"><c r="C9"><v>3</v></c><c><v>4</v></c></row>"#)
            )
        ]
        let rows = try WorkbookFixture.rows(of: try fixture.write())
        #expect(rows.map(\.0) == [3, 4, 9])
        #expect(rows[0].1 == ["", "B", "", "D"])
        #expect(rows[1].1 == ["1", "2"])
        #expect(rows[2].1 == ["", "", "3", "4"])
    }

    @Test func headerSetsTheWidthAndCellsBeyondItAreFlagged() throws {
        var fixture = WorkbookFixture()
        fixture.sheets = [
            (
                "Blatt",
                WorkbookFixture.sheetXML(
                    #"<row r="2"><c r="A2" t="inlineStr"><is><t>Id</t></is></c><c r="B2" t="inlineStr"><is><t>Name </t></is></c></row>"#
                        + #"<row r="3"><c r="A3"><v>1</v></c></row>"#
                        + #"<row r="4"><c r="A4"><v>2</v></c><c r="B4" t="inlineStr"><is><t>x</t></is></c><c r="E4"><v>9</v></c></row>"#
                        + #"<row r="5"><c r="A5"><v>2</v></c><c r="B5" t="inlineStr"><is><t>x</t></is></c></row>"#)
            )
        ]
        let path = try fixture.write()
        let workbook = try XLSXWorkbook(path: path)
        let reader = try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: []))
        let header = try #require(try reader.readHeader())
        #expect(header.names == ["Id", "Name"])
        #expect(header.row == 2)
        #expect(reader.width == 2)
        var seen: [(Int, [String], Bool, RowFingerprint)] = []
        while try reader.advance() { seen.append((reader.recordLine, reader.cellTexts(), reader.hasCellsBeyondWidth, reader.recordFingerprint)) }
        #expect(seen.map(\.0) == [3, 4, 5])
        #expect(seen.map(\.1) == [["1", ""], ["2", "x"], ["2", "x"]])
        #expect(seen.map(\.2) == [false, true, false])
        // Row 4 has one value more than row 5: not a duplicate of it.
        #expect(seen[1].3 != seen[2].3)
    }

    @Test func rowsWithTheSameValuesHaveTheSameFingerprint() throws {
        var fixture = WorkbookFixture()
        fixture.sharedStrings = ["<t>Ali</t>"]
        fixture.sheets = [
            (
                "Blatt",
                WorkbookFixture.sheetXML(
                    #"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>59192</v></c></row>"#
                        // The same values, written differently (inline string, number with exponent, a trailing empty cell).
                        + #"<row r="2"><c r="A2" t="inlineStr"><is><t>Ali</t></is></c><c r="B2"><v>5.9192E4</v></c><c r="C2" t="s"/></row>"#
                        + #"<row r="3"><c r="A3" t="inlineStr"><is><t>Ali</t></is></c><c r="C3"><v>59192</v></c></row>"#)
            )
        ]
        let workbook = try XLSXWorkbook(path: try fixture.write())
        let reader = try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: []))
        var prints: [RowFingerprint] = []
        while try reader.advance() { prints.append(reader.recordFingerprint) }
        #expect(prints.count == 3)
        #expect(prints[0] == prints[1])
        #expect(prints[0] != prints[2])
    }

    /// The sheet is parsed on a thread of its own and handed over in pieces: every row arrives once,
    /// in order; a fault late in the sheet arrives after the rows before it; a reader given up
    /// halfway stops the parsing (the next reader of the file is not held up).
    @Test func piecesFromTheParsingThreadArriveInOrderWithTheirFault() throws {
        var fixture = WorkbookFixture()
        fixture.sharedStrings = ["<t>x</t>"]
        let rows = (1...5000).map { #"<row r="\#($0)"><c r="A\#($0)"><v>\#($0)</v></c><c r="B\#($0)" t="s"><v>0</v></c></row>"# }
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(rows.joined() + #"<row r="5001"><c r="A5001" t="s"><v>9</v></c></row>"#))]
        let path = try fixture.write()
        let workbook = try XLSXWorkbook(path: path)
        let reader = try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: []), chunkBytes: 1024)
        var lines: [Int] = []
        let error = #expect(throws: FormatError.self) {
            while try reader.advance() {
                lines.append(reader.recordLine)
                #expect(reader.cellTexts() == [String(reader.recordLine), "x"])
            }
        }
        #expect(lines.count == 5000)
        #expect(lines.first == 1 && lines.last == 5000)
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0 + 1 == $1 }, "Zeilen fehlen oder sind doppelt")
        #expect(error?.kind == .malformed)
        #expect(error?.line == 5001)
        for _ in 0..<20 {
            let abandoned = try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: []), chunkBytes: 512)
            _ = try abandoned.advance()
        }
        let again = try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: []))
        var count = 0
        _ = try? { while try again.advance() { count += 1 } }()
        #expect(count == 5000)
    }

    @Test func sheetsByNameAndTheFirstWorksheetByDefault() throws {
        var fixture = WorkbookFixture()
        fixture.sheets = [
            ("Kunden", WorkbookFixture.sheetXML(#"<row r="1"><c r="A1"><v>1</v></c></row>"#)),
            ("Hinweise", WorkbookFixture.sheetXML(#"<row r="1"><c r="A1"><v>2</v></c></row>"#)),
        ]
        let path = try fixture.write()
        #expect(try WorkbookFixture.rows(of: path).first?.1 == ["1"])
        #expect(try WorkbookFixture.rows(of: path, sheet: "hinweise").first?.1 == ["2"])
        let error = #expect(throws: FormatError.self) { try WorkbookFixture.rows(of: path, sheet: "Register") }
        #expect(error?.kind == .missingSheet)
        #expect(error?.message.contains("„Kunden“, „Hinweise“") == true)
        #expect(error?.file == path)
    }

    // MARK: - Hostile and wrong files (SPEC 2.4)

    func refusal(_ path: String) -> FormatError? {
        #expect(throws: FormatError.self) { try WorkbookFixture.rows(of: path) }
    }

    @Test func aDocumentTypeDeclarationIsRefused() throws {
        var fixture = WorkbookFixture()
        let laughs = #"<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>"#
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(#"<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>"#, prolog: laughs))]
        let error = refusal(try fixture.write())
        #expect(error?.kind == .forbiddenDTD)
        var strings = WorkbookFixture()
        strings.sheets = [("Blatt", WorkbookFixture.sheetXML(#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#))]
        var parts = strings.parts()
        parts["xl/sharedStrings.xml"] = Data(
            #"<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si></sst>"#
                .utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-xxe-\(UUID().uuidString).xlsx").path
        try WorkbookFixture.zip(parts, to: path)
        #expect(refusal(path)?.kind == .forbiddenDTD)
    }

    @Test func wrongFilesUnderAnXLSXNameAreNamedForWhatTheyAre() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-falsch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let csv = "\(folder)/liste.xlsx"
        try Data("Kundennummer;Nachname\r\n1;Ali\r\n".utf8).write(to: URL(fileURLWithPath: csv))
        let csvError = refusal(csv)
        #expect(csvError?.kind == .wrongFileType)
        #expect(csvError?.message.contains("CSV") == true)

        // A compound file (OLE2): an old .xls, and an encrypted workbook (its EncryptedPackage stream).
        let ole = [UInt8]([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + [UInt8](repeating: 0, count: 1016)
        let xls = "\(folder)/alt.xlsx"
        try Data(ole + Array("Workbook".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })).write(to: URL(fileURLWithPath: xls))
        let xlsError = refusal(xls)
        #expect(xlsError?.kind == .wrongFileType)
        #expect(xlsError?.message.contains(".xls") == true)
        let encrypted = "\(folder)/geschuetzt.xlsx"
        try Data(ole + Array("EncryptedPackage".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })).write(to: URL(fileURLWithPath: encrypted))
        let encryptedError = refusal(encrypted)
        #expect(encryptedError?.kind == .encrypted)
        #expect(encryptedError?.message.contains("ohne Kennwort") == true)

        let empty = "\(folder)/leer.xlsx"
        FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(refusal(empty)?.kind == .truncated)

        // A zip that is no workbook (no workbook part).
        let other = "\(folder)/archiv.xlsx"
        try WorkbookFixture.zip(["readme.txt": Data("hallo".utf8)], to: other)
        #expect(refusal(other)?.kind == .wrongFileType)
    }

    @Test func aTruncatedWorkbookIsRefused() throws {
        var fixture = WorkbookFixture()
        let rows = (1...2000).map {
            #"<row r="\#($0)"><c r="A\#($0)"><v>\#($0 * 7919)</v></c><c r="B\#($0)" t="inlineStr"><is><t>Name \#($0)</t></is></c></row>"#
        }
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(rows.joined()))]
        let path = try fixture.write()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in [bytes.count - 10, bytes.count / 2, 100] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            let error = refusal(path)
            #expect(error?.kind == .truncated, "abgeschnitten bei \(cut) von \(bytes.count) Bytes")
            #expect(error?.message.contains("neu") == true)
        }
    }

    @Test func aPartThatInflatesBeyondTheLimitsIsNeverInflated() throws {
        // 64 MiB of one repeated row inflate from about 64 KiB: a ratio of about 1,000.
        let row = #"<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>"#
        let body = String(repeating: row, count: (64 << 20) / row.utf8.count)
        var fixture = WorkbookFixture()
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(body))]
        let path = try fixture.write()
        let error = refusal(path)
        #expect(error?.kind == .inflationLimit)
        #expect(error?.message.contains("Zip-Bombe") == true)
        // The same part under a cap below its size.
        let workbook = try XLSXWorkbook(path: path, limits: ZipArchive.Limits(maxPartBytes: 1 << 20, maxRatio: 10_000))
        let capped = #expect(throws: FormatError.self) { try XLSXSheetReader(workbook: workbook, sheet: try workbook.sheet(named: [])) }
        #expect(capped?.kind == .inflationLimit)
    }

    /// Offsets of the zip headers that name `part`: local file headers (`PK\u{3}\u{4}`, name at 30)
    /// and central-directory entries (`PK\u{1}\u{2}`, name at 46), with their kind.
    func headers(naming part: String, in bytes: [UInt8]) -> [(offset: Int, central: Bool)] {
        let name = Array(part.utf8)
        var found: [(Int, Bool)] = []
        for index in 0..<max(0, bytes.count - 46 - name.count) where bytes[index] == 0x50 && bytes[index + 1] == 0x4B {
            let central = bytes[index + 2] == 0x01 && bytes[index + 3] == 0x02
            let local = bytes[index + 2] == 0x03 && bytes[index + 3] == 0x04
            let nameAt = index + (central ? 46 : 30)
            if central || local, bytes[nameAt..<nameAt + name.count].elementsEqual(name) { found.append((index, central)) }
        }
        return found
    }

    @Test func aPartThatInflatesToMoreThanItDeclaresIsRefused() throws {
        var fixture = WorkbookFixture()
        let rows = (1...3000).map { #"<row r="\#($0)"><c r="A\#($0)"><v>\#($0)</v></c></row>"# }
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(rows.joined()))]
        let path = try fixture.write()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Declare 1,000 bytes for the worksheet in its local header and in the central directory.
        var patched = 0
        for (offset, central) in headers(naming: "xl/worksheets/sheet1.xml", in: bytes) {
            let size = offset + (central ? 24 : 22)
            bytes.replaceSubrange(size..<size + 4, with: [0xE8, 0x03, 0, 0])
            patched += 1
        }
        #expect(patched == 2)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = refusal(path)
        #expect(error?.kind == .inflationLimit)
        #expect(error?.message.contains("größer, als das Archiv angibt") == true)
        #expect(error?.file == path)
    }

    @Test func aDamagedPartFailsItsCheck() throws {
        var fixture = WorkbookFixture()
        let rows = (1...3000).map { #"<row r="\#($0)"><c r="A\#($0)"><v>\#($0)</v></c></row>"# }
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(rows.joined()))]
        let path = try fixture.write()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let name = Array("xl/worksheets/sheet1.xml".utf8)
        let local = try #require(headers(naming: "xl/worksheets/sheet1.xml", in: bytes).first { !$0.central }?.offset)
        // Flip bytes inside the compressed data.
        for offset in stride(from: local + 30 + name.count + 200, to: local + 30 + name.count + 260, by: 7) { bytes[offset] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = refusal(path)
        #expect(error?.kind == .truncated)
        #expect(error?.message.contains("lässt sich nicht vollständig entpacken") == true)
        #expect(error?.message.contains("neu") == true)
    }

    @Test func aSharedStringIndexOutOfRangeFailsTheFile() throws {
        var fixture = WorkbookFixture()
        fixture.sharedStrings = ["<t>a</t>"]
        fixture.sheets = [("Blatt", WorkbookFixture.sheetXML(#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>7</v></c></row>"#))]
        let error = refusal(try fixture.write())
        #expect(error?.kind == .malformed)
        #expect(error?.sheet == "Blatt")
        #expect(error?.line == 2)
        #expect(error?.description.contains("Blatt „Blatt“, Zeile 2") == true)
    }
}
