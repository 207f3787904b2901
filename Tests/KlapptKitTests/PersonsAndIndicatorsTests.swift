import KlapptFormats
import KlapptTestSupport
import Testing

@testable import KlapptKit

@Suite struct PersonIndexTests {
    /// One instance: record keys are seeded per instance (per run).
    static let pseudonymizer = Pseudonymizer(keyBytes: Array(repeating: 7, count: 32))

    func record(
        _ person: String, key: String?, file: Int, order: Int, asOf: CivilDate?, activity: Activity, role: Int = JobcenterRole.attributeRank, source: Int = 0
    ) -> PseudoRecord {
        PseudoRecord(
            person: Self.pseudonymizer.personPseudonym(person), recordKey: key.map { Self.pseudonymizer.recordKey(source: "s", id: $0) }, rank: role,
            origin: RowOrigin(sourceIndex: source, fileIndex: file, order: order, line: order + 2),
            asOf: asOf, sex: .m, age: 20, nationality: "SYR", municipality: .unknown, residence: .duldung,
            currentActivity: activity, flows: [])
    }

    let september = CivilDate(year: 2026, month: 9, day: 30)
    let october = CivilDate(year: 2026, month: 10, day: 5)

    @Test func newerStandWinsEvenFromAnEarlierFile() {
        var index = PersonIndex()
        index.add(record("p", key: "k", file: 0, order: 0, asOf: october, activity: .ausbildung))
        index.add(record("p", key: "k", file: 1, order: 0, asOf: september, activity: .sonstige))
        let persons = index.persons()
        #expect(persons.count == 1)
        #expect(persons[0].records.map(\.currentActivity) == [.ausbildung])
        #expect(index.supersededCounts() == [0: [1: 1]])
    }

    @Test func sameStandLastInFileOrderWins() {
        var index = PersonIndex()
        index.add(record("p", key: "k", file: 0, order: 0, asOf: september, activity: .ausbildung))
        index.add(record("p", key: "k", file: 0, order: 5, asOf: september, activity: .sonstige))
        index.add(record("q", key: "other", file: 0, order: 6, asOf: september, activity: .schule))
        let persons = index.persons()
        // Persons come in pseudonym order.
        #expect(persons.map(\.pseudonym) == ["p", "q"].map(Self.pseudonymizer.personPseudonym).sorted())
        #expect(persons.first { $0.pseudonym == Self.pseudonymizer.personPseudonym("p") }?.records.map(\.currentActivity) == [.sonstige])
    }

    @Test func sameIdInAnotherSourceIsAnotherRecord() {
        var index = PersonIndex()
        index.add(record("p", key: "k", file: 0, order: 0, asOf: september, activity: .arbeitsuchend))
        index.add(record("p", key: "k", file: 0, order: 0, asOf: september, activity: .schule, role: CollegeRole.attributeRank, source: 1))
        #expect(index.persons()[0].records.count == 2)
    }

    @Test func jobcenterRecordsComeFirst() {
        var index = PersonIndex()
        index.add(record("p", key: "b", file: 0, order: 0, asOf: nil, activity: .schule, role: CollegeRole.attributeRank, source: 0))
        index.add(record("p", key: "a", file: 1, order: 3, asOf: nil, activity: .sonstige, role: JobcenterRole.attributeRank, source: 1))
        index.add(record("p", key: "c", file: 0, order: 1, asOf: nil, activity: .massnahme, role: JobcenterRole.attributeRank, source: 1))
        #expect(index.persons()[0].records.map(\.currentActivity) == [.massnahme, .sonstige, .schule])
    }
}

/// The index keeps records compactly (`IndexedRecord`: codes for nationality and AGS, 40-bit row
/// order, 8-byte sort keys): what comes out of it must be what went in, bit for bit.
@Suite struct CompactIndexTests {
    func pseudonym(_ top: UInt32, _ rest: UInt32) -> PersonPseudonym {
        PersonPseudonym(words: SIMD8<UInt32>(top, rest, 0, rest &* 7, 0, 0, 0, rest))
    }

    func describe(_ record: PseudoRecord) -> String {
        "\(record.person) \(record.rank) \(record.origin) \(String(describing: record.asOf)) "
            + "\(record.sex) \(record.age) \(record.nationality) \(record.municipality) \(record.residence) \(record.residenceUnmapped) "
            + "\(String(describing: record.currentActivity)) \(record.flows.rawValue)"
    }

