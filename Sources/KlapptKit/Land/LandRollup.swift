import Crypto
import Foundation
import KlapptFormats
import Logging

/// The Land's roll-up of the districts' deliveries (issue 22, `klappt land`): verified deliveries,
/// the state table (SPEC 5's dimensions with `gemeinde` replaced by `kreis`), protected jointly with
/// every district's own publication.
///
/// Why jointly: a district withholds a cell (say 2 women in training); the state table shows the
/// state's women in training, every other district published its own, and the withheld cell is the
/// difference. So the disclosure model is one linear system of the state table and every district's
/// table: the districts' published cells are constants (`fixed`), their withheld cells unknowns
/// (`hidden`) whose small counts stay primary, and each state cell equals the sum of the districts'
/// cells of the same row (a `kreis` row equals that district's `insgesamt` row). Secondary
/// suppression may choose state cells only (the districts' publications cannot change), and the
/// audit proves every small cell of the state and of every district.
public enum LandRollup {
    /// A verified delivery and the file it came from.
    public struct Verified: Sendable {
        public var file: String
        public var delivery: DistrictDelivery
        public var sha256: String
        public var signer: String
    }

    /// The dimension that replaces `gemeinde` in the state table: one category per district.
    public static let districtDimension = "kreis"

    static func refuse(_ file: String, _ message: String) -> KlapptError {
        .inputFormat(FormatError(.malformed, file: file, message: message))
    }

    /// Reads and verifies the deliveries of `period` against `trustedKeys/<Kreisschlüssel>.pub`
    /// (SPEC 2.1's rule for inputs: a delivery that cannot be trusted fails the run with 65).
    public static func verify(files: [String], trustedKeys: String, period: Period, expected: [String]?) throws(KlapptError) -> [Verified] {
        var verified: [Verified] = []
        for file in files.sorted() {
            guard let data = FileManager.default.contents(atPath: file) else { throw .inputUnreadable(path: file, reason: nil) }
            guard let signed = try? JSONDecoder().decode(DistrictDelivery.Signed.self, from: data),
                let delivery = try? JSONDecoder().decode(DistrictDelivery.self, from: Data(signed.inhalt.utf8)), delivery.format == "klappt-uebermittlung"
            else {
                throw refuse(file, "Die Datei ist keine Übermittlung von klappt (klappt uebermittlung). Bitte beim Kreis die Übermittlung neu anfordern.")
            }
            let district = "Kreis \(delivery.kreis)\(delivery.kreisName.isEmpty ? "" : " (\(delivery.kreisName))")"
            let keyPath = "\(trustedKeys)/\(delivery.kreis).pub"
            guard let trusted = SigningKeyFile.loadPublic(path: keyPath) else {
                throw refuse(
                    file,
                    "\(district): kein vertrauenswürdiger Schlüssel „\(keyPath)“. Bitte den öffentlichen Schlüssel des Kreises (klappt keygen --signing, Datei .pub) auf sicherem Weg erhalten und dort ablegen."
                )
            }
            guard let signature = Data(base64Encoded: signed.signatur), trusted.isValidSignature(signature, for: Data(signed.inhalt.utf8)) else {
                let otherSigner = signed.unterzeichner != trusted.rawRepresentation.base64EncodedString()
                throw refuse(
                    file,
                    otherSigner
                        ? "\(district): die Übermittlung ist mit einem Schlüssel signiert, dem das Land für diesen Kreis nicht vertraut. Nichts wurde veröffentlicht. Bitte beim Kreis nachfragen (neuer Schlüssel? dann dessen .pub auf sicherem Weg)."
                        : "\(district): die Signatur passt nicht zum Inhalt: die Datei wurde nach dem Signieren verändert oder beschädigt. Nichts wurde veröffentlicht. Bitte die Übermittlung beim Kreis neu anfordern."
                )
            }
            guard delivery.zeitraum == period.description else {
                throw refuse(
                    file,
                    "\(district): die Übermittlung gilt für \(delivery.zeitraum), verlangt ist \(period). Bitte die Übermittlung des richtigen Quartals anfordern."
                )
            }
            if delivery.uebergaenge != nil, delivery.vorquartal == nil {
                throw refuse(
                    file,
                    "\(district): die Übermittlung hat Übergänge, aber nicht die Veröffentlichung des Vorquartals, mit der sie verknüpft sind (ältere klappt-Version). Bitte beim Kreis eine neue Übermittlung mit der aktuellen klappt-Version anfordern."
                )
            }
            if let first = verified.first(where: { $0.delivery.kreis == delivery.kreis }) {
                throw refuse(
                    file,
                    "\(district) hat zwei Übermittlungen geliefert („\(first.file)“ und diese). Bitte eine davon entfernen (die neuere gilt, wenn der Kreis es bestätigt)."
                )
            }
            if let first = verified.first, let difference = tableSystemDifference(first.delivery, delivery) {
                throw refuse(
                    file,
                    "\(district): anderes Tabellensystem als \(first.delivery.kreis) (\(difference)). Alle Kreise müssen dieselben Kennzahlen, Merkmale und min_cell verwenden; bitte beim Kreis nachfragen."
                )
            }
            let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            verified.append(Verified(file: file, delivery: delivery, sha256: digest, signer: signed.unterzeichner))
        }
        if let expected {
            let missing = expected.filter { key in !verified.contains { $0.delivery.kreis == key } }
            if !missing.isEmpty {
                throw refuse(
                    files.first.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "--deliveries",
                    "Erwartet, aber nicht geliefert: \(missing.map { "Kreis \($0)" }.joined(separator: ", ")). Nichts wurde veröffentlicht: ohne jeden erwarteten Kreis wäre die Landessumme falsch. Bitte die Übermittlung beim Kreis anfordern (oder --expect anpassen, wenn der Kreis nicht teilnimmt)."
                )
            }
        }
        guard !verified.isEmpty else { throw .noInputFiles(source: "Übermittlungen", glob: files.isEmpty ? "--deliveries" : files.joined(separator: ", ")) }
        return verified
    }

