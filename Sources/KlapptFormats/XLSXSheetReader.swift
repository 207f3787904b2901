import CLibXML2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a date cell is written into a record: the parts of the source's `date_format`, so that a
/// date cell reads as the text a CSV export of the same list would have.
public struct DateCellRendering: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case day, month, year
        case literal(UInt8)
    }

    public var parts: [Part]
    public init(parts: [Part]) { self.parts = parts }
    /// `JJJJ-MM-TT`.
    public static let iso = DateCellRendering(parts: [.year, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day])

    func append(year: Int, month: Int, day: Int, to bytes: inout [UInt8]) {
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        for part in parts {
            switch part {
            case .day: digits(day, 2)
            case .month: digits(month, 2)
            case .year: digits(year, 4)
            case .literal(let byte): bytes.append(byte)
            }
        }
    }
}

/// A streaming reader of one worksheet's rows: libxml2's SAX2 push parser fed with the worksheet
/// part as libzip inflates it, 64 KiB at a time. Memory holds the rows of one such piece and the
/// workbook's shared strings.
///
/// Each row becomes a record in the shape every source has (`RecordReader`): its cell values, in
/// column order from column A to the last non-empty cell, each followed by a unit separator (0x1F,
/// which no cell value can contain), with a span per column up to `width`. Values are the text a
/// coordinator sees in the cell, made exact:
/// - shared and inline strings as written (rich-text runs joined, phonetic runs left out);
/// - a number as its shortest decimal, an integer-valued one as its digits (`59192`, never
///   `59192.0` or `5.9192E4`);
/// - a number in a date style as the date in `dateRendering` (the 1900 system with its fictitious
///   29 February 1900, which then fails as not a real date, and the 1904 system);
/// - a boolean as `WAHR`/`FALSCH` (what German Excel shows, and writes into a CSV);
/// - a formula's cached value; an error value (`#NV`) as an empty cell: it is no value.
///
/// Rows without any non-empty cell are not records (spreadsheets keep formatted empty rows).
/// `recordLine` is the row number Excel shows.
public final class XLSXSheetReader {
    public let path: String
    public let sheet: XLSXWorkbook.Sheet
    /// Columns the record has spans for (the header's width); nil until set: spans for every
    /// column up to the row's last value.
    public var width: Int?

    public private(set) var recordLine = 0
    public private(set) var recordFingerprint = RowFingerprint(a: 0, b: 0)
    /// Per column of the current row (up to `width`): where its value lies in the record's bytes.
    public private(set) var fieldSpans: [FieldSpan] = []
    /// Whether the current row has a value in a column past `width` (`spaltenzahl_falsch`).
    public private(set) var hasCellsBeyondWidth = false
    /// Compressed bytes of the worksheet consumed so far (for progress, in file bytes).
    public var bytesConsumed: Int { parsing.compressedBytesHandedOut }

    private let parsing: SheetParsing
    private var batch = SheetBatch()
    private var started = false
    private var finished = false
    private var position = -1
    private var current: SheetRow?

    public init(workbook: XLSXWorkbook, sheet: XLSXWorkbook.Sheet, dateRendering: DateCellRendering = .iso, chunkBytes: Int = 1 << 16) throws(FormatError) {
        path = workbook.path
        self.sheet = sheet
        let archive = try ZipArchive(path: workbook.path, limits: workbook.limits)
        guard let entry = archive.entry(named: sheet.part) else {
            throw FormatError(
                .malformed, file: path, sheet: sheet.name,
                message:
                    "Das Blatt ist in der Arbeitsmappe genannt, aber sein Teil „\(sheet.part)“ fehlt: die Datei ist beschädigt. Bitte neu speichern und neu liefern lassen."
            )
        }
        let stream = try archive.open(entry)
        let handler = SheetHandler(workbook: workbook, sheet: sheet.name, dateRendering: dateRendering)
        let parser = try XMLPartParser(handler: handler, file: path, part: sheet.part)
        parsing = SheetParsing(archive: archive, stream: stream, handler: handler, parser: parser, chunkBytes: chunkBytes)
    }

    /// A reader given up before the end stops the parsing thread (it waits for room in the hand-over).
    deinit { parsing.cancel() }

