import Foundation

/// What the Land's sinks receive (issue 22): the state table as it may be published, the districts
/// that delivered, how the table was protected (counts only) and the words of the report.
public struct LandResult: Sendable {
    public struct District: Sendable {
        public var key: String
        public var name: String
        /// The delivery's file name and sha256, for the method section.
        public var file: String
        public var sha256: String
        /// How many cells the district withheld in its own publication (its published CSV's `*`).
        public var withheld: Int
        public var cells: Int
    }

    public var period: Period
    public var table: PublishableTable
    /// The state's transition table (SPEC 10 at the Land level), where every district has one.
    public var transitions: PublishableTransitions?
    /// Why there is none (one German sentence).
    public var transitionNote: String?
    public var districts: [District]
    public var primary: Int
    public var secondary: Int
    /// How the further cells were chosen (the run report's terms).
    public var suppression: RunReport.Suppression
    /// Withheld cells of the state and of the districts that the audit proved.
    public var audited: Int
    public var labels: ReportLabels
    public var programme: String
    public var minCell: Int
    /// When the roll-up finished (ISO 8601).
    public var finished: String

    /// Per state of the previous quarter (`PersonState.all` order), the Land's published total of
    /// it, where the Land published that quarter: the transitions chart's bar totals.
    public var previousTotals: [Double?]?

    public init(
        period: Period, protected: ProtectedTable, deliveries: [LandRollup.Verified], minCell: Int, finished: String,
        previous: LandRollup.PreviousPublication? = nil
    ) {
        self.period = period
        previousTotals = previous.map { publication in
            PersonState.all.map { state in
                LinkedProtection.indicator(of: state).flatMap { indicator in
                    publication.cells[LandRollup.PreviousPublication.key(indicator.rawValue, Dimension.total, Dimension.total)].flatMap {
                        $0.published ? Double($0.value) : nil
                    }
                }
            }
        }
        table = PublishableTable(protected)
        let withTransitions = LinkedProtection.transitionCells().allSatisfy { protected.linkedValues[$0] != nil }
        transitions = withTransitions ? PublishableTransitions(protected, previousPeriod: period.previous) : nil
        let without = deliveries.filter { $0.delivery.uebergaenge == nil }.map {
            $0.delivery.kreisName.isEmpty ? "Kreis \($0.delivery.kreis)" : $0.delivery.kreisName
        }
        transitionNote =
            withTransitions
            ? nil
            : "\(without.sorted().joined(separator: ", ")) \(without.count == 1 ? "hat" : "haben") für \(period.germanName) keine übermittelt (das Vorquartal fehlt dort im Speicher), also hat auch das Land keine."
        districts = deliveries.sorted { $0.delivery.kreis < $1.delivery.kreis }.map {
            District(
                key: $0.delivery.kreis, name: $0.delivery.kreisName.isEmpty ? "Kreis \($0.delivery.kreis)" : $0.delivery.kreisName,
                file: URL(fileURLWithPath: $0.file).lastPathComponent, sha256: $0.sha256,
                withheld: $0.delivery.zellen.filter { !$0.veroeffentlicht }.count, cells: $0.delivery.zellen.count)
        }
        primary = protected.primary.count
        secondary = protected.secondary.count
        suppression = RunReport.Suppression(minCell: minCell, table: protected)
        audited = protected.audit.count
        self.minCell = minCell
        self.finished = finished
        programme = deliveries.compactMap(\.delivery.programm).first ?? ""
        // The words: the first delivery's label list (all districts share the table system), the
        // districts' names for `kreis`.
        var entries: [String: [String: ReportLabels.Entry]] = [:]
        for label in deliveries.first?.delivery.beschriftungen ?? [] {
            entries[label.art, default: [:]][label.code] = ReportLabels.Entry(label: label.beschriftung, definition: label.erlaeuterung)
        }
        entries[ReportLabels.Kind.dimension, default: [:]][LandRollup.districtDimension] = ReportLabels.Entry(
            label: "Kreis", definition: "Der Kreis oder die kreisfreie Stadt, die die Zahlen übermittelt hat (Kreisschlüssel).")
        let names = Dictionary(districts.map { ($0.key, $0.name) }, uniquingKeysWith: { first, _ in first })
        labels = ReportLabels(entries: entries, names: [LandRollup.districtDimension: names])
    }
}

