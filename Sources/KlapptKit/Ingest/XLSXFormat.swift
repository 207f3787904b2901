import KlapptFormats

/// An Excel workbook (Office Open XML, `.xlsx`), as the job centre's and the immigration office's
/// lists reach the coordinator (issue 21): one worksheet, a header row, fields found by header name
/// as in CSV. The file is one slice (a deflate stream cannot be cut), read by `XLSXSheetReader`.
///
/// ```yaml
/// format: xlsx
/// xlsx: {sheet: Kunden}     # optional; default: the first worksheet
/// ```
///
/// Date cells are accepted in any date field whatever `date_format` says (the reader writes them in
/// that format); a text in a date field must match `date_format`, as in CSV.
public struct XLSXFormat: SourceFormat {
    public static let name = "xlsx"
    /// The worksheet's name; nil: the first worksheet.
    public var sheet: String?
    public var limits = ZipArchive.Limits()

    public init(sheet: String? = nil) { self.sheet = sheet }

    public init(options: FormatOptions, fields: [CanonicalField: String]) throws(PipelineError) {
        try options.allow(["sheet"])
        if let name = options["sheet"] {
            guard !name.allSatisfy(\.isWhitespace) else { throw options.fail("sheet", "Der Blattname ist leer.") }
            sheet = name
        }
        for (field, name) in fields where name.hasPrefix("@") || name.hasPrefix("/@") {
            throw options.fail(nil, "Feld „\(field.rawValue)“: Attribute (\(name)) gibt es nur in XML-Quellen.")
        }
    }

    /// A workbook's parts that every reader of it shares (the shared strings), its sheet, header
    /// and the column of each canonical field.
    public struct Layout: Sendable {
        public var workbook: XLSXWorkbook
        public var sheet: XLSXWorkbook.Sheet
        public var header: [String]
        public var headerRow: Int
        /// By `CanonicalField.ordinal`: the column, or -1 when the pipeline does not map the field.
        public var columns: [Int]
        public var dateRendering: DateCellRendering
    }

    public func layout(of path: String, source: SourceSpec) throws(KlapptError) -> Layout {
        do {
            let workbook = try XLSXWorkbook(path: path, limits: limits)
            let sheet = try workbook.sheet(named: self.sheet)
            let reader = try XLSXSheetReader(workbook: workbook, sheet: sheet)
            guard let (header, row) = try reader.readHeader() else {
                throw FormatError(
                    .truncated, file: path, sheet: sheet.name,
                    message: "Das Blatt ist leer: keine Kopfzeile, keine Zeilen. Bitte beim Absender die vollständige Liste anfordern.")
            }
            let columns = try CSVLayout.columns(of: header, spec: source, delimiter: nil, path: path, sheet: sheet.name, headerLine: row)
            return Layout(
                workbook: workbook, sheet: sheet, header: header, headerRow: row, columns: columns, dateRendering: source.dateFormat.cellRendering)
        } catch let error as FormatError {
            throw .inputFormat(error)
        } catch let error as KlapptError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }

    public func slices(of path: String, layout: Layout, sliceBytes: Int) -> [(range: Range<Int>?, firstLine: Int)] {
        [(nil, layout.headerRow + 1)]
    }

    public func makeReader(path: String, layout: Layout, range: Range<Int>?, firstLine: Int) throws(FormatError) -> XLSXSheetReader {
        let reader = try XLSXSheetReader(workbook: layout.workbook, sheet: layout.sheet, dateRendering: layout.dateRendering)
        _ = try reader.readHeader()
        reader.width = layout.header.count
        return reader
    }

    public func encoding(of layout: Layout) -> TextEncoding { .utf8 }

    public func map(_ reader: XLSXSheetReader, layout: Layout, source: SourceSpec, row: Int, into spans: inout [FieldSpan]) throws(FormatError) -> RecordShape {
        let fields = reader.fieldSpans
        for (ordinal, column) in layout.columns.enumerated() {
            spans[ordinal] = column >= 0 && column < fields.count ? fields[column] : .absent
        }
        return RecordShape(order: row, defect: reader.hasCellsBeyondWidth ? .wrongFieldCount : nil)
    }

    public func quarantineColumns(layout: Layout, source: SourceSpec) -> [String] { layout.header }

    public func cells(of reader: XLSXSheetReader, layout: Layout) -> [String] { reader.cellTexts() }

    public func finish(_ reader: XLSXSheetReader, layout: Layout, into result: inout SliceResult) {}
}

extension DateFormat {
    /// How a date cell of a workbook is written for this format (`XLSXSheetReader`).
    public var cellRendering: DateCellRendering {
        DateCellRendering(
            parts: tokens.map { token in
                switch token {
                case .day: return .day
                case .month: return .month
                case .year: return .year
                case .literal(let byte): return .literal(byte)
                }
            })
    }
}