    /// What differs between two deliveries' table systems, apart from the municipalities (each
    /// district has its own); nil when they agree.
    static func tableSystemDifference(_ a: DistrictDelivery, _ b: DistrictDelivery) -> String? {
        if a.tabellensystem.indikatoren != b.tabellensystem.indikatoren { return "Kennzahlen" }
        if a.tabellensystem.minCell != b.tabellensystem.minCell { return "min_cell \(a.tabellensystem.minCell) und \(b.tabellensystem.minCell)" }
        let other = { (d: DistrictDelivery) in d.tabellensystem.dimensionen.filter { $0.name != Dimension.municipality } }
        if other(a) != other(b) { return "Merkmale" }
        return nil
    }

    /// The state table: every cell the exact sum over the districts; `kreis` rows the districts'
    /// totals.
    public static func stateTable(_ deliveries: [Verified]) throws(KlapptError) -> IndicatorTable {
        try stateTable(deliveries, parts: deliveries.map { ($0.delivery.kreis, $0.delivery.zellen) })
    }

    /// The state table of the previous quarter as the sum of the districts' previous publications
    /// (`vorquartal`); nil unless every delivery carries one.
    public static func previousStateTable(_ deliveries: [Verified]) throws(KlapptError) -> IndicatorTable? {
        let parts = deliveries.compactMap { verified in verified.delivery.vorquartal.map { (verified.delivery.kreis, $0.zellen) } }
        guard parts.count == deliveries.count else { return nil }
        return try stateTable(deliveries, parts: parts)
    }

