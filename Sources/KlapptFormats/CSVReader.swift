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

/// A streaming reader for delimiter-separated exports as German office software writes them.
///
/// It parses bytes, not strings: the file is read in chunks into one buffer, records are found by a
/// byte scan that knows about quotes, and only the fields of a complete record are decoded. Memory
/// is bounded by the chunk size plus the longest record (`maxRecordBytes`), whatever the file size.
///
/// Grammar (RFC 4180 with the habits of German exports): `delimiter` between fields, `quote` around
/// fields that hold delimiters, quotes or line breaks, a doubled quote inside a quoted field for one
/// quote, CRLF or LF line ends, an optional UTF-8 byte-order mark. Completely empty lines carry no
/// record and are skipped (they still count for line numbers).
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
    public private(set) var bytesConsumed = 0

    private let fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var line = 1

    public init(path: String, options: Options = Options()) throws(FormatError) {
        self.path = path
        self.options = options
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FormatError(.unreadable, file: path, message: "Datei kann nicht geöffnet werden (\(String(cString: strerror(errno)))).")
        }
        self.fd = fd
        self.buffer = [UInt8](repeating: 0, count: max(options.chunkSize, 4096) * 2)
        self.encoding = options.encoding ?? .windows1252
        try fill()
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
            start += 3
            bytesConsumed = 3
            if options.encoding == nil || options.encoding == .utf8 {
                encoding = .utf8
            } else {
                throw FormatError(.undecodable, file: path, line: 1, message: "Die Datei beginnt mit einer UTF-8-Kennung (BOM), laut Pipeline-Datei ist sie aber \(options.encoding!.rawValue) kodiert.")
            }
        }
    }

    deinit { close(fd) }

    /// Reads the first record as the header row.
    public func readHeader() throws(FormatError) -> [String] {
        guard let row = try next() else {
            throw FormatError(.truncated, file: path, line: 1, message: "Die Datei ist leer: keine Kopfzeile gefunden.")
        }
        header = row.fields.map { $0.trimmingASCIIWhitespace() }
        return header
    }

    /// The next record, or nil at the end of the file.
    public func next() throws(FormatError) -> CSVRow? {
        while true {
            guard let (recordStart, recordEnd, terminatorLength, newlines) = try scanRecord() else { return nil }
            let recordLine = line
            line += newlines
            start = recordEnd + terminatorLength
            bytesConsumed += recordEnd + terminatorLength - recordStart
            if recordEnd == recordStart { continue }  // an empty line holds no record
            return try buffer.withUnsafeBufferPointer { (all) throws(FormatError) -> CSVRow in
                let bytes = UnsafeBufferPointer(rebasing: all[recordStart..<recordEnd])
                let fields = try splitFields(bytes, line: recordLine)
                return CSVRow(fields: fields, line: recordLine, fingerprint: RowFingerprint(bytes: bytes), terminated: terminatorLength > 0)
            }
        }
    }

    // MARK: - Scanning

    /// Finds the next complete record in the buffer, refilling as needed. Returns the byte range of
    /// the record without its terminator, the terminator length and the line breaks it spans.
    private enum ScanState { case fieldStart, unquoted, quoted, quoteInQuoted }

    private func scanRecord() throws(FormatError) -> (Int, Int, Int, Int)? {
        var position = start
        var state = ScanState.fieldStart
        var newlines = 0
        let quote = options.quote
        let delimiter = options.delimiter
        while true {
            while position < end {
                let byte = buffer[position]
                switch state {
                case .quoted:
                    if byte == quote { state = .quoteInQuoted } else if byte == 0x0A { newlines += 1 }
                    position += 1
                    continue
                case .quoteInQuoted:
                    if byte == quote { state = .quoted; position += 1; continue }  // "" inside quotes
                    state = .unquoted  // the closing quote; fall through to unquoted handling
                case .fieldStart:
                    if byte == quote { state = .quoted; position += 1; continue }
                    state = .unquoted
                case .unquoted:
                    break
                }
                if byte == delimiter {
                    state = .fieldStart
                } else if byte == 0x0A {
                    newlines += 1
                    let recordEnd = position > start && buffer[position - 1] == 0x0D ? position - 1 : position
                    return (start, recordEnd, position + 1 - recordEnd, newlines)
                }
                position += 1
            }
            if position - start > options.maxRecordBytes {
                throw FormatError(.tooLong, file: path, line: line, message: "Ein Datensatz ist länger als \(options.maxRecordBytes) Bytes; vermutlich fehlt ein schließendes Anführungszeichen.")
            }
            if atEOF {
                if start == end { return nil }
                if state == .quoted {
                    throw FormatError(.truncated, file: path, line: line, message: "Die Datei endet mitten in einem Feld in Anführungszeichen: sie ist abgeschnitten oder ein Anführungszeichen fehlt.")
                }
                let recordEnd = buffer[end - 1] == 0x0D ? end - 1 : end
                return (start, recordEnd, end - recordEnd, newlines)
            }
            let scanned = position - start
            try fill()
            position = start + scanned
        }
    }

    /// Moves unparsed bytes to the front of the buffer and reads the next chunk behind them.
    private func fill() throws(FormatError) {
        if start > 0 {
            let remaining = end - start
            if remaining > 0 {
                buffer.withUnsafeMutableBufferPointer { buf in
                    let base = buf.baseAddress!
                    memmove(base, base + start, remaining)
                }
            }
            end = remaining
            start = 0
        }
        if buffer.count - end < options.chunkSize {
            buffer.append(contentsOf: repeatElement(0, count: options.chunkSize))
        }
        let count = buffer.withUnsafeMutableBufferPointer { buf in
            read(fd, buf.baseAddress! + end, buf.count - end)
        }
        if count < 0 {
            throw FormatError(.unreadable, file: path, line: line, message: "Lesefehler (\(String(cString: strerror(errno)))).")
        }
        if count == 0 { atEOF = true }
        end += count
    }

    // MARK: - Fields

    private func splitFields(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(FormatError) -> [String] {
        var fields: [String] = []
        fields.reserveCapacity(max(header.count, 8))
        let delimiter = options.delimiter
        let quote = options.quote
        var index = 0
        var scratch: [UInt8] = []
        let count = bytes.count
        while true {
            let column = fields.count
            if index < count, bytes[index] == quote {
                scratch.removeAll(keepingCapacity: true)
                index += 1
                while index < count {
                    let byte = bytes[index]
                    if byte == quote {
                        if index + 1 < count, bytes[index + 1] == quote {
                            scratch.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    scratch.append(byte)
                    index += 1
                }
                // Lenient about text after the closing quote (`"ab"c`): keep it, as spreadsheet software does.
                while index < count, bytes[index] != delimiter {
                    scratch.append(bytes[index])
                    index += 1
                }
                let decoded = scratch.withUnsafeBufferPointer { encoding.decode($0) }
                guard let decoded else { throw undecodable(line: line, column: column) }
                fields.append(decoded)
            } else {
                let fieldStart = index
                while index < count, bytes[index] != delimiter { index += 1 }
                guard let decoded = encoding.decode(UnsafeBufferPointer(rebasing: bytes[fieldStart..<index])) else {
                    throw undecodable(line: line, column: column)
                }
                fields.append(decoded)
            }
            if index >= count { break }
            index += 1  // the delimiter
            if index == count {
                fields.append("")
                break
            }
        }
        return fields
    }

    private func undecodable(line: Int, column: Int) -> FormatError {
        let name = column < header.count ? header[column] : "Spalte \(column + 1)"
        return FormatError(.undecodable, file: path, line: line, field: name, message: "Ungültige Bytes für die Kodierung \(encoding.rawValue).")
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
