import Foundation
import KlapptFormats

#if canImport(Glibc)
    import Glibc
#endif

/// Delimited text with a header row (SPEC 2.2, 2.5): fields found by header name, `"` quoting with
/// `""` escapes, Windows-1252 or UTF-8 (BOM detected). Big files are cut into slices at record
/// starts and read on all cores.
public struct CSVFormat: SourceFormat {
    public static let name = "csv"
    public static var isList: Bool { true }
    public var delimiter: UInt8 = UInt8(ascii: ";")
    public var quote: UInt8 = UInt8(ascii: "\"")
    /// `auto` (UTF-8 with BOM is detected, else Windows-1252), `utf-8` or `windows-1252`.
    public var encoding: String = "auto"
    /// The line of the header row when the pipeline pins it (`header_row:`); nil: the first of the
    /// first 20 rows that names every required column (`HeaderSearch`).
    public var headerRow: Int?

    public init() {}

    public init(options: FormatOptions, fields: [CanonicalField: String]) throws(PipelineError) {
        try options.allow(["delimiter", "quote", "encoding", "header_row"])
        headerRow = try options.headerRow()
        func byte(_ key: String) throws(PipelineError) -> UInt8? {
            guard let text = options[key] else { return nil }
            let resolved = text == "\\t" || text == "tab" ? "\t" : text
            guard resolved.utf8.count == 1, let value = resolved.utf8.first else { throw options.fail(key, "Genau ein ASCII-Zeichen erwartet.") }
            return value
        }
        delimiter = try byte("delimiter") ?? delimiter
        quote = try byte("quote") ?? quote
        if let text = options["encoding"] {
            guard text == "auto" || TextEncoding(name: text) != nil else {
                throw options.fail("encoding", "Unbekannte Kodierung „\(text)“ (auto, utf-8, windows-1252).")
            }
            encoding = text
        }
        for (field, name) in fields where name.hasPrefix("@") || name.hasPrefix("/@") {
            throw options.fail(nil, "Feld „\(field.rawValue)“: Attribute (\(name)) gibt es nur in XML-Quellen.")
        }
    }

    public func layout(of path: String, source: SourceSpec) throws(KlapptError) -> CSVLayout {
        try CSVLayout.read(source, options: self, path: path)
    }

    public func slices(of path: String, layout: CSVLayout, sliceBytes: Int) -> [(range: Range<Int>?, firstLine: Int)] {
        layout.slices(path: path, size: QuarterlyRun.fileSize(path), sliceBytes: sliceBytes).enumerated().map { position, range in
            (range, position == 0 ? layout.dataLine : 0)
        }
    }

    public func makeReader(path: String, layout: CSVLayout, range: Range<Int>?, firstLine: Int) throws(FormatError) -> CSVReader {
        let reader = try CSVReader(path: path, options: layout.options, range: range, firstLine: firstLine)
        reader.useHeader(layout.header)
        return reader
    }

    public func encoding(of layout: CSVLayout) -> TextEncoding { layout.encoding }

    public func map(_ reader: CSVReader, layout: CSVLayout, source: SourceSpec, row: Int, into spans: inout [FieldSpan]) throws(FormatError) -> RecordShape {
        let width = layout.header.count
        // Through buffers: one uniqueness check a row, not one a field, and no array retained.
        let count = reader.withFieldSpans { fields in
            layout.columns.withUnsafeBufferPointer { columns in
                spans.withUnsafeMutableBufferPointer { spans in
                    for ordinal in 0..<columns.count {
                        let column = columns[ordinal]
                        spans[ordinal] = column >= 0 && column < fields.count ? fields[column] : .absent
                    }
                }
            }
            return fields.count
        }
        if !reader.recordTerminated && count < width {
            throw FormatError(
                .truncated, file: reader.path, line: reader.recordLine,
                message: "Die letzte Zeile hat \(count) statt \(width) Felder: die Datei ist abgeschnitten.")
        }
        return RecordShape(order: reader.recordOffset, defect: count == width ? nil : .wrongFieldCount)
    }

    public func quarantineColumns(layout: CSVLayout, source: SourceSpec) -> [String] { layout.header }

    public func cells(of reader: CSVReader, layout: CSVLayout) -> [String] {
        reader.withRecord { bytes, fields in fields.map { layout.encoding.decode($0.bytes(in: bytes)!) ?? "" } }
    }

    public func finish(_ reader: CSVReader, layout: CSVLayout, into result: inout SliceResult) {
        result.end = reader.nextRecordOffset
        result.lineCount = reader.nextLine - result.slice.firstLine
    }
}

