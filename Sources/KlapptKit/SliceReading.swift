#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KlapptFormats

/// A stretch of one input file that one worker reads: a whole XML file, or the records of a CSV
/// file that start in a byte range (a big export is cut into several, read on all cores).
public struct FileSlice: Sendable {
    public var sourceIndex: Int
    public var fileIndex: Int
    public var path: String
    /// CSV: the byte range; its records' lines are counted from `firstLine`.
    public var range: Range<Int>?
    /// CSV: the line the range begins on, or 0 when that is known only after the slices before it
    /// are read (lines are then relative and fixed when the slices are merged).
    public var firstLine: Int
    public var layout: CSVLayout?
}

/// What a CSV export looks like after its header: where the data starts, the encoding, the
/// columns, and which column holds each canonical field.
public struct CSVLayout: Sendable {
    public var header: [String]
    public var encoding: TextEncoding
    public var options: CSVReader.Options
    /// Offset of the first record after the header, and its line.
    public var dataStart: Int
    public var dataLine: Int
    /// By `CanonicalField.ordinal`: the column, or -1 when the pipeline does not map the field.
    public var columns: [Int]

    /// Reads the header of `path` and maps the pipeline's field names to its columns
    /// (case-insensitive); a missing required column fails the file (65).
    public static func read(_ spec: SourceSpec, options: CSVReaderOptions, path: String) throws(KlapptError) -> CSVLayout {
        do {
            let readerOptions = CSVReader.Options(delimiter: options.delimiter, quote: options.quote,
                                                  encoding: options.encoding == "auto" ? nil : TextEncoding(name: options.encoding))
            let reader = try CSVReader(path: path, options: readerOptions)
            let header = try reader.readHeader()
            let lowered = header.map { $0.lowercased() }
            var columns = [Int](repeating: -1, count: CanonicalField.allCases.count)
            for field in CanonicalField.allCases {
                guard let name = spec.fields[field] else { continue }
                if let index = lowered.firstIndex(of: name.lowercased()) {
                    columns[field.ordinal] = index
                } else if !spec.optional.contains(field) {
                    throw missingColumn(name, field: field, header: header, spec: spec, options: readerOptions, path: path)
                }
            }
            var fixed = readerOptions
            fixed.encoding = reader.encoding
            return CSVLayout(header: header, encoding: reader.encoding, options: fixed, dataStart: reader.nextRecordOffset,
                             dataLine: reader.nextLine, columns: columns)
        } catch let error as FormatError {
            throw .inputFormat(error)
        } catch let error as KlapptError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }

    /// Why a required column is missing, leading the operator to the real cause (issue 9): a file
    /// cut with another delimiter (65, ask the sender or change `csv.delimiter`), a name in the
    /// pipeline file that nearly matches a header (64, a typo there), or a column the export lacks (65).
    static func missingColumn(_ name: String, field: CanonicalField, header: [String], spec: SourceSpec, options: CSVReader.Options, path: String) -> KlapptError {
        let configured = Character(UnicodeScalar(options.delimiter))
        if header.count == 1, let other = [",", ";", "\t", "|"].map(Character.init).first(where: { $0 != configured && header[0].contains($0) }) {
            let shown = other == "\t" ? "Tabulator" : "„\(other)“"
            return .inputFormat(FormatError(.malformed, file: path, line: 1, field: name, message:
                "Die Kopfzeile ist eine einzige Spalte und enthält \(shown): die Datei ist wohl mit \(shown) statt „\(configured)“ getrennt. Bitte beim Absender einen Export mit „\(configured)“ anfordern oder csv.delimiter der Quelle „\(spec.id)“ in der Pipeline-Datei anpassen."))
        }
        let line = spec.fieldLines[field]
        let place = "fields.\(field.rawValue) der Quelle „\(spec.id)“\(line.map { " (Zeile \($0))" } ?? "")"
        let lowered = name.lowercased()
        if let near = header.min(by: { editDistance($0.lowercased(), lowered) < editDistance($1.lowercased(), lowered) }),
           editDistance(near.lowercased(), lowered) <= max(1, min(2, name.count / 4)) {
            return .pipeline(PipelineError(file: spec.pipelineFile, line: line, message:
                "\(place) nennt die Spalte „\(name)“; „\(URL(fileURLWithPath: path).lastPathComponent)“ hat keine solche, aber „\(near)“. Tippfehler in der Pipeline-Datei? Bitte dort korrigieren."))
        }
        return .inputFormat(FormatError(.malformed, file: path, line: 1, field: name, message:
            "Pflichtspalte „\(name)“ fehlt in der Kopfzeile (gefunden: \(header.joined(separator: ", "))). Fehlt sie im Export, bitte beim Absender nachfragen; heißt sie im Export nur anders, \(place) in der Pipeline-Datei anpassen."))
    }

