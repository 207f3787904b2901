import CLibXML2

/// What a worksheet's cells need from the rest of an Office Open XML workbook: the sheets by
/// name, the date system, which cell styles show dates, and the shared-strings table.
///
/// Read once per file (the shared strings are the one part that grows with the data: kept as one
/// byte buffer and an offset per string); the worksheet itself is then streamed by
/// `XLSXSheetReader`, which reopens the archive, so that a workbook can be read by several readers.
public final class XLSXWorkbook: Sendable {
    public struct Sheet: Sendable, Equatable {
        public var name: String
        /// The worksheet part, e.g. `xl/worksheets/sheet1.xml`.
        public var part: String
        /// Hidden in the workbook (`state="hidden"` or `"veryHidden"`): a query or helper sheet
        /// the reader of the list does not see.
        public var hidden = false

        public init(name: String, part: String, hidden: Bool = false) {
            self.name = name
            self.part = part
            self.hidden = hidden
        }
    }

    public let path: String
    public let limits: ZipArchive.Limits
    /// Worksheets in workbook order (chart sheets are left out: they have no cells).
    public let sheets: [Sheet]
    /// The 1904 date system (old Mac workbooks): serial 0 is 1 January 1904.
    public let date1904: Bool
    /// Per cell style index (`s`): whether its number format shows a date.
    public let dateStyles: [Bool]
    public let sharedStrings: SharedStrings

    /// The workbook's strings (`xl/sharedStrings.xml`), rich-text runs joined, phonetic runs left out.
    public struct SharedStrings: Sendable {
        public private(set) var bytes: [UInt8] = []
        /// Start of each string in `bytes`, and the end of the last one.
        public private(set) var offsets: [UInt32] = [0]
        public var count: Int { offsets.count - 1 }
        /// Memory the table holds, for the measurements.
        public var byteSize: Int { bytes.capacity + 4 * offsets.capacity }

        mutating func append(_ text: UnsafeBufferPointer<UInt8>) {
            bytes.append(contentsOf: text)
            offsets.append(UInt32(bytes.count))
        }

        @inline(__always)
        func withString<Result>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
            guard index >= 0, index < count else { return nil }
            return bytes.withUnsafeBufferPointer { all in
                body(UnsafeBufferPointer(rebasing: all[Int(offsets[index])..<Int(offsets[index + 1])]))
            }
        }