/// `land_indikatoren_<period>.csv`: the state table in SPEC 7's format, `kreis` for `gemeinde`.
public struct LandTableSink: OutputSink {
    public let kind = "land_indikatoren"
    public init() {}
    public func fileName(for period: Period) -> String { "land_indikatoren_\(period).csv" }
    public func render(_ result: LandResult) -> [UInt8]? { Array(PublishedTable.csv(result.table, period: result.period).utf8) }
}

/// `land_uebergaenge_<period>.csv`: the state's transition table in SPEC 10's format; nothing
/// unless every district delivered one.
public struct LandTransitionsSink: OutputSink {
    public let kind = "land_uebergaenge"
    public init() {}
    public func fileName(for period: Period) -> String { "land_uebergaenge_\(period).csv" }
    public func render(_ result: LandResult) -> [UInt8]? {
        result.transitions.map { Array(TransitionTableSink.csv($0, period: result.period).utf8) }
    }
}

/// `land_bericht_<period>.xlsx`, the Land's report as a workbook.
public struct LandWorkbookSink: OutputSink {
    public let kind = "land_bericht_xlsx"
    public init() {}
    public func fileName(for period: Period) -> String { "land_bericht_\(period).xlsx" }
    public func render(_ result: LandResult) throws(KlapptError) -> [UInt8]? { try ReportWorkbook.render(LandReport.make(result)) }
}

/// `land_bericht_<period>.html`, the Land's report as one self-contained page.
public struct LandPageSink: OutputSink {
    public let kind = "land_bericht_html"
    public init() {}
    public func fileName(for period: Period) -> String { "land_bericht_\(period).html" }
    public func render(_ result: LandResult) -> [UInt8]? { Array(ReportPage.render(LandReport.make(result)).utf8) }
}

/// The Land's report (issue 22) as the funding report's content model, so that the workbook and the
/// page render it as they render a district's: the state's key figures, the districts side by side
/// with a comparison chart, each district's share of the state, the state by every other
/// characteristic, what was withheld and why, and the method with the deliveries used.
///
/// Made from published values only. What was withheld is told in counts and reasons, never cell by
/// cell: naming which cell is a small count (1 to min_cell − 1) and which protects one would tell a
/// reader the range of each, which the suppression exists to hide.
public enum LandReport {
    public typealias Figure = FundingReport.Figure
    public typealias Table = FundingReport.Table
    public typealias Section = FundingReport.Section