    /// Moves to the next row with a value; false at the end of the sheet.
    public func advance() throws(FormatError) -> Bool {
        position += 1
        while position >= batch.rows.count {
            if finished { return false }
            if !started {
                started = true
                parsing.start()
            }
            switch parsing.next() {
            case .failure(let error):
                finished = true
                throw error
            case .success(nil):
                finished = true
                return false
            case .success(let next?):
                batch = next
                position = 0
            }
        }
        let row = batch.rows[position]
        current = row
        recordLine = row.number
        // Spans per column up to the width (the header's, known only once it is read): a column
        // without a cell is empty, not absent (Excel leaves empty cells out).
        let limit = width ?? (row.cellEnd > row.cellStart ? Int(batch.cells[row.cellEnd - 1].column) + 1 : 0)
        fieldSpans.removeAll(keepingCapacity: true)
        hasCellsBeyondWidth = false
        for cell in batch.cells[row.cellStart..<row.cellEnd] {
            let column = Int(cell.column)
            guard column < limit else {
                hasCellsBeyondWidth = true
                break
            }
            while fieldSpans.count < column { fieldSpans.append(FieldSpan(start: cell.start, count: 0)) }
            fieldSpans.append(FieldSpan(start: cell.start, count: cell.count))
        }
        while fieldSpans.count < limit { fieldSpans.append(FieldSpan(start: Int32(row.count), count: 0)) }
        recordFingerprint = batch.bytes.withUnsafeBufferPointer {
            RowFingerprint(bytes: UnsafeBufferPointer(rebasing: $0[row.start..<row.start + row.count]))
        }
        return true
    }