    static func stateTable(_ deliveries: [Verified], parts: [(key: String, cells: [DistrictDelivery.Cell])]) throws(KlapptError) -> IndicatorTable {
        let system = deliveries[0].delivery.tabellensystem
        var dimensions: [Dimension] = []
        for dimension in system.dimensionen {
            if dimension.name == Dimension.municipality {
                dimensions.append(Dimension(name: districtDimension, categories: parts.map(\.key).sorted()) { _ in nil })
            } else {
                dimensions.append(Dimension(name: dimension.name, categories: dimension.auspraegungen) { _ in nil })
            }
        }
        var table = IndicatorTable(dimensions: dimensions)
        guard Set(table.indicators.map(\.rawValue)) == Set(system.indikatoren) else {
            throw refuse(
                deliveries[0].file, "Die Kennzahlen der Übermittlungen (\(system.indikatoren.joined(separator: ", "))) sind nicht die dieser klappt-Version.")
        }
        var sums: [String: Int] = [:]
        for (key, cells) in parts {
            for cell in cells {
                if cell.dimension == Dimension.municipality { continue }
                sums["\(cell.indikator)|\(cell.dimension)|\(cell.auspraegung)", default: 0] += cell.wert
                if cell.dimension == Dimension.total {
                    sums["\(cell.indikator)|\(districtDimension)|\(key)", default: 0] += cell.wert
                }
            }
        }
        for cell in table.cells { table.set(cell, sums["\(cell.indicator.rawValue)|\(cell.dimension)|\(cell.category)"] ?? 0) }
        return table
    }

    /// The state's transition table (SPEC 10 at the Land level): per pair the sum of the districts'
    /// exact counts; nil unless every district has one.
    public static func stateTransitions(_ deliveries: [Verified]) -> [Int]? {
        var sums = [Int](repeating: 0, count: TransitionTable.pairs.count)
        let position = Dictionary(uniqueKeysWithValues: TransitionTable.pairs.enumerated().map { ("\($0.element.from)|\($0.element.to)", $0.offset) })
        for verified in deliveries {
            guard let transitions = verified.delivery.uebergaenge else { return nil }
            for transition in transitions { if let at = position["\(transition.von)|\(transition.nach)"] { sums[at] += transition.wert } }
        }
        return sums
    }

    /// What the Land itself published of the previous quarter (its store), for the joint system.
    public struct PreviousPublication: Sendable {
        public var period: Period
        /// The state cells (`key(indicator, dimension, category)`), exact, and whether published.
        public var cells: [String: (value: Int, published: Bool)]
        /// The state's transition table of that quarter (`key(von, nach)`), where the Land published one.
        public var transitions: [String: (value: Int, published: Bool)]

        public static func key(_ parts: String...) -> String { parts.joined(separator: "|") }

        /// The districts of that publication (its `kreis` rows).
        var districts: Set<String> {
            Set(cells.keys.map { $0.split(separator: "|", omittingEmptySubsequences: false) }.filter { $0[1] == districtDimension }.map { String($0[2]) })
        }
    }

