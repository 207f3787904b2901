import Foundation
import KlapptFormats

/// An editable code list: a `;`-separated UTF-8 file under `pipelines/codelists/`, `#` lines are
/// comments (the first of them names the source), then a header row, then one row per code.
public struct CodeList: Sendable {
    public let path: String
    public let columns: [String]
    public let rows: [[String: String]]
    /// 1-based line number of each row, for error messages.
    public let lines: [Int]

    public init(path: String) throws(PipelineError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError(file: path, message: "Codeliste nicht gefunden oder nicht lesbar.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError(file: path, message: "Codeliste ist nicht in UTF-8 kodiert.")
        }
        var columns: [String]?
        var rows: [[String: String]] = []
        var lines: [Int] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine).trimmingASCIIWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cells = line.split(separator: ";", omittingEmptySubsequences: false).map { String($0).trimmingASCIIWhitespace() }
            if let header = columns {
                guard cells.count == header.count else {
                    throw PipelineError(file: path, line: offset + 1, message: "Zeile hat \(cells.count) statt \(header.count) Spalten.")
                }
                rows.append(Dictionary(uniqueKeysWithValues: zip(header, cells)))
                lines.append(offset + 1)
            } else {
                columns = cells
            }
        }
        guard let columns else { throw PipelineError(file: path, message: "Codeliste ohne Kopfzeile.") }
        self.path = path
        self.columns = columns
        self.rows = rows
        self.lines = lines
    }

    /// Checks that the list has these columns.
    public func require(_ names: String...) throws(PipelineError) {
        for name in names where !columns.contains(name) {
            throw PipelineError(file: path, line: nil, message: "Spalte „\(name)“ fehlt in der Codeliste.")
        }
    }

    /// A map from one column to a value built from the row; duplicate keys are an error.
    public func map<Value>(key: String, normalise: (String) -> String = { $0 }, _ value: (_ row: [String: String], _ line: Int) throws(PipelineError) -> Value)
        throws(PipelineError) -> [String: Value]
    {
        var result: [String: Value] = [:]
        for (row, line) in zip(rows, lines) {
            let code = normalise(row[key] ?? "")
            if result[code] != nil {
                throw PipelineError(file: path, line: line, message: "Code „\(code)“ kommt mehrfach vor.")
            }
            result[code] = try value(row, line)
        }
        return result
    }
}
