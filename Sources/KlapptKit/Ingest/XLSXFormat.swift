import KlapptFormats

#if canImport(Glibc)
    import Glibc
#endif

/// An Excel workbook (Office Open XML, `.xlsx`), as the job centre's and the immigration office's
/// lists reach the coordinator: one worksheet, a header row, fields found by header name as in
/// CSV. The file is one slice (a deflate stream cannot be cut), read by `XLSXSheetReader`.
///
/// ```yaml
/// format: xlsx
/// xlsx: {sheet: Teilnehmende}                 # optional; default: the first visible worksheet
/// xlsx: {sheet: [Teilnehmende, Kunden]}       # the first of these the workbook has
/// xlsx: {sheet: {"*nachlieferung*": Kunden, "*": Teilnehmende}}   # per file pattern
/// xlsx: {header_row: 4}                       # optional; default: found among the first 20 rows
/// ```
///
/// Date cells are accepted in any date field whatever `date_format` says (the reader writes them in
/// that format); a text in a date field must match `date_format`, as in CSV.
public struct XLSXFormat: SourceFormat {
    public static let name = "xlsx"
    public static var isList: Bool { true }
    /// Which worksheet holds the list: names to try in order, per file pattern (the first pattern
    /// that matches the file's name or path); no names: the first visible worksheet.
    public var sheets: [(pattern: String, names: [String])] = []
    /// The row of the header when the pipeline pins it; nil: `HeaderSearch`.
    public var headerRow: Int?
    public var limits = ZipArchive.Limits()

    public init(sheet: String? = nil) {
        if let sheet { sheets = [("*", [sheet])] }
    }

    public init(options: FormatOptions, fields: [CanonicalField: String]) throws(PipelineError) {
        try options.allow(["sheet", "header_row"], structured: ["sheet"])
        if let name = options["sheet"] {
            sheets = [("*", [name])]
        } else if let names = options.lists["sheet"] {
            sheets = [("*", names.values)]
        } else if let entries = options.patterns["sheet"] {
            sheets = entries.entries.map { ($0.pattern, $0.values) }
        }
        for (_, names) in sheets where names.isEmpty || names.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
            throw options.fail("sheet", "Ein Blattname ist leer.")
        }
        headerRow = try options.headerRow()
        for (field, name) in fields where name.hasPrefix("@") || name.hasPrefix("/@") {
            throw options.fail(nil, "Feld „\(field.rawValue)“: Attribute (\(name)) gibt es nur in XML-Quellen.")
        }
    }

    /// The sheet names to try for the file at `path`: those of the first pattern that matches its
    /// name or its path; none: the first visible worksheet.
    public func sheetNames(for path: String) -> [String] {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return sheets.first { fnmatch($0.pattern, name, 0) == 0 || fnmatch($0.pattern, path, 0) == 0 }?.names ?? []
    }

    /// A workbook's parts that every reader of it shares (the shared strings), its sheet, header
    /// and the column of each canonical field.
    public struct Layout: Sendable, HeaderRowLayout {
        public var workbook: XLSXWorkbook
        public var sheet: XLSXWorkbook.Sheet
        public var header: [String]
        public var headerRow: Int
        public var headerLine: Int { headerRow }
        /// By `CanonicalField.ordinal`: the column, or -1 when the pipeline does not map the field.
        public var columns: [Int]
        public var dateRendering: DateCellRendering
    }

    public func layout(of path: String, source: SourceSpec) throws(KlapptError) -> Layout {
        do {
            let workbook = try XLSXWorkbook(path: path, limits: limits)
            let sheet = try workbook.sheet(named: sheetNames(for: path))
            let reader = try XLSXSheetReader(workbook: workbook, sheet: sheet)
            var rows: [HeaderSearch.Row] = []
            let wanted = max(HeaderSearch.searchedRows, headerRow ?? 0)
            while rows.count < wanted, headerRow.map({ rows.last?.line ?? 0 < $0 }) ?? true, let (names, row) = try reader.readHeader() {
                rows.append(HeaderSearch.Row(line: row, cells: names))
            }
            guard !rows.isEmpty else {
                throw FormatError(
                    .truncated, file: path, sheet: sheet.name,
                    message: "Das Blatt ist leer: keine Kopfzeile, keine Zeilen. Bitte beim Absender die vollständige Liste anfordern.")
            }
            let search = HeaderSearch(spec: source, optionKey: "xlsx", delimiter: nil, path: path, sheet: sheet.name)
            let chosen = try search.find(in: rows, pinned: headerRow)
            let columns = try search.columns(of: rows[chosen], pinnedBy: false)
            return Layout(
                workbook: workbook, sheet: sheet, header: rows[chosen].cells, headerRow: rows[chosen].line, columns: columns,
                dateRendering: source.dateFormat.cellRendering)
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
        // Title rows above the header are skipped with it.
        while let (_, row) = try reader.readHeader(), row < layout.headerRow {}
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