    /// The joint disclosure problem of the state's publication and every district's (issue 22).
    ///
    /// Cells, by table:
    /// - the state's table of P (`""`) and, where every district has transitions, its transition
    ///   table (`uebergaenge`): this run's own cells, the only ones it may suppress;
    /// - each district's table, transition table, previous quarter and that quarter's transitions
    ///   (`kreis:<key>`, `kreis:<key>/uebergaenge`, …): published cells constants, withheld cells
    ///   unknowns whose small counts stay primary;
    /// - the state's previous quarter (`vorquartal`, `vorquartal_uebergaenge`) as the Land
    ///   published it, where it did for the same districts.
    /// The equations are `jointLinks`'.
    public static func problem(
        state: IndicatorTable, deliveries: [Verified], minCell: Int, previous: PreviousPublication? = nil
    ) throws(KlapptError) -> ProtectionProblem {
        var joint = JointSystem(minCell: minCell)
        let indicators = Dictionary(uniqueKeysWithValues: state.indicators.map { ($0.rawValue, $0) })
        // The state's own cells of P.
        for cell in state.cells { joint.own(cell, state.values[cell] ?? 0) }
        if let transitions = stateTransitions(deliveries) {
            for (cell, value) in zip(LinkedProtection.transitionCells(), transitions) { joint.own(cell, value) }
        }
        // Every district's publications.
        for verified in deliveries {
            let delivery = verified.delivery
            let tables = LinkedProtection.Tables.district(delivery.kreis)
            func add(_ cells: [DistrictDelivery.Cell], table: String) {
                for cell in cells {
                    guard let indicator = indicators[cell.indikator] else { continue }
                    joint.published(
                        CellID(table: table, indicator: indicator, dimension: cell.dimension, category: cell.auspraegung), cell.wert,
                        published: cell.veroeffentlicht)
                }
            }
            func add(_ cells: [DistrictDelivery.Transition], table: String) {
                for cell in cells {
                    joint.published(
                        CellID(table: table, indicator: .transition, dimension: cell.von, category: cell.nach), cell.wert, published: cell.veroeffentlicht)
                }
            }
            add(delivery.zellen, table: tables.current)
            add(delivery.uebergaenge ?? [], table: tables.transitions)
            if let before = delivery.vorquartal {
                add(before.zellen, table: tables.previous)
                add(before.uebergaenge ?? [], table: tables.previousTransitions)
            }
        }
        // The state's previous quarter as the Land published it, for the same districts.
        let districtKeys = deliveries.map(\.delivery.kreis)
        if let previous, previous.districts == Set(districtKeys), let before = try previousStateTable(deliveries) {
            for cell in before.cells {
                guard let entry = previous.cells[PreviousPublication.key(cell.indicator.rawValue, cell.dimension, cell.category)] else { continue }
                joint.published(
                    CellID(table: CellID.Table.previous, indicator: cell.indicator, dimension: cell.dimension, category: cell.category),
                    before.values[cell] ?? 0,
                    published: entry.published)
            }
            if deliveries.allSatisfy({ $0.delivery.vorquartal?.uebergaenge != nil }) {
                for pair in TransitionTable.pairs {
                    guard let entry = previous.transitions[PreviousPublication.key(pair.from.description, pair.to.description)] else { continue }
                    joint.published(
                        CellID(
                            table: CellID.Table.previousTransitions, indicator: .transition, dimension: pair.from.description, category: pair.to.description),
                        entry.value, published: entry.published)
                }
            }
        }
        return joint.problem(identities: state.identities, links: jointLinks(cells: joint.cells, districts: districtKeys))
    }