    /// (All but the record-id key, which linking no longer needs: its part is `supersessionComparesWholeKeys`.)
    @Test func recordsComeOutAsTheyWentIn() {
        var index = PersonIndex()
        var added: [PseudoRecord] = []
        let sexes = Sex.allCases
        let groups = ResidenceGroup.allCases
        // 700 distinct AGS and 300 nationalities: the code table grows several times.
        for row in 0..<2_000 {
            let place: Municipality = row % 7 == 0 ? .unknown : row % 7 == 1 ? .outside : .district(ShortText("05978\(row % 700)"))
            let record = PseudoRecord(
                person: pseudonym(UInt32(row % 50), UInt32(row % 50)), recordKey: row % 3 == 0 ? nil : RecordKey(a: UInt64(row) << 40 | 9, b: UInt64(row)),
                rank: row % 3, origin: RowOrigin(sourceIndex: row % 4, fileIndex: row % 300, order: row % 5 == 0 ? (1 << 39) + row : row, line: 0),
                asOf: row % 4 == 0 ? nil : CivilDate(year: 2020 + row % 7, month: 1 + row % 12, day: 1 + row % 28),
                sex: sexes[row % sexes.count], age: row % 256, nationality: ShortText("N\(row % 300)"), municipality: place,
                residence: groups[row % groups.count], residenceUnmapped: row % 11 == 0,
                currentActivity: row % 8 == 7 ? nil : Activity.allCases[row % Activity.allCases.count], flows: Flows(rawValue: UInt8(row % 8)))
            added.append(record)
            index.add(record)
        }
        let out = index.persons().flatMap(\.records)
        #expect(out.count == added.count)
        #expect(Set(out.map(describe)) == Set(added.map(describe)))
    }

    @Test func personsSharingTheFirst32BitsStayApartAndInOrder() {
        var index = PersonIndex()
        // 30 persons with the same first 32 bits, 3 records each, added out of order.
        for row in (0..<90).reversed() {
            index.add(
                PseudoRecord(
                    person: pseudonym(0xABCD_0123, UInt32(row % 30) * 7919), recordKey: nil, rank: row / 30,
                    origin: RowOrigin(sourceIndex: 0, fileIndex: 0, order: row, line: 0), asOf: nil, sex: .w, age: 20, nationality: "SYR",
                    municipality: .unknown, residence: .duldung, currentActivity: nil, flows: []))
        }
        let persons = index.persons()
        #expect(persons.count == 30)
        #expect(persons.map(\.pseudonym) == persons.map(\.pseudonym).sorted())
        for person in persons {
            #expect(person.records.count == 3 && person.records.allSatisfy { $0.person == person.pseudonym })
            #expect(person.records.map(\.rank) == [0, 1, 2])
        }
    }

    @Test func supersessionComparesWholeKeys() {
        // Keys that share the tag (top 32 bits) and the home slot but differ in the bits the index
        // keeps (96 of 128): no row supersedes another.
        let keys = (0..<40).map { IdKey(RecordKey(a: 0x1234_5678_0000_0010, b: UInt64($0) | 0xFFFF_0000_0000_0000)) }
        #expect(Set(keys.map { "\($0.a) \($0.b)" }).count == 40)
        #expect(IdKey(RecordKey(a: 1, b: 2)).a == 1 && IdKey(RecordKey(a: 1 << 40, b: 2)).a == 1 << 40 && IdKey(RecordKey(a: 1, b: 2)).b == 2)
        // Row 40 has row 5's key: it supersedes row 5.
        let rows = keys + [keys[5]]
        var winners = RecordWinners(capacity: 64)
        for position in keys.indices {
            #expect(winners.claim(rows[position].a, rows[position].b, Int32(position)) { rows[Int($0)] } == nil)
        }
        #expect(winners.claim(keys[5].a, keys[5].b, 40) { rows[Int($0)] } == 5)
        winners.replaceLastClaimed(by: 40)
        #expect(winners.claim(keys[5].a, keys[5].b, 41) { rows[Int($0)] } == 40)
        #expect(winners.claim(keys[6].a, keys[6].b, 101) { rows[Int($0)] } == 6)
    }
}

@Suite struct ClassificationTests {
    static let person = Pseudonymizer(keyBytes: Array(repeating: 3, count: 32)).personPseudonym("p")
    let classification = Classification(rules: standardPipeline.targetGroup, sourceIDs: ["jobcenter", "berufskolleg"])

    func record(
        role: Int, age: Int = 20, residence: ResidenceGroup = .duldung, municipality: Municipality = .district("05978036"),
        activity: Activity?, flows: Flows = [], sex: Sex = .m, source: Int = 0
    ) -> PseudoRecord {
        PseudoRecord(
            person: Self.person, recordKey: nil, rank: role, origin: RowOrigin(sourceIndex: source, fileIndex: 0, order: 0, line: 2),
            asOf: nil, sex: sex, age: age, nationality: "SYR", municipality: municipality, residence: residence,
            currentActivity: activity, flows: flows)
    }

