import Crypto
import Foundation
import KlapptFormats
import KlapptTestSupport
import Testing

@testable import KlapptKit

/// The Land's roll-up (issue 22) on three tiny hand-built districts: a state table protected on
/// its own gives a district's withheld cell away (state minus the other districts' published
/// cells); klappt's joint protection does not. Every person in these districts is in the target
/// group without an activity, so `zielgruppe` and `ohne_aktivitaet` are the only non-zero columns.
@Suite struct LandRollupTests {
    /// A district: key, its two municipalities, and its persons' sex (all 21-23, schutz, SYR, in
    /// the first municipality).
    struct District {
        var key: String
        var women: Int
        var men: Int
    }

    static let districts = [District(key: "05978", women: 2, men: 6), District(key: "05974", women: 5, men: 5), District(key: "05966", women: 4, men: 7)]

    static func dimensions(_ key: String) -> [KlapptKit.Dimension] {
        [
            KlapptKit.Dimension(name: "insgesamt", categories: ["insgesamt"]) { _ in nil },
            KlapptKit.Dimension(name: "gemeinde", categories: ["\(key)004", "\(key)008", "unbekannt"]) { _ in nil },
            KlapptKit.Dimension(name: "geschlecht", categories: ["m", "w", "d", "x"]) { _ in nil },
            KlapptKit.Dimension(name: "altersgruppe", categories: ["18-20", "21-23", "24-26"]) { _ in nil },
            KlapptKit.Dimension(name: "aufenthalt", categories: ["gestattung", "duldung", "schutz", "ukraine", "chancen"]) { _ in nil },
            KlapptKit.Dimension(name: "staatsangehoerigkeit", categories: ["AFG", "SYR", "sonstige", "unbekannt"]) { _ in nil },
        ]
    }

    /// The district's exact table and its own publication, as its run makes them.
    static func delivery(_ district: District, period: String = "2026-Q3") throws -> DistrictDelivery {
        var table = IndicatorTable(dimensions: dimensions(district.key))
        let total = district.women + district.men
        for indicator in [Indicator.zielgruppe, .ohneAktivitaet] {
            for (dimension, category, value) in [
                ("insgesamt", "insgesamt", total), ("gemeinde", "\(district.key)004", total), ("geschlecht", "w", district.women),
                ("geschlecht", "m", district.men), ("altersgruppe", "21-23", total), ("aufenthalt", "schutz", total), ("staatsangehoerigkeit", "SYR", total),
            ] {
                table.set(CellID(indicator: indicator, dimension: dimension, category: category), value)
            }
        }
        let protected = try DisclosureControl(minCell: 3).protect(table)
        return DistrictDelivery(
            kreis: district.key, kreisName: "Kreis \(district.key)", zeitraum: period, klapptVersion: QuarterlyRun.version,
            tabellensystem: .init(
                indikatoren: table.indicators.map(\.rawValue), dimensionen: dimensions(district.key).map { .init(name: $0.name, auspraegungen: $0.categories) },
                minCell: 3),
            zellen: table.cells.map {
                .init(
                    indikator: $0.indicator.rawValue, dimension: $0.dimension, auspraegung: $0.category, wert: table.values[$0]!,
                    veroeffentlicht: !protected.suppressed.contains($0))
            })
    }

    /// What a reader of every publication of `joint` learns of `cell` when `suppressed` is withheld.
    static func finding(_ cell: Int, in joint: ProtectionProblem, suppressed: Set<Int>) throws -> SuppressionAudit.Finding {
        let audit = SuppressionAudit(minCell: 3).audit(system: joint.system, values: joint.values, suppressed: suppressed, primary: joint.primary)
        return try #require(audit.first { $0.cell == joint.system.cells[cell] })
    }

    func verified() throws -> [LandRollup.Verified] {
        try Self.districts.map { LandRollup.Verified(file: "\($0.key).json", delivery: try Self.delivery($0), sha256: "", signer: "") }
    }