    /// The equations a reader of the state's and the districts' publications knows, for the cells
    /// present (tables named as in `LinkedProtection.Tables`: the state's `own`, a district's
    /// `district(key)`):
    /// - each state cell is the sum of its districts' cells of the same table, a `kreis` row that
    ///   district's `insgesamt` row (the districts' `gemeinde` rows have no state counterpart);
    /// - every publisher's transitions add up to its two quarters (SPEC 10, `LinkedProtection.links`);
    /// - without the state's previous quarter, the state's transition rows add up to the sum of the
    ///   districts' previous totals.
    /// Used by the roll-up's protection and by `klappt audit --kreis`, which audits the published
    /// files on their own.
    public static func jointLinks(cells: [CellID], districts: [String]) -> [[(cell: CellID, coefficient: Double)]] {
        let present = Set(cells)
        let own = LinkedProtection.Tables.own
        var links: [[(cell: CellID, coefficient: Double)]] = LinkedProtection.links(own)
        var parts: [CellID: [CellID]] = [:]
        // A state table is the sum of its districts' only where every district has that table (a
        // file of one district missing beside the others must not turn into a false equation).
        let tablesPresent = Set(cells.map(\.table))
        let complete = Set(
            [own.current, own.transitions, own.previous, own.previousTransitions].filter { state in
                districts.allSatisfy { key in tablesPresent.contains(LinkedProtection.Tables.district(key).matching(state, in: own)) }
            })
        for key in districts {
            let tables = LinkedProtection.Tables.district(key)
            links += LinkedProtection.links(tables)
            for (district, state) in [
                (tables.current, own.current), (tables.transitions, own.transitions), (tables.previous, own.previous),
                (tables.previousTransitions, own.previousTransitions),
            ] where complete.contains(state) {
                for cell in cells where cell.table == district && cell.dimension != Dimension.municipality {
                    parts[CellID(table: state, indicator: cell.indicator, dimension: cell.dimension, category: cell.category), default: []].append(cell)
                    if cell.dimension == Dimension.total {
                        parts[CellID(table: state, indicator: cell.indicator, dimension: districtDimension, category: key), default: []].append(cell)
                    }
                }
            }
        }
        for cell in cells where complete.contains(cell.table) {
            links.append([(cell, -1.0)] + (parts[cell] ?? []).map { ($0, 1.0) })
        }
        let statePrevious = cells.contains { $0.table == own.previous }
        if !statePrevious {
            for state in PersonState.all where state != .outside {
                guard let total = LinkedProtection.total(state, table: own.previous), let districtTotals = parts[total], !districtTotals.isEmpty,
                    districtTotals.count == districts.count
                else { continue }
                let row = PersonState.all.compactMap { to in LinkedProtection.cell(state, to, own.transitions) }
                guard row.allSatisfy(present.contains) else { continue }
                links.append(row.map { ($0, 1.0) } + districtTotals.map { ($0, -1.0) })
            }
        }
        return links
    }

    /// The cells of a joint system and what is known of each.
    struct JointSystem {
        var minCell: Int
        var cells: [CellID] = []
        var values: [Int] = []
        var primary = Set<Int>()
        var hidden = Set<Int>()
        var fixed = Set<Int>()

        init(minCell: Int) { self.minCell = minCell }

        var small: (Int) -> Bool { { [minCell] in $0 > 0 && $0 < minCell } }

        /// A cell of this run's publication: suppressed if small, or as secondary suppression chooses.
        mutating func own(_ cell: CellID, _ value: Int) {
            if small(value) { primary.insert(cells.count) }
            append(cell, value)
        }

        /// A cell another publication showed (a constant) or withheld (an unknown; a small one
        /// stays protected).
        mutating func published(_ cell: CellID, _ value: Int, published: Bool) {
            if published {
                fixed.insert(cells.count)
            } else {
                hidden.insert(cells.count)
                if small(value) { primary.insert(cells.count) }
            }
            append(cell, value)
        }

        /// A cell nobody published (a sum of other publishers' cells): an unknown, nothing to protect
        /// in itself.
        mutating func unpublished(_ cell: CellID, _ value: Int) {
            hidden.insert(cells.count)
            append(cell, value)
        }

        mutating func append(_ cell: CellID, _ value: Int) {
            cells.append(cell)
            values.append(value)
        }

        func problem(identities: [TableIdentity], links: [[(cell: CellID, coefficient: Double)]]) -> ProtectionProblem {
            ProtectionProblem(
                system: TableSystem(cells: cells, identities: identities, links: links), values: values, primary: primary, hidden: hidden, fixed: fixed)
        }
    }

    /// Sums and protects verified deliveries; the state's publishable table and the audit.
    public static func protect(_ deliveries: [Verified], minCell: Int, timeLimit: Double = 10) throws(KlapptError) -> ProtectedTable {
        let state = try stateTable(deliveries)
        let problem = try problem(state: state, deliveries: deliveries, minCell: minCell)
        return try Protection(minCell: minCell, secondary: OptimalSuppression(timeLimit: timeLimit), logger: Logger(label: "klappt.land"))
            .apply(state, problem: problem, subject: "Landestabelle")
    }
}