/// What a CSV export looks like after its header: where the data starts, the encoding, the
/// columns, and which column holds each canonical field.
public struct CSVLayout: Sendable, HeaderRowLayout {
    public var header: [String]
    /// The line the header row begins on (1 unless title lines stand above it).
    public var headerLine: Int
    public var encoding: TextEncoding
    public var options: CSVReader.Options
    /// Offset of the first record after the header, and its line.
    public var dataStart: Int
    public var dataLine: Int
    /// By `CanonicalField.ordinal`: the column, or -1 when the pipeline does not map the field.
    public var columns: [Int]

    /// Finds the header of `path` among its first rows (`HeaderSearch`) and maps the pipeline's
    /// field names to its columns (case-insensitive); a missing required column fails the file (65).
    public static func read(_ spec: SourceSpec, options: CSVFormat, path: String) throws(KlapptError) -> CSVLayout {
        do {
            let readerOptions = CSVReader.Options(
                delimiter: options.delimiter, quote: options.quote,
                encoding: options.encoding == "auto" ? nil : TextEncoding(name: options.encoding))
            let reader = try CSVReader(path: path, options: readerOptions)
            // The candidate rows, each with where the data would start after it.
            var rows: [HeaderSearch.Row] = []
            var after: [(offset: Int, line: Int)] = []
            let wanted = max(HeaderSearch.searchedRows, options.headerRow ?? 0)
            // A row that cannot be decoded ends the search; it fails the file with its line (and,
            // once the header is known, its column) unless the header stands before it.
            var unreadable: FormatError?
            while rows.count < wanted, options.headerRow.map({ rows.last?.line ?? 0 < $0 }) ?? true {
                let next: CSVRow?
                do { next = try reader.next() } catch {
                    unreadable = error
                    break
                }
                guard let row = next else { break }
                rows.append(HeaderSearch.Row(line: row.line, cells: row.fields.map { $0.trimmingASCIIWhitespace() }))
                after.append((reader.nextRecordOffset, reader.nextLine))
            }
            if rows.isEmpty {
                if let unreadable { throw unreadable }
                _ = try reader.readHeader()  // the empty file's own message
            }
            let search = HeaderSearch(spec: spec, optionKey: "csv", delimiter: readerOptions.delimiter, path: path, sheet: nil)
            let chosen: Int
            do { chosen = try search.find(in: rows, pinned: options.headerRow) } catch {
                if let unreadable { throw unreadable }
                throw error
            }
            let header = rows[chosen].cells
            let columns = try search.columns(of: rows[chosen], pinnedBy: false)
            var fixed = readerOptions
            fixed.encoding = reader.encoding
            return CSVLayout(
                header: header, headerLine: rows[chosen].line, encoding: reader.encoding, options: fixed, dataStart: after[chosen].offset,
                dataLine: after[chosen].line, columns: columns)
        } catch let error as FormatError {
            throw .inputFormat(error)
        } catch let error as KlapptError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }

    /// By `CanonicalField.ordinal`: the column of each mapped field in `header` (found by name,
    /// case-insensitive), -1 for a field the pipeline does not map or an optional one the file
    /// lacks; a missing required column fails the file (`missingColumn`). Shared by every format
    /// with a header row (CSV, workbooks).
    static func columns(
        of header: [String], spec: SourceSpec, delimiter: UInt8?, path: String, sheet: String?, headerLine: Int
    ) throws(KlapptError) -> [Int] {
        let lowered = header.map { $0.lowercased() }
        var columns = [Int](repeating: -1, count: CanonicalField.allCases.count)
        for field in CanonicalField.allCases {
            guard let name = spec.fields[field] else { continue }
            if let index = lowered.firstIndex(of: name.lowercased()) {
                columns[field.ordinal] = index
            } else if !spec.optional.contains(field) {
                throw missingColumn(
                    // A workbook's header may have empty cells between names; a CSV's is shown as it is.
                    name, field: field, header: sheet == nil ? header : header.filter { !$0.isEmpty }, spec: spec, delimiter: delimiter, path: path,
                    sheet: sheet,
                    headerLine: headerLine)
            }
        }
        return columns
    }

