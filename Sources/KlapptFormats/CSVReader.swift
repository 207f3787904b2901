#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One record of a CSV file: its decoded fields, the physical line it starts on (1-based) and the
/// fingerprint of its raw content (terminator excluded) for duplicate detection.
public struct CSVRow: Sendable {
    public var fields: [String]
    public var line: Int
    public var fingerprint: RowFingerprint
    /// False for a last record that the file ends in without a line break.
    public var terminated: Bool
}

/// Where a field's bytes lie in the current record (quotes removed, doubled quotes undone).
public struct FieldSpan: Sendable, Equatable {
    public var start: Int32
    public var count: Int32

    public init(start: Int32, count: Int32) {
        self.start = start
        self.count = count
    }

    /// A field the row does not have.
    public static let absent = FieldSpan(start: 0, count: -1)

    /// The field's bytes within `record`; nil when it is absent.
    @inlinable
    public func bytes(in record: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        count < 0 ? nil : UnsafeBufferPointer(rebasing: record[Int(start)..<Int(start + count)])
    }
}

/// A streaming reader for delimiter-separated exports as German office software writes them.
///
/// It parses bytes, not strings: the file is read in chunks into one buffer, a record is found by a
/// single byte scan that knows about quotes and notes where its fields lie, quoted fields are
/// unescaped in place, and nothing is decoded unless asked for (`next()` decodes every field;
/// `advance()` + `withRecord` hand out the raw field bytes, the run's path). Every record's bytes
/// are checked against the encoding, so an undecodable byte fails the file even in a field that
/// nothing reads. Memory is bounded by the chunk size plus the longest record (`maxRecordBytes`).
///
/// A reader may cover a byte range of the file (`range`), so that one big file is read by several
/// readers at once: it reads the records that start inside the range (the last one may end beyond
/// it) and afterwards `nextRecordOffset` tells where the next record starts.
///
/// Grammar (RFC 4180 with the habits of German exports): `delimiter` between fields, `quote` around
/// fields that hold delimiters, quotes or line breaks, a doubled quote inside a quoted field for one
/// quote, CRLF or LF line ends, an optional UTF-8 byte-order mark. Completely empty lines carry no
/// record and are skipped (they still count for line numbers). A quote inside an unquoted field is
/// an ordinary character; text after a closing quote (`"ab"c`) is kept, as spreadsheets do.
public final class CSVReader {
    public struct Options: Sendable {
        public var delimiter: UInt8
        public var quote: UInt8
        /// nil: UTF-8 when the file starts with a byte-order mark, else Windows-1252 (SPEC 2.2).
        public var encoding: TextEncoding?
        public var maxRecordBytes: Int
        public var chunkSize: Int

        public init(
            delimiter: UInt8 = UInt8(ascii: ";"), quote: UInt8 = UInt8(ascii: "\""),
            encoding: TextEncoding? = nil, maxRecordBytes: Int = 1 << 20, chunkSize: Int = 1 << 20
        ) {
            self.delimiter = delimiter
            self.quote = quote
            self.encoding = encoding
            self.maxRecordBytes = maxRecordBytes
            self.chunkSize = chunkSize
        }
    }

    public let path: String
    public let options: Options
    public private(set) var encoding: TextEncoding
    /// Column names once `readHeader()` has run; used to name the field in error messages.
    public private(set) var header: [String] = []
    /// Bytes of the range consumed so far (records handed out and the lines between them).
    public private(set) var bytesConsumed = 0
    /// File offset where the next unread record starts.
    public var nextRecordOffset: Int { rangeStart + bytesConsumed }

    // The current record (after `advance()` returned true).
    public private(set) var recordLine = 0
    /// File offset of the current record's first byte.
    public var recordOffset: Int { rangeStart + bytesConsumed - consumedByRecord }
    /// Line the next record starts on.
    public var nextLine: Int { line }
    public private(set) var recordFingerprint = RowFingerprint(a: 0, b: 0)
    public private(set) var recordTerminated = true
    /// Fields of the current record, relative to its first byte. (Moved out of the object while
    /// `withRecord` and `withFieldSpans` run: read them there from the argument, not from here.)
    public private(set) var fields: [FieldSpan] = []

    private let fd: Int32
    private let rangeStart: Int
    private let rangeEnd: Int?
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var line: Int
    private var recordStart = 0
    private var recordLength = 0
    private var consumedByRecord = 0
    /// Raw field boundaries of the record being scanned: start offsets (relative) and whether quoted.
    private var rawStarts: [Int32] = []
    private var rawQuoted: [Bool] = []

