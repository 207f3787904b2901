/// The funding report of a quarter (SPEC 11), as content: sections of tables, charts and definitions
/// that the workbook and the page render each in their own way. Made from published values only:
/// every figure is a published count, `*`, or derived from published counts (a share or a change
/// that would need a suppressed value is itself `*`).
public struct FundingReport: Sendable {
    /// One shown value.
    public enum Figure: Sendable, Equatable {
        case count(Int)
        /// Withheld by disclosure control, or derived from a withheld value.
        case suppressed
        /// A share in per cent (0…100).
        case percent(Double)
        /// A change against the previous quarter.
        case change(Int)
        /// Nothing to show here (not applicable, or no previous quarter): "–".
        case none
    }

    /// A table: leading text columns (the first is the row header), then figure columns.
    public struct Table: Sendable {
        public var id: String
        public var caption: String
        public var textHeaders: [String]
        public var columns: [String]
        public var rows: [Row]
        /// Lines under the table (the legend of `*` where the table can hold one).
        public var notes: [String] = []

        public struct Row: Sendable {
            public var texts: [String]
            public var figures: [Figure]
            /// A total row, set off from the others.
            public var isTotal = false
        }

        /// Whether any figure is `*`.
        public var hasSuppressed: Bool { rows.contains { $0.figures.contains(.suppressed) } }
    }

    /// A chart: categories along one axis, one series per colour; nil where the value is withheld
    /// (a gap in a line, nothing in a bar). Its numbers are always also in a table of the section.
    public struct Chart: Sendable {
        public enum Kind: Sendable { case line, stackedBars }
        public var id: String
        public var kind: Kind
        public var title: String
        public var categoryTitle: String
        public var valueTitle: String
        public var categories: [String]
        public var series: [(name: String, values: [Double?])]
        /// The table holding the same numbers.
        public var tableID: String
        /// The series that stands for withheld parts (`markingWithheld`): drawn hatched.
        public var withheldSeries: Int?
        /// Sentences under the chart (which bars lack a withheld part).
        public var notes: [String] = []

        public init(
            id: String, kind: Kind, title: String, categoryTitle: String, valueTitle: String, categories: [String],
            series: [(name: String, values: [Double?])], tableID: String
        ) {
            self.id = id
            self.kind = kind
            self.title = title
            self.categoryTitle = categoryTitle
            self.valueTitle = valueTitle
            self.categories = categories
            self.series = series
            self.tableID = tableID
        }
    }

    public struct Section: Sendable {
        public var id: String
        public var title: String
        public var paragraphs: [String] = []
        public var tables: [Table] = []
        public var charts: [Chart] = []
        /// Terms and their definitions.
        public var definitions: [(term: String, text: String)] = []
    }

    public var title: String
    public var programme: String
    public var district: String
    public var period: String
    public var referenceDate: String
    /// The date the run finished (German), not the date the file was written: `klappt bericht`
    /// makes the same file again.
    public var made: String
    public var madeTimestamp: String
    public var version: String
    public var minCell: Int
    public var legend: String
    public var sections: [Section]
}

/// What a funding report is made of: the quarter's publication, the earlier quarters' and the run's
/// report (counts only). Built the same way by a run and by `klappt bericht`.
public struct FundingReportInput: Sendable {
    public var current: PublishedQuarter
    public var dimensions: [(name: String, categories: [String])]
    public var indicators: [String]
    /// Earlier quarters of the store, oldest first (at most seven).
    public var history: [PublishedQuarter]
    public var transitions: PublishableTransitions?
    /// Why there is no transition table.
    public var transitionNote: String?
    public var report: RunReport
    public var labels: ReportLabels
    public var settings: ReportSettings
    public var minCell: Int

    public init(
        current: PublishedQuarter, dimensions: [(name: String, categories: [String])], indicators: [String], history: [PublishedQuarter],
        transitions: PublishableTransitions?, transitionNote: String?, report: RunReport, labels: ReportLabels, settings: ReportSettings, minCell: Int
    ) {
        self.current = current
        self.dimensions = dimensions
        self.indicators = indicators
        self.history = history
        self.transitions = transitions
        self.transitionNote = transitionNote
        self.report = report
        self.labels = labels
        self.settings = settings
        self.minCell = minCell
    }
}