    /// Why a required column is missing, leading the operator to the real cause (issue 9): a file
    /// cut with another delimiter (65, ask the sender or change `csv.delimiter`), a header that
    /// nearly matches the pipeline's name (65: a renamed column or a typo, both remedies named), or a
    /// column the export lacks (65).
    /// For any source with a header row: `delimiter` for a CSV source (nil for a workbook, whose
    /// cells have none), the sheet and line of the header for messages.
    static func missingColumn(
        _ name: String, field: CanonicalField, header: [String], spec: SourceSpec, delimiter: UInt8?, path: String, sheet: String?, headerLine: Int
    ) -> KlapptError {
        if let delimiter, header.count == 1,
            case let configured = Character(UnicodeScalar(delimiter)),
            let other = [",", ";", "\t", "|"].map(Character.init).first(where: { $0 != configured && header[0].contains($0) })
        {
            let shown = other == "\t" ? "Tabulator" : "„\(other)“"
            return .inputFormat(
                FormatError(
                    .malformed, file: path, line: headerLine, field: name,
                    message:
                        "Die Kopfzeile ist eine einzige Spalte und enthält \(shown): die Datei ist wohl mit \(shown) statt „\(configured)“ getrennt. Bitte beim Absender einen Export mit „\(configured)“ anfordern oder csv.delimiter der Quelle „\(spec.id)“ in der Pipeline-Datei anpassen."
                ))
        }
        let line = spec.fieldLines[field]
        let place = "fields.\(field.rawValue) der Quelle „\(spec.id)“ in der Pipeline-Datei\(line.map { " (Zeile \($0))" } ?? "")"
        let lowered = name.lowercased()
        if let near = header.min(by: { editDistance($0.lowercased(), lowered) < editDistance($1.lowercased(), lowered) }),
            editDistance(near.lowercased(), lowered) <= max(1, min(2, name.count / 4))
        {
            // Issue 23: a header that nearly matches is, as a rule, a delivery whose column was
            // renamed (the pipeline read the usual name before), so it is the input's fault (65);
            // both remedies are offered, each spelling named once.
            return .inputFormat(
                FormatError(
                    .malformed, file: path, sheet: sheet, line: headerLine,
                    message:
                        "Die Kopfzeile hat „\(near)“, erwartet ist „\(name)“. Bitte beim Absender einen Export mit der gewohnten Kopfzeile anfordern, oder, wenn die neue Schreibweise bleibt, \(place) anpassen."
                ))
        }
        return .inputFormat(
            FormatError(
                .malformed, file: path, sheet: sheet, line: headerLine, field: name,
                message:
                    "Pflichtspalte „\(name)“ fehlt in der Kopfzeile (gefunden: \(header.joined(separator: ", "))). Fehlt sie im Export, bitte beim Absender nachfragen; heißt sie im Export nur anders, \(place) anpassen."
            ))
    }

    /// Levenshtein distance of two short texts (column names).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Cuts the data of a file of `size` bytes into ranges of about `sliceBytes` that begin at
    /// record starts. A cut is placed after a line break from which the next records parse with
    /// the header's field count; should a guess still fall inside a quoted field, the merge notices
    /// (the slice before it ends elsewhere) and reads that slice again from the right place.
    public func slices(path: String, size: Int, sliceBytes: Int) -> [Range<Int>] {
        var cuts = [dataStart]
        guard size - dataStart > sliceBytes * 3 / 2, let handle = FileHandle(forReadingAtPath: path) else { return [dataStart..<max(size, dataStart)] }
        defer { try? handle.close() }
        var target = dataStart + sliceBytes
        while target < size - sliceBytes / 2 {
            let window: [UInt8]
            do {
                try handle.seek(toOffset: UInt64(target))
                window = Array(try handle.read(upToCount: 1 << 18) ?? Data())
            } catch { break }
            if let offset = plausibleRecordStart(in: window) { cuts.append(target + offset) }
            target += sliceBytes
        }
        cuts.append(size)
        return zip(cuts, cuts.dropFirst()).map { $0..<$1 }
    }

    /// The first position after a line break in `window` from which four records parse with the
    /// header's number of fields.
    func plausibleRecordStart(in window: [UInt8]) -> Int? {
        var candidate = 0
        while let newline = window[candidate...].firstIndex(of: 0x0A) {
            candidate = newline + 1
            if recordsParse(window, from: candidate, count: 4) { return candidate }
        }
        return nil
    }

    private func recordsParse(_ bytes: [UInt8], from start: Int, count: Int) -> Bool {
        var position = start
        for _ in 0..<count {
            var fields = 1
            var state = 0  // 0 field start, 1 unquoted, 2 quoted, 3 quote in quoted
            var ended = false
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if state == 2 {
                    if byte == options.quote { state = 3 }
                    continue
                }
                if byte == options.quote {
                    if state == 0 { state = 2 } else if state == 3 { state = 2 }
                    continue
                }
                if byte == options.delimiter {
                    fields += 1
                    state = 0
                    continue
                }
                state = 1
                if byte == 0x0A {
                    ended = true
                    break
                }
            }
            guard ended, fields == header.count else { return false }
        }
        return true
    }
}