        public func string(_ index: Int) -> String? { withString(index) { String(decoding: $0, as: UTF8.self) } }
    }

    /// Small parts (workbook, relationships, styles) larger than this are not plausible.
    static let smallPartLimit = 64 << 20
    /// The shared-strings table larger than this (inflated) is refused: its table is kept in memory.
    static let sharedStringsLimit = 1 << 30

    public init(path: String, limits: ZipArchive.Limits = ZipArchive.Limits()) throws(FormatError) {
        self.path = path
        self.limits = limits
        let archive = try ZipArchive(path: path, limits: limits)
        func part(_ name: String) throws(FormatError) -> [UInt8]? {
            guard let entry = archive.entry(named: name) else { return nil }
            return try archive.contents(of: entry, limit: XLSXWorkbook.smallPartLimit)
        }
        func notAWorkbook(_ detail: String) -> FormatError {
            FormatError(
                .wrongFileType, file: path,
                message:
                    "Die Datei ist ein ZIP-Archiv, aber keine Excel-Arbeitsmappe (\(detail)). Bitte die Liste in Excel als „Excel-Arbeitsmappe (*.xlsx)“ speichern und neu liefern lassen."
            )
        }

        // The package's relationships name the workbook part (normally xl/workbook.xml).
        var workbookPart = "xl/workbook.xml"
        if let rootRels = try part("_rels/.rels") {
            let rels = try Relationships.parse(rootRels, base: "", file: path, part: "_rels/.rels")
            if let main = rels.first(where: { $0.type.hasSuffix("/officeDocument") }) { workbookPart = main.target }
        }
        guard let workbookXML = try part(workbookPart) else {
            if archive.entry(named: "EncryptedPackage") != nil || archive.entry(named: "EncryptionInfo") != nil {
                throw FormatError(
                    .encrypted, file: path,
                    message: "Die Arbeitsmappe ist verschlüsselt. Bitte in Excel ohne Kennwort als .xlsx speichern und neu liefern lassen.")
            }
            if archive.entry(named: "content.xml") != nil {
                throw notAWorkbook("es ist eine OpenDocument-Tabelle, .ods")
            }
            throw notAWorkbook("der Teil „\(workbookPart)“ fehlt")
        }
        let folder = workbookPart.split(separator: "/").dropLast().joined(separator: "/")
        let relsPart = (folder.isEmpty ? "" : folder + "/") + "_rels/" + (workbookPart.split(separator: "/").last.map(String.init) ?? "workbook.xml") + ".rels"
        let rels = try part(relsPart).map { (bytes) throws(FormatError) in try Relationships.parse(bytes, base: folder, file: path, part: relsPart) } ?? []

        let workbook = WorkbookHandler()
        try XMLPartParser(handler: workbook, file: path, part: workbookPart).parse(workbookXML)
        date1904 = workbook.date1904
        var sheets: [Sheet] = []
        for (name, id, hidden) in workbook.sheets {
            guard let rel = rels.first(where: { $0.id == id }), rel.type.hasSuffix("/worksheet") else { continue }
            sheets.append(Sheet(name: name, part: rel.target, hidden: hidden))
        }
        self.sheets = sheets

        if let stylesRel = rels.first(where: { $0.type.hasSuffix("/styles") }), let stylesXML = try part(stylesRel.target) {
            let styles = StylesHandler()
            try XMLPartParser(handler: styles, file: path, part: stylesRel.target).parse(stylesXML)
            dateStyles = styles.cellFormats.map { styles.isDate($0) }
        } else {
            dateStyles = []
        }

        if let stringsRel = rels.first(where: { $0.type.hasSuffix("/sharedStrings") }), let entry = archive.entry(named: stringsRel.target) {
            guard entry.size <= XLSXWorkbook.sharedStringsLimit else {
                throw FormatError(
                    .inflationLimit, file: path,
                    message:
                        "Die Tabelle der Texte der Arbeitsmappe wäre entpackt \(ZipArchive.megabytes(entry.size)) groß (erlaubt: \(ZipArchive.megabytes(XLSXWorkbook.sharedStringsLimit))). Bitte die Liste auf mehrere Dateien verteilen oder als CSV liefern lassen."
                )
            }
            let handler = SharedStringsHandler()
            try XMLPartParser(handler: handler, file: path, part: stringsRel.target).parse(try archive.open(entry))
            sharedStrings = handler.table
        } else {
            sharedStrings = SharedStrings()
        }
    }

    /// The first sheet of `names` that the workbook has (compared without regard to case, as Excel
    /// does), hidden or not: the pipeline asked for it by name. Without names, the first visible
    /// worksheet (a hidden query sheet in front of the list is not the list).
    public func sheet(named names: [String]) throws(FormatError) -> Sheet {
        for name in names {
            if let sheet = sheets.first(where: { $0.name == name }) ?? sheets.first(where: { $0.name.lowercased() == name.lowercased() }) {
                return sheet
            }
        }
        if !names.isEmpty {
            let wanted = names.map { "„\($0)“" }.joined(separator: " oder ")
            throw FormatError(
                .missingSheet, file: path,
                message:
                    "Die Arbeitsmappe hat kein Blatt \(wanted) (vorhanden: \(sheetList)). Bitte beim Absender die Mappe mit diesem Blatt anfordern, oder xlsx.sheet der Quelle in der Pipeline-Datei anpassen (ein Name, eine Liste von Namen oder Namen je Dateimuster)."
            )
        }
        guard let first = sheets.first(where: { !$0.hidden }) else {
            throw FormatError(
                .missingSheet, file: path,
                message: sheets.isEmpty
                    ? "Die Arbeitsmappe hat kein Tabellenblatt mit Zellen. Bitte die Liste neu als .xlsx speichern und neu liefern lassen."
                    : "Die Arbeitsmappe hat nur ausgeblendete Blätter (\(sheetList)). Bitte das Blatt mit der Liste als xlsx.sheet der Quelle in der Pipeline-Datei nennen, oder die Mappe mit sichtbarer Liste neu liefern lassen."
            )
        }
        return first
    }

    /// The sheets' names for messages, hidden ones marked.
    public var sheetList: String {
        sheets.map { "„\($0.name)“\($0.hidden ? " (ausgeblendet)" : "")" }.joined(separator: ", ")
    }
}