extension FundingReport {
    /// How many quarters the time series shows at most (SPEC 11).
    public static let seriesLength = 8

    /// The indicators whose share of the target group the key figures show (the stock).
    static let stockIndicators: Set<String> =
        Set([Indicator.personen, Indicator.ohneAktivitaet].map(\.rawValue) + Indicator.activities.map(\.rawValue))

    public init(_ input: FundingReportInput) {
        let labels = input.labels
        let current = input.current
        let previous = input.history.last { $0.period == current.period.previous }
        let indicatorLabels = input.indicators.map { labels.label(ReportLabels.Kind.indicator, $0) }
        let mark = "*"
        title = "Förderbericht \(current.period.germanName)"
        programme = input.settings.programme
        district = input.settings.district
        period = current.period.description
        referenceDate = current.period.referenceDate.german
        madeTimestamp = input.report.beendet
        made = CivilDate(isoPrefixOf: input.report.beendet)?.german ?? input.report.beendet
        version = input.report.klapptVersion
        minCell = input.minCell
        legend =
            "\(mark) gesperrt: Fallzahl unter \(input.minCell) oder zum Schutz einer solchen Zelle (statistische Geheimhaltung); "
            + "Anteile und Veränderungen, die einen gesperrten Wert bräuchten, sind ebenfalls \(mark). „–“ heißt: entfällt."

        let builder = SectionBuilder(
            input: input, labels: labels, current: current, previous: previous, indicatorLabels: indicatorLabels, legend: legend,
            referenceDate: referenceDate, programme: programme, district: district)
        sections =
            [builder.overview()] + builder.dimensions() + [builder.series(), builder.transitions()]
            + [
                FundingReport.qualitySection(
                    input.report, labels: labels, minCell: input.minCell, withoutActivity: input.current.total(Indicator.ohneAktivitaet.rawValue)),
                FundingReport.methodSection(input, indicatorLabels: indicatorLabels, legend: legend),
            ]
    }

    /// Builds the sections from one input (the words, the legend and the quarters it shares).
    struct SectionBuilder {
        let input: FundingReportInput
        let labels: ReportLabels
        let current: PublishedQuarter
        let previous: PublishedQuarter?
        let indicatorLabels: [String]
        let legend: String
        let referenceDate: String
        let programme: String
        let district: String
        let mark = "*"

        /// 1. Key figures: the shared total row with shares of the target group and the change.
        func overview() -> Section {
            let target = current.total(Indicator.zielgruppe.rawValue)
            var keyRows: [Table.Row] = []
            for (indicator, label) in zip(input.indicators, indicatorLabels) {
                let value = current.total(indicator) ?? .count(0)
                let share: Figure =
                    FundingReport.stockIndicators.contains(indicator) ? FundingReport.share(value, of: target ?? .suppressed) : .none
                let change: Figure = previous.map { FundingReport.change(value, since: $0.total(indicator)) } ?? .none
                keyRows.append(Table.Row(texts: [label], figures: [FundingReport.figure(value), share, change]))
            }
            var overview = Section(id: "uebersicht", title: "Übersicht")
            overview.paragraphs = [
                "\(programme)\(district.isEmpty ? "" : ", \(district)"): \(current.period.germanName), Stichtag \(referenceDate).",
                previous == nil
                    ? "Für das Vorquartal liegen keine Zahlen vor: keine Veränderungen."
                    : "Veränderung gegenüber \(current.period.previous.germanName), wo beide Werte veröffentlicht sind.",
            ]
            var keyTable = Table(
                id: "kennzahlen", caption: "Kennzahlen am Stichtag \(referenceDate)", textHeaders: ["Kennzahl"],
                columns: ["Personen", "Anteil an der Zielgruppe", "Veränderung zum Vorquartal"], rows: keyRows)
            keyTable.notes = [legend]
            overview.tables = [keyTable]
            return overview

        }