    public static func make(_ result: LandResult) -> FundingReport {
        let labels = result.labels
        let state = PublishedQuarter(period: result.period, table: result.table)
        let indicators = result.table.indicators.map(\.rawValue)
        let indicatorLabels = indicators.map { labels.label(ReportLabels.Kind.indicator, $0) }
        let referenceDate = result.period.referenceDate.german
        let legend =
            "* gesperrt: Fallzahl unter \(result.minCell) oder zum Schutz einer solchen Zelle des Landes oder eines Kreises (statistische Geheimhaltung); "
            + "Anteile, die einen gesperrten Wert bräuchten, sind ebenfalls *. „–“ heißt: entfällt."
        let district = LandRollup.districtDimension
        let dimensionLabel = labels.label(ReportLabels.Kind.dimension, district)

        // 1. The state's key figures.
        let target = state.total(Indicator.zielgruppe.rawValue) ?? .suppressed
        var overview = Section(id: "uebersicht", title: "Übersicht")
        overview.paragraphs = [
            "\(result.programme.isEmpty ? "Landesbericht" : result.programme): \(result.period.germanName), Stichtag \(referenceDate), "
                + "aus den Übermittlungen von \(Summary.counted(result.districts.count, "Kreis", "Kreisen")) (\(result.districts.map(\.name).joined(separator: ", "))).",
            "Jede Zahl ist die Summe der exakten Zahlen der Kreise. Gesperrt ist so, dass zusammen mit allem, was die Kreise selbst "
                + "veröffentlicht haben, keine kleine Zahl des Landes oder eines Kreises erschlossen werden kann.",
        ]
        var keyTable = Table(
            id: "kennzahlen", caption: "Kennzahlen des Landes am Stichtag \(referenceDate)", textHeaders: ["Kennzahl"],
            columns: ["Personen", "Anteil an der Zielgruppe"],
            rows: zip(indicators, indicatorLabels).map { indicator, label in
                let value = state.total(indicator) ?? .count(0)
                return Table.Row(
                    texts: [label],
                    figures: [
                        FundingReport.figure(value),
                        FundingReport.stockIndicators.contains(indicator) ? FundingReport.share(value, of: target) : .none,
                    ])
            })
        keyTable.notes = [legend]
        overview.tables = [keyTable]

        // 2. The districts side by side, and the chart.
        var comparisonRows = result.districts.map { entry in
            Table.Row(texts: [entry.name, entry.key], figures: indicators.map { FundingReport.figure(state[$0, district, entry.key] ?? .count(0)) })
        }
        comparisonRows.append(
            Table.Row(texts: ["Land", ""], figures: indicators.map { FundingReport.figure(state.total($0) ?? .count(0)) }, isTotal: true))
        var comparison = Table(
            id: "tabelle_kreis", caption: "Die Kreise am Stichtag \(referenceDate)", textHeaders: [dimensionLabel, "Kreisschlüssel"],
            columns: indicatorLabels, rows: comparisonRows)
        comparison.notes = [legend]
        let parts = (Indicator.activities.map(\.rawValue) + [Indicator.ohneAktivitaet.rawValue]).filter(indicators.contains)
        var districts = Section(id: "kreise", title: "Kreise im Vergleich")
        districts.paragraphs = [
            "Die Zielgruppe jedes Kreises nach ihrer Aktivität am Stichtag; ein gesperrter Wert steht in der Tabelle als *, im Diagramm als schraffierter Teil „gesperrt“."
        ]
        districts.tables = [comparison]
        districts.charts = [
            FundingReport.Chart(
                id: "diagramm_kreis", kind: .stackedBars, title: "Aktivitäten und ohne Aktivität nach Kreis", categoryTitle: dimensionLabel,
                valueTitle: "Personen", categories: result.districts.map(\.name),
                series: parts.map { indicator in
                    (
                        labels.label(ReportLabels.Kind.indicator, indicator),
                        result.districts.map { FundingReport.chartValue(state[indicator, district, $0.key]) }
                    )
                }, tableID: comparison.id
            ).markingWithheld(totals: result.districts.map { FundingReport.chartValue(state[Indicator.zielgruppe.rawValue, district, $0.key]) })
        ]

        // 3. Each district's share of the state.
        var shareTable = Table(
            id: "anteile", caption: "Anteil jedes Kreises an der Zahl des Landes (in %)", textHeaders: [dimensionLabel, "Kreisschlüssel"],
            columns: indicatorLabels,
            rows: result.districts.map { entry in
                Table.Row(
                    texts: [entry.name, entry.key],
                    figures: indicators.map { FundingReport.share(state[$0, district, entry.key] ?? .count(0), of: state.total($0) ?? .count(0)) })
            })
        shareTable.notes = [legend]
        var shares = Section(id: "anteile", title: "Anteile der Kreise")
        shares.paragraphs = ["Der Anteil ist * , wo die Zahl des Kreises oder die des Landes gesperrt ist, und –, wo das Land 0 hat."]
        shares.tables = [shareTable]

        // 4. The state by every other characteristic.
        let others = result.table.dimensions.filter { $0.name != Dimension.total && $0.name != district }
        let characteristics = others.map { dimension in
            let label = labels.label(ReportLabels.Kind.dimension, dimension.name)
            var rows = dimension.categories.map { category in
                Table.Row(
                    texts: [labels.label(dimension.name, category)],
                    figures: indicators.map { FundingReport.figure(state[$0, dimension.name, category] ?? .count(0)) })
            }
            rows.append(Table.Row(texts: ["Insgesamt"], figures: indicators.map { FundingReport.figure(state.total($0) ?? .count(0)) }, isTotal: true))
            var table = Table(
                id: "tabelle_\(dimension.name)", caption: "Land nach \(label) am Stichtag \(referenceDate)", textHeaders: [label], columns: indicatorLabels,
                rows: rows)
            table.notes = [legend]
            return Section(id: dimension.name, title: label, tables: [table])
        }

        return FundingReport(
            title: "Landesbericht \(result.period.germanName)", programme: result.programme,
            district: "Land (\(Summary.counted(result.districts.count, "Kreis", "Kreise")))", period: result.period.description,
            referenceDate: referenceDate, made: CivilDate(isoPrefixOf: result.finished)?.german ?? result.finished, madeTimestamp: result.finished,
            version: QuarterlyRun.version, minCell: result.minCell, legend: legend,
            sections: [overview, districts, shares] + characteristics
                + [
                    FundingReport.transitionSection(
                        result.transitions, note: result.transitionNote, labels: labels, period: result.period, referenceDate: referenceDate, legend: legend,
                        rowTotals: result.previousTotals),
                    withheldSection(result), methodSection(result, legend: legend),
                ])
    }

