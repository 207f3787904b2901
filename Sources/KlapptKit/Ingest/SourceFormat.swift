import KlapptFormats

/// A file format of the pipeline file's `format:` (SPEC 2.1): how files of a source are opened,
/// cut into slices that are read on all cores, and how a record's bytes map to the canonical fields.
///
/// A new format is a new conforming type plus one line in `Registry`. The per-row methods
/// (`map`) are called from a loop specialised for the concrete type (`SourceReading`).
public protocol SourceFormat: Sendable {
    /// What one file looks like (a CSV header and encoding; the XML mapping), read once per file.
    associatedtype Layout: Sendable
    associatedtype Reader: RecordReader

    /// The name in the pipeline file (`format:`, and the key of its options).
    static var name: String { get }
    /// Lists with a header row (CSV, workbooks): title lines and footer rows may surround them.
    static var isList: Bool { get }
    /// The format configured from its options in the pipeline file (`csv:`, `xml:`), for a source
    /// that maps `fields`.
    init(options: FormatOptions, fields: [CanonicalField: String]) throws(PipelineError)

    /// Reads what the file's records need (a header, the encoding) and checks the mapping: a
    /// required field the file lacks fails the file.
    func layout(of path: String, source: SourceSpec) throws(KlapptError) -> Layout
    /// Stretches of the file that can be read independently, each with the line it starts on (0:
    /// known only when the slices before it are read). A whole file is one slice (range nil).
    func slices(of path: String, layout: Layout, sliceBytes: Int) -> [(range: Range<Int>?, firstLine: Int)]
    func makeReader(path: String, layout: Layout, range: Range<Int>?, firstLine: Int) throws(FormatError) -> Reader
    /// The text encoding of the records' bytes.
    func encoding(of layout: Layout) -> TextEncoding
    /// The current record's fields by `CanonicalField.ordinal` (absent when missing), its place in
    /// the file for the SPEC 4.1 order, and what is wrong with its shape.
    func map(_ reader: Reader, layout: Layout, source: SourceSpec, row: Int, into spans: inout [FieldSpan]) throws(FormatError) -> RecordShape
    /// Names of the cells a quarantine file shows (the export's own field names).
    func quarantineColumns(layout: Layout, source: SourceSpec) -> [String]
    /// The current record's cells for the quarantine, decoded, in `quarantineColumns` order.
    func cells(of reader: Reader, layout: Layout) -> [String]
    /// After the last record of a slice: where the next one starts, how many lines it spanned, and
    /// attributes of the whole file (an XML root's `Schulnummer`).
    func finish(_ reader: Reader, layout: Layout, into result: inout SliceResult)
}

extension SourceFormat {
    /// Whether the format's files are lists with a header row, which office software may have
    /// given title lines above it and a total or a note below the last record (`FileMerge`'s
    /// footer rows). XML exports have neither.
    public static var isList: Bool { false }
}

/// What a format says about a record's shape.
public struct RecordShape: Sendable {
    /// Position of the record in its file (any increasing number: a byte offset, a row index).
    public var order: Int
    /// The first mapped, required field the record lacks (`feld_fehlt`).
    public var missingField: String?
    /// A structural defect (`spaltenzahl_falsch`).
    public var defect: ReasonCode?

    public init(order: Int, missingField: String? = nil, defect: ReasonCode? = nil) {
        self.order = order
        self.missingField = missingField
        self.defect = defect
    }
}

/// The options of a format in the pipeline file (`csv: {delimiter: ";"}`): text values with
/// their lines, for messages that point there.
public struct FormatOptions: Sendable {
    public let file: String
    /// Where the options are, e.g. `sources[1].csv`.
    public let path: String
    public let line: Int?
    /// Text values (`delimiter: ";"`).
    public var values: [String: (value: String, line: Int?)]
    /// Lists of texts (`sheet: [Teilnehmende, Kunden]`).
    public var lists: [String: (values: [String], line: Int?)] = [:]
    /// Texts per file pattern, in the file's order (`sheet: {"*nachlieferung*": Kunden}`).
    public var patterns: [String: (entries: [(pattern: String, values: [String])], line: Int?)] = [:]

    public init(file: String, path: String, line: Int?, values: [String: (value: String, line: Int?)]) {
        self.file = file
        self.path = path
        self.line = line
        self.values = values
    }

    public subscript(key: String) -> String? { values[key]?.value }

    /// Refuses keys outside `allowed` (a typo fails at load with its line), and a list or a
    /// mapping where only a text is meant (`textOnly`: every key but those in `structured`).
    public func allow(_ allowed: Set<String>, structured: Set<String> = []) throws(PipelineError) {
        let lines = values.mapValues(\.line).merging(lists.mapValues(\.line)) { a, _ in a }.merging(patterns.mapValues(\.line)) { a, _ in a }
        for (key, line) in lines where !allowed.contains(key) {
            throw PipelineError(
                file: file, line: line, message: "Unbekannter Schlüssel „\(path).\(key)“. Erlaubt: \(allowed.sorted().joined(separator: ", ")).")
        }
        for (key, line) in lines where values[key] == nil && !structured.contains(key) {
            throw PipelineError(file: file, line: line, message: "\(path).\(key): Hier wird ein Text erwartet.")
        }
    }

    /// `header_row:` of a format with a header row: a row number from 1, or nil.
    public func headerRow() throws(PipelineError) -> Int? {
        guard let text = self["header_row"] else { return nil }
        guard let row = Int(text), row >= 1 else { throw fail("header_row", "Eine Zeilennummer ab 1 erwartet.") }
        return row
    }

    /// An error at `key` (or at the options as a whole).
    public func fail(_ key: String?, _ message: String) -> PipelineError {
        PipelineError(
            file: file, line: key.flatMap { values[$0]?.line ?? lists[$0]?.line ?? patterns[$0]?.line } ?? line,
            message: "\(path)\(key.map { ".\($0)" } ?? ""): \(message)")
    }
}
