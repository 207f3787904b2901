import Foundation
import ZIPFoundation

/// A workbook read back for tests: its XML parts, sheet names and cells (numbers and text).
public struct XLSXWorkbook {
    public enum Cell: Equatable, CustomStringConvertible {
        case number(Double)
        case text(String)

        public var description: String {
            switch self {
            case .number(let value): return value == value.rounded() ? String(Int(value)) : String(value)
            case .text(let text): return text
            }
        }
    }

    /// Every part of the zip as text (XML).
    public let parts: [String: String]
    public let sheetNames: [String]
    /// Sheet name -> rows (0-based) -> columns (0-based) -> cell.
    public let sheets: [String: [Int: [Int: Cell]]]

    public init(path: String) throws {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        var parts: [String: String] = [:]
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            parts[entry.path] = String(decoding: data, as: UTF8.self)
        }
        self.parts = parts
        let workbook = parts["xl/workbook.xml"] ?? ""
        sheetNames = XLSXWorkbook.matches(#"<sheet name="([^"]*)""#, in: workbook).map { XLSXWorkbook.unescape($0[1]) }
        let strings = XLSXWorkbook.matches(#"<si>(.*?)</si>"#, in: parts["xl/sharedStrings.xml"] ?? "").map { item in
            XLSXWorkbook.matches(#"<t[^>]*>(.*?)</t>"#, in: item[1]).map { XLSXWorkbook.unescape($0[1]) }.joined()
        }
        var sheets: [String: [Int: [Int: Cell]]] = [:]
        for (position, name) in sheetNames.enumerated() {
            var rows: [Int: [Int: Cell]] = [:]
            for match in XLSXWorkbook.matches(#"<c r="([A-Z]+)([0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)"#, in: parts["xl/worksheets/sheet\(position + 1).xml"] ?? "") {
                guard let value = XLSXWorkbook.matches(#"<v>(.*?)</v>"#, in: match[4]).first?[1] else { continue }
                let column = match[1].unicodeScalars.reduce(0) { $0 * 26 + Int($1.value) - 64 } - 1
                let row = Int(match[2])! - 1
                rows[row, default: [:]][column] = match[3].contains(#"t="s""#) ? .text(strings[Int(value)!]) : .number(Double(value)!)
            }
            sheets[name] = rows
        }
        self.sheets = sheets
    }

    /// The row of `sheet` whose first cell is `label` (the first such row at or after `from`).
    public func row(_ sheet: String, labelled label: String, from: Int = 0) -> (index: Int, cells: [Int: Cell])? {
        guard let rows = sheets[sheet] else { return nil }
        for index in rows.keys.sorted() where index >= from {
            if rows[index]?[0] == .text(label) { return (index, rows[index]!) }
        }
        return nil
    }

    public static func matches(_ pattern: String, in text: String) -> [[String]] {
        let expression = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).map { match in
            (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// The published long table `indikatoren_<period>.csv` as (indicator, dimension, category) -> `wert`.
public func publishedCSV(_ path: String) throws -> [String: String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var values: [String: String] = [:]
    for line in text.components(separatedBy: "\r\n").dropFirst() where !line.isEmpty {
        let cells = line.components(separatedBy: ";")
        values["\(cells[1])|\(cells[2])|\(cells[3])"] = cells[4]
    }
    return values
}

/// Writes `parts` as a zip archive (deflated), e.g. a workbook taken apart and changed.
public func writeZip(_ parts: [String: Data], to path: String) throws {
    try? FileManager.default.removeItem(atPath: path)
    let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
    for name in parts.keys.sorted() {
        let data = parts[name]!
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
}