    /// Calls `body` with the current row's bytes and the spans of its columns.
    public func withRecord<Result>(_ body: (UnsafeBufferPointer<UInt8>, [FieldSpan]) throws -> Result) rethrows -> Result {
        guard let current else { return try body(UnsafeBufferPointer(start: nil, count: 0), fieldSpans) }
        return try batch.bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[current.start..<current.start + current.count]), fieldSpans)
        }
    }

    /// The current row's values as text, one per column up to its last value (or `width`).
    public func cellTexts() -> [String] {
        withRecord { bytes, spans in spans.map { $0.bytes(in: bytes).map { String(decoding: $0, as: UTF8.self) } ?? "" } }
    }

    /// Reads up to the first row with a value, the header (SPEC 2.1: fields by header name), and
    /// sets `width` to its last named column. Nil when the sheet has no row with a value.
    public func readHeader() throws(FormatError) -> (names: [String], row: Int)? {
        let saved = width
        width = nil
        defer { if width == nil { width = saved } }
        guard try advance() else { return nil }
        var names = cellTexts().map { $0.trimmingWhitespace() }
        while let last = names.last, last.isEmpty { names.removeLast() }
        width = names.count
        return (names, recordLine)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

/// A finished row: its number, where its bytes lie in its batch, and its cells in the batch's `cells`.
private struct SheetRow {
    var number: Int
    var start: Int
    var count: Int
    var cellStart: Int
    var cellEnd: Int
}

/// The rows of one piece of the worksheet: their bytes, and per non-empty cell its column and where
/// its value lies in its row's bytes.
private struct SheetBatch {
    var rows: [SheetRow] = []
    var bytes: [UInt8] = []
    var cells: [(column: Int32, start: Int32, count: Int32)] = []
}

/// Inflating and parsing the worksheet on a thread of its own, ahead of the reader: a deflate
/// stream cannot be cut, so this is the one way a single workbook uses both cores (the reader's
/// thread validates and pseudonymises meanwhile). The hand-over holds at most `capacity` batches of
/// one 64 KiB piece each, so memory stays bounded whichever side is slower; everything libxml2 and
/// libzip touch stays on the parsing thread.
private final class SheetParsing: @unchecked Sendable {
    private let archive: ZipArchive
    private let stream: ZipArchive.Stream
    private let handler: SheetHandler
    private let parser: XMLPartParser
    private let chunk: UnsafeMutableRawBufferPointer
    private let condition = NSCondition()
    private var queue: [Result<SheetBatch?, FormatError>] = []
    private var cancelled = false
    private var handedOut = 0
    private let capacity = 4

    init(archive: ZipArchive, stream: ZipArchive.Stream, handler: SheetHandler, parser: XMLPartParser, chunkBytes: Int) {
        self.archive = archive
        self.stream = stream
        self.handler = handler
        self.parser = parser
        chunk = .allocate(byteCount: chunkBytes, alignment: 16)
    }

    deinit { chunk.deallocate() }

    /// Compressed bytes behind the batches handed to the reader so far.
    var compressedBytesHandedOut: Int { condition.withLock { handedOut } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "klappt-xlsx"
        thread.start()
    }

    func cancel() {
        condition.withLock {
            cancelled = true
            condition.broadcast()
        }
    }

    /// The next batch (nil at the end of the sheet), waiting for it.
    func next() -> Result<SheetBatch?, FormatError> {
        condition.withLock {
            while queue.isEmpty { condition.wait() }
            condition.broadcast()
            return queue.removeFirst()
        }
    }

    /// Waits for room; false when the reader has given up.
    private func hand(_ item: Result<SheetBatch?, FormatError>) -> Bool {
        let entry = stream.entry
        let compressed = entry.size == 0 ? 0 : Int(Double(stream.produced) * Double(entry.compressedSize) / Double(entry.size))
        return condition.withLock {
            while queue.count >= capacity, !cancelled { condition.wait() }
            guard !cancelled else { return false }
            queue.append(item)
            handedOut = compressed
            condition.broadcast()
            return true
        }
    }

    private func run() {
        do {
            while true {
                let count = try stream.read(into: chunk)
                try parser.feed(UnsafeRawBufferPointer(rebasing: chunk[..<count]), last: count == 0)
                if count == 0 { break }
                if !handler.finished.rows.isEmpty, !hand(.success(handler.takeFinished())) { return }
            }
            if !handler.finished.rows.isEmpty, !hand(.success(handler.takeFinished())) { return }
            _ = hand(.success(nil))
        } catch {
            // The rows before the fault come first, then the fault.
            if !handler.finished.rows.isEmpty, !hand(.success(handler.takeFinished())) { return }
            _ = hand(.failure(error))
        }
    }
}

/// The SAX events of a worksheet turned into finished rows (`rows`, whose bytes are in `bytes` and
/// whose column spans are in `spans`), a piece of the part at a time.
private final class SheetHandler: XMLPartHandler {
    enum CellType { case number, shared, inline, formulaString, boolean, error, isoDate }

    let sheetName: String
    let strings: XLSXWorkbook.SharedStrings
    let dateStyles: [Bool]
    let date1904: Bool
    let rendering: DateCellRendering
    var width: Int?

    /// Finished rows of the current piece.
    var finished = SheetBatch()

    // The row being parsed: its cells' values in `cellBytes`, by column.
    private var inRow = false
    private var rowNumber = 0
    private var rowCells: [(column: Int, start: Int, count: Int)] = []
    private var cellBytes: [UInt8] = []
    private var nextColumn = 0

    // The cell being parsed.
    private var column = 0
    private var type = CellType.number
    private var dateStyle = false
    private var inValue = false
    private var inInline = false
    private var inText = false
    private var phonetic = 0
    private var text: [UInt8] = []

    /// Excel's own limits: 16,384 columns, 32,767 characters a cell.
    static let maxColumns = 16384
    static let maxCellBytes = 1 << 17
    static let maxRowBytes = 1 << 24

    init(workbook: XLSXWorkbook, sheet: String, dateRendering: DateCellRendering) {
        sheetName = sheet
        strings = workbook.sharedStrings
        dateStyles = workbook.dateStyles
        date1904 = workbook.date1904
        rendering = dateRendering
    }

    override var place: (sheet: String?, line: Int?) { (sheetName, rowNumber > 0 ? rowNumber : nil) }

    /// The rows finished so far, handed out; the next ones start a new batch.
    func takeFinished() -> SheetBatch {
        var taken = SheetBatch()
        swap(&taken, &finished)
        return taken
    }

    private func fail(_ kind: FormatError.Kind, _ message: String) {
        if failure == nil { failure = FormatError(kind, file: "", sheet: sheetName, line: rowNumber, message: message) }
    }

    override func start(_ name: UnsafePointer<xmlChar>, _ attributes: XMLAttributes) {
        switch (name[0], name[1]) {
        case (UInt8(ascii: "c"), 0):
            guard inRow else { return }
            startCell(attributes)
        case (UInt8(ascii: "v"), 0):
            inValue = true
            text.removeAll(keepingCapacity: true)
        case (UInt8(ascii: "t"), 0):
            if inInline, phonetic == 0 { inText = true }
        case (UInt8(ascii: "i"), UInt8(ascii: "s")) where name[2] == 0:
            inInline = true
            text.removeAll(keepingCapacity: true)
        case (UInt8(ascii: "r"), UInt8(ascii: "o")) where XMLAttributes.equal(name, "row"):
            inRow = true
            let stated = attributes.value("r").flatMap { SheetHandler.integer($0) }
            rowNumber = stated ?? rowNumber + 1
            nextColumn = 0
            rowCells.removeAll(keepingCapacity: true)
            cellBytes.removeAll(keepingCapacity: true)
        case (UInt8(ascii: "r"), UInt8(ascii: "P")) where XMLAttributes.equal(name, "rPh"):
            phonetic += 1
        default:
            return
        }
    }

    private func startCell(_ attributes: XMLAttributes) {
        if let reference = attributes.value("r"), let parsed = SheetHandler.column(of: reference) {
            column = parsed
        } else {
            column = nextColumn
        }
        guard column < SheetHandler.maxColumns else {
            fail(
                .malformed,
                "Eine Zelle liegt hinter der letzten Spalte, die Excel kennt (XFD): die Datei ist beschädigt. Bitte neu speichern und neu liefern lassen.")
            return
        }
        nextColumn = column + 1
        type = .number
        if let kind = attributes.value("t"), let first = kind.first {
            switch (first, kind.count) {
            case (UInt8(ascii: "s"), 1): type = .shared
            case (UInt8(ascii: "s"), _): type = .formulaString
            case (UInt8(ascii: "i"), _): type = .inline
            case (UInt8(ascii: "b"), _): type = .boolean
            case (UInt8(ascii: "e"), _): type = .error
            case (UInt8(ascii: "d"), _): type = .isoDate
            default: type = .number
            }
        }
        dateStyle = false
        if type == .number, let style = attributes.value("s").flatMap({ SheetHandler.integer($0) }), style < dateStyles.count {
            dateStyle = dateStyles[style]
        }
        text.removeAll(keepingCapacity: true)
        inValue = false
        inInline = false
    }

    override func text(_ pointer: UnsafePointer<xmlChar>, _ count: Int) {
        guard inValue || inText else { return }
        guard text.count + count <= SheetHandler.maxCellBytes else {
            fail(
                .tooLong,
                "Eine Zelle ist länger als \(SheetHandler.maxCellBytes) Bytes (Excel erlaubt 32.767 Zeichen): die Datei ist beschädigt oder manipuliert.")
            return
        }
        text.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count))
    }

    override func end(_ name: UnsafePointer<xmlChar>) {
        switch (name[0], name[1]) {
        case (UInt8(ascii: "c"), 0):
            guard inRow else { return }
            endCell()
        case (UInt8(ascii: "v"), 0): inValue = false
        case (UInt8(ascii: "t"), 0): inText = false
        case (UInt8(ascii: "r"), UInt8(ascii: "o")) where XMLAttributes.equal(name, "row"):
            endRow()
        case (UInt8(ascii: "r"), UInt8(ascii: "P")) where XMLAttributes.equal(name, "rPh"):
            phonetic -= 1
        default:
            return
        }
    }

    private func endCell() {
        let start = cellBytes.count
        switch type {
        case .shared:
            guard let index = text.withUnsafeBufferPointer({ SheetHandler.integer($0) }) else {
                if !text.isEmpty { fail(.malformed, "Eine Zelle verweist auf keinen gültigen Text der Arbeitsmappe: die Datei ist beschädigt.") }
                break
            }
            let found: Void? = strings.withString(index) { cellBytes.append(contentsOf: $0) }
            if found == nil {
                fail(
                    .malformed,
                    "Eine Zelle verweist auf einen Text, den die Arbeitsmappe nicht hat: die Datei ist beschädigt. Bitte neu speichern und neu liefern lassen.")
            }
        case .inline, .formulaString:
            OOXMLText.unescape(&text)
            cellBytes.append(contentsOf: text)
        case .boolean:
            if !text.isEmpty { cellBytes.append(contentsOf: text == [UInt8(ascii: "1")] ? Array("WAHR".utf8) : Array("FALSCH".utf8)) }
        case .error:
            break
        case .isoDate:
            if let (year, month, day) = SheetHandler.isoDate(text) {
                rendering.append(year: year, month: month, day: day, to: &cellBytes)
            } else {
                cellBytes.append(contentsOf: text)
            }
        case .number:
            if text.isEmpty { break }
            if dateStyle, let (year, month, day) = SheetHandler.date(serial: text, date1904: date1904) {
                rendering.append(year: year, month: month, day: day, to: &cellBytes)
            } else {
                SheetHandler.appendNumber(text, to: &cellBytes)
            }
        }
        let count = cellBytes.count - start
        if count > 0 { rowCells.append((column, start, count)) }
        // More cells than columns (the same reference again and again) is no spreadsheet's row.
        guard cellBytes.count <= SheetHandler.maxRowBytes, rowCells.count <= SheetHandler.maxColumns else {
            fail(.tooLong, "Eine Zeile ist länger als \(SheetHandler.maxRowBytes >> 20) MiB: die Datei ist beschädigt oder manipuliert.")
            return
        }
        inInline = false
        inText = false
    }

    /// Appends the finished row: its values from column A to the last one, each followed by 0x1F.
    private func endRow() {
        inRow = false
        guard !rowCells.isEmpty else { return }
        if !zip(rowCells, rowCells.dropFirst()).allSatisfy({ $0.column < $1.column }) {
            // Out of column order (no spreadsheet program writes it): sorted, the first of a column kept.
            var seen = Set<Int>()
            rowCells = rowCells.sorted { $0.column < $1.column }.filter { seen.insert($0.column).inserted }
        }
        let start = finished.bytes.count
        let cellStart = finished.cells.count
        var next = 0
        for cell in rowCells {
            while next < cell.column {
                finished.bytes.append(0x1F)
                next += 1
            }
            finished.cells.append((Int32(cell.column), Int32(finished.bytes.count - start), Int32(cell.count)))
            finished.bytes.append(contentsOf: cellBytes[cell.start..<cell.start + cell.count])
            finished.bytes.append(0x1F)
            next += 1
        }
        finished.rows.append(
            SheetRow(number: rowNumber, start: start, count: finished.bytes.count - start, cellStart: cellStart, cellEnd: finished.cells.count))
    }

    // MARK: - Values

    /// A column reference's column (`B7` → 1), nil when it has no letters.
    static func column(of reference: UnsafeBufferPointer<UInt8>) -> Int? {
        var value = 0
        var letters = 0
        for byte in reference {
            let upper = byte & ~0x20
            guard upper >= UInt8(ascii: "A"), upper <= UInt8(ascii: "Z") else { break }
            value = value * 26 + Int(upper - UInt8(ascii: "A")) + 1
            letters += 1
            if letters > 3 { return Int.max }
        }
        return letters == 0 ? nil : value - 1
    }

    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    static func integer(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer { integer($0) } }

    /// A number as its shortest decimal; an integer-valued one as its digits.
    static func appendNumber(_ text: [UInt8], to output: inout [UInt8]) {
        // Already the digits of an integer (the usual case): as they are.
        let digits = text.first == UInt8(ascii: "-") ? text.dropFirst() : text[...]
        if !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), digits.first != UInt8(ascii: "0") || digits.count == 1,
            text != Array("-0".utf8)
        {
            output.append(contentsOf: text)
            return
        }
        guard let value = double(text), value.isFinite else {
            output.append(contentsOf: text)
            return
        }
        if value == value.rounded(), abs(value) < 1e15 {
            output.append(contentsOf: String(Int64(value)).utf8)
        } else {
            output.append(contentsOf: value.description.utf8)
        }
    }

    static func double(_ text: [UInt8]) -> Double? {
        guard !text.isEmpty, text.count < 64 else { return nil }
        var terminated = text
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer -> Double? in
            let start = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(start, &end)
            guard let end, end - UnsafeMutablePointer(mutating: start) == text.count else { return nil }
            return value
        }
    }

    /// The civil date of a date serial, or nil when it is no date (negative, or past 9999).
    static func date(serial text: [UInt8], date1904: Bool) -> (Int, Int, Int)? {
        guard let value = double(text), value.isFinite, value >= 0, value < 2_958_466 else { return nil }
        let serial = Int(value.rounded(.down))
        if date1904 {
            let date = civil(fromUnixDays: serial - 24107)
            return date.0 <= 9999 ? date : nil
        }
        // The 1900 system counts 29 February 1900, which never was (Lotus 1-2-3's leap year): serials
        // before it are one day later than their count, serial 60 is that day, and it is shown as such
        // (validation then rejects it as not a real date).
        if serial == 60 { return (1900, 2, 29) }
        guard serial >= 1 else { return nil }
        return civil(fromUnixDays: serial < 60 ? serial - 25568 : serial - 25569)
    }

    /// `JJJJ-MM-TT…` of an ISO 8601 date cell (`t="d"`).
    static func isoDate(_ text: [UInt8]) -> (Int, Int, Int)? {
        guard text.count >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? { text.withUnsafeBufferPointer { integer(UnsafeBufferPointer(rebasing: $0[range])) } }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        return (year, month, day)
    }

    static func civil(fromUnixDays days: Int) -> (Int, Int, Int) {
        let date = CivilDays.date(fromDayNumber: days)
        return (date.year, date.month, date.day)
    }
}

extension XLSXSheetReader: RecordReader {}
