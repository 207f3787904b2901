import CXLSXWriter
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `bericht_<period>.xlsx` (SPEC 11), written with libxlsxwriter: one sheet per section, counts as
/// numbers, `*` as text with the legend under every table, codes (AGS, ISO) as text, frozen header
/// rows, column widths that fit, number formats that German Excel shows as `1.234` and `12,3 %`,
/// native charts, A4 landscape with repeated header rows, and the document's properties.
///
/// A chart cannot draw `*`: each chart reads a small block of its own under the tables, where a
/// withheld value is an empty cell (a gap in a line, nothing in a bar).
public enum ReportWorkbook {
    public static func render(_ report: FundingReport) throws(KlapptError) -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("klappt-bericht-\(UUID().uuidString).xlsx").path
        defer { unlink(path) }
        guard let workbook = workbook_new(path) else { throw .outputNotWritable("Arbeitsmappe: libxlsxwriter konnte „\(path)“ nicht anlegen.") }
        var writer = Writer(workbook: workbook)
        writer.properties(report)
        var names: Set<String> = []
        for section in report.sections {
            // Excel compares sheet names without case; a second section of the same name gets a number.
            var name = sheetName(section.title)
            var number = 2
            while names.contains(name.lowercased()) {
                name = sheetName(String(section.title.prefix(27))) + " (\(number))"
                number += 1
            }
            names.insert(name.lowercased())
            writer.add(section, sheet: name, report: report)
        }
        let status = workbook_close(workbook)
        guard status == LXW_NO_ERROR else {
            throw .outputNotWritable("Arbeitsmappe: \(String(cString: lxw_strerror(status)))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .outputNotWritable("Arbeitsmappe „\(path)“ nicht lesbar.") }
        return [UInt8](data)
    }

    /// Excel's rules for sheet names: at most 31 characters, none of `[]:*?/\`.
    static func sheetName(_ title: String) -> String {
        String(title.filter { !"[]:*?/\\".contains($0) }.prefix(31))
    }

    struct Writer {
        let workbook: UnsafeMutablePointer<lxw_workbook>
        var formats: [String: UnsafeMutablePointer<lxw_format>] = [:]

        init(workbook: UnsafeMutablePointer<lxw_workbook>) { self.workbook = workbook }

        enum Style: String {
            case title, subtitle, text, caption, headerText, headerNumber, note, count, suppressed, none, percent, change, chartHeader
            /// Wrapped text at the top of its cell: paragraphs, definitions; and notes.
            case paragraph, noteParagraph, definitionTerm
        }

        /// The cell format of a style, made once per workbook (bold for a total row).
        mutating func format(_ style: Style, total: Bool = false) -> UnsafeMutablePointer<lxw_format> {
            let key = "\(style.rawValue)\(total ? "+" : "")"
            if let format = formats[key] { return format }
            let format = workbook_add_format(workbook)!
            switch style {
            case .title:
                format_set_bold(format)
                format_set_font_size(format, 15)
            case .subtitle:
                format_set_font_size(format, 11)
                format_set_font_color(format, 0x444444)
            case .text: break
            case .caption:
                format_set_bold(format)
                format_set_font_size(format, 11)
            case .headerText, .headerNumber, .chartHeader:
                format_set_bold(format)
                format_set_text_wrap(format)
                format_set_align(format, UInt8(LXW_ALIGN_VERTICAL_BOTTOM.rawValue))
                format_set_bottom(format, UInt8(LXW_BORDER_MEDIUM.rawValue))
                if style == .headerNumber || style == .chartHeader { format_set_align(format, UInt8(LXW_ALIGN_RIGHT.rawValue)) }
                if style == .chartHeader { format_set_font_color(format, 0x555555) }
            case .note, .noteParagraph:
                format_set_italic(format)
                format_set_font_color(format, 0x444444)
                if style == .noteParagraph {
                    format_set_text_wrap(format)
                    format_set_align(format, UInt8(LXW_ALIGN_VERTICAL_TOP.rawValue))
                }
            case .paragraph:
                format_set_text_wrap(format)
                format_set_align(format, UInt8(LXW_ALIGN_VERTICAL_TOP.rawValue))
            case .definitionTerm:
                format_set_bold(format)
                format_set_align(format, UInt8(LXW_ALIGN_VERTICAL_TOP.rawValue))
            case .count: format_set_num_format(format, "#,##0")
            case .suppressed, .none: format_set_align(format, UInt8(LXW_ALIGN_RIGHT.rawValue))
            case .percent: format_set_num_format(format, "0.0%")
            case .change: format_set_num_format(format, "+#,##0;-#,##0;0")
            }
            if style == .suppressed { format_set_font_color(format, 0x8A1C00) }
            if total {
                format_set_bold(format)
                format_set_top(format, UInt8(LXW_BORDER_THIN.rawValue))
            }
            formats[key] = format
            return format
        }

        func properties(_ report: FundingReport) {
            let strings = [
                report.title, "\(report.programme) – Quartal \(report.period)", "klappt \(report.version)", report.district,
                "Förderbericht", "Stichtag \(report.referenceDate); aus veröffentlichten Werten, gesperrte Zellen als *.",
            ].map { text in text.withCString { strdup($0)! } }
            defer { for string in strings { free(string) } }
            var properties = lxw_doc_properties()
            properties.title = strings[0]
            properties.subject = strings[1]
            properties.author = strings[2]
            properties.company = strings[3]
            properties.category = strings[4]
            properties.comments = strings[5]
            // The run's end, not the moment of writing: the same run gives the same workbook.
            properties.created = ReportWorkbook.epochSeconds(report.madeTimestamp)
            workbook_set_properties(workbook, &properties)
        }

        /// The columns of a sheet, sized before anything is written (issue 23): a text column as wide
        /// as its longest text (at most `limit`), a number column as wide as its header allows.
        /// Widths only grow: a later, narrower use never cuts an earlier text.
        struct Columns {
            var widths: [Int: Double] = [:]

            mutating func text(_ column: Int, _ text: String, limit: Double = 60) {
                widths[column] = max(widths[column] ?? 8, min(Double(text.count) * 1.1 + 2, limit))
            }

            mutating func number(_ column: Int, header: String) {
                // Long headers wrap at spaces; the longest word must fit on its line.
                let word = header.split(separator: " ").map(\.count).max() ?? 0
                widths[column] = max(widths[column] ?? 0, min(max(Double(header.count) + 1, 10), 15), Double(word) + 2)
            }

            subscript(column: Int) -> Double { widths[column] ?? 8.43 }
            var last: Int { widths.keys.max() ?? 0 }

            /// The sizes a section's tables, charts' data blocks and definitions need.
            init(_ section: FundingReport.Section) {
                for table in section.tables {
                    for (column, header) in table.textHeaders.enumerated() { text(column, header, limit: 24) }
                    for (offset, header) in table.columns.enumerated() { number(table.textHeaders.count + offset, header: header) }
                    for row in table.rows { for (column, value) in row.texts.enumerated() { text(column, value) } }
                }
                for chart in section.charts {
                    text(0, chart.categoryTitle, limit: 24)
                    for category in chart.categories { text(0, category) }
                    for (position, series) in chart.series.enumerated() { number(position + 1, header: series.name) }
                }
                for definition in section.definitions { text(0, definition.term, limit: 40) }
            }
        }

        /// Lines a text needs in a cell `width` characters wide, wrapped at spaces.
        static func lines(_ text: String, width: Double) -> Int {
            let capacity = max(1, Int(width) - 1)
            var lines = 1
            var used = 0
            for word in text.split(separator: " ", omittingEmptySubsequences: false).map(\.count) {
                let needed = used == 0 ? word : used + 1 + word
                if needed <= capacity {
                    used = needed
                } else {
                    lines += used == 0 ? 0 : 1
                    lines += max(0, (word - 1) / capacity)
                    used = word % capacity == 0 ? capacity : word % capacity
                }
            }
            return lines
        }

        /// A header row as high as its longest wrapped header.
        func sizeHeaderRow(_ sheet: UnsafeMutablePointer<lxw_worksheet>, _ row: UInt32, _ headers: [(column: Int, text: String)], _ columns: Columns) {
            let lines = headers.map { Writer.lines($0.text, width: columns[$0.column] - 1) }.max() ?? 1
            worksheet_set_row(sheet, row, max(30, Double(lines) * 14 + 4), nil)
        }

        /// A paragraph or a note: wrapped across the sheet's columns from `first` (at least
        /// `minimum` characters wide), its row as high as its lines, so that it prints at the
        /// tables' scale instead of widening the page (issue 23).
        mutating func writeWrapped(
            _ sheet: UnsafeMutablePointer<lxw_worksheet>, _ row: UInt32, from first: Int, _ text: String, _ style: Style, columns: Columns,
            minimum: Double = 100
        ) {
            // Across the tables' columns, and on into empty ones until the text has room.
            var last = max(columns.last, first)
            var width = (first...last).reduce(0) { $0 + columns[$1] }
            while width < minimum {
                last += 1
                width += columns[last]
            }
            let format = format(style)
            if last > first {
                worksheet_merge_range(sheet, row, UInt16(first), row, UInt16(last), text, format)
            } else {
                write(sheet, row, UInt16(first), text, format)
            }
            worksheet_set_row(sheet, row, Double(Writer.lines(text, width: width)) * 15, nil)
        }

        mutating func add(_ section: FundingReport.Section, sheet name: String, report: FundingReport) {
            guard let sheet = workbook_add_worksheet(workbook, name) else { return }
            worksheet_set_landscape(sheet)
            worksheet_set_paper(sheet, 9)  // A4
            worksheet_fit_to_pages(sheet, 1, 0)
            worksheet_set_margins(sheet, 0.5, 0.5, 0.6, 0.6)
            let columns = Columns(section)
            var row: UInt32 = 0
            write(sheet, row, 0, report.title, format(.title))
            row += 1
            write(sheet, row, 0, "\(report.programme)\(report.district.isEmpty ? "" : " · " + report.district)", format(.subtitle))
            row += 1
            write(
                sheet, row, 0, "Zeitraum \(report.period) · Stichtag \(report.referenceDate) · erstellt \(report.made) · klappt \(report.version)",
                format(.subtitle))
            row += 2
            write(sheet, row, 0, section.title, format(.caption))
            row += 1
            for paragraph in section.paragraphs {
                writeWrapped(sheet, row, from: 0, paragraph, .paragraph, columns: columns)
                row += 1
            }
            if !section.paragraphs.isEmpty { row += 1 }
            var firstHeader: UInt32?
            for table in section.tables {
                write(sheet, row, 0, table.caption, format(.caption))
                row += 1
                var column: UInt16 = 0
                var headers: [(column: Int, text: String)] = []
                for header in table.textHeaders {
                    write(sheet, row, column, header, format(.headerText))
                    headers.append((Int(column), header))
                    column += 1
                }
                for header in table.columns {
                    write(sheet, row, column, header, format(.headerNumber))
                    headers.append((Int(column), header))
                    column += 1
                }
                sizeHeaderRow(sheet, row, headers, columns)
                if firstHeader == nil { firstHeader = row }
                row += 1
                for line in table.rows {
                    var column: UInt16 = 0
                    for text in line.texts {
                        write(sheet, row, column, text, format(.text, total: line.isTotal))
                        column += 1
                    }
                    for figure in line.figures {
                        switch figure {
                        case .count(let value): worksheet_write_number(sheet, row, column, Double(value), format(.count, total: line.isTotal))
                        case .percent(let value): worksheet_write_number(sheet, row, column, value / 100, format(.percent, total: line.isTotal))
                        case .change(let value): worksheet_write_number(sheet, row, column, Double(value), format(.change, total: line.isTotal))
                        case .suppressed: write(sheet, row, column, "*", format(.suppressed, total: line.isTotal))
                        case .none: write(sheet, row, column, "–", format(.none, total: line.isTotal))
                        }
                        column += 1
                    }
                    row += 1
                }
                for note in table.notes {
                    writeWrapped(sheet, row, from: 0, note, .noteParagraph, columns: columns)
                    row += 1
                }
                row += 1
            }
            for definition in section.definitions {
                write(sheet, row, 0, definition.term, format(.definitionTerm))
                // Beside its term, across the next columns (as wide as a paragraph in all).
                writeWrapped(sheet, row, from: 1, definition.text, .paragraph, columns: columns, minimum: 110 - columns[0])
                row += 1
            }
            // Charts: each reads its own block (a withheld value is an empty cell), drawn below it,
            // and starts a printed page of its own (a chart cut by a page break is hard to read).
            var pageBreaks: [lxw_row_t] = []
            for chart in section.charts {
                row += 1
                pageBreaks.append(row)
                let blockNote =
                    chart.withheldSeries == nil
                    ? "Werte für das Diagramm „\(chart.title)“ (gesperrte Werte als Lücke; die Tabelle oben zeigt *)"
                    : "Werte für das Diagramm „\(chart.title)“ (gesperrte Werte als Lücke; „\(FundingReport.withheldPart)“ ist ihre Summe je Zeile, aus veröffentlichten Zahlen; die Tabelle oben zeigt *)"
                writeWrapped(sheet, row, from: 0, blockNote, .noteParagraph, columns: columns)
                row += 1
                for note in chart.notes {
                    writeWrapped(sheet, row, from: 0, note, .noteParagraph, columns: columns)
                    row += 1
                }
                let headerRow = row
                write(sheet, row, 0, chart.categoryTitle, format(.chartHeader))
                var headers: [(column: Int, text: String)] = [(0, chart.categoryTitle)]
                for (position, series) in chart.series.enumerated() {
                    write(sheet, row, UInt16(position + 1), series.name, format(.chartHeader))
                    headers.append((position + 1, series.name))
                }
                sizeHeaderRow(sheet, row, headers, columns)
                row += 1
                let firstRow = row
                for (index, category) in chart.categories.enumerated() {
                    write(sheet, row, 0, category, format(.text))
                    for (position, series) in chart.series.enumerated() {
                        if let value = series.values[index] {
                            worksheet_write_number(sheet, row, UInt16(position + 1), value, format(.count))
                        }
                    }
                    row += 1
                }
                let lastRow = row - 1
                row += 1
                let type = chart.kind == .line ? LXW_CHART_LINE : LXW_CHART_BAR_STACKED
                guard let excelChart = workbook_add_chart(workbook, UInt8(type.rawValue)) else { continue }
                chart_title_set_name(excelChart, chart.title)
                chart_legend_set_position(excelChart, UInt8(LXW_CHART_LEGEND_BOTTOM.rawValue))
                chart_show_blanks_as(excelChart, UInt8(LXW_CHART_BLANKS_AS_GAP.rawValue))
                if chart.kind == .stackedBars {
                    // A bar chart's x axis is the horizontal value axis; the categories run down
                    // the y axis, first at the top as in the table.
                    chart_axis_set_num_format(excelChart.pointee.x_axis, "#,##0")
                    chart_axis_set_reverse(excelChart.pointee.y_axis)
                } else {
                    chart_axis_set_num_format(excelChart.pointee.y_axis, "#,##0")
                }
                for (position, _) in chart.series.enumerated() {
                    guard let series = chart_add_series(excelChart, nil, nil) else { continue }
                    let column = UInt16(position + 1)
                    chart_series_set_categories(series, name, firstRow, 0, lastRow, 0)
                    chart_series_set_values(series, name, firstRow, column, lastRow, column)
                    chart_series_set_name_range(series, name, headerRow, column)
                    let colour = UInt32(SVGChart.palette[position % SVGChart.palette.count].dropFirst(), radix: 16) ?? 0
                    if position == chart.withheldSeries {
                        // The withheld remainder: hatched grey, as on the page.
                        var pattern = lxw_chart_pattern()
                        pattern.type = UInt8(LXW_CHART_PATTERN_WIDE_UPWARD_DIAGONAL.rawValue)
                        pattern.fg_color = 0x666666
                        pattern.bg_color = 0xFFFFFF
                        chart_series_set_pattern(series, &pattern)
                    } else if chart.kind == .line {
                        var line = lxw_chart_line()
                        line.color = colour
                        line.width = 2.25
                        chart_series_set_line(series, &line)
                        chart_series_set_marker_type(series, UInt8(LXW_CHART_MARKER_CIRCLE.rawValue))
                        var fill = lxw_chart_fill()
                        fill.color = colour
                        chart_series_set_marker_fill(series, &fill)
                        chart_series_set_marker_line(series, &line)
                    } else {
                        var fill = lxw_chart_fill()
                        fill.color = colour
                        chart_series_set_fill(series, &fill)
                    }
                }
                var options = lxw_chart_options()
                options.x_scale = 1.6
                options.y_scale = chart.kind == .line ? 1.3 : max(1.3, Double(chart.categories.count) * 0.11)
                options.object_position = UInt8(LXW_OBJECT_MOVE_DONT_SIZE.rawValue)
                worksheet_insert_chart_opt(sheet, row, 0, excelChart, &options)
                row += UInt32(chart.kind == .line ? 22 : Int(max(22, Double(chart.categories.count) * 1.8)))
            }
            if !pageBreaks.isEmpty {
                var breaks = pageBreaks + [0]
                worksheet_set_h_pagebreaks(sheet, &breaks)
            }
            for (column, width) in columns.widths.sorted(by: { $0.key < $1.key }) {
                worksheet_set_column(sheet, UInt16(column), UInt16(column), width, nil)
            }
            // Header rows stay in view (one-table sections). They are repeated on every printed page
            // only where the table is all the sheet prints: a chart's data block starts a page of
            // its own, with other columns, and the table's header above it would mislabel them.
            if let firstHeader, section.tables.count == 1 {
                worksheet_freeze_panes(sheet, firstHeader + 1, 1)
                if section.charts.isEmpty { worksheet_repeat_rows(sheet, firstHeader, firstHeader) }
            }
            if section.id == report.sections.first?.id { worksheet_activate(sheet) }
        }

        func write(_ sheet: UnsafeMutablePointer<lxw_worksheet>, _ row: UInt32, _ column: UInt16, _ text: String, _ format: UnsafeMutablePointer<lxw_format>) {
            worksheet_write_string(sheet, row, column, text, format)
        }
    }

    /// Seconds since 1970 of an ISO timestamp `2026-11-27T09:03:43Z` (0 when it is not one:
    /// libxlsxwriter then takes the current time).
    static func epochSeconds(_ timestamp: String) -> time_t {
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: timestamp) else { return 0 }
        return time_t(date.timeIntervalSince1970)
    }
}