        /// 2. One table per dimension: categories as rows, the indicators as columns, the shared total.
        func dimensions() -> [Section] {
            input.dimensions.filter { $0.name != Dimension.total }.map { dimension in
                let dimensionLabel = labels.label(ReportLabels.Kind.dimension, dimension.name)
                let codeHeader: String? =
                    switch dimension.name {
                    case Dimension.municipality: "AGS"
                    case Dimension.nationality: "ISO-Code"
                    default: nil
                    }
                var rows: [Table.Row] = dimension.categories.map { category in
                    let label = labels.label(dimension.name, category)
                    let texts = codeHeader == nil ? [label] : [label, category]
                    return Table.Row(texts: texts, figures: input.indicators.map { FundingReport.figure(current[$0, dimension.name, category] ?? .count(0)) })
                }
                rows.append(
                    Table.Row(
                        texts: codeHeader == nil ? ["Insgesamt"] : ["Insgesamt", ""],
                        figures: input.indicators.map { FundingReport.figure(current.total($0) ?? .count(0)) }, isTotal: true))
                var table = Table(
                    id: "tabelle_\(dimension.name)", caption: "\(dimensionLabel) am Stichtag \(referenceDate)",
                    textHeaders: [dimensionLabel] + (codeHeader.map { [$0] } ?? []), columns: indicatorLabels, rows: rows)
                table.notes = [legend]
                var section = Section(id: dimension.name, title: dimensionLabel, tables: [table])
                if dimension.name == Dimension.municipality {
                    let parts = (Indicator.activities.map(\.rawValue) + [Indicator.ohneAktivitaet.rawValue]).filter(input.indicators.contains)
                    section.charts = [
                        Chart(
                            id: "diagramm_\(dimension.name)", kind: .stackedBars, title: "Aktivitäten und ohne Aktivität nach \(dimensionLabel)",
                            categoryTitle: dimensionLabel, valueTitle: "Personen",
                            categories: dimension.categories.map { labels.label(dimension.name, $0) },
                            series: parts.map { indicator in
                                (
                                    labels.label(ReportLabels.Kind.indicator, indicator),
                                    dimension.categories.map { FundingReport.chartValue(current[indicator, dimension.name, $0]) }
                                )
                            }, tableID: table.id
                        ).markingWithheld(
                            totals: dimension.categories.map { FundingReport.chartValue(current[Indicator.zielgruppe.rawValue, dimension.name, $0]) })
                    ]
                }
                return section
            }

        }

        /// 3. The time series: the last up to eight quarters of the store.
        func series() -> Section {
            let quarters = Array((input.history.filter { $0.period < current.period } + [current]).suffix(FundingReport.seriesLength))
            let seriesTable = Table(
                id: "zeitreihe",
                caption: quarters.count == 1
                    ? "Entwicklung: bisher nur dieses Quartal (Insgesamt)" : "Entwicklung über die letzten \(quarters.count) Quartale (Insgesamt)",
                textHeaders: ["Kennzahl"],
                columns: quarters.map(\.period.shortGermanName),
                rows: zip(input.indicators, indicatorLabels).map { indicator, label in
                    Table.Row(texts: [label], figures: quarters.map { $0.total(indicator).map(FundingReport.figure) ?? .none })
                }, notes: [legend])
            let charted = [Indicator.zielgruppe, Indicator.personen, Indicator.ohneAktivitaet].map(\.rawValue).filter(input.indicators.contains)
            var series = Section(id: "zeitreihe", title: "Zeitreihe", tables: [seriesTable])
            series.paragraphs = [
                "Veröffentlichte Werte je Quartal; ein in einem Quartal gesperrter Wert bleibt dort \(mark) (im Diagramm eine Lücke)."
            ]
            series.charts = [
                Chart(
                    id: "diagramm_zeitreihe", kind: .line, title: "Zielgruppe, mit und ohne Aktivität", categoryTitle: "Quartal", valueTitle: "Personen",
                    categories: quarters.map(\.period.shortGermanName),
                    series: charted.map { indicator in
                        (labels.label(ReportLabels.Kind.indicator, indicator), quarters.map { FundingReport.chartValue($0.total(indicator)) })
                    }, tableID: seriesTable.id)
            ]
            return series

        }

