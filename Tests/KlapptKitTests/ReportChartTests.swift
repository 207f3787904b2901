import Foundation
import Testing

@testable import KlapptKit

/// The report's small chart module and its figures: German numbers, nice scales, gaps for `*`,
/// and shares and changes that turn into `*` when they would need a withheld value.
@Suite struct ReportChartTests {
    @Test func germanNumbers() {
        #expect(GermanNumber.count(0) == "0")
        #expect(GermanNumber.count(999) == "999")
        #expect(GermanNumber.count(1000) == "1.000")
        #expect(GermanNumber.count(1_245_534) == "1.245.534")
        #expect(GermanNumber.count(-4321) == "−4.321")
        #expect(GermanNumber.percent(75.3676) == "75,4 %")
        #expect(GermanNumber.percent(3.04) == "3,0 %")
        #expect(GermanNumber.percent(100) == "100,0 %")
        #expect(GermanNumber.decimal(-0.25, decimals: 1) == "−0,3")
        #expect(GermanNumber.change(11) == "+11")
        #expect(GermanNumber.change(0) == "±0")
        #expect(GermanNumber.change(-1500) == "−1.500")
        #expect(GermanNumber.text(.suppressed) == "*")
        #expect(GermanNumber.text(.none) == "–")
    }

    @Test func scalesHaveNiceTicks() {
        let scale = LinearScale(maximum: 272, start: 300, end: 0)
        #expect(scale.step == 100)
        #expect(scale.ticks == [0, 100, 200, 300])
        #expect(scale.position(150) == 150)
        #expect(LinearScale(maximum: 41, start: 0, end: 100).ticks == [0, 10, 20, 30, 40, 50])
        #expect(LinearScale(maximum: 1_245_534, start: 0, end: 1).step == 500_000)
        // An empty chart still has an axis.
        #expect(LinearScale(maximum: 0, start: 0, end: 1).ticks == [0, 1])
    }

    func chart(_ kind: FundingReport.Chart.Kind, _ series: [(String, [Double?])]) -> FundingReport.Chart {
        FundingReport.Chart(
            id: "t", kind: kind, title: "Titel <&>", categoryTitle: "Quartal", valueTitle: "Personen", categories: ["A", "B", "C", "D"],
            series: series.map { (name: $0.0, values: $0.1) }, tableID: "tabelle")
    }