    @Test func activityFollowsThePriorityOrder() {
        let person = Person(
            pseudonym: Self.person,
            records: [
                record(role: JobcenterRole.attributeRank, activity: .arbeitsuchend), record(role: CollegeRole.attributeRank, activity: .schule, source: 1),
                record(role: CollegeRole.attributeRank, activity: nil, flows: [.dropout], source: 1),
            ])
        let facts = classification.facts(for: person)
        #expect(facts.activity == .schule)
        #expect(facts.flows == Flows.dropout)
        #expect(facts.inTargetGroup)
        #expect(facts.sourceIDs == ["jobcenter", "berufskolleg"])
    }

    @Test func residenceIsTheFirstKnownGroupAndOtherAttributesTheFirstRecords() {
        let person = Person(
            pseudonym: Self.person,
            records: [
                record(role: JobcenterRole.attributeRank, residence: .unbekannt, activity: .sonstige, sex: .w),
                record(role: CollegeRole.attributeRank, residence: .chancen, activity: nil, sex: .m, source: 1),
            ])
        let facts = classification.facts(for: person)
        #expect(facts.residence == .chancen)
        #expect(facts.sex == .w)
    }

    @Test(arguments: [
        (18, ResidenceGroup.duldung, Municipality.district("05978036"), true), (17, .duldung, .district("05978036"), false),
        (26, .schutz, .unknown, true), (27, .schutz, .unknown, false), (20, .andere, .unknown, false),
        (20, .unbekannt, .unknown, false), (20, .ukraine, .outside, false),
    ])
    func targetGroup(age: Int, residence: ResidenceGroup, municipality: Municipality, expected: Bool) {
        let facts = classification.facts(
            for: Person(
                pseudonym: Self.person,
                records: [record(role: JobcenterRole.attributeRank, age: age, residence: residence, municipality: municipality, activity: .sonstige)]))
        #expect(facts.inTargetGroup == expected)
    }
}

@Suite struct PseudonymisationRulesTests {
    let period = Period("2026-Q3")!

    func college(status: String, entry: CivilDate?, exit: CivilDate?, activity: Activity, canBeCurrent: Bool, leaving: Leaving?) -> CleanRecord {
        CleanRecord(
            origin: RowOrigin(sourceIndex: 0, fileIndex: 0, order: 0, line: 1), recordID: RowFingerprint(parts: ["S"]), givenToken: "a", familyToken: "b",
            birthDate: CivilDate(year: 2000, month: 1, day: 1)!, sex: .x, nationality: "SYR", municipality: .unknown, residence: .unbekannt,
            status: status, activity: activity, statusSince: nil, entryDate: entry, exitDate: exit, asOf: nil,
            statusCanBeCurrent: canBeCurrent, leaving: leaving)
    }

    func day(_ m: Int, _ d: Int, _ y: Int = 2026) -> CivilDate { CivilDate(year: y, month: m, day: d)! }

    /// The college role, tested alone on hand-made records.
    let role = CollegeRole(codeLists: standardPipeline.codeLists)

    @Test func collegeRecordIsCurrentOnlyBetweenEntryAndExit() {
        func current(_ entry: CivilDate?, _ exit: CivilDate?, _ canBe: Bool = true) -> Activity? {
            role.currentActivity(college(status: "2", entry: entry, exit: exit, activity: .schule, canBeCurrent: canBe, leaving: nil), period: period)
        }
        #expect(current(day(9, 30), nil) == .schule)
        #expect(current(day(10, 1), nil) == nil)
        #expect(current(day(8, 1, 2025), day(9, 30)) == nil)
        #expect(current(day(8, 1, 2025), day(10, 1)) == .schule)
        #expect(current(nil, nil) == nil)
        #expect(current(day(8, 1, 2025), nil, false) == nil)
    }

    @Test func flowsOfTheQuarter() {
        let entered = college(status: "2", entry: day(7, 1), exit: nil, activity: .ausbildung, canBeCurrent: true, leaving: nil)
        #expect(role.flows(entered, period: period) == Flows.trainingEntry)
        let school = college(status: "2", entry: day(7, 1), exit: nil, activity: .schule, canBeCurrent: true, leaving: nil)
        #expect(role.flows(school, period: period) == Flows())
        let qualified = college(status: "8", entry: day(8, 1, 2024), exit: day(9, 30), activity: .schule, canBeCurrent: false, leaving: .qualification)
        #expect(role.flows(qualified, period: period) == Flows.qualification)
        let droppedSchool = college(status: "9", entry: day(8, 1, 2024), exit: day(7, 15), activity: .schule, canBeCurrent: false, leaving: .dropout)
        #expect(role.flows(droppedSchool, period: period) == Flows())
        let droppedTraining = college(status: "9", entry: day(8, 1, 2024), exit: day(7, 15), activity: .ausbildung, canBeCurrent: false, leaving: .dropout)
        #expect(role.flows(droppedTraining, period: period) == Flows.dropout)
        let leftLastQuarter = college(status: "9", entry: day(8, 1, 2024), exit: day(6, 30), activity: .ausbildung, canBeCurrent: false, leaving: .dropout)
        #expect(role.flows(leftLastQuarter, period: period) == Flows())
    }
}