        /// 4. Transitions from the previous quarter (SPEC 10), or why there are none.
        func transitions() -> Section {
            // A row adds up to the previous quarter's total of its state (SPEC 10): the bars' totals.
            let before = previous.flatMap { $0.period == input.transitions?.previousPeriod ? $0 : nil }
            let totals = PersonState.all.map { state in
                LinkedProtection.indicator(of: state).flatMap { indicator in FundingReport.chartValue(before?.total(indicator.rawValue)) }
            }
            return FundingReport.transitionSection(
                input.transitions, note: input.transitionNote, labels: labels, period: current.period, referenceDate: referenceDate, legend: legend,
                rowTotals: totals)
        }
    }

    /// The transitions section of a district's report and of the Land's: the table and its chart,
    /// or why there is none.
    /// `rowTotals`: per state of the previous quarter (in `PersonState.all` order) its published
    /// total, where known, for the bars' withheld parts.
    static func transitionSection(
        _ transitions: PublishableTransitions?, note: String?, labels: ReportLabels, period: Period, referenceDate: String, legend: String,
        rowTotals: [Double?]? = nil
    ) -> Section {
        var flows = Section(id: "uebergaenge", title: "Übergänge")
        if let transitions {
            let states = PersonState.all
            let stateLabels = states.map { labels.label(ReportLabels.Kind.state, $0.description) }
            var values: [String: PublishableTable.Value] = [:]
            for cell in transitions.cells { values["\(cell.from)>\(cell.to)"] = cell.value }
            let table = Table(
                id: "uebergaenge",
                caption: "Übergänge von \(transitions.previousPeriod.germanName) (Zeilen) nach \(period.germanName) (Spalten)",
                textHeaders: ["Zustand \(transitions.previousPeriod.shortGermanName)"], columns: stateLabels,
                rows: zip(states, stateLabels).map { from, label in
                    Table.Row(texts: [label], figures: states.map { to in values["\(from)>\(to)"].map(FundingReport.figure) ?? .none })
                }, notes: [legend, "„Außerhalb“ → „Außerhalb“ wird nicht gezählt (–)."])
            flows.paragraphs = [
                "Jede Person, die in einem der beiden Quartale zur Zielgruppe gehört, zählt einmal: nach ihrem Zustand am Stichtag "
                    + "\(transitions.previousPeriod.referenceDate.german) (Zeile) und am Stichtag \(referenceDate) (Spalte)."
            ]
            flows.tables = [table]
            flows.charts = [
                Chart(
                    id: "diagramm_uebergaenge", kind: .stackedBars, title: "Wohin die Personen gingen, nach Zustand im Vorquartal",
                    categoryTitle: "Zustand \(transitions.previousPeriod.shortGermanName)", valueTitle: "Personen", categories: stateLabels,
                    series: zip(states, stateLabels).map { to, label in
                        (label, states.map { from in values["\(from)>\(to)"].flatMap { FundingReport.chartValue($0) } })
                    }, tableID: table.id
                ).markingWithheld(totals: rowTotals ?? states.map { _ in nil })
            ]
        } else {
            flows.paragraphs = ["Keine Übergangstabelle: \(note ?? "für das Vorquartal liegen keine Zahlen vor.")"]
        }
        return flows
    }

    static func figure(_ value: PublishableTable.Value) -> Figure {
        switch value {
        case .count(let count): return .count(count)
        case .suppressed: return .suppressed
        }
    }

    /// The name of the hatched part of a bar that stands for its withheld values.
    public static let withheldPart = "gesperrt"

    static func chartValue(_ value: PublishableTable.Value?) -> Double? {
        if case .count(let count)? = value { return Double(count) }
        return nil
    }

    /// A share of the target group: `*` when either count is withheld, – when the target group is empty.
    static func share(_ value: PublishableTable.Value, of whole: PublishableTable.Value) -> Figure {
        switch (value, whole) {
        case (.count(let part), .count(let total)): return total == 0 ? .none : .percent(Double(part) * 100 / Double(total))
        default: return .suppressed
        }
    }

    /// The change since the previous quarter: `*` when either count is withheld.
    static func change(_ value: PublishableTable.Value, since earlier: PublishableTable.Value?) -> Figure {
        switch (value, earlier) {
        case (.count(let now), .count(let then)?): return .change(now - then)
        case (_, nil): return .none
        default: return .suppressed
        }
    }