    @Test func aWithheldValueBreaksTheLine() {
        let svg = SVGChart.render(chart(.line, [("Zielgruppe", [10, nil, 30, 40]), ("Ohne", [nil, nil, nil, nil])]))
        let paths = svg.components(separatedBy: "<path d=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(paths.count == 1)  // the all-withheld series draws nothing
        #expect(paths[0].filter { $0 == "M" }.count == 2)  // one gap: two runs
        #expect(svg.components(separatedBy: "<circle").count - 1 == 3)
        #expect(svg.contains("Titel &lt;&amp;&gt;"))
        #expect(svg.contains(#"role="img""#) && svg.contains("<desc id=\"t-text\">"))
    }

    @Test func stackedBarsDrawOnlyPublishedPositiveValues() {
        let svg = SVGChart.render(chart(.stackedBars, [("x", [1, nil, 0, 4]), ("y", [2, 3, nil, 1000])]))
        #expect(svg.components(separatedBy: "<rect x=").count - 1 - 2 == 5)  // minus the two legend swatches
        #expect(svg.contains("<title>D, y: 1.000</title>"))
        #expect(svg.contains(SVGChart.palette[0]) && svg.contains(SVGChart.palette[1]))
    }

    @Test func sharesAndChangesNeedPublishedValues() throws {
        let period = Period("2026-Q3")!
        var values: [PublishedQuarter.Key: PublishableTable.Value] = [:]
        func set(_ indicator: String, _ value: PublishableTable.Value, in map: inout [PublishedQuarter.Key: PublishableTable.Value]) {
            map[PublishedQuarter.Key(indicator, "insgesamt", "insgesamt")] = value
        }
        set("zielgruppe", .count(200), in: &values)
        set("personen", .count(150), in: &values)
        set("ohne_aktivitaet", .count(50), in: &values)
        set("ausbildung", .suppressed, in: &values)
        var earlier: [PublishedQuarter.Key: PublishableTable.Value] = [:]
        set("zielgruppe", .count(180), in: &earlier)
        set("personen", .suppressed, in: &earlier)
        set("ohne_aktivitaet", .count(55), in: &earlier)
        set("ausbildung", .count(20), in: &earlier)
        let report = try Self.runReport()
        let input = FundingReportInput(
            current: PublishedQuarter(period: period, values: values), dimensions: [("insgesamt", ["insgesamt"])],
            indicators: ["zielgruppe", "personen", "ausbildung", "ohne_aktivitaet"], history: [PublishedQuarter(period: period.previous, values: earlier)],
            transitions: nil, transitionNote: "kein Vorquartal", report: report, labels: ReportLabels(),
            settings: ReportSettings(programme: "P", district: "D"),
            minCell: 3)
        let funding = FundingReport(input)
        #expect(funding.made == "01.10.2026" && funding.referenceDate == "30.09.2026")
        let key = try #require(funding.sections.first?.tables.first)
        let figures: [[FundingReport.Figure]] = key.rows.map { $0.figures }
        #expect(figures[0] == [.count(200), .none, .change(20)])
        #expect(figures[1] == [.count(150), .percent(75), .suppressed])  // the earlier value is withheld
        #expect(figures[2] == [.suppressed, .suppressed, .suppressed])  // withheld now: no share, no change
        #expect(figures[3] == [.count(50), .percent(25), .change(-5)])
        let series = try #require(funding.sections.first { $0.id == "zeitreihe" })
        #expect(series.tables[0].columns == ["Q2/2026", "Q3/2026"])
        #expect(series.charts[0].series.map { $0.name } == ["zielgruppe", "personen", "ohne_aktivitaet"])
        #expect(series.charts[0].series[1].values == [nil, 150])
        let transitions = try #require(funding.sections.first { $0.id == "uebergaenge" })
        #expect(transitions.tables.isEmpty && transitions.paragraphs == ["Keine Übergangstabelle: kein Vorquartal"])
    }

    /// The data-quality table's one count of persons with an attribute is withheld when small.
    @Test func personsOutOfTheTargetGroupAreWithheldWhenFew() throws {
        func warningFigure(_ persons: Int) throws -> FundingReport.Figure? {
            let report = try Self.runReport(
                outByUnknownResidenceText: persons,
                warnings: """
                    [{"kind":"aufenthalt_unbekannt","rows":7,"distinct_values":2,"persons_out_of_target_group":\(persons),"code_list":"/x/aufenthalt.csv"}]
                    """)
            let section = FundingReport.qualitySection(report, labels: ReportLabels(), minCell: 3)
            let table = section.tables.first { $0.id == "hinweise" }
            let row = table?.rows.first
            // Issue 31: the rows and spellings, for judging the figures; who fell out of the
            // target group and which list to extend are the coordinator's, not the reader's.
            #expect(row?.texts == ["aufenthalt_unbekannt"])
            #expect(table?.columns == ["Zeilen", "Schreibweisen"])
            #expect(table?.notes.joined().contains("quarantaene") == false)
            return row.map { $0.figures.count == 2 ? $0.figures.last : nil } ?? nil
        }
        for persons in [0, 1, 2, 6] { #expect(try warningFigure(persons) == .count(2)) }
    }

    /// A run report with nothing in it but what a test sets.
    static func runReport(outByUnknownResidenceText: Int = 0, warnings: String = "[]", suppression: String? = nil) throws -> RunReport {
        try JSONDecoder().decode(
            RunReport.self,
            from: Data(
                """
                {"zeitraum":"2026-Q3","stichtag":"2026-09-30","pipeline":"p","klappt_version":"1.1.0","gestartet":"2026-10-01T08:00:00Z",
                 "beendet":"2026-10-01T08:00:05Z","modus":"run","inputs":[],"persons":{"total":0,"by_source":{},"linked":0},
                 "target_group":{"persons":0,"age_in_range":0,"and_refugee_residence":0,"and_in_district_or_unknown":0,"target_group":0,
                 "stock_with_current_record":0,"out_by_unknown_residence_text":\(outByUnknownResidenceText)},
                 \(suppression.map { "\"suppression\":\($0)," } ?? "")
                 "warnings":\(warnings),"quarantine":[],"plausibility_overridden":[]}
                """.utf8))
    }

    /// The method sheet says how the further cells were chosen: the proven minimum, the heuristic
    /// with the bound it had, or (run reports of before 1.2) what was said before.
    @Test func theMethodSheetSaysWhichSuppressionChoseTheCells() throws {
        func sentence(_ suppression: String?) throws -> String {
            FundingReport.secondarySentence(try Self.runReport(suppression: suppression).suppression)
        }
        #expect(
            try sentence(#"{"min_cell":3,"primary_cells":76,"secondary_cells":23,"method":"exakt","proven_minimum":23}"#)
                == "Es sind nachweislich so wenige weitere Zellen wie möglich (bei gleicher Zahl die mit der kleinsten Summe).")
        #expect(
            try sentence(#"{"min_cell":3,"primary_cells":76,"secondary_cells":24,"method":"exakt","cost":"wert+1, gesamtwerte zuletzt","secondary_totals":0}"#)
                .hasSuffix("wird nur gesperrt, wo sich die Tabellen ohne sie nicht schützen lassen."))
        #expect(
            try sentence(#"{"min_cell":3,"primary_cells":76,"secondary_cells":24,"method":"exakt","cost":"wert+1, gesamtwerte zuletzt","secondary_totals":1}"#)
                .hasSuffix("und das war in diesem Quartal nötig."))
        #expect(
            try sentence(#"{"min_cell":3,"primary_cells":76,"secondary_cells":25,"method":"heuristisch","fallback_reason":"zeitlimit","proven_minimum":1234}"#)
                == "Die weiteren Zellen wählte in diesem Quartal ein Näherungsverfahren; nötig wären mindestens 1.234.")
        #expect(
            try sentence(#"{"min_cell":3,"primary_cells":76,"secondary_cells":25,"method":"heuristisch","fallback_reason":"abgeschaltet"}"#)
                == "Die weiteren Zellen wählte in diesem Quartal ein Näherungsverfahren.")
        #expect(try sentence(#"{"min_cell":3,"primary_cells":76,"secondary_cells":25}"#) == "Es sind möglichst wenige weitere Zellen.")
    }

    /// A bar with a withheld part gets a hatched remainder where its total is published (Bergkamen:
    /// 23 in the target group, 18 shown), and a note names the bar whose total is withheld too
    /// (issue 23): no reader takes a bar for the total.
    @Test func withheldPartsAreMarkedNotLeftOut() {
        let chart = FundingReport.Chart(
            id: "c", kind: .stackedBars, title: "T", categoryTitle: "Gemeinde", valueTitle: "Personen", categories: ["Bergkamen", "Bönen", "Kamen"],
            series: [("Ausbildung", [nil, 7, 4]), ("Schule", [4, nil, 4]), ("Ohne Aktivität", [14, 7, 20])], tableID: "t")
        let marked = chart.markingWithheld(totals: [23, nil, 28])
        #expect(marked.series.count == 4)
        #expect(marked.withheldSeries == 3)
        #expect(marked.series[3].name == "gesperrt")
        #expect(marked.series[3].values == [5, nil, nil], "Bergkamen 23 − 18; Bönen's total is withheld; Kamen has nothing withheld")
        #expect(marked.notes.count == 2)
        #expect(marked.notes[1] == "In diesem Balken fehlen gesperrte Werte, er ist kürzer als die Zahl, für die er steht: Bönen.")
        // Drawn hatched on the page, in the legend too.
        let svg = SVGChart.render(marked)
        #expect(svg.contains("<pattern id=\"c-schraffur\""))
        #expect(svg.components(separatedBy: "fill=\"url(#c-schraffur)\"").count == 3, "the legend's swatch and Bergkamen's part")
        // Nothing withheld: the chart stays as it was.
        let complete = FundingReport.Chart(
            id: "d", kind: .stackedBars, title: "T", categoryTitle: "G", valueTitle: "P", categories: ["A"], series: [("x", [3])], tableID: "t")
        let unchanged = complete.markingWithheld(totals: [3])
        #expect(unchanged.series.count == 1 && unchanged.withheldSeries == nil && unchanged.notes.isEmpty)
    }

    /// The workbook's row heights come from this estimate of wrapped lines (issue 23): words never
    /// split unless longer than a line; at most width − 1 characters a line.
    @Test(arguments: [
        ("a b c", 4.0, 2), ("Personen aus der Zielgruppe gefallen", 14.0, 4), ("abcdefghij", 5.0, 3), ("kurz", 60.0, 1), ("", 10.0, 1),
    ])
    func wrappedLines(text: String, width: Double, lines: Int) {
        #expect(ReportWorkbook.Writer.lines(text, width: width) == lines)
    }
}
