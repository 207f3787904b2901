import Foundation

/// Writes delimiter-separated text the way German spreadsheet software reads it: UTF-8 with a
/// byte-order mark, `;`, CRLF, and quoting only where needed.
///
/// Every cell is made safe against formula injection (OWASP "CSV injection"): a value that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe, so a spreadsheet
/// shows it as text instead of evaluating it.
public struct CSVWriter: Sendable {
    public var delimiter: Character
    /// Whether cells that could start a formula get a leading apostrophe. Off only for files that
    /// must keep values exactly as delivered (the local quarantine, made for correcting at the
    /// source and delivering again).
    public var neutralisesFormulas: Bool
    public private(set) var text: String

    public init(delimiter: Character = ";", byteOrderMark: Bool = true, neutralisesFormulas: Bool = true) {
        self.delimiter = delimiter
        self.neutralisesFormulas = neutralisesFormulas
        self.text = byteOrderMark ? "\u{FEFF}" : ""
    }

    public mutating func writeRow(_ cells: [String]) {
        var first = true
        for cell in cells {
            if !first { text.append(delimiter) }
            first = false
            text += Self.escape(cell, delimiter: delimiter, neutralisingFormulas: neutralisesFormulas)
        }
        text += "\r\n"
    }

    /// The cell as written: neutralised against formulas, then quoted when it holds the delimiter,
    /// a quote or a line break.
    public static func escape(_ value: String, delimiter: Character = ";", neutralisingFormulas: Bool = true) -> String {
        var cell = value
        if neutralisingFormulas, let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            cell = "'" + cell
        }
        let delimiterByte = delimiter.asciiValue
        let needsQuotes =
            delimiterByte == nil
            ? cell.contains(delimiter) || cell.utf8.contains { $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
            : cell.utf8.contains { $0 == delimiterByte! || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        if needsQuotes {
            return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return cell
    }
}