    /// Data quality per source and file, from the run report (counts only; files by name).
    /// Row counts are about the deliveries and shown as they are; the one count of persons with an
    /// attribute (persons who fell out of the target group because of an unknown residence text) is
    /// withheld like a table cell when it is 1 to `minCell` − 1.
    static func qualitySection(
        _ report: RunReport, labels: ReportLabels, minCell: Int, withoutActivity: PublishableTable.Value? = nil
    ) -> Section {
        var section = Section(id: "datenqualitaet", title: "Datenqualität")
        func fileName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }
        func source(_ id: String) -> String { labels.label(ReportLabels.Kind.source, id) }
        section.paragraphs = [
            "Je gelieferter Datei: gelesene, angenommene und abgewiesene Zeilen, Duplikate und durch eine neuere Zeile ersetzte. "
                + "Abgewiesene Zeilen stehen mit Datei und Zeilennummer im Quarantäne-Ordner der Koordinierungsstelle, nie im Bericht."
        ]
        let files = Table(
            id: "dateien", caption: "Gelieferte Dateien", textHeaders: ["Quelle", "Datei"],
            columns: ["Zeilen gelesen", "angenommen", "abgewiesen", "Duplikate", "ersetzt"],
            rows: report.inputs.map { file in
                Table.Row(
                    texts: [source(file.source), fileName(file.file)],
                    figures: [.count(file.rowsRead), .count(file.accepted), .count(file.rejected), .count(file.duplicates), .count(file.superseded)])
            })
        var reasonRows: [Table.Row] = []
        for file in report.inputs {
            for reason in file.reasons.keys.sorted() {
                let label = labels.definition(ReportLabels.Kind.reason, reason) ?? ReasonCode(rawValue: reason)?.germanText ?? reason
                reasonRows.append(Table.Row(texts: [source(file.source), fileName(file.file), label], figures: [.count(file.reasons[reason]!)]))
            }
        }
        var reasons = Table(
            id: "gruende", caption: "Abgewiesene Zeilen nach Grund", textHeaders: ["Quelle", "Datei", "Grund"], columns: ["Zeilen"], rows: reasonRows)
        if reasonRows.isEmpty { reasons.notes = ["Keine Zeile wurde abgewiesen."] }
        var personRows = report.persons.bySource.keys.sorted { lhs, rhs in
            (report.inputs.firstIndex { $0.source == lhs } ?? Int.max, lhs) < (report.inputs.firstIndex { $0.source == rhs } ?? Int.max, rhs)
        }.map { Table.Row(texts: ["bekannt bei: \(source($0))"], figures: [.count(report.persons.bySource[$0]!)]) }
        personRows.append(Table.Row(texts: ["in mehreren Quellen (verknüpft)"], figures: [.count(report.persons.linked)]))
        personRows.append(Table.Row(texts: ["Personen insgesamt"], figures: [.count(report.persons.total)], isTotal: true))
        personRows.append(Table.Row(texts: ["davon in der Zielgruppe"], figures: [.count(report.targetGroup.targetGroup)]))
        var persons = Table(id: "personen", caption: "Personen nach Quelle und Verknüpfung", textHeaders: ["Personen"], columns: ["Personen"], rows: personRows)
        persons.notes = ["Interne Zählung vor der Geheimhaltung (Personen aller Quellen, nicht nur der Zielgruppe); sie wird nicht nach Merkmalen aufgeteilt."]
        var warningRows: [Table.Row] = []
        for warning in report.warnings {
            warningRows.append(
                Table.Row(
                    texts: [labels.label(ReportLabels.Kind.warning, warning.kind)],
                    figures: [.count(warning.rows), .count(warning.distinctValues)]))
        }
        // Issue 31: what a reader needs to judge the figures (how many values counted as
        // `unbekannt`), not the coordinator's to-do list (persons who fell out, the quarantine's
        // path, "neu rechnen"): that is in the run summary and the internal notes.
        var warnings = Table(
            id: "hinweise", caption: "Hinweise: Werte, die keine Codeliste kennt", textHeaders: ["Hinweis"],
            columns: ["Zeilen", "Schreibweisen"], rows: warningRows)
        warnings.notes =
            warningRows.isEmpty
            ? ["Keine unbekannten Werte."]
            : ["Diese Werte zählen als „unbekannt“ (beim Aufenthalt: außerhalb des Fluchtkontexts, also nicht in der Zielgruppe)."]
        section.tables = [files, reasons, persons, warnings]
        if let linkage = report.linkage {
            section.paragraphs.append(Self.linkageSentence(linkage, withoutActivity: withoutActivity))
        }
        if !report.plausibilityOverridden.isEmpty {
            section.paragraphs.append(
                "Die Plausibilitätsprüfung wurde übergangen (--ignore-plausibility): \(report.plausibilityOverridden.count) Befund(e), im Speicher vermerkt.")
        }
        return section
    }

    /// What the probabilistic linkage estimates of its own errors (SPEC 4.1 v3; handbook, 8a). The
    /// range for "ohne Aktivität" is given only where that total is published: with the estimates
    /// beside it, it would give a withheld total away.
    static func linkageSentence(_ linkage: LinkageSummary, withoutActivity: PublishableTable.Value?) -> String {
        func decimal(_ value: Double) -> String { GermanNumber.decimal(value, decimals: 1) }
        var sentence =
            "Verknüpfung: Welche Datensätze dieselbe Person sind, schätzt ein Wahrscheinlichkeitsmodell aus Namen, Geburtsdatum und weiteren Merkmalen "
            + "(Schwelle \(GermanNumber.decimal(linkage.threshold * 100, decimals: 0)) %). Nach seiner eigenen Schätzung sind etwa \(decimal(linkage.expectedFalseLinks)) "
            + "Verknüpfungen falsch und etwa \(decimal(linkage.expectedMissedLinks)) entgangen."
        if case .count? = withoutActivity, let range = linkage.withoutActivityRange, range.count == 2 {
            sentence +=
                " „Ohne Aktivität“ liegt danach wahrscheinlich zwischen \(GermanNumber.count(range[0])) und \(GermanNumber.count(range[1])) "
                + "(eine entgangene Verknüpfung kann aus einer Person zwei machen, eine falsche aus zwei Personen eine)."
        }
        return sentence
    }

    /// How the further cells were chosen, in one sentence (reports of before 1.2 do not say).
    static func secondarySentence(_ suppression: RunReport.Suppression?) -> String {
        switch suppression?.method {
        case "exakt"? where suppression?.cost == nil:
            // Runs of before issue 31 minimised the number of cells.
            return "Es sind nachweislich so wenige weitere Zellen wie möglich (bei gleicher Zahl die mit der kleinsten Summe)."
        case "exakt"?:
            return
                "Die weiteren Zellen sind nachweislich die, deren Sperrung Lesern am wenigsten nimmt (die kleinste Summe der gesperrten Werte, je Zelle eins dazu); eine Gesamtzahl des Kreises wird nur gesperrt, wo sich die Tabellen ohne sie nicht schützen lassen"
                + ((suppression?.secondaryTotals ?? 0) > 0 ? ", und das war in diesem Quartal nötig." : ".")
        case "heuristisch"?:
            return "Die weiteren Zellen wählte in diesem Quartal ein Näherungsverfahren"
                + (suppression?.provenMinimum.map { "; nötig wären mindestens \(GermanNumber.count($0))." } ?? ".")
        default:
            return "Es sind möglichst wenige weitere Zellen."
        }
    }

    static func methodSection(_ input: FundingReportInput, indicatorLabels: [String], legend: String) -> Section {
        let labels = input.labels
        var section = Section(id: "methode", title: "Methode")
        let ages = input.dimensions.first { $0.name == "altersgruppe" }?.categories ?? []
        section.paragraphs = [
            "Quellen: das Register der Ausländerbehörde, die Exporte des Jobcenters und der Berufskollegs zum Stichtag. Dieselbe Person wird "
                + (input.report.linkage == nil
                    ? "über die Quellen hinweg an einem Schlüssel aus Name und Geburtsdatum erkannt (pseudonymisiert; keine Namen im Bericht oder im Speicher)."
                    : "über die Quellen hinweg an Name, Geburtsdatum und weiteren Merkmalen erkannt, auch wenn die Partner sie verschieden schreiben "
                        + "(ein Wahrscheinlichkeitsmodell auf verschlüsselten Namen; keine Namen im Bericht oder im Speicher; geschätzte Fehler unter Datenqualität)."),
            "Zielgruppe: Alter am Stichtag \(ages.first.map { "von \($0.prefix { $0 != "-" })" } ?? "18") bis \(ages.last.map { String($0.split(separator: "-").last ?? "26") } ?? "26") Jahre, "
                + "Aufenthalt im Fluchtkontext, Wohnort im Kreis oder unbekannt. Jedes Merkmal stammt aus der ersten Quelle, die es kennt "
                + "(Register, dann Jobcenter, dann Berufskolleg).",
            "Aktivität: die erste laufende in der Reihenfolge Ausbildung, Beschäftigung, Schule, Maßnahme, Arbeitsuche, Sonstige; "
                + "jede Person zählt in genau einer Spalte. Ohne Aktivität = Zielgruppe − Mit Aktivität.",
            "Geheimhaltung: Zellen mit 1 bis \(input.minCell - 1) Personen sind gesperrt (*), dazu weitere Zellen, "
                + "damit sich kein gesperrter Wert aus Summen, aus dem Vorquartal oder aus den Übergängen auf weniger als \(input.minCell) eingrenzen lässt. "
                + Self.secondarySentence(input.report.suppression)
                + " Eine 0 wird veröffentlicht. Jeder Lauf prüft das mit einer exakten Intervallrechnung.",
            legend,
        ]
        var definitions: [(String, String)] = []
        for (indicator, label) in zip(input.indicators, indicatorLabels) {
            if let text = labels.definition(ReportLabels.Kind.indicator, indicator) { definitions.append((label, text)) }
        }
        for dimension in input.dimensions where dimension.name != Dimension.total {
            let dimensionLabel = labels.label(ReportLabels.Kind.dimension, dimension.name)
            if let text = labels.definition(ReportLabels.Kind.dimension, dimension.name) { definitions.append((dimensionLabel, text)) }
            for category in dimension.categories {
                if let text = labels.definition(dimension.name, category) {
                    definitions.append(("\(dimensionLabel): \(labels.label(dimension.name, category))", text))
                }
            }
        }
        for state in PersonState.all {
            if let text = labels.definition(ReportLabels.Kind.state, state.description) {
                definitions.append(("Zustand: \(labels.label(ReportLabels.Kind.state, state.description))", text))
            }
        }
        section.definitions = definitions
        return section
    }
}