    /// Levenshtein distance of two short texts (column names).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
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

/// A row that validation rejected, for the quarantine file and the store.
public struct QuarantinedRow: Sendable {
    public var line: Int
    public var reason: ReasonCode
    public var field: String?
    public var cells: [String]
}

/// What a slice yields, in file order: every row's fingerprint (duplicates are found when slices
/// are merged, so that the first occurrence in the file is the one kept) and what became of it.
public struct SliceResult: Sendable {
    public var slice: FileSlice
    /// CSV: where the record after the slice starts, and how many lines the slice spans.
    public var end = 0
    public var lineCount = 0
    public var rowsRead = 0
    public var fingerprints: [RowFingerprint] = []
    /// Per row: the index in `records` (>= 0) or -1 - the index in `rejections`.
    public var outcomes: [Int32] = []
    public var records: [PseudoRecord] = []
    public var rejections: [QuarantinedRow] = []
    /// Warnings by row (position in `outcomes`).
    public var warnings: [(row: Int32, kind: String, value: String)] = []
    public var quarantineColumns: [String] = []
    /// XML: the attributes of the document element (the school number, the file's `Stand`).
    public var rootAttributes: [String: String] = [:]
    /// A problem that fails the file (lines relative when `slice.firstLine` is 0).
    public var failure: KlapptError?

    /// Reads `slice`: validates and pseudonymises every row. Never throws; a file-level problem
    /// ends the slice and is kept in `failure`.
    public static func read(_ slice: FileSlice, spec: SourceSpec, validation: RecordValidation, pseudonymisation: Pseudonymisation,
                            progress: ((Int) -> Void)? = nil) -> SliceResult {
        var result = SliceResult(slice: slice)
        var validation = validation
        do {
            if let layout = slice.layout, let range = slice.range {
                try result.readCSV(range: range, layout: layout, spec: spec, validation: &validation, pseudonymisation: pseudonymisation, progress: progress)
            } else if case .xml(let recordElement) = spec.format {
                try result.readXML(recordElement: recordElement, spec: spec, validation: &validation, pseudonymisation: pseudonymisation, progress: progress)
            }
        } catch let error as FormatError {
            result.failure = .inputFormat(error)
        } catch let error as KlapptError {
            result.failure = error
        } catch {
            result.failure = .internalError("\(error)")
        }
        return result
    }

    /// Records what became of a row: its fingerprint, then the pseudonymised record or the
    /// rejection (with the row's cells for the quarantine, decoded only then), then its warnings.
    private mutating func take(_ outcome: Result<CleanRecord, Rejection>, fingerprint: RowFingerprint, warnings rowWarnings: inout RowWarnings,
                               pseudonymisation: Pseudonymisation, cells: () -> [String]) {
        fingerprints.append(fingerprint)
        switch outcome {
        case .success(let record):
            outcomes.append(Int32(records.count))
            records.append(pseudonymisation.pseudonymise(record))
        case .failure(let rejection):
            outcomes.append(-1 - Int32(rejections.count))
            rejections.append(QuarantinedRow(line: rejection.origin.line, reason: rejection.reason, field: rejection.field, cells: cells()))
        }
        if !rowWarnings.isEmpty {
            for entry in rowWarnings.entries { warnings.append((Int32(outcomes.count - 1), entry.kind, entry.value)) }
            rowWarnings.removeAll()
        }
    }