// MARK: - The parts around the worksheet

/// A part's relationships (`_rels/*.rels`): id, type and target part.
struct Relationships {
    struct Relationship {
        var id: String
        var type: String
        var target: String
    }

    static func parse(_ bytes: [UInt8], base: String, file: String, part: String) throws(FormatError) -> [Relationship] {
        let handler = Handler()
        try XMLPartParser(handler: handler, file: file, part: part).parse(bytes)
        return handler.relationships.map { id, type, target in Relationship(id: id, type: type, target: resolve(target, base: base)) }
    }

    /// A relationship's target as a part name: absolute (`/xl/…`) or relative to the source part's
    /// folder, with `..` steps applied.
    static func resolve(_ target: String, base: String) -> String {
        var parts: [Substring] = target.hasPrefix("/") ? [] : base.split(separator: "/")
        for piece in target.split(separator: "/") {
            if piece == ".." {
                _ = parts.popLast()
            } else if piece != "." {
                parts.append(piece)
            }
        }
        return parts.joined(separator: "/")
    }

    private final class Handler: XMLPartHandler {
        var relationships: [(String, String, String)] = []
        override func start(_ name: UnsafePointer<xmlChar>, _ attributes: XMLAttributes) {
            guard XMLAttributes.equal(name, "Relationship"), attributes.string("TargetMode") != "External",
                let id = attributes.string("Id"), let type = attributes.string("Type"), let target = attributes.string("Target")
            else { return }
            relationships.append((id, type, target))
        }
    }
}

/// `xl/workbook.xml`: the sheets in order and the date system.
private final class WorkbookHandler: XMLPartHandler {
    var sheets: [(name: String, id: String, hidden: Bool)] = []
    var date1904 = false
    override func start(_ name: UnsafePointer<xmlChar>, _ attributes: XMLAttributes) {
        if XMLAttributes.equal(name, "sheet"), let sheetName = attributes.string("name"), let id = attributes.string("id") {
            let state = attributes.string("state")?.lowercased()
            sheets.append((sheetName, id, state == "hidden" || state == "veryhidden"))
        } else if XMLAttributes.equal(name, "workbookPr"), let value = attributes.string("date1904") {
            date1904 = value == "1" || value.lowercased() == "true"
        }
    }
}

/// `xl/styles.xml`: the number format of each cell style, and the workbook's own formats.
private final class StylesHandler: XMLPartHandler {
    var cellFormats: [Int] = []
    var customFormats: [Int: String] = [:]
    private var inCellXfs = false

    override func start(_ name: UnsafePointer<xmlChar>, _ attributes: XMLAttributes) {
        if XMLAttributes.equal(name, "cellXfs") {
            inCellXfs = true
        } else if inCellXfs, XMLAttributes.equal(name, "xf") {
            cellFormats.append(attributes.string("numFmtId").flatMap { Int($0) } ?? 0)
        } else if XMLAttributes.equal(name, "numFmt"), let id = attributes.string("numFmtId").flatMap({ Int($0) }), let code = attributes.string("formatCode") {
            customFormats[id] = code
        }
    }

