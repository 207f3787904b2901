/// The German words of the funding report and of the store's views (issue 13): one editable list
/// (`beschriftungen.csv`) for indicators, dimensions, states, sources, reasons and the categories of
/// each dimension, so that a successor programme renames a column without touching code.
///
/// Municipality names come from the postcode list and nationality names from the nationality list;
/// a row of the label list goes before both. A code no list knows is shown as itself.
public struct ReportLabels: Sendable {
    public struct Entry: Sendable, Equatable {
        public var label: String
        public var definition: String?
    }

    /// The kinds of codes the list names besides the dimensions' categories (which use the
    /// dimension's name as their kind).
    public enum Kind {
        public static let indicator = "indikator"
        public static let dimension = "dimension"
        public static let state = "zustand"
        public static let source = "quelle"
        public static let reason = "grund"
        public static let warning = "warnung"
    }

    /// kind -> code -> entry, from the label list.
    private var entries: [String: [String: Entry]]
    /// kind -> code -> name, from the other code lists (municipalities, nationalities).
    private var names: [String: [String: String]]

    public init(entries: [String: [String: Entry]] = [:], names: [String: [String: String]] = [:]) {
        self.entries = entries
        self.names = names
    }

    /// Loads the label list at `path` (nil: the pipeline names none, every code is shown as itself)
    /// and takes the municipality and nationality names of `codeLists`.
    public static func load(path: String?, codeLists: CodeLists) throws(PipelineError) -> ReportLabels {
        var names: [String: [String: String]] = [:]
        names[Dimension.municipality] = Dictionary(codeLists.municipalities.map { ($0.ags, $0.name) }, uniquingKeysWith: { first, _ in first })
        names[Dimension.nationality] = codeLists.nationalityNames
        guard let path else { return ReportLabels(names: names) }
        let list = try CodeList(path: path)
        try list.require("art", "code", "beschriftung", "erlaeuterung")
        var entries: [String: [String: Entry]] = [:]
        for (row, line) in zip(list.rows, list.lines) {
            let kind = row["art"]!
            let code = row["code"]!
            let label = row["beschriftung"]!
            guard !kind.isEmpty, !code.isEmpty else { throw PipelineError(file: path, line: line, message: "Art und Code dürfen nicht leer sein.") }
            guard !label.isEmpty else { throw PipelineError(file: path, line: line, message: "Die Beschriftung von „\(code)“ ist leer.") }
            guard entries[kind]?[code] == nil else {
                throw PipelineError(file: path, line: line, message: "„\(kind);\(code)“ kommt mehrfach vor.")
            }
            let definition = row["erlaeuterung"]!
            entries[kind, default: [:]][code] = Entry(label: label, definition: definition.isEmpty ? nil : definition)
        }
        return ReportLabels(entries: entries, names: names)
    }

    /// The word for `code` of `kind`: the label list's, else the other code lists' name, else the code.
    public func label(_ kind: String, _ code: String) -> String {
        entries[kind]?[code]?.label ?? names[kind]?[code] ?? code
    }

    /// The definition of `code` of `kind` for the method section, when the list gives one.
    public func definition(_ kind: String, _ code: String) -> String? { entries[kind]?[code]?.definition }

    /// Every (kind, code, label, definition) the report can use for `dimensions`, `indicators` and
    /// the other kinds of the list, sorted: what the store keeps for its views.
    public func all(dimensions: [(name: String, categories: [String])], indicators: [String]) -> [(
        kind: String, code: String, label: String, definition: String?
    )] {
        var rows: [String: (kind: String, code: String, label: String, definition: String?)] = [:]
        func add(_ kind: String, _ code: String) { rows["\(kind)\u{1F}\(code)"] = (kind, code, label(kind, code), definition(kind, code)) }
        for (kind, codes) in entries { for code in codes.keys { add(kind, code) } }
        for indicator in indicators { add(Kind.indicator, indicator) }
        for dimension in dimensions {
            add(Kind.dimension, dimension.name)
            for category in dimension.categories { add(dimension.name, category) }
        }
        for state in PersonState.all { add(Kind.state, state.description) }
        return rows.keys.sorted().map { rows[$0]! }
    }
}
