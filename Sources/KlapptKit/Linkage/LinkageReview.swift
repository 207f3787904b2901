import Foundation
import KlapptFormats

/// The review list of probabilistic linkage and the coordinator's decisions on it (SPEC 4.1 v3;
/// handbook, section 8b).
///
/// Pairs whose match probability lies in the review band are written to
/// `quarantaene/<P>/pruefpaare.csv` (personal data: 0600, local, never published): two rows per
/// pair, the records as the partners wrote them, side by side, and a column `entscheidung` for
/// `gleich` or `verschieden`. Each row names its record by `satz`, the first 16 hex characters of
/// the record's keyed pseudonym (no name, no id): stable from quarter to quarter, so a decision
/// binds every later run that has both records. The pipeline file names the edited list
/// (`linkage_settings: {decisions: …}`); klappt reads only `paar`, `satz` and `entscheidung`.
public enum LinkageReview {
    /// The record's reference in the list: the first 64 bits of its record pseudonym, as hex.
    public static func satz(_ pseudonym: PersonPseudonym) -> String {
        let hex = String(pseudonym.words.0, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The columns of the list; after them, the record's own fields.
    public static let columns = ["paar", "entscheidung", "wahrscheinlichkeit", "vergleich", "satz", "quelle", "datei", "zeile"]
    /// The record's own fields shown, by the canonical field they are mapped from.
    public static let shownFields: [(CanonicalField, String)] = [
        (.recordID, "kennung"), (.familyName, "familienname"), (.givenName, "vorname"), (.birthDate, "geburtsdatum"), (.sex, "geschlecht"),
        (.nationality, "staatsangehoerigkeit"), (.postcode, "plz"),
    ]

    /// One record of a listed pair.
    public struct Row: Sendable {
        public var satz: String
        public var source: String
        public var file: String
        public var line: Int
        /// The shown fields' values as delivered ("" where the source has none).
        public var values: [String]
    }

    /// One listed pair.
    public struct Pair: Sendable {
        public var probability: Double
        /// The fields' comparison in words ("Vorname: ähnlich, …").
        public var comparison: String
        public var first: Row
        public var second: Row
    }

    /// The list's text (UTF-8 with BOM, `;`, as the coordinator's spreadsheet opens it).
    public static func text(_ pairs: [Pair]) -> String {
        var writer = CSVWriter(neutralisesFormulas: false)
        writer.writeRow(columns + shownFields.map(\.1))
        for (number, pair) in pairs.enumerated() {
            let probability = String(format: "%.3f", pair.probability).replacingOccurrences(of: ".", with: ",")
            for row in [pair.first, pair.second] {
                writer.writeRow(
                    [String(number + 1), "", probability, pair.comparison, row.satz, row.source, row.file, String(row.line)] + row.values)
            }
        }
        return writer.text
    }

    /// A decided pair: the two records' `satz`, and whether they are one person.
    public struct Decision: Sendable, Equatable {
        public var first: String
        public var second: String
        public var same: Bool
    }

    /// Reads the decisions of an edited review list: pairs whose `entscheidung` says `gleich` or
    /// `verschieden` (in either of its two rows); undecided pairs are skipped. A value other than
    /// those, or a pair that does not have two rows, is an error naming file, line and field.
    public static func decisions(path: String) throws(KlapptError) -> [Decision] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .inputUnreadable(path: path, reason: "Entscheidungsdatei") }
        guard var text = String(data: data, encoding: .utf8) else {
            throw .inputFormat(FormatError(.malformed, file: path, message: "Die Entscheidungsdatei ist kein UTF-8-Text (bitte als CSV UTF-8 speichern)."))
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
        guard let header = lines.first.map(cells) else { return [] }
        let delimiterHeader = header.map { $0.lowercased() }
        guard let pairColumn = delimiterHeader.firstIndex(of: "paar"), let satzColumn = delimiterHeader.firstIndex(of: "satz"),
            let decisionColumn = delimiterHeader.firstIndex(of: "entscheidung")
        else {
            throw .inputFormat(
                FormatError(
                    .malformed, file: path, line: 1,
                    message: "Die Entscheidungsdatei braucht die Spalten „paar“, „satz“ und „entscheidung“ (wie klappt sie in pruefpaare.csv schreibt)."))
        }
        var rows: [String: [(satz: String, decision: String, line: Int)]] = [:]
        var order: [String] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let values = cells(line)
            func value(_ column: Int) -> String { column < values.count ? values[column].trimmingCharacters(in: .whitespaces) : "" }
            let pair = value(pairColumn)
            if rows[pair] == nil { order.append(pair) }
            rows[pair, default: []].append((value(satzColumn), value(decisionColumn).lowercased(), index + 1))
        }
        var result: [Decision] = []
        for pair in order {
            let members = rows[pair]!
            let decided = members.filter { !$0.decision.isEmpty }
            guard !decided.isEmpty else { continue }
            for member in decided where member.decision != "gleich" && member.decision != "verschieden" {
                throw .inputFormat(
                    FormatError(
                        .malformed, file: path, line: member.line, field: "entscheidung",
                        message: "Die Entscheidung muss „gleich“ oder „verschieden“ lauten (oder leer bleiben)."))
            }
            guard members.count == 2, Set(decided.map(\.decision)).count == 1,
                members.allSatisfy({ $0.satz.count == 16 && $0.satz.allSatisfy(\.isHexDigit) })
            else {
                throw .inputFormat(
                    FormatError(
                        .malformed, file: path, line: members[0].line, field: "paar",
                        message:
                            "Paar \(pair) hat nicht genau zwei Zeilen mit je einem Satz aus 16 Hex-Zeichen und einer Entscheidung; bitte die Zeilen aus pruefpaare.csv unverändert lassen."
                    ))
            }
            result.append(Decision(first: members[0].satz.lowercased(), second: members[1].satz.lowercased(), same: decided[0].decision == "gleich"))
        }
        return result
    }

    /// The cells of one line of a `;`-separated list, quotes honoured.
    static func cells(_ line: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            current.append("\"")
                        } else {
                            quoted = false
                            if next == ";" {
                                result.append(current)
                                current = ""
                            } else {
                                current.append(next)
                            }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" && current.isEmpty {
                quoted = true
            } else if character == ";" {
                result.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        result.append(current)
        return result
    }
}