    private mutating func readCSV(range: Range<Int>, layout: CSVLayout, spec: SourceSpec, validation: inout RecordValidation,
                                  pseudonymisation: Pseudonymisation, progress: ((Int) -> Void)?) throws {
        quarantineColumns = layout.header
        let reader = try CSVReader(path: slice.path, options: layout.options, range: range, firstLine: slice.firstLine)
        reader.useHeader(layout.header)
        let width = layout.header.count
        let origin = (source: slice.sourceIndex, file: slice.fileIndex)
        var spans = [FieldSpan](repeating: .absent, count: CanonicalField.allCases.count)
        var rowWarnings = RowWarnings()
        var reported = range.lowerBound
        while try reader.advance() {
            let fields = reader.fields
            if !reader.recordTerminated && fields.count < width {
                throw FormatError(.truncated, file: slice.path, line: reader.recordLine, message: "Die letzte Zeile hat \(fields.count) statt \(width) Felder: die Datei ist abgeschnitten.")
            }
            rowsRead += 1
            for (ordinal, column) in layout.columns.enumerated() {
                spans[ordinal] = column >= 0 && column < fields.count ? fields[column] : .absent
            }
            let rowOrigin = RowOrigin(sourceIndex: origin.source, fileIndex: origin.file, order: reader.recordOffset, line: reader.recordLine)
            let outcome = reader.withRecord { bytes, _ in
                spans.withUnsafeBufferPointer { spanBuffer in
                    let row = RawRow(origin: rowOrigin, bytes: bytes, spans: spanBuffer, encoding: layout.encoding, missingField: nil,
                                     structuralDefect: fields.count == width ? nil : .wrongFieldCount)
                    return validation.validate(row, warnings: &rowWarnings)
                }
            }
            take(outcome, fingerprint: reader.recordFingerprint, warnings: &rowWarnings, pseudonymisation: pseudonymisation) {
                reader.withRecord { bytes, fields in fields.map { layout.encoding.decode($0.bytes(in: bytes)!) ?? "" } }
            }
            if rowsRead % 16384 == 0, let progress {
                progress(reader.nextRecordOffset - reported)
                reported = reader.nextRecordOffset
            }
        }
        progress?(reader.nextRecordOffset - reported)
        end = reader.nextRecordOffset
        lineCount = reader.nextLine - slice.firstLine
    }

    private mutating func readXML(recordElement: String, spec: SourceSpec, validation: inout RecordValidation,
                                  pseudonymisation: Pseudonymisation, progress: ((Int) -> Void)?) throws {
        let fields = CanonicalField.allCases.compactMap { field in spec.fields[field].map { (field, $0) } }
        let reader = try XMLRecordReader(path: slice.path, recordElement: recordElement, mappedFields: fields.map(\.1))
        quarantineColumns = fields.map(\.1)
        var spans = [FieldSpan](repeating: .absent, count: CanonicalField.allCases.count)
        var rowWarnings = RowWarnings()
        var reported = 0
        while try reader.advance() {
            let mapped = reader.fieldSpans
            var missing: String?
            for (position, (field, name)) in fields.enumerated() {
                spans[field.ordinal] = mapped[position]
                if mapped[position].count < 0, missing == nil, !spec.optional.contains(field) { missing = name }
            }
            let origin = RowOrigin(sourceIndex: slice.sourceIndex, fileIndex: slice.fileIndex, order: rowsRead, line: reader.recordLine)
            rowsRead += 1
            let outcome = reader.withRecord { bytes, _ in
                spans.withUnsafeBufferPointer { spanBuffer in
                    validation.validate(RawRow(origin: origin, bytes: bytes, spans: spanBuffer, encoding: .utf8, missingField: missing, structuralDefect: nil),
                                        warnings: &rowWarnings)
                }
            }
            take(outcome, fingerprint: reader.recordFingerprint, warnings: &rowWarnings, pseudonymisation: pseudonymisation) {
                reader.withRecord { bytes, mapped in mapped.map { $0.bytes(in: bytes).map { String(decoding: $0, as: UTF8.self) } ?? "" } }
            }
            if rowsRead % 4096 == 0, let progress {
                progress(reader.bytesConsumed - reported)
                reported = reader.bytesConsumed
            }
        }
        progress?(reader.bytesConsumed - reported)
        rootAttributes = reader.rootAttributes
    }
}