    /// Reads `path` from its beginning, or only the records that start in `range` (then
    /// `options.encoding` must be set and `firstLine` is the line the range begins on).
    public init(path: String, options: Options = Options(), range: Range<Int>? = nil, firstLine: Int = 1) throws(FormatError) {
        self.path = path
        self.options = options
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FormatError(.unreadable, file: path, message: "Datei kann nicht geöffnet werden (\(String(cString: strerror(errno)))).")
        }
        self.fd = fd
        rangeStart = range?.lowerBound ?? 0
        rangeEnd = range?.upperBound
        line = firstLine
        capacity = max(options.chunkSize, 4096) * 2
        buffer = .allocate(capacity: capacity)
        encoding = options.encoding ?? .windows1252
        if rangeStart > 0 {
            precondition(options.encoding != nil, "a range after the file's start needs the encoding")
            guard lseek(fd, off_t(rangeStart), SEEK_SET) == off_t(rangeStart) else {
                throw FormatError(.unreadable, file: path, message: "Datei kann nicht gelesen werden (\(String(cString: strerror(errno)))).")
            }
            return
        }
        try fill()
        try CSVReader.refuseUTF16(UnsafeBufferPointer(start: buffer + start, count: end - start), path: path)
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
            start += 3
            bytesConsumed = 3
            if options.encoding == nil || options.encoding == .utf8 {
                encoding = .utf8
            } else {
                throw FormatError(
                    .undecodable, file: path, line: 1,
                    message: "Die Datei beginnt mit einer UTF-8-Kennung (BOM), laut Pipeline-Datei ist sie aber \(options.encoding!.rawValue) kodiert.")
            }
        }
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Refuses a file saved as UTF-16 ("Unicode-Text" from Excel): by its byte-order mark, or,
    /// without one, by the zero bytes that every other byte of ASCII text then is. klappt reads
    /// CSV as UTF-8 or Windows-1252, where such a file would be nonsense with NUL bytes; the
    /// message names the encoding and how to save the list instead (handbook, section 7c).
    static func refuseUTF16(_ head: UnsafeBufferPointer<UInt8>, path: String) throws(FormatError) {
        var variant: String?
        if head.count >= 2, head[0] == 0xFF, head[1] == 0xFE { variant = "UTF-16 (Little Endian)" }
        if head.count >= 2, head[0] == 0xFE, head[1] == 0xFF { variant = "UTF-16 (Big Endian)" }
        if variant == nil, head.count >= 8 {
            let sample = head.prefix(512)
            let zeros = sample.filter { $0 == 0 }.count
            if zeros * 3 >= sample.count { variant = "UTF-16" }
        }
        guard let variant else { return }
        throw FormatError(
            .undecodable, file: path, line: 1,
            message:
                "Die Datei ist als \(variant) gespeichert („Unicode-Text“ aus Excel). klappt liest Listen in UTF-8 oder Windows-1252: bitte die Liste in Excel mit „Speichern unter“ als „CSV UTF-8 (durch Trennzeichen getrennt) (*.csv)“ speichern, oder als Arbeitsmappe (.xlsx) liefern lassen (dann format: xlsx in der Pipeline-Datei)."
        )
    }

    /// Reads the first record as the header row.
    public func readHeader() throws(FormatError) -> [String] {
        guard let row = try next() else {
            throw FormatError(
                .truncated, file: path, line: 1,
                message:
                    "Die Datei ist leer: keine Kopfzeile gefunden. Vermutlich ist der Export fehlgeschlagen oder die Übertragung abgebrochen; bitte beim Absender die Liste neu anfordern."
            )
        }
        header = row.fields.map { $0.trimmingASCIIWhitespace() }
        return header
    }

    /// Column names for error messages of a reader that starts after the header.
    public func useHeader(_ names: [String]) { header = names }

    /// The next record with every field decoded, or nil at the end of the file or range.
    public func next() throws(FormatError) -> CSVRow? {
        guard try advance() else { return nil }
        let decoded = withRecord { bytes, fields in fields.map { encoding.decode($0.bytes(in: bytes)!)! } }
        return CSVRow(fields: decoded, line: recordLine, fingerprint: recordFingerprint, terminated: recordTerminated)
    }

    /// Moves to the next record; false at the end of the file or range. Its fields are then in
    /// `fields`, their bytes available through `withRecord` until the next call.
    public func advance() throws(FormatError) -> Bool {
        while true {
            if let rangeEnd, nextRecordOffset >= rangeEnd { return false }
            guard let (recordEnd, terminatorLength, newlines) = try scanRecord() else { return false }
            recordLine = line
            line += newlines
            recordStart = start
            recordLength = recordEnd - start
            recordTerminated = terminatorLength > 0
            consumedByRecord = recordEnd + terminatorLength - start
            bytesConsumed += consumedByRecord
            start = recordEnd + terminatorLength
            if recordLength == 0 { continue }  // an empty line holds no record
            let record = UnsafeMutableBufferPointer(start: buffer + recordStart, count: recordLength)
            // One pass gives the fingerprint and whether the record is ASCII (valid in every
            // encoding); only a record with other bytes is checked again.
            var highBits: UInt64 = 0
            recordFingerprint = RowFingerprint(bytes: UnsafeBufferPointer(record), highBits: &highBits)
            if highBits != 0 { try checkEncoding(UnsafeBufferPointer(record)) }
            unescapeFields(record)
            return true
        }
    }

    /// Calls `body` with the current record's bytes and its fields.
    public func withRecord<Result>(_ body: (UnsafeBufferPointer<UInt8>, [FieldSpan]) throws -> Result) rethrows -> Result {
        // The fields are moved out for the call and back (handing the property itself to `body`
        // retained and released it for every row).
        var spans: [FieldSpan] = []
        swap(&spans, &fields)
        defer { swap(&spans, &fields) }
        return try body(UnsafeBufferPointer(start: buffer + recordStart, count: recordLength), spans)
    }

    /// Calls `body` with the current record's field spans (no array retained per row).
    public func withFieldSpans<Result>(_ body: (UnsafeBufferPointer<FieldSpan>) throws -> Result) rethrows -> Result {
        var spans: [FieldSpan] = []
        swap(&spans, &fields)
        defer { swap(&spans, &fields) }
        return try spans.withUnsafeBufferPointer(body)
    }

    // MARK: - Scanning

    /// Finds the next record in the buffer, refilling as needed, and notes its raw field starts.
    /// Returns the end of the record (before its terminator), the terminator length and the line
    /// breaks it spans.
    private func scanRecord() throws(FormatError) -> (Int, Int, Int)? {
        let quote = options.quote
        let delimiter = options.delimiter
        var scanned = 0
        // 0 field start, 1 unquoted, 2 inside quotes, 3 just after a quote inside quotes.
        var state: UInt8 = 0
        var newlines = 0
        // The field boundaries are collected in locals (moved out and back): a class property
        // touched per byte or field costs a dynamic exclusivity check each time.
        var starts: [Int32] = []
        var quoted: [Bool] = []
        swap(&starts, &rawStarts)
        swap(&quoted, &rawQuoted)
        defer {
            swap(&starts, &rawStarts)
            swap(&quoted, &rawQuoted)
        }
        starts.removeAll(keepingCapacity: true)
        quoted.removeAll(keepingCapacity: true)
        starts.append(0)
        quoted.append(false)
        while true {
            let recordStart = start
            var position = recordStart + scanned
            let limit = end
            let bytes = buffer
            while position < limit {
                let byte = bytes[position]
                if state == 2 {
                    if byte == quote { state = 3 } else if byte == 0x0A { newlines += 1 }
                    position += 1
                    continue
                }
                if byte == quote {
                    if state == 0 {
                        quoted[quoted.count - 1] = true
                        state = 2
                    } else if state == 3 {
                        state = 2  // a doubled quote inside quotes
                    }  // else: an ordinary character of an unquoted field
                    position += 1
                    continue
                }
                if byte == delimiter {
                    starts.append(Int32(position + 1 - recordStart))
                    quoted.append(false)
                    state = 0
                    position += 1
                    continue
                }
                state = 1
                if byte == 0x0A {
                    newlines += 1
                    let recordEnd = position > recordStart && bytes[position - 1] == 0x0D ? position - 1 : position
                    return (recordEnd, position + 1 - recordEnd, newlines)
                }
                position += 1
            }
            scanned = position - recordStart
            if scanned > options.maxRecordBytes {
                throw FormatError(
                    .tooLong, file: path, line: line,
                    message: "Ein Datensatz ist länger als \(options.maxRecordBytes) Bytes; vermutlich fehlt ein schließendes Anführungszeichen.")
            }
            if atEOF {
                if start == end { return nil }
                if state == 2 {
                    throw FormatError(
                        .truncated, file: path, line: line,
                        message: "Die Datei endet mitten in einem Feld in Anführungszeichen: sie ist abgeschnitten oder ein Anführungszeichen fehlt.")
                }
                let recordEnd = buffer[end - 1] == 0x0D ? end - 1 : end
                return (recordEnd, end - recordEnd, newlines)
            }
            try fill()
        }
    }

    /// Turns the raw field boundaries into field spans, unescaping quoted fields in place.
    private func unescapeFields(_ record: UnsafeMutableBufferPointer<UInt8>) {
        let quote = options.quote
        // The arrays are moved out of the object for the work and back (a property used directly
        // is retained and released, and checked for exclusive access, at every use).
        var spans: [FieldSpan] = []
        var rawStarts: [Int32] = []
        var rawQuoted: [Bool] = []
        swap(&spans, &fields)
        swap(&rawStarts, &self.rawStarts)
        swap(&rawQuoted, &self.rawQuoted)
        defer {
            swap(&spans, &fields)
            swap(&rawStarts, &self.rawStarts)
            swap(&rawQuoted, &self.rawQuoted)
        }
        let count = rawStarts.count
        // Sized once, then written through buffers: one uniqueness check a record, not one a field.
        if spans.count != count { spans = [FieldSpan](repeating: .absent, count: count) }
        rawStarts.withUnsafeBufferPointer { starts in
            rawQuoted.withUnsafeBufferPointer { quoted in
                spans.withUnsafeMutableBufferPointer { spans in
                    Self.unescape(record, starts: starts, quoted: quoted, quote: quote, into: spans)
                }
            }
        }
    }

    private static func unescape(
        _ record: UnsafeMutableBufferPointer<UInt8>, starts: UnsafeBufferPointer<Int32>, quoted: UnsafeBufferPointer<Bool>, quote: UInt8,
        into spans: UnsafeMutableBufferPointer<FieldSpan>
    ) {
        let count = starts.count
        for index in 0..<count {
            let rawStart = Int(starts[index])
            let rawEnd = index + 1 < count ? Int(starts[index + 1]) - 1 : record.count
            guard quoted[index] else {
                spans[index] = FieldSpan(start: Int32(rawStart), count: Int32(rawEnd - rawStart))
                continue
            }
            var read = rawStart + 1
            var write = rawStart
            var open = true
            while read < rawEnd {
                let byte = record[read]
                if open && byte == quote {
                    if read + 1 < rawEnd, record[read + 1] == quote {
                        record[write] = quote
                        write += 1
                        read += 2
                        continue
                    }
                    open = false
                    read += 1
                    continue
                }
                record[write] = byte
                write += 1
                read += 1
            }
            spans[index] = FieldSpan(start: Int32(rawStart), count: Int32(write - rawStart))
        }
    }

    /// Fails on bytes that are not valid in the encoding, naming the column.
    private func checkEncoding(_ record: UnsafeBufferPointer<UInt8>) throws(FormatError) {
        var index = 0
        let count = record.count
        // Eight bytes at a time while they are ASCII (most records are).
        record.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: count) { base in
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count, raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { index += 8 }
        }
        guard index < count else { return }
        let valid: Bool
        switch encoding {
        case .windows1252:
            valid = !record[index...].contains { $0 >= 0x80 && $0 < 0xA0 && Windows1252.scalar(for: $0) == nil }
        case .utf8:
            var position = index
            while position < count, record[position] < 0x80 { position += 1 }
            valid = position == count || String(validating: UnsafeBufferPointer(rebasing: record[index...]), as: UTF8.self) != nil
        }
        guard !valid else { return }
        // Slow path: which column? Decode field by field with the raw boundaries.
        var column = 0
        for boundary in 0..<rawStarts.count {
            let rawStart = Int(rawStarts[boundary])
            let rawEnd = boundary + 1 < rawStarts.count ? Int(rawStarts[boundary + 1]) - 1 : count
            if encoding.decode(UnsafeBufferPointer(rebasing: record[rawStart..<rawEnd])) == nil {
                column = boundary
                break
            }
        }
        let name = column < header.count ? header[column] : "Spalte \(column + 1)"
        throw FormatError(.undecodable, file: path, line: recordLine, field: name, message: "Ungültige Bytes für die Kodierung \(encoding.rawValue).")
    }

    /// Moves unparsed bytes to the front of the buffer and reads the next chunk behind them.
    private func fill() throws(FormatError) {
        if start > 0 {
            let remaining = end - start
            if remaining > 0 { memmove(buffer, buffer + start, remaining) }
            end = remaining
            start = 0
        }
        if capacity - end < options.chunkSize {
            let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + options.chunkSize)
            larger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = larger
            capacity += options.chunkSize
        }
        var want = capacity - end
        if let rangeEnd {
            // Read only a little beyond the range: enough to finish its last record.
            let remainingInRange = rangeEnd - (rangeStart + bytesConsumed + (end - start))
            want = min(want, max(remainingInRange, options.chunkSize))
        }
        let count = read(fd, buffer + end, want)
        if count < 0 {
            throw FormatError(.unreadable, file: path, line: line, message: "Lesefehler (\(String(cString: strerror(errno)))).")
        }
        if count == 0 { atEOF = true }
        end += count
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, line breaks and no-break spaces.
    public func trimmingASCIIWhitespace() -> String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\u{00A0}" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[first...last])
    }
}
