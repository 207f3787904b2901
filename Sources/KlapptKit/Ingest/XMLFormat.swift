import Foundation
import KlapptFormats

/// An XML export with one element per record (SPEC 2.3): fields are child elements, `@attributes`
/// of the record or `/@attributes` of the document element, matched by local name.
///
/// Read by klappt's own scanner (`XMLScanner`), a big file cut at record starts and read on all
/// cores, with libxml2 as the reference for everything the scanner does not decide (every error
/// among them: messages and refusals are libxml2's). `parser: libxml2` in the pipeline file reads
/// every file with libxml2 alone, whole, as before issue 24.
public struct XMLFormat: SourceFormat {
    public static let name = "xml"
    /// The record element's local name.
    public var recordElement: String
    /// libxml2 alone (`parser: libxml2`), instead of the scanner with libxml2 as its reference.
    public var referenceParser = false

    public init(recordElement: String, referenceParser: Bool = false) {
        self.recordElement = recordElement
        self.referenceParser = referenceParser
    }

    public init(options: FormatOptions, fields: [CanonicalField: String]) throws(PipelineError) {
        try options.allow(["record", "parser"])
        guard let record = options["record"] else { throw options.fail(nil, "record (Name des Datensatz-Elements) fehlt.") }
        recordElement = record
        switch options["parser"] ?? "klappt" {
        case "klappt": referenceParser = false
        case "libxml2": referenceParser = true
        case let other: throw options.fail("parser", "Unbekannter Parser „\(other)“ (klappt oder libxml2).")
        }
    }

    /// The mapped fields in `CanonicalField` order (the same for every file of the source), and what
    /// the file's start says (nil: the file is read whole, from its start).
    public struct Layout: Sendable {
        public var fields: [(field: CanonicalField, name: String)]
        public var head: XMLDocumentHead?
    }

    public func layout(of path: String, source: SourceSpec) throws(KlapptError) -> Layout {
        Layout(
            fields: CanonicalField.allCases.compactMap { field in source.fields[field].map { (field, $0) } },
            head: referenceParser ? nil : XMLDocumentHead.read(path: path, recordElement: recordElement))
    }

    public func slices(of path: String, layout: Layout, sliceBytes: Int) -> [(range: Range<Int>?, firstLine: Int)] {
        guard let head = layout.head else { return [(nil, 1)] }
        return head.cuts(path: path, size: QuarterlyRun.fileSize(path), sliceBytes: sliceBytes, recordElement: recordElement).map { range in
            (range, range.lowerBound == 0 ? 1 : 0)
        }
    }

    public func makeReader(path: String, layout: Layout, range: Range<Int>?, firstLine: Int) throws(FormatError) -> XMLExportReader {
        try XMLExportReader(
            path: path, recordElement: recordElement, mappedFields: layout.fields.map(\.name), range: range, firstLine: firstLine,
            head: layout.head, referenceOnly: referenceParser)
    }

    public func encoding(of layout: Layout) -> TextEncoding { .utf8 }

    public func map(_ reader: XMLExportReader, layout: Layout, source: SourceSpec, row: Int, into spans: inout [FieldSpan]) throws(FormatError) -> RecordShape {
        // Through buffers: one uniqueness check a row, not one a field, and no field name copied
        // (their reference counts were a visible share of reading a state's colleges).
        var missingAt: Int?
        layout.fields.withUnsafeBufferPointer { fields in
            reader.fieldSpans.withUnsafeBufferPointer { mapped in
                spans.withUnsafeMutableBufferPointer { spans in
                    for position in 0..<fields.count {
                        let field = fields[position].field
                        spans[field.ordinal] = mapped[position]
                        if mapped[position].count < 0, missingAt == nil, !source.optional.contains(field) { missingAt = position }
                    }
                }
            }
        }
        return RecordShape(order: reader.recordOffset, missingField: missingAt.map { layout.fields[$0].name })
    }

    public func quarantineColumns(layout: Layout, source: SourceSpec) -> [String] { layout.fields.map(\.name) }

    public func cells(of reader: XMLExportReader, layout: Layout) -> [String] {
        reader.withRecord { bytes, mapped in mapped.map { $0.bytes(in: bytes).map { String(decoding: $0, as: UTF8.self) } ?? "" } }
    }

    /// Why a well-formed file yielded no record, when it is the pipeline's record element that
    /// does not match (a renamed `<Schüler>` for `<Schueler>`): the element names that repeat in
    /// the file's first 8 MiB, most frequent first, without the mapped fields' names. Nil when no
    /// other element repeats (an export without pupils, left to the plausibility check). Element
    /// names are the export's structure, never its values.
    public static func noRecordExplanation(path: String, source: SourceSpec, recordElement: String) -> FormatError? {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: 8 << 20) else { return nil }
        try? handle.close()
        let bytes = [UInt8](data)
        var counts: [String: Int] = [:]
        var position = 0
        while let open = bytes[position...].firstIndex(of: UInt8(ascii: "<")) {
            position = open + 1
            guard position < bytes.count, bytes[position] != UInt8(ascii: "/"), bytes[position] != UInt8(ascii: "?"), bytes[position] != UInt8(ascii: "!")
            else { continue }
            var end = position
            while end < bytes.count, !" \t\r\n/>".utf8.contains(bytes[end]) { end += 1 }
            guard end > position, end - position <= 100 else { continue }
            let name = String(decoding: bytes[position..<end], as: UTF8.self)
            let local = name.split(separator: ":").last.map(String.init) ?? name
            counts[local, default: 0] += 1
        }
        let mapped = Set(source.fields.values.map { $0.hasPrefix("@") || $0.hasPrefix("/@") ? "" : $0.lowercased() })
        let repeated = counts.filter { $0.value > 1 && !mapped.contains($0.key.lowercased()) }.sorted {
            // Most frequent first; among equals, the names nearest the configured one.
            ($0.value, -CSVLayout.editDistance($0.key, recordElement), $1.key) > ($1.value, -CSVLayout.editDistance($1.key, recordElement), $0.key)
        }
        guard !repeated.isEmpty else { return nil }
        let shown = repeated.prefix(5).map { "<\($0.key)> (\($0.value) ×)" }.joined(separator: ", ")
        let line = source.formatLine.map { " (Zeile \($0))" } ?? ""
        return FormatError(
            .malformed, file: path,
            message:
                "Die Datei enthält kein einziges Element <\(recordElement)>, das xml.record der Quelle „\(source.id)“ in der Pipeline-Datei\(line) als Datensatz nennt. Mehrfach kommen vor: \(shown). Heißt das Datensatz-Element im Export jetzt anders, xml.record in der Pipeline-Datei anpassen; sonst bei der Schule einen Export im gewohnten Aufbau anfordern."
        )
    }

    public func finish(_ reader: XMLExportReader, layout: Layout, into result: inout SliceResult) {
        result.rootAttributes = reader.rootAttributes
        result.end = reader.nextRecordOffset
        result.lineCount = reader.linesSpanned
    }
}
