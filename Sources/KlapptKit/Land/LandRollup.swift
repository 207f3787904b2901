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
        let system = deliveries[0].delivery.tabellensystem
        var dimensions: [Dimension] = []
        for dimension in system.dimensionen {
            if dimension.name == Dimension.municipality {
                dimensions.append(Dimension(name: districtDimension, categories: deliveries.map(\.delivery.kreis).sorted()) { _ in nil })
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
        for verified in deliveries {
            for cell in verified.delivery.zellen {
                if cell.dimension == Dimension.municipality { continue }
                sums["\(cell.indikator)|\(cell.dimension)|\(cell.auspraegung)", default: 0] += cell.wert
                if cell.dimension == Dimension.total {
                    sums["\(cell.indikator)|\(districtDimension)|\(verified.delivery.kreis)", default: 0] += cell.wert
                }
            }
        }
        for cell in table.cells { table.set(cell, sums["\(cell.indicator.rawValue)|\(cell.dimension)|\(cell.category)"] ?? 0) }
        return table
    }

    /// The joint disclosure problem of the state table and every district's publication.
    public static func problem(state: IndicatorTable, deliveries: [Verified], minCell: Int) -> ProtectionProblem {
        var cells = state.cells
        var values = state.cells.map { state.values[$0] ?? 0 }
        var primary = Set(values.indices.filter { values[$0] > 0 && values[$0] < minCell })
        var hidden = Set<Int>()
        var fixed = Set<Int>()
        let indicators = Dictionary(uniqueKeysWithValues: state.indicators.map { ($0.rawValue, $0) })
        var links: [[(cell: CellID, coefficient: Double)]] = []
        var parts: [CellID: [CellID]] = [:]
        for verified in deliveries {
            let table = "kreis:\(verified.delivery.kreis)"
            for cell in verified.delivery.zellen {
                guard let indicator = indicators[cell.indikator] else { continue }
                let id = CellID(table: table, indicator: indicator, dimension: cell.dimension, category: cell.auspraegung)
                let position = cells.count
                cells.append(id)
                values.append(cell.wert)
                if cell.veroeffentlicht {
                    fixed.insert(position)
                } else {
                    hidden.insert(position)
                    if cell.wert > 0 && cell.wert < minCell { primary.insert(position) }
                }
                if cell.dimension != Dimension.municipality {
                    parts[CellID(indicator: indicator, dimension: cell.dimension, category: cell.auspraegung), default: []].append(id)
                }
                if cell.dimension == Dimension.total {
                    parts[CellID(indicator: indicator, dimension: districtDimension, category: verified.delivery.kreis), default: []].append(id)
                }
            }
        }
        // Each state cell is the sum of its districts' cells.
        for cell in state.cells { links.append([(cell, -1.0)] + (parts[cell] ?? []).map { ($0, 1.0) }) }
        let system = TableSystem(cells: cells, identities: state.identities, links: links)
        return ProtectionProblem(system: system, values: values, primary: primary, hidden: hidden, fixed: fixed)
    }

    /// Sums and protects verified deliveries; the state's publishable table and the audit.
    public static func protect(_ deliveries: [Verified], minCell: Int, timeLimit: Double = 10) throws(KlapptError) -> ProtectedTable {
        let state = try stateTable(deliveries)
        let problem = problem(state: state, deliveries: deliveries, minCell: minCell)
        return try Protection(minCell: minCell, secondary: OptimalSuppression(timeLimit: timeLimit), logger: Logger(label: "klappt.land"))
            .apply(state, problem: problem, subject: "Landestabelle")
    }
}
