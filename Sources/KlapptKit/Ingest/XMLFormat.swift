import KlapptFormats

/// An XML export with one element per record (SPEC 2.3): fields are child elements, `@attributes`
/// of the record or `/@attributes` of the document element, matched by local name; read on
/// libxml2's SAX2 push parser, one file per worker.
public struct XMLFormat: SourceFormat {
    public static let name = "xml"
    /// The record element's local name.
    public var recordElement: String

    public init(recordElement: String) { self.recordElement = recordElement }

    public init(options: FormatOptions, fields: [CanonicalField: String]) throws(PipelineError) {
        try options.allow(["record"])
        guard let record = options["record"] else { throw options.fail(nil, "record (Name des Datensatz-Elements) fehlt.") }
        recordElement = record
    }

    /// The mapped fields in `CanonicalField` order: the same for every file of the source.
    public struct Layout: Sendable {
        public var fields: [(field: CanonicalField, name: String)]
    }

    public func layout(of path: String, source: SourceSpec) throws(KlapptError) -> Layout {
        Layout(fields: CanonicalField.allCases.compactMap { field in source.fields[field].map { (field, $0) } })
    }

    public func slices(of path: String, layout: Layout, sliceBytes: Int) -> [(range: Range<Int>?, firstLine: Int)] {
        [(nil, 1)]
    }

    public func makeReader(path: String, layout: Layout, range: Range<Int>?, firstLine: Int) throws(FormatError) -> XMLRecordReader {
        try XMLRecordReader(path: path, recordElement: recordElement, mappedFields: layout.fields.map(\.name))
    }

    public func encoding(of layout: Layout) -> TextEncoding { .utf8 }

    public func map(_ reader: XMLRecordReader, layout: Layout, source: SourceSpec, row: Int, into spans: inout [FieldSpan]) throws(FormatError) -> RecordShape {
        let mapped = reader.fieldSpans
        var missing: String?
        for (position, (field, name)) in layout.fields.enumerated() {
            spans[field.ordinal] = mapped[position]
            if mapped[position].count < 0, missing == nil, !source.optional.contains(field) { missing = name }
        }
        return RecordShape(order: row, missingField: missing)
    }

    public func quarantineColumns(layout: Layout, source: SourceSpec) -> [String] { layout.fields.map(\.name) }

    public func cells(of reader: XMLRecordReader, layout: Layout) -> [String] {
        reader.withRecord { bytes, mapped in mapped.map { $0.bytes(in: bytes).map { String(decoding: $0, as: UTF8.self) } ?? "" } }
    }

    public func finish(_ reader: XMLRecordReader, layout: Layout, into result: inout SliceResult) {
        result.rootAttributes = reader.rootAttributes
    }
}
