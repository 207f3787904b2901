import CXLSXWriter
import Foundation
import KlapptFormats
import KlapptKit

/// How the generator writes the lists of the job centre and the immigration office.
public enum SampleListFormat: String, Sendable, CaseIterable {
    /// The reference layouts of SPEC 2.2 and 2.5.
    case csv
    /// The same rows saved in Excel, as the partners really deliver them (issue 21).
    case xlsx
}

extension SampleGenerator {
    /// Columns a spreadsheet user would keep as dates, and as numbers.
    static let dateColumns: Set<String> = ["Geburtsdatum", "Status_seit", "Stand", "Zuzug"]
    static let numberColumns: Set<String> = ["PLZ", "Staatsangehoerigkeit", "AZR_Nummer"]

    /// Rewrites the CSV list `name` (under `directory`) as a workbook beside it, row for row, and
    /// removes the CSV: the expectation then names the workbook.
    ///
    /// The cells are typed as a list saved in Excel has them: a valid `TT.MM.JJJJ` in a date column
    /// becomes a date cell, a postcode, nationality key or AZR number of digits without a leading
    /// zero a number, everything else (the faulty values of the dirty rows among it) text, and an
    /// empty value no cell. So each row reads back as exactly the values of its CSV line, and the
    /// figures and per-file accounting are the CSV's. A second sheet holds notes, as real exports do.
    static func convertToWorkbook(_ file: Expectation.File, directory: String, constantMemory: Bool = false) throws -> Expectation.File {
        let csvPath = "\(directory)/\(file.file)"
        let name = String(file.file.dropLast(4)) + ".xlsx"
        let path = "\(directory)/\(name)"
        // The job centre's list is Windows-1252 (or UTF-8 with BOM), the register's UTF-8 without one.
        let isUTF8 = (try? String(contentsOfFile: csvPath, encoding: .utf8)) != nil
        let reader = try CSVReader(path: csvPath, options: CSVReader.Options(encoding: isUTF8 ? .utf8 : nil))
        let header = try reader.readHeader()

        var options = lxw_workbook_options()
        options.constant_memory = constantMemory ? UInt8(LXW_TRUE.rawValue) : UInt8(LXW_FALSE.rawValue)
        options.use_zip64 = UInt8(LXW_TRUE.rawValue)
        guard let workbook = workbook_new_opt(path, &options) else { throw KlapptError.outputNotWritable("\(path): Arbeitsmappe nicht anlegbar") }
        let sheetName = name.contains("register") ? "Register" : "Kunden"
        guard let sheet = workbook_add_worksheet(workbook, sheetName) else { throw KlapptError.outputNotWritable("\(path): Blatt nicht anlegbar") }
        let dateFormat = workbook_add_format(workbook)
        format_set_num_format(dateFormat, "dd.mm.yyyy")
        let bold = workbook_add_format(workbook)
        format_set_bold(bold)

        for (column, title) in header.enumerated() { worksheet_write_string(sheet, 0, lxw_col_t(column), title, bold) }
        let dates = Set(header.indices.filter { Self.dateColumns.contains(header[$0]) })
        let numbers = Set(header.indices.filter { Self.numberColumns.contains(header[$0]) })
        var row: lxw_row_t = 1
        while let record = try reader.next() {
            // An Excel sheet holds 1,048,576 rows (libxlsxwriter refuses more): never drop a row.
            guard row < LXW_ROW_MAX else {
                workbook_close(workbook)
                try? FileManager.default.removeItem(atPath: path)
                throw KlapptError.usage(
                    "„\(file.file)“ hat \(file.rowsRead) Zeilen; ein Excel-Tabellenblatt fasst höchstens \(LXW_ROW_MAX - 1) Datenzeilen. Weniger Personen wählen oder --format csv."
                )
            }
            for (column, value) in record.fields.enumerated() where !value.isEmpty {
                let col = lxw_col_t(column)
                let status: lxw_error
                if dates.contains(column), let date = exactGermanDate(value) {
                    var stamp = lxw_datetime(year: Int32(date.year), month: Int32(date.month), day: Int32(date.day), hour: 0, min: 0, sec: 0)
                    status = worksheet_write_datetime(sheet, row, col, &stamp, dateFormat)
                } else if numbers.contains(column), isPlainNumber(value) {
                    status = worksheet_write_number(sheet, row, col, Double(value)!, nil)
                } else {
                    status = worksheet_write_string(sheet, row, col, value, nil)
                }
                guard status == LXW_NO_ERROR else {
                    workbook_close(workbook)
                    throw KlapptError.outputNotWritable("\(path): Zeile \(row + 1), Spalte \(column + 1) nicht schreibbar (libxlsxwriter \(status.rawValue))")
                }
            }
            row += 1
        }
        worksheet_freeze_panes(sheet, 1, 0)

        let notes = workbook_add_worksheet(workbook, "Hinweise")
        let lines = [
            "Synthetischer Export (klappt samples): erfundene Personen, keine echten Daten.",
            "Erstellt für den Zeitraum \(name.split(separator: "_").last.map { String($0.dropLast(5)) } ?? ""): \(Int(row) - 1) Zeilen.",
            "Datumsfelder sind Datumszellen, Postleitzahlen und Schlüssel ohne führende Null Zahlen.",
        ]
        for (index, line) in lines.enumerated() { worksheet_write_string(notes, lxw_row_t(index), 0, line, nil) }
        worksheet_set_column(notes, 0, 0, 90, nil)

        guard workbook_close(workbook) == LXW_NO_ERROR else { throw KlapptError.outputNotWritable("\(path): Arbeitsmappe nicht schreibbar") }
        try FileManager.default.removeItem(atPath: csvPath)
        var converted = file
        converted.file = name
        return converted
    }

    /// `TT.MM.JJJJ` exactly, a real date that Excel's 1900 system can hold as a date cell.
    static func exactGermanDate(_ text: String) -> (year: Int, month: Int, day: Int)? {
        guard let date = DateFormat("TT.MM.JJJJ")!.parse(text), date.year >= 1900 else { return nil }
        // The date must read back to the same text (no other spelling of it).
        let iso = date.iso
        let german = "\(iso.dropFirst(8)).\(iso.dropFirst(5).prefix(2)).\(iso.prefix(4))"
        return german == text && !(date.year == 1900 && date.month <= 2) ? (date.year, date.month, date.day) : nil
    }

    /// Digits without a leading zero (so that the number reads back as the same text).
    static func isPlainNumber(_ text: String) -> Bool {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.count <= 15 else { return false }
        return text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