    override func end(_ name: UnsafePointer<xmlChar>) {
        if XMLAttributes.equal(name, "cellXfs") { inCellXfs = false }
    }

    /// Whether number format `id` shows a date: the built-in date formats (ECMA-376 18.8.30, with the
    /// East Asian ones), or a format code with a day, month or year outside quotes and brackets.
    func isDate(_ id: Int) -> Bool {
        if let code = customFormats[id] { return StylesHandler.isDateCode(code) }
        return (14...22).contains(id) || (27...36).contains(id) || (45...47).contains(id) || (50...58).contains(id)
    }

    static func isDateCode(_ code: String) -> Bool {
        var inQuotes = false
        var inBracket = false
        var escaped = false
        // Only the first section (positive numbers) decides, as in Excel's own display.
        for character in code.lowercased() {
            if escaped {
                escaped = false
                continue
            }
            switch character {
            case "\\": escaped = true
            case "\"": inQuotes.toggle()
            case "[" where !inQuotes: inBracket = true
            case "]" where !inQuotes: inBracket = false
            case ";" where !inQuotes && !inBracket: return false
            case "d", "m", "y", "h", "s":
                if !inQuotes && !inBracket { return true }
            default: continue
            }
        }
        return false
    }
}

/// `xl/sharedStrings.xml` into the byte table: the text of every `t` of an `si`, outside `rPh`.
private final class SharedStringsHandler: XMLPartHandler {
    var table = XLSXWorkbook.SharedStrings()
    private var current: [UInt8] = []
    private var inItem = false
    private var inText = false
    private var phonetic = 0

    override func start(_ name: UnsafePointer<xmlChar>, _ attributes: XMLAttributes) {
        if XMLAttributes.equal(name, "si") {
            inItem = true
            current.removeAll(keepingCapacity: true)
        } else if XMLAttributes.equal(name, "rPh") {
            phonetic += 1
        } else if inItem, phonetic == 0, XMLAttributes.equal(name, "t") {
            inText = true
        }
    }

    override func end(_ name: UnsafePointer<xmlChar>) {
        if XMLAttributes.equal(name, "t") {
            inText = false
        } else if XMLAttributes.equal(name, "rPh") {
            phonetic -= 1
        } else if XMLAttributes.equal(name, "si") {
            inItem = false
            OOXMLText.unescape(&current)
            current.withUnsafeBufferPointer { table.append($0) }
        }
    }

    override func text(_ bytes: UnsafePointer<xmlChar>, _ count: Int) {
        if inText { current.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count)) }
    }
}

/// Text as Office Open XML stores it (ECMA-376 22.9.2.19 ST_Xstring): a character XML cannot hold is
/// written `_xHHHH_` (a line break in a cell as `_x000D_` beside the real one). Tab, line feed and
/// carriage return are restored; other control characters are left out, so a value can never carry
/// the separator the record bytes use.
enum OOXMLText {
    static func unescape(_ text: inout [UInt8]) {
        guard text.count >= 7, text.contains(UInt8(ascii: "_")) else { return }
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if text[index] == UInt8(ascii: "_"), index + 6 < text.count, text[index + 1] == UInt8(ascii: "x"), text[index + 6] == UInt8(ascii: "_"),
                let value = hex(text[(index + 2)..<(index + 6)])
            {
                index += 7
                if value == 0x5F {
                    output.append(UInt8(ascii: "_"))
                }  // _x005F_ escapes the underscore itself
                else if value == 0x09 || value == 0x0A || value == 0x0D {
                    output.append(UInt8(value))
                } else if value >= 0x20, let scalar = Unicode.Scalar(value) {
                    output.append(contentsOf: String(Character(scalar)).utf8)
                }
                continue
            }
            output.append(text[index])
            index += 1
        }
        text = output
    }

    private static func hex(_ digits: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt32(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = value << 4 | UInt32(digit - UInt8(ascii: "A") + 10)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt32(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }
}
