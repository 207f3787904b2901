import Foundation
import KlapptFormats

/// Finds the header row of a list with a header row (CSV, workbooks): the first of its first
/// `searchedRows` rows that names every required column of the source, or the row the pipeline
/// pins (`header_row:`). Office software leaves title lines above the header ("Jobcenter Kreis
/// Unna – Teilnehmende", "Stand: 30.09.2026", an empty line); they are not records.
///
/// When no row qualifies, the message never quotes a row that may be a record (handbook,
/// section 7c): a row is shown by its cells only when it is recognisably a header
/// (it names at least half of the required columns, exactly or nearly), and otherwise described
/// by its shape ("14 Werte, darunter 3 Datumsangaben").
struct HeaderSearch {
    /// How many rows with a value are searched for the header.
    static let searchedRows = 20

    /// A candidate row: the line (or sheet row) it begins on and its cells, trimmed.
    struct Row {
        var line: Int
        var cells: [String]
    }

    let spec: SourceSpec
    /// The format's option key, for messages (`csv`, `xlsx`).
    let optionKey: String
    /// A CSV source's delimiter (nil for a workbook).
    let delimiter: UInt8?
    let path: String
    let sheet: String?

    /// Required column names of the pipeline (in canonical order).
    var requiredNames: [String] {
        CanonicalField.allCases.compactMap { field in spec.optional.contains(field) ? nil : spec.fields[field] }
    }

    /// The index in `rows` of the header, or the error that explains why there is none.
    /// `pinned`: the row the pipeline names; `rows` then must reach it.
    func find(in rows: [Row], pinned: Int?) throws(KlapptError) -> Int {
        if let pinned {
            guard let index = rows.firstIndex(where: { $0.line == pinned }) else {
                throw KlapptError.inputFormat(
                    FormatError(
                        .malformed, file: path, sheet: sheet, line: pinned,
                        message:
                            "Laut \(optionKey).header_row der Quelle „\(spec.id)“ steht die Kopfzeile in Zeile \(pinned), dort steht aber keine Zeile mit Werten. Bitte die Angabe in der Pipeline-Datei prüfen."
                    ))
            }
            _ = try columns(of: rows[index], pinnedBy: true)
            return index
        }
        if let index = rows.firstIndex(where: holdsEveryRequiredColumn) { return index }
        guard let first = rows.first else {
            throw KlapptError.inputFormat(
                FormatError(
                    .truncated, file: path, sheet: sheet, line: 1,
                    message: "Die Datei ist leer: keine Kopfzeile gefunden. Bitte beim Absender die Liste neu anfordern."))
        }
        // The row most like a header explains what is missing, if it is recognisably one.
        let best = rows.max { score($0) < score($1) }!
        // A header cut with another delimiter is one cell; its message names the delimiters only.
        let oneCell = best.cells.filter { !$0.isEmpty }.count == 1 && best.cells.count == 1
        if score(best) * 2 >= max(1, requiredNames.count) || (oneCell && score(best) > 0) {
            _ = try columns(of: best, pinnedBy: false)
        }
        throw KlapptError.inputFormat(
            FormatError(
                .malformed, file: path, sheet: sheet, line: first.line,
                message:
                    "Keine der ersten \(Self.searchedRows) Zeilen ist eine Kopfzeile mit den Pflichtspalten \(requiredNames.map { "„\($0)“" }.joined(separator: ", ")). \(Self.shape(of: first)) Bitte beim Absender einen Export mit Kopfzeile anfordern. Steht die Kopfzeile weiter unten, ihre Zeile als \(optionKey).header_row der Quelle „\(spec.id)“ in der Pipeline-Datei angeben."
            ))
    }

    /// The columns of the mapped fields in `row`, or the missing-column error of a row that is a
    /// header (its cells are column names, never values).
    func columns(of row: Row, pinnedBy pinned: Bool) throws(KlapptError) -> [Int] {
        if pinned, score(row) * 2 < max(1, requiredNames.count) {
            throw KlapptError.inputFormat(
                FormatError(
                    .malformed, file: path, sheet: sheet, line: row.line,
                    message:
                        "Laut \(optionKey).header_row der Quelle „\(spec.id)“ ist Zeile \(row.line) die Kopfzeile, sie nennt aber kaum eine der Pflichtspalten \(requiredNames.map { "„\($0)“" }.joined(separator: ", ")). \(Self.shape(of: row)) Bitte die Angabe in der Pipeline-Datei prüfen."
                ))
        }
        return try CSVLayout.columns(of: row.cells, spec: spec, delimiter: delimiter, path: path, sheet: sheet, headerLine: row.line)
    }

    /// Whether `row` names every required column (case-insensitive).
    func holdsEveryRequiredColumn(_ row: Row) -> Bool {
        let lowered = Set(row.cells.map { $0.lowercased() })
        return requiredNames.allSatisfy { lowered.contains($0.lowercased()) }
    }

    /// How many required columns `row` names exactly or nearly (a renamed column, a typo); a row
    /// that is one cell holding another delimiter is split by it first.
    func score(_ row: Row) -> Int {
        var cells = row.cells.filter { !$0.isEmpty }
        if cells.count == 1, let other = [",", ";", "\t", "|"].first(where: { cells[0].contains($0) }) {
            cells = cells[0].components(separatedBy: other).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let lowered = cells.map { $0.lowercased() }
        return requiredNames.filter { name in
            let wanted = name.lowercased()
            return lowered.contains { $0 == wanted || CSVLayout.editDistance($0, wanted) <= max(1, min(2, name.count / 4)) }
        }.count
    }

    /// A row described by its shape, never its values: how many values, how many of them dates
    /// and numbers.
    static func shape(of row: Row) -> String {
        let values = row.cells.filter { !$0.isEmpty }
        let dates = values.filter(looksLikeDate).count
        let numbers = values.filter { !looksLikeDate($0) && $0.contains(where: \.isNumber) && $0.allSatisfy { $0.isNumber || ".,-+ ".contains($0) } }.count
        var parts: [String] = []
        if dates > 0 { parts.append(dates == 1 ? "eine Datumsangabe" : "\(dates) Datumsangaben") }
        if numbers > 0 { parts.append(numbers == 1 ? "eine Zahl" : "\(numbers) Zahlen") }
        let counted = values.count == 1 ? "1 Wert" : "\(values.count) Werte"
        let detail = parts.isEmpty ? counted : "\(counted), darunter \(parts.joined(separator: " und "))"
        if dates > 0 || values.count >= 4 {
            return "Die erste Zeile (Zeile \(row.line)) sieht aus wie ein Datensatz (\(detail)): wahrscheinlich fehlt die Kopfzeile."
        }
        return "Zeile \(row.line) hat \(detail)."
    }

    /// `TT.MM.JJJJ`, `JJJJ-MM-TT` and the like: digits with two separators.
    static func looksLikeDate(_ text: String) -> Bool {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "." || $0 == "-" || $0 == "/" })
        guard parts.count == 3, text.count <= 10 else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.count <= 4 && part.allSatisfy { $0.isASCII && $0.isNumber } }
    }
}

/// A layout whose file has a header row, and where it was found (title lines above it are
/// skipped and reported).
protocol HeaderRowLayout {
    var headerLine: Int { get }
}