    @Test func aStateTableProtectedAloneRevealsAWithheldCellTheJointProtectionDoesNot() throws {
        let deliveries = try verified()
        let women = CellID(indicator: .zielgruppe, dimension: "geschlecht", category: "w")
        // The first district withholds its 2 women; the others publish 5 and 4.
        #expect(
            deliveries[0].delivery.zellen.first { $0.indikator == "zielgruppe" && $0.dimension == "geschlecht" && $0.auspraegung == "w" }?.veroeffentlicht
                == false)
        #expect(
            deliveries[1].delivery.zellen.first { $0.indikator == "zielgruppe" && $0.dimension == "geschlecht" && $0.auspraegung == "w" }?.veroeffentlicht
                == true)
        let state = try LandRollup.stateTable(deliveries)
        #expect(state.values[women] == 11)
        #expect(state.values[CellID(indicator: .zielgruppe, dimension: "insgesamt", category: "insgesamt")] == 29)
        #expect(state.values[CellID(indicator: .zielgruppe, dimension: "kreis", category: "05978")] == 8)
        #expect(state.dimensions.map(\.name) == ["insgesamt", "kreis", "geschlecht", "altersgruppe", "aufenthalt", "staatsangehoerigkeit"])
        #expect(state.dimensions[1].categories == ["05966", "05974", "05978"])

        let joint = try LandRollup.problem(state: state, deliveries: deliveries, minCell: 3)
        let withheld = try #require(joint.system.index[CellID(table: "kreis:05978", indicator: .zielgruppe, dimension: "geschlecht", category: "w")])
        #expect(joint.primary.contains(withheld) && joint.hidden.contains(withheld))

        // Naive: the state table protected on its own (it has no small cell, so nothing is withheld).
        let naive = try DisclosureControl(minCell: 3).protect(state)
        #expect(!naive.suppressed.contains(women))
        let naiveSuppressed = joint.hidden.union(Set(naive.suppressed.compactMap { joint.system.index[$0] }))
        let recovered = try Self.finding(withheld, in: joint, suppressed: naiveSuppressed)
        #expect(!recovered.protected)
        #expect(recovered.interval.upper == 2, "11 − 5 − 4 = 2: the withheld cell is the difference")

        // klappt: protected jointly; every small cell of the state and of every district stays protected.
        let protected = try LandRollup.protect(deliveries, minCell: 3)
        #expect(protected.suppressed.contains(women))
        #expect(protected.audit.allSatisfy { $0.protected })
        #expect(protected.audit.contains { $0.cell == joint.system.cells[withheld] })
        let audit = SuppressionAudit(minCell: 3).audit(
            system: joint.system, values: joint.values, suppressed: joint.hidden.union(Set(protected.suppressed.compactMap { joint.system.index[$0] })),
            primary: joint.primary)
        #expect(audit.allSatisfy { $0.protected })
        // Every published state cell is the exact sum.
        for cell in state.cells where !protected.suppressed.contains(cell) { #expect(protected.published(cell) == String(state.values[cell]!)) }
    }

    @Test func deliveriesAreRefusedUnlessEachIsSignedByItsDistrictsTrustedKeyForThePeriod() throws {
        let folder = makeTemporaryDirectory("klappt-land")
        let trusted = "\(folder)/vertrauenswuerdig"
        try FileManager.default.createDirectory(atPath: trusted, withIntermediateDirectories: true)
        var keys: [String: Curve25519.Signing.PrivateKey] = [:]
        for district in Self.districts {
            let path = "\(folder)/\(district.key).sig"
            try SigningKeyFile.create(path: path)
            try FileManager.default.moveItem(atPath: path + ".pub", toPath: "\(trusted)/\(district.key).pub")
            keys[district.key] = try SigningKeyFile.loadPrivate(path: path)
        }
        func write(_ delivery: DistrictDelivery, key: Curve25519.Signing.PrivateKey, to name: String, tamper: Bool = false) throws -> String {
            var signed = try delivery.signed(with: key)
            if tamper {
                // One count changed after signing: 8 persons become 9.
                let range = try #require(signed.inhalt.range(of: #""wert":8"#))
                signed.inhalt.replaceSubrange(range, with: #""wert":9"#)
            }
            let bytes = try DistrictDelivery.fileBytes(signed)
            let path = "\(folder)/\(name)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let good = try Self.districts.map { try write(try Self.delivery($0), key: keys[$0.key]!, to: "\($0.key).json") }
        let period = Period("2026-Q3")!
        let all = try LandRollup.verify(files: good, trustedKeys: trusted, period: period, expected: ["05978", "05974", "05966"])
        #expect(all.map(\.delivery.kreis).sorted() == ["05966", "05974", "05978"])

        func refusal(_ files: [String], expected: [String]? = nil) -> KlapptError? {
            #expect(throws: KlapptError.self) { try LandRollup.verify(files: files, trustedKeys: trusted, period: period, expected: expected) }
        }
        let changed = try write(try Self.delivery(Self.districts[0]), key: keys["05978"]!, to: "geaendert.json", tamper: true)
        let untrusted = try write(try Self.delivery(Self.districts[1]), key: keys["05978"]!, to: "fremd.json")
        let otherPeriod = try write(try Self.delivery(Self.districts[2], period: "2026-Q2"), key: keys["05966"]!, to: "q2.json")
        for (files, words) in [
            ([changed] + good.dropFirst(), ["05978", "verändert"]), ([good[0], untrusted, good[2]], ["05974", "nicht vertraut"]),
            (good + [try write(try Self.delivery(Self.districts[0]), key: keys["05978"]!, to: "zweimal.json")], ["05978", "zwei Übermittlungen"]),
            ([good[0], good[1], otherPeriod], ["05966", "2026-Q2"]),
        ] {
            let error = refusal(files)
            #expect(error?.exitCode == 65, "\(words)")
            for word in words { #expect(error?.description.contains(word) == true, "\(error?.description ?? "") / \(word)") }
        }
        let missing = refusal(Array(good.prefix(2)), expected: ["05978", "05974", "05966"])
        #expect(missing?.exitCode == 65)
        #expect(missing?.description.contains("nicht geliefert") == true)
        #expect(missing?.description.contains("05966") == true)
    }

    // MARK: - Transitions at the Land level

    /// A district's quarter in which every one of its `persons` is in the target group, `training`
    /// of them in training and the rest without an activity (all men, 21-23, schutz, SYR, in the
    /// first municipality).
    static func quarter(_ key: String, persons: Int, training: Int) -> IndicatorTable {
        var table = IndicatorTable(dimensions: dimensions(key))
        for (dimension, category) in [
            ("insgesamt", "insgesamt"), ("gemeinde", "\(key)004"), ("geschlecht", "m"), ("altersgruppe", "21-23"), ("aufenthalt", "schutz"),
            ("staatsangehoerigkeit", "SYR"),
        ] {
            for (indicator, value) in [
                (Indicator.zielgruppe, persons), (.personen, training), (.ausbildung, training), (.ohneAktivitaet, persons - training),
            ] {
                table.set(CellID(indicator: indicator, dimension: dimension, category: category), value)
            }
        }
        return table
    }

    /// A district's delivery of 2026-Q3 with transitions, protected as its own run protects it
    /// (SPEC 10: Q3's table, its transitions and Q2's publication linked): in 2026-Q2 all
    /// `persons` were without an activity; in 2026-Q3 `training` of them began training.
    static func deliveryWithTransitions(_ key: String, persons: Int, training: Int) throws -> DistrictDelivery {
        let before = quarter(key, persons: persons, training: 0)
        let now = quarter(key, persons: persons, training: training)
        let published = try DisclosureControl(minCell: 3).protect(before)
        var transitions = TransitionTable()
        for _ in 0..<training { transitions.count(.withoutActivity, .activity(.ausbildung)) }
        for _ in 0..<(persons - training) { transitions.count(.withoutActivity, .withoutActivity) }
        let previous = PreviousQuarter(
            period: Period("2026-Q2")!, runID: 1, persons: [],
            cells: before.cells.map {
                PreviousQuarter.PublishedCell(
                    cell: CellID(table: CellID.Table.previous, indicator: $0.indicator, dimension: $0.dimension, category: $0.category),
                    value: before.values[$0]!, suppressed: published.suppressed.contains($0))
            })
        let protected = try DisclosureControl(minCell: 3).protect(
            now, linked: LinkedProtection.problem(table: now, transitions: transitions, previous: previous, minCell: 3))
        let system = DistrictDelivery.TableSystem(
            indikatoren: now.indicators.map(\.rawValue), dimensionen: dimensions(key).map { .init(name: $0.name, auspraegungen: $0.categories) }, minCell: 3)
        func cells(_ table: IndicatorTable, suppressed: Set<CellID>) -> [DistrictDelivery.Cell] {
            table.cells.map {
                .init(
                    indikator: $0.indicator.rawValue, dimension: $0.dimension, auspraegung: $0.category, wert: table.values[$0]!,
                    veroeffentlicht: !suppressed.contains($0))
            }
        }
        return DistrictDelivery(
            kreis: key, kreisName: "Kreis \(key)", zeitraum: "2026-Q3", klapptVersion: QuarterlyRun.version, tabellensystem: system,
            zellen: cells(now, suppressed: protected.suppressed),
            uebergaenge: LinkedProtection.transitionCells().map {
                .init(von: $0.dimension, nach: $0.category, wert: protected.linkedValues[$0]!, veroeffentlicht: !protected.suppressed.contains($0))
            },
            vorquartal: .init(zeitraum: "2026-Q2", zellen: cells(before, suppressed: published.suppressed), uebergaenge: nil))
    }

    /// Three districts where 2, 5 and 4 persons began training from no activity. The first
    /// withholds its 2 (in its table and in its transitions); the others publish 5 and 4. The
    /// state's transition cell "ohne Aktivität → Ausbildung" is 11: published, it gives the 2 back.
    @Test func theStatesTransitionsAreProtectedJointlyWithTheDistrictsPublications() throws {
        let deliveries = try [("05978", 8, 2), ("05974", 10, 5), ("05966", 11, 4)].map { key, persons, training in
            LandRollup.Verified(
                file: "\(key).json", delivery: try Self.deliveryWithTransitions(key, persons: persons, training: training), sha256: "", signer: "")
        }
        let began = { (delivery: DistrictDelivery) in delivery.uebergaenge!.first { $0.von == "ohne_aktivitaet" && $0.nach == "ausbildung" }! }
        #expect(began(deliveries[0].delivery).wert == 2 && !began(deliveries[0].delivery).veroeffentlicht)
        #expect(began(deliveries[1].delivery).wert == 5 && began(deliveries[1].delivery).veroeffentlicht)
        #expect(began(deliveries[2].delivery).wert == 4 && began(deliveries[2].delivery).veroeffentlicht)

        let sums = try #require(LandRollup.stateTransitions(deliveries))
        let position = try #require(TransitionTable.position(.withoutActivity, .activity(.ausbildung)))
        #expect(sums[position] == 11)
        #expect(sums[try #require(TransitionTable.position(.withoutActivity, .withoutActivity))] == 6 + 5 + 7)

        let state = try LandRollup.stateTable(deliveries)
        let joint = try LandRollup.problem(state: state, deliveries: deliveries, minCell: 3)
        let stateCell = LinkedProtection.transitionCells()[position]
        let withheld = try #require(
            joint.system.index[CellID(table: "kreis:05978/uebergaenge", indicator: .transition, dimension: "ohne_aktivitaet", category: "ausbildung")])
        #expect(joint.primary.contains(withheld) && joint.hidden.contains(withheld))
        // The districts' previous quarters are in the system, linked to their transition rows.
        #expect(joint.system.index[CellID(table: "kreis:05966/vorquartal", indicator: .ohneAktivitaet, dimension: "insgesamt", category: "insgesamt")] != nil)

        // Naive: the state's tables published with nothing withheld beyond their own small cells
        // (there are none: 11, 18, 29).
        let recovered = try Self.finding(withheld, in: joint, suppressed: joint.hidden)
        #expect(!recovered.protected)
        #expect(recovered.interval.upper == 2, "11 − 5 − 4 = 2")

        // klappt: the state's transition cell (or what protects it) is withheld, and every small cell
        // of the state and of every district's four tables stays protected.
        let protected = try LandRollup.protect(deliveries, minCell: 3)
        #expect(protected.suppressed.contains(stateCell))
        #expect(protected.linkedValues[stateCell] == 11)
        #expect(protected.audit.allSatisfy { $0.protected })
        #expect(protected.audit.contains { $0.cell == joint.system.cells[withheld] })
        let transitions = PublishableTransitions(protected, previousPeriod: Period("2026-Q2")!)
        #expect(transitions.cells.count == 63)
        #expect(transitions.cells[position].value == .suppressed)
        // Every published state transition is the exact sum of the districts'.
        for (cell, sum) in zip(transitions.cells, sums) where cell.value != .suppressed { #expect(cell.value == .count(sum)) }
    }

    /// A delivery with transitions but without the previous quarter they are linked to (a klappt
    /// before format 2) cannot be modelled and is refused.
    @Test func aDeliveryWithTransitionsButWithoutItsPreviousQuarterIsRefused() throws {
        let folder = makeTemporaryDirectory("klappt-land-v1")
        try SigningKeyFile.create(path: "\(folder)/05978.sig")
        let key = try SigningKeyFile.loadPrivate(path: "\(folder)/05978.sig")
        try FileManager.default.createDirectory(atPath: "\(folder)/vertraut", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: "\(folder)/05978.sig.pub", toPath: "\(folder)/vertraut/05978.pub")
        var delivery = try Self.deliveryWithTransitions("05978", persons: 8, training: 2)
        delivery.vorquartal = nil
        let path = "\(folder)/05978.json"
        try Data(try DistrictDelivery.fileBytes(try delivery.signed(with: key))).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: KlapptError.self) {
            try LandRollup.verify(files: [path], trustedKeys: "\(folder)/vertraut", period: Period("2026-Q3")!, expected: nil)
        }
        #expect(error?.exitCode == 65)
        #expect(error?.description.contains("Vorquartal") == true)
    }

    /// A state table is the sum of its districts' only where every district has that table: with
    /// one district's previous quarter missing, the state's previous cells get no (false) sum.
    @Test func jointLinksSumAStateTableOnlyOverDistrictsThatHaveIt() {
        let cell = { (table: String) in CellID(table: table, indicator: .zielgruppe, dimension: "insgesamt", category: "insgesamt") }
        let a = LinkedProtection.Tables.district("05978")
        let b = LinkedProtection.Tables.district("05974")
        let state = LinkedProtection.Tables.own
        let cells = [cell(state.current), cell(a.current), cell(b.current), cell(state.previous), cell(a.previous)]
        let links = LandRollup.jointLinks(cells: cells, districts: ["05978", "05974"])
        let sums = links.filter { $0.first?.coefficient == -1 && $0.first?.cell.indicator == .zielgruppe }.map { $0.map(\.cell.table) }
        #expect(sums.contains([state.current, a.current, b.current]))
        #expect(!sums.contains { $0.first == state.previous && $0.count > 1 })
        // With both previous quarters, the state's is their sum.
        let complete = LandRollup.jointLinks(cells: cells + [cell(b.previous)], districts: ["05978", "05974"])
        #expect(complete.contains { $0.map(\.cell.table) == [state.previous, a.previous, b.previous] })
    }
}
