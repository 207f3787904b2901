/// `bericht_<period>.html` (SPEC 11): one self-contained German page: inline CSS with a print
/// stylesheet for A4, the charts as inline SVG, no script and no external resource; tables with
/// captions, header cells with scope, repeated header rows on every printed page.
public enum ReportPage {
    static let style = """
        :root { color-scheme: light; }
        body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 14px; color: #1a1a1a; margin: 2rem auto; max-width: 1280px; padding: 0 1rem; line-height: 1.45; }
        header { border-bottom: 3px solid #0072B2; margin-bottom: 1.5rem; }
        h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
        h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
        .meta { display: flex; flex-wrap: wrap; gap: .3rem 2rem; margin: .4rem 0 1rem; padding: 0; list-style: none; color: #333; }
        .meta li span { color: #555; }
        nav ol { columns: 2; margin: .5rem 0; }
        .tabelle { overflow-x: auto; max-width: 100%; }
        .tabelle table { max-width: 100%; }
        table { border-collapse: collapse; margin: .6rem 0 .3rem; font-variant-numeric: tabular-nums; }
        caption { text-align: left; font-weight: bold; padding: .3rem 0; }
        th, td { border-bottom: 1px solid #ddd; padding: .25rem .35rem; vertical-align: bottom; }
        thead th { border-bottom: 2px solid #555; font-weight: bold; text-align: right; font-size: .82rem; hyphens: auto; }
        thead th.text, th[scope=row], td.text { text-align: left; }
        td.zahl { text-align: right; white-space: nowrap; }
        th[scope=row] { font-weight: normal; }
        tr.summe th, tr.summe td { font-weight: bold; border-top: 2px solid #555; }
        td.gesperrt { color: #8a1c00; }
        .hinweis { font-size: .85rem; color: #444; margin: .2rem 0 1rem; }
        .legende-box { background: #f3f7fb; border-left: 4px solid #0072B2; padding: .5rem .8rem; }
        svg.diagramm { max-width: 100%; height: auto; display: block; margin: .8rem 0; }
        svg .achse, svg .legende { font: 11px "DejaVu Sans", Arial, sans-serif; fill: #333; }
        svg .gitter { stroke: #e3e3e3; stroke-width: 1; }
        svg .achsenlinie { stroke: #555; stroke-width: 1; }
        dl { margin: .5rem 0; } dt { font-weight: bold; margin-top: .5rem; } dd { margin: 0 0 0 1.5rem; }
        footer { margin-top: 2rem; font-size: .8rem; color: #555; }
        @page { size: A4 landscape; margin: 12mm; }
        @media print {
          body { margin: 0; max-width: none; font-size: 9pt; }
          nav { display: none; }
          .tabelle { overflow: visible; }
          h2, dt { break-after: avoid; }
          dd { break-before: avoid; }
          section { break-before: page; }
          section:first-of-type { break-before: auto; }
          table { break-inside: auto; font-size: 8pt; }
          thead { display: table-header-group; }
          tr, svg.diagramm { break-inside: avoid; }
          th, td { padding: .12rem .3rem; }
        }
        """

    public static func render(_ report: FundingReport) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="de">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="klappt \(escape(report.version))">
            <title>\(escape(report.title)) – \(escape(report.programme))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            <header>
            <h1>\(escape(report.title))</h1>
            <p>\(escape(report.programme))\(report.district.isEmpty ? "" : " · " + escape(report.district))</p>
            <ul class="meta">
            <li><span>Zeitraum:</span> \(escape(report.period))</li>
            <li><span>Stichtag:</span> \(escape(report.referenceDate))</li>
            <li><span>Erstellt:</span> \(escape(report.made))</li>
            <li><span>klappt</span> \(escape(report.version))</li>
            </ul>
            <p class="legende-box">\(escape(report.legend))</p>
            </header>
            <nav aria-label="Inhalt"><ol>
            """
        for section in report.sections { html += "<li><a href=\"#\(section.id)\">\(escape(section.title))</a></li>" }
        html += "</ol></nav>\n<main>\n"
        for section in report.sections {
            html += "<section id=\"\(section.id)\" aria-labelledby=\"\(section.id)-titel\">\n<h2 id=\"\(section.id)-titel\">\(escape(section.title))</h2>\n"
            for paragraph in section.paragraphs { html += "<p>\(escape(paragraph))</p>\n" }
            for chart in section.charts {
                html += SVGChart.render(chart) + "\n"
                for note in chart.notes { html += "<p class=\"hinweis\">\(escape(note))</p>\n" }
            }
            for table in section.tables { html += render(table) }
            if !section.definitions.isEmpty {
                html += "<dl>\n"
                for definition in section.definitions { html += "<dt>\(escape(definition.term))</dt><dd>\(escape(definition.text))</dd>\n" }
                html += "</dl>\n"
            }
            html += "</section>\n"
        }
        html += """
            </main>
            <footer>Erstellt von klappt \(escape(report.version)) aus den veröffentlichten Werten des Quartals \(escape(report.period)) \
            (Lauf beendet \(escape(report.madeTimestamp))). Keine Angabe zu einzelnen Personen.</footer>
            </body>
            </html>

            """
        return html
    }

    static func render(_ table: FundingReport.Table) -> String {
        var html = "<div class=\"tabelle\"><table id=\"\(table.id)\">\n<caption>\(escape(table.caption))</caption>\n<thead><tr>"
        for header in table.textHeaders { html += "<th scope=\"col\" class=\"text\">\(escape(header))</th>" }
        for column in table.columns { html += "<th scope=\"col\">\(escape(column))</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            html += row.isTotal ? "<tr class=\"summe\">" : "<tr>"
            for (position, text) in row.texts.enumerated() {
                html += position == 0 ? "<th scope=\"row\">\(escape(text))</th>" : "<td class=\"text\">\(escape(text))</td>"
            }
            for figure in row.figures {
                let text = GermanNumber.text(figure)
                html += figure == .suppressed ? "<td class=\"zahl gesperrt\">\(text)</td>" : "<td class=\"zahl\">\(escape(text))</td>"
            }
            html += "</tr>\n"
        }
        html += "</tbody>\n</table></div>\n"
        for note in table.notes { html += "<p class=\"hinweis\">\(escape(note))</p>\n" }
        return html
    }

    static func escape(_ text: String) -> String { SVGChart.escape(text) }
}