extension FundingReport.Chart {
    /// A stacked-bar chart whose parts may be withheld, marked so that no reader takes a bar for
    /// its total (issue 23). Where a bar's total (`totals`, nil where unknown or withheld) is
    /// published, its withheld remainder (the total less the shown parts) becomes the hatched part
    /// „gesperrt“: a difference of published numbers, so it tells nothing the table does not. The
    /// bars whose total is unknown are named in a note.
    func markingWithheld(totals: [Double?]) -> FundingReport.Chart {
        var chart = self
        var remainder: [Double?] = []
        var short: [String] = []
        for (index, category) in categories.enumerated() {
            guard series.contains(where: { $0.values[index] == nil }) else {
                remainder.append(nil)
                continue
            }
            if let total = totals[index] {
                remainder.append(max(0, total - series.reduce(0) { $0 + ($1.values[index] ?? 0) }))
            } else {
                remainder.append(nil)
                short.append(category)
            }
        }
        if remainder.contains(where: { $0 != nil }) {
            chart.series.append((FundingReport.withheldPart, remainder))
            chart.withheldSeries = chart.series.count - 1
            chart.notes.append(
                "Schraffiert („\(FundingReport.withheldPart)“): der Teil eines Balkens, der auf gesperrte Werte entfällt; "
                    + "der ganze Balken ist die veröffentlichte Gesamtzahl.")
        }
        if !short.isEmpty {
            chart.notes.append(
                "In \(short.count == 1 ? "diesem Balken" : "diesen Balken") fehlen gesperrte Werte, \(short.count == 1 ? "er ist" : "sie sind") kürzer als die Zahl, "
                    + "für die \(short.count == 1 ? "er steht" : "sie stehen"): \(short.joined(separator: ", ")).")
        }
        return chart
    }
}