@Suite struct DisclosureTests {
    @Test func countsOfOneAndTwoAreSuppressedZeroAndThreeAreNot() throws {
        let dimensions = [Dimension(name: "insgesamt", categories: ["insgesamt"]) { _ in "insgesamt" }]
        var table = IndicatorTable(dimensions: dimensions, families: [StockFamily(), FlowFamily()])
        let values: [Indicator: Int] = [.personen: 7, .ausbildung: 1, .beschaeftigung: 2, .schule: 3, .massnahme: 0, .arbeitsuchend: 1, .sonstige: 0]
        for (indicator, value) in values { table.set(CellID(indicator: indicator, dimension: "insgesamt", category: "insgesamt"), value) }
        let protected = try DisclosureControl(minCell: 3).protect(table)
        let published = Dictionary(
            uniqueKeysWithValues: values.keys.map { ($0, protected.published(CellID(indicator: $0, dimension: "insgesamt", category: "insgesamt"))) })
        #expect(published == [.personen: "7", .ausbildung: "*", .beschaeftigung: "*", .schule: "3", .massnahme: "0", .arbeitsuchend: "*", .sonstige: "0"])
        #expect(protected.primary.count == 3)
        #expect(protected.secondary.isEmpty)
    }
}

/// The table from the kinds of person (`PersonClasses`: a key per kind, the facts made again from
/// it) equals the table from the persons themselves, on a population with more kinds than the
/// threshold where the kinds are aggregated on two threads (issue 24).
@Suite struct PersonClassesTests {
    @Test func kindsGiveTheTableOfThePersons() {
        var state: UInt64 = 11
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        let rules = standardPipeline.targetGroup
        let classification = Classification(rules: rules, sourceIDs: standardPipeline.sources.map(\.id))
        let places: [Municipality] = [.unknown, .outside] + standardPipeline.codeLists.municipalities.map { .district(ShortText($0.ags)) }
        let nationalities: [ShortText] = (standardPipeline.nationalityBreakdown + ["sonstige", "unbekannt"]).map { ShortText($0) }
        var persons: [PersonFacts] = []
        var classes = PersonClasses()
        for index in 0..<60_000 {
            let age = rules.minAge + random(rules.maxAge - rules.minAge + 1)
            let records = (0..<(1 + random(3))).map { source in
                PseudoRecord(
                    person: Pseudonymizer(keyBytes: testKey).personPseudonym("p\(index)"), recordKey: nil, rank: source,
                    origin: RowOrigin(sourceIndex: source, fileIndex: 0, order: index, line: 0), asOf: nil,
                    sex: Sex.allCases[random(4)], age: age, nationality: nationalities[random(nationalities.count)],
                    municipality: places[random(places.count)], residence: ResidenceGroup.allCases[random(7)],
                    residenceUnmapped: random(5) == 0, currentActivity: random(7) == 0 ? nil : Activity.allCases[random(6)],
                    flows: Flows(rawValue: UInt8(random(8))))
            }
            let facts = classification.facts(pseudonym: records[0].person, records: records)
            guard facts.inTargetGroup else { continue }
            persons.append(facts)
            classes.add(facts)
        }
        #expect(classes.kinds > 8192 && classes.kinds < persons.count)
        #expect(classes.weighted.map(\.1).reduce(0, +) == persons.count)
        let dimensions = Dimension.standard(for: standardPipeline)
        let fromPersons = IndicatorTable.aggregate(persons, dimensions: dimensions, families: standardPipeline.indicatorFamilies)
        let fromKinds = IndicatorTable.aggregate(weighted: classes.weighted, dimensions: dimensions, families: standardPipeline.indicatorFamilies)
        #expect(fromKinds.values == fromPersons.values)
        // And both equal a count on one thread, a few persons at a time (below the threshold).
        var single = [CellID: Int]()
        for start in stride(from: 0, to: persons.count, by: 4000) {
            let part = IndicatorTable.aggregate(
                Array(persons[start..<min(start + 4000, persons.count)]), dimensions: dimensions, families: standardPipeline.indicatorFamilies)
            for (cell, value) in part.values { single[cell, default: 0] += value }
        }
        #expect(fromKinds.values == single)
    }
}
