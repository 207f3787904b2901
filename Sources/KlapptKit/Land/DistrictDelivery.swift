import Crypto
import Foundation
import KlapptFormats

/// A district's delivery to the Land (issue 22, `klappt uebermittlung`): the exact table system of
/// one quarter, which cells the district published and which it withheld, and what the tables are,
/// signed with the district's Ed25519 key.
///
/// It holds no pseudonym, no person row and nothing of an input: only counts. They are exact, small
/// counts among them, so the file is personal-data-adjacent and goes to the Land only under the
/// programme's data-processing agreement (README); it is written with mode 0600.
public struct DistrictDelivery: Codable, Sendable, Equatable {
    public struct TableSystem: Codable, Sendable, Equatable {
        public var indikatoren: [String]
        public var dimensionen: [Dimension]
        public var minCell: Int

        public struct Dimension: Codable, Sendable, Equatable {
            public var name: String
            public var auspraegungen: [String]
        }
    }

    public struct Cell: Codable, Sendable, Equatable {
        public var indikator: String
        public var dimension: String
        public var auspraegung: String
        public var wert: Int
        /// Whether the district's published table shows it (false: `*`).
        public var veroeffentlicht: Bool
    }

    public struct Transition: Codable, Sendable, Equatable {
        public var von: String
        public var nach: String
        public var wert: Int
        public var veroeffentlicht: Bool
    }

    /// A word of the district's label list (`beschriftungen.csv`), for the Land's report.
    public struct Label: Codable, Sendable, Equatable {
        public var art: String
        public var code: String
        public var beschriftung: String
        public var erlaeuterung: String?
    }

    /// The previous quarter's publication as the district's run linked its transitions to it
    /// (SPEC 10): the exact cells with what the district published, and that quarter's own
    /// transition table. The Land needs it to model the transition rows, which add up to these cells.
    public struct Previous: Codable, Sendable, Equatable {
        public var zeitraum: String
        public var zellen: [Cell]
        public var uebergaenge: [Transition]?
    }

    public var format = "klappt-uebermittlung"
    /// 2: with `vorquartal` wherever there are transitions.
    public var formatVersion = 2
    public var kreis: String
    public var kreisName: String
    public var zeitraum: String
    public var klapptVersion: String
    public var tabellensystem: TableSystem
    public var zellen: [Cell]
    /// The quarter's transition table (SPEC 10) where the district has one.
    public var uebergaenge: [Transition]?
    /// The previous quarter's publication, wherever `uebergaenge` is given.
    public var vorquartal: Previous?
    /// The programme's name as the district's report gives it.
    public var programm: String?
    /// The words of the indicators, dimensions and categories (not of the municipalities).
    public var beschriftungen: [Label]?

    /// The delivery of `period` from the store of `pipeline`'s output folder: the latest finished
    /// run's exact cells with their publication flags, in the published table's order.
    public static func make(pipeline: Pipeline, period: Period) throws(KlapptError) -> DistrictDelivery {
        let storePath = "\(pipeline.outputDirectory)/klappt.sqlite"
        guard FileManager.default.fileExists(atPath: storePath) else {
            throw .notInStore(period: period.description, store: storePath, finished: [])
        }
        let store = try Store(path: storePath)
        guard let run = try store.latestRun(period: period), run.published else {
            throw .notInStore(period: period.description, store: storePath, finished: try store.finishedPeriods())
        }
        // SPEC 10: a quarter whose transitions came from an earlier run of the previous quarter
        // would be delivered with a previous quarter they do not add up to.
        if try store.isStale(period: period.description) {
            throw .inputFormat(
                FormatError(
                    .malformed, file: storePath,
                    message:
                        "Das Quartal \(period) ist veraltet: das Vorquartal \(period.previous) wurde danach neu berechnet, die Übergänge passen nicht mehr dazu. Bitte zuerst „klappt run --period \(period)“, dann die Übermittlung."
                ))
        }
        let indicators = pipeline.indicatorFamilies.flatMap(\.columns).map(\.rawValue)
        let dimensions = Dimension.standard(for: pipeline).map { TableSystem.Dimension(name: $0.name, auspraegungen: $0.categories) }
        let cells = try publishedCells(store: store, period: period, indicators: indicators, dimensions: dimensions)
        let transitions = try publishedTransitions(store: store, period: period)
        var previous: Previous?
        if !transitions.isEmpty {
            let before = period.previous
            previous = Previous(
                zeitraum: before.description, zellen: try publishedCells(store: store, period: before, indicators: indicators, dimensions: dimensions),
                uebergaenge: try publishedTransitions(store: store, period: before).nilIfEmpty)
        }
        let labels = pipeline.labels.all(
            dimensions: dimensions.filter { $0.name != Dimension.municipality }.map { ($0.name, $0.auspraegungen) }, indicators: indicators
        ).map { Label(art: $0.kind, code: $0.code, beschriftung: $0.label, erlaeuterung: $0.definition) }
        return DistrictDelivery(
            kreis: pipeline.districtKey, kreisName: pipeline.report.district, zeitraum: period.description, klapptVersion: QuarterlyRun.version,
            tabellensystem: TableSystem(indikatoren: indicators, dimensionen: dimensions, minCell: pipeline.minCell),
            zellen: cells,
            uebergaenge: transitions.nilIfEmpty, vorquartal: previous, programm: pipeline.report.programme, beschriftungen: labels)
    }