    /// 5. What was withheld and why: counts of the state table, the districts' own withholding.
    static func withheldSection(_ result: LandResult) -> Section {
        var section = Section(id: "gesperrt", title: "Gesperrte Zellen")
        let small = "1 bis \(result.minCell - 1)"
        section.paragraphs = [
            "In der Landestabelle sind \(Summary.counted(result.primary + result.secondary, "Zelle", "Zellen")) gesperrt (*):",
            "• \(Summary.counted(result.primary, "Zelle", "Zellen")), weil die Zahl des Landes klein ist (\(small) Personen);",
            "• \(Summary.counted(result.secondary, "weitere Zelle", "weitere Zellen")), weil sonst eine gesperrte Zahl erschlossen werden könnte: "
                + "eine des Landes aus den Summen der Landestabelle, oder eine, die ein Kreis selbst gesperrt hat, als Differenz aus der Zahl des Landes "
                + "und den veröffentlichten Zahlen der anderen Kreise. \(FundingReport.secondarySentence(result.suppression))",
            "Welche Zelle aus welchem Grund gesperrt ist, steht hier nicht: das verriete von jeder, ob sie eine kleine Zahl ist.",
            "Geprüft hat klappt \(Summary.counted(result.audited, "gesperrte Zelle", "gesperrte Zellen")) des Landes und der Kreise mit einer exakten "
                + "Intervallrechnung über alle Veröffentlichungen zusammen: keine lässt sich auf weniger als \(result.minCell) eingrenzen.",
        ]
        section.tables = [
            Table(
                id: "gesperrt_kreise", caption: "Was jeder Kreis in seiner eigenen Veröffentlichung gesperrt hat", textHeaders: ["Kreis", "Kreisschlüssel"],
                columns: ["Zellen", "davon gesperrt"],
                rows: result.districts.map { Table.Row(texts: [$0.name, $0.key], figures: [.count($0.cells), .count($0.withheld)]) })
        ]
        return section
    }

    /// 6. The method: the deliveries used, the joint protection, the definitions.
    static func methodSection(_ result: LandResult, legend: String) -> Section {
        var section = Section(id: "methode", title: "Methode")
        section.paragraphs = [
            "Quellen: die signierten Übermittlungen der Kreise (klappt uebermittlung) für \(result.period.germanName). Jede Übermittlung wurde gegen den "
                + "öffentlichen Schlüssel geprüft, dem das Land für den Kreis vertraut; sie enthält nur Zahlen, keine Personen.",
            "Landestabelle: die Merkmale der Kreistabellen, mit dem Kreis statt der Gemeinde; jede Zelle ist die Summe der exakten Zellen der Kreise.",
            "Geheimhaltung: die Landestabelle, die Übergänge des Landes und alle Veröffentlichungen der Kreise (ihre Tabellen und Übergänge und die "
                + "Tabellen des Vorquartals, zu denen sich die Übergänge summieren) bilden ein Gleichungssystem, zusammen mit der Landestabelle des "
                + "Vorquartals. Die veröffentlichten Zahlen der Kreise sind bekannt, ihre gesperrten Zahlen Unbekannte, und jede Zelle des Landes ist "
                + "die Summe ihrer Kreise. Gesperrt werden Zellen des Landes, "
                + "bis keine kleine Zahl des Landes und keine gesperrte kleine Zahl eines Kreises mehr auf weniger als \(result.minCell) eingegrenzt werden kann. "
                + "Eine 0 wird veröffentlicht.",
            legend,
        ]
        section.tables = [
            Table(
                id: "uebermittlungen", caption: "Verwendete Übermittlungen", textHeaders: ["Kreis", "Kreisschlüssel", "Datei", "sha256 (Anfang)"],
                columns: [],
                rows: result.districts.map { Table.Row(texts: [$0.name, $0.key, $0.file, String($0.sha256.prefix(16))], figures: []) })
        ]
        let labels = result.labels
        var definitions: [(String, String)] = []
        for indicator in result.table.indicators.map(\.rawValue) {
            if let text = labels.definition(ReportLabels.Kind.indicator, indicator) {
                definitions.append((labels.label(ReportLabels.Kind.indicator, indicator), text))
            }
        }
        for dimension in result.table.dimensions where dimension.name != Dimension.total {
            if let text = labels.definition(ReportLabels.Kind.dimension, dimension.name) {
                definitions.append((labels.label(ReportLabels.Kind.dimension, dimension.name), text))
            }
        }
        section.definitions = definitions
        return section
    }
}