    /// The store's exact cells of `period` with their publication flags, in the published table's
    /// order; every cell of the table system must be there.
    static func publishedCells(store: Store, period: Period, indicators: [String], dimensions: [TableSystem.Dimension]) throws(KlapptError) -> [Cell] {
        var stored: [String: (Int, Bool)] = [:]
        for row in try store.query("SELECT indikator, dimension, auspraegung, wert, gesperrt FROM indikatoren WHERE zeitraum = '\(period)'") {
            stored["\(row[0]!)|\(row[1]!)|\(row[2]!)"] = (Int(row[3]!) ?? 0, row[4] == "1")
        }
        var cells: [Cell] = []
        for indicator in indicators {
            for dimension in dimensions {
                for category in dimension.auspraegungen {
                    guard let (value, suppressed) = stored["\(indicator)|\(dimension.name)|\(category)"] else {
                        throw .internalError("Zelle \(indicator)|\(dimension.name)|\(category) fehlt im Speicher für \(period)")
                    }
                    cells.append(Cell(indikator: indicator, dimension: dimension.name, auspraegung: category, wert: value, veroeffentlicht: !suppressed))
                }
            }
        }
        guard cells.count == stored.count else {
            throw .internalError(
                "Der Speicher hat für \(period) \(stored.count) Zellen, das Tabellensystem der Pipeline \(cells.count): andere Pipeline-Datei?")
        }
        return cells
    }

    /// The store's transition table of `period` with its flags, in publication order (empty: none).
    static func publishedTransitions(store: Store, period: Period) throws(KlapptError) -> [Transition] {
        let order = Dictionary(uniqueKeysWithValues: TransitionTable.pairs.enumerated().map { ("\($0.element.from)|\($0.element.to)", $0.offset) })
        return try store.query("SELECT von, nach, wert, gesperrt FROM uebergaenge WHERE zeitraum = '\(period)'").map {
            Transition(von: $0[0]!, nach: $0[1]!, wert: Int($0[2]!) ?? 0, veroeffentlicht: $0[3] != "1")
        }.sorted { order["\($0.von)|\($0.nach)", default: 0] < order["\($1.von)|\($1.nach)", default: 0] }
    }

    /// The delivery as its file holds it: the content as canonical JSON text, its Ed25519 signature,
    /// and the signer's public key (which the Land compares with the one it trusts for the district).
    public struct Signed: Codable, Sendable {
        public var inhalt: String
        public var signatur: String
        public var unterzeichner: String
    }

    /// Canonical JSON (sorted keys): the bytes the signature covers.
    public func canonicalJSON() throws(KlapptError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(self), as: UTF8.self) } catch { throw .internalError("\(error)") }
    }

    public func signed(with key: Curve25519.Signing.PrivateKey) throws(KlapptError) -> Signed {
        let content = try canonicalJSON()
        let signature: Data
        do { signature = try key.signature(for: Data(content.utf8)) } catch { throw .internalError("Signatur: \(error)") }
        return Signed(inhalt: content, signatur: signature.base64EncodedString(), unterzeichner: key.publicKey.rawRepresentation.base64EncodedString())
    }

    /// The bytes of a delivery file.
    public static func fileBytes(_ signed: Signed) throws(KlapptError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(signed)) + [0x0A] } catch { throw .internalError("\(error)") }
    }

    /// Writes the signed delivery to `path` (mode 0600, replaced atomically) and notes it in the store.
    /// Returns the file's sha256.
    @discardableResult
    public func write(to path: String, key: Curve25519.Signing.PrivateKey, pipeline: Pipeline) throws(KlapptError) -> String {
        let signed = try signed(with: key)
        let bytes = try DistrictDelivery.fileBytes(signed)
        try AtomicFile.write(bytes, to: path, mode: 0o600)
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let store = try Store(path: "\(pipeline.outputDirectory)/klappt.sqlite")
        try store.recordDelivery(period: zeitraum, file: path, sha256: digest, signer: signed.unterzeichner)
        return digest
    }
}

extension Array {
    /// nil for an empty array (an optional field of a delivery that has nothing to say).
    var nilIfEmpty: [Element]? { isEmpty ? nil : self }
}
