import Foundation
import KlapptTestSupport
import Testing

@testable import KlapptKit

/// Probabilistic linkage (SPEC 4.1 v3; handbook, section 8a): the encodings, the comparison
/// levels, the model and the clustering, on records whose true persons are known.
@Suite struct ProbabilisticLinkageTests {
    static let encoder = LinkageEncoder(pseudonymizer: Pseudonymizer(keyBytes: testKey))

    /// A record as a source would deliver it.
    struct Written {
        var given: String
        var family: String
        var birth: String
        var sex: Sex = .m
        var nationality: UInt16 = 1
        var municipality: UInt16 = 2
        var source: UInt8 = 0

        var record: LinkageRecord {
            let bytes = Array(birth.utf8)
            let parsed = bytes.withUnsafeBufferPointer { DateFormat("TT.MM.JJJJ")!.parseBirthDate(bytes: $0) }!
            let encoder = ProbabilisticLinkageTests.encoder
            return LinkageRecord(
                features: LinkageFeatures(
                    given: encoder.encodeName(words: NameFolding.words(given), family: false),
                    family: encoder.encodeName(words: NameFolding.words(family), family: true),
                    birth: encoder.encodeDate(parsed.date, precision: parsed.precision)),
                sex: sex, nationality: nationality, municipality: municipality, source: source)
        }
    }

    /// A background of `count` distinct invented people, each in the register (source 0) and the
    /// job centre (source 1) with the same spelling: what the model learns its m and u from.
    /// Names are three syllables of the person's number (unique), but one in ten is an Ali and
    /// one in twenty a Rezai (common names, as in the lists); one in twelve is born on a 1 January
    /// (the registrations' fictitious date).
    static func background(_ count: Int) -> [Written] {
        let syllables = ["ka", "lo", "mi", "ra", "su", "de", "fa", "no", "ti", "ba", "ze", "gu", "ho", "pe", "wa", "ji"]
        let others = ["bor", "dak", "fim", "gul", "han", "jes", "kop", "lut", "mar", "nis", "pol", "rud", "sak", "tem", "vol", "wen"]
        var result: [Written] = []
        for index in 0..<count {
            let given = index % 10 == 3 ? "Ali" : syllables[index % 16].capitalized + syllables[(index / 16) % 16] + syllables[(index / 256) % 16]
            let family = index % 20 == 7 ? "Rezai" : others[(index * 7) % 16].capitalized + others[(index / 16) % 16] + others[(index / 256) % 16]
            let birth =
                index % 12 == 0
                ? "01.01.\(1995 + index % 11)" : String(format: "%02d.%02d.%04d", 1 + index % 28, 1 + (index / 28) % 12, 1995 + (index / 336) % 11)
            let person = Written(
                given: given, family: family, birth: birth, sex: index % 3 == 0 ? .w : .m, nationality: UInt16(index % 7), municipality: UInt16(2 + index % 10))
            result.append(person)
            var other = person
            other.source = 1
            result.append(other)
        }
        return result
    }

    /// Links the background plus `cases` and says which of the cases ended as one person.
    func link(_ cases: [Written], background: Int = 400) -> (persons: [Int], outcome: LinkageOutcome) {
        let all = Self.background(background) + cases
        let outcome = ProbabilisticLinker().link(all.map(\.record))
        return (Array(outcome.person.suffix(cases.count)), outcome)
    }

    @Test func transliterationsMeetInTheSkeleton() {
        let pairs = [
            ("schewtschenko", "shevchenko"), ("dschamal", "jamal"), ("serhii", "sergej"), ("xasan", "hassan"), ("cabdi", "abdi"),
            ("diallo", "jallow"), ("rachimi", "rahimi"), ("abdullah", "abdulla"), ("chadidscha", "khadija"), ("jussufsai", "yusufzai"),
        ]
        for (a, b) in pairs { #expect(NameSkeleton.skeleton(a) == NameSkeleton.skeleton(b), "\(a)/\(b)") }
        #expect(NameSkeleton.skeleton("sahra") != NameSkeleton.skeleton("serhii"))
    }

    @Test func nameLevels() {
        func level(_ a: String, _ b: String, family: Bool = false) -> Int {
            RecordComparison.nameLevel(
                Self.encoder.encodeName(words: NameFolding.words(a), family: family), Self.encoder.encodeName(words: NameFolding.words(b), family: family))
        }
        #expect(level("Abdulrahman", "Abdul Rahman") == 3)  // the joined skeleton
        #expect(level("Mohammad Reza", "Mohammadreza") == 3)
        #expect(level("Schewtschenko", "Shevchenko", family: true) == 3)
        #expect(level("Al-Hassan", "Alhassan", family: true) == 3)
        #expect(level("Jekaterina", "Kateryna") == 2)
        #expect(level("Reza Mohammad", "Mohammad") >= 2)  // a second given name written first
        #expect(level("Fatemeh", "Fatima") == 1)
        // Siblings: Kölner Phonetik gives Sahra and Serhii the same code (87); the bigrams tell them apart.
        #expect(level("Sahra", "Serhii") == 0)
        #expect(level("Halyna", "Olena") <= 1)
        #expect(level("Omar", "Ali") == 0)
    }

    @Test func dateLevels() {
        func level(_ a: String, _ b: String) -> Int {
            RecordComparison.dateLevel(
                Written(given: "a", family: "b", birth: a).record.features.birth, Written(given: "a", family: "b", birth: b).record.features.birth)
        }
        #expect(level("12.03.2004", "12.03.2004") == 3)
        #expect(level("00.00.2004", "01.01.2004") == 2)  // unknown in the register, fictitious in the job centre
        #expect(level("00.00.2004", "17.06.2004") == 2)  // the real date in one source
        #expect(level("01.01.2004", "17.06.2004") == 2)
        #expect(level("00.06.2004", "17.06.2004") == 2)
        #expect(level("00.05.2004", "17.06.2004") == 0)
        #expect(level("03.05.2004", "05.03.2004") == 1)  // day and month swapped
        #expect(level("13.05.2004", "18.05.2004") == 1)  // one digit
        #expect(level("13.05.2004", "13.05.2003") == 1)  // the year one off
        #expect(level("01.01.2004", "01.01.2002") == 0)  // two fictitious dates: no near miss
        #expect(level("01.01.2004", "01.01.2003") == 0)
        #expect(level("00.00.2004", "00.00.2005") == 0)
        #expect(level("13.05.2004", "21.09.2001") == 0)
    }

    @Test func theHardCasesOneByOne() {
        let cases = [
            // 0, 1: a transliteration across register and job centre.
            Written(given: "Taras", family: "Shevchenko", birth: "14.02.2003", source: 0),
            Written(given: "Taras", family: "Schewtschenko", birth: "14.02.2003", source: 1),
            // 2, 3: a compound name written together and apart.
            Written(given: "Abdulrahman", family: "Qaderi", birth: "09.09.2001", source: 0),
            Written(given: "Abdul Rahman", family: "Qaderi", birth: "09.09.2001", source: 1),
            // 4, 5, 6: 00.00. in the register, a fictitious 1 January in the job centre, the real
            // date corrected at a college (source 2).
            Written(given: "Yonas", family: "Gebrekidan", birth: "00.00.2004", source: 0),
            Written(given: "Yonas", family: "Gebrekidan", birth: "01.01.2004", source: 1),
            Written(given: "Yonas", family: "Gebrekidan", birth: "23.07.2004", source: 2),
            // 7, 8, 9: siblings born the same day in the register, one of them in the job centre.
            Written(given: "Farid", family: "Noorzai", birth: "05.05.2005", source: 0),
            Written(given: "Mina", family: "Noorzai", birth: "05.05.2005", sex: .w, source: 0),
            Written(given: "Farid", family: "Noorzai", birth: "05.05.2005", source: 1),
            // 10, 11: namesakes with the same 1 January, two AZR numbers, other homes and sexes.
            Written(given: "Ali", family: "Rezai", birth: "01.01.2003", sex: .m, nationality: 3, municipality: 4, source: 0),
            Written(given: "Ali", family: "Rezai", birth: "01.01.2003", sex: .w, nationality: 3, municipality: 9, source: 0),
            // 12, 13: given and family name swapped.
            Written(given: "Hamidi", family: "Soraya", birth: "30.11.2002", sex: .w, source: 0),
            Written(given: "Soraya", family: "Hamidi", birth: "30.11.2002", sex: .w, source: 1),
        ]
        let (persons, _) = link(cases)
        #expect(persons[0] == persons[1], "Umschrift")
        #expect(persons[2] == persons[3], "Doppelname")
        #expect(persons[4] == persons[5] && persons[5] == persons[6], "00.00., 1. Januar und das echte Datum")
        #expect(persons[7] != persons[8], "Geschwister am selben Tag geboren")
        #expect(persons[9] == persons[7] && persons[9] != persons[8], "das Jobcenter kennt Farid")
        #expect(persons[10] != persons[11], "Namensgleiche mit demselben 1. Januar")
        #expect(persons[12] == persons[13], "Vor- und Familienname vertauscht")
    }

    @Test func aFewRecordsAlone() {
        // A run of seven records (a test quarter, a new source): the priors keep the model sane.
        let cases = [
            Written(given: "Reza", family: "Amini", birth: "01.01.2006"), Written(given: "Lina", family: "Bakri", birth: "01.01.2006", sex: .w),
            Written(given: "Omid", family: "Chalabi", birth: "01.01.2006"), Written(given: "Nour", family: "Darwish", birth: "01.01.1986", sex: .w),
            Written(given: "Sami", family: "Elias", birth: "01.01.2006"), Written(given: "Sami", family: "Elias", birth: "01.01.2006"),
        ]
        let outcome = ProbabilisticLinker().link(cases.map(\.record))
        #expect(outcome.person[4] == outcome.person[5])
        #expect(Set(outcome.person).count == 5)
    }

    @Test func aPatternsLevelsComeBackAsTheyWentIn() {
        // `RecordComparison.level` divides by constants; they must match the fields' levels.
        #expect(LinkageField.patternCount == 3456)
        for pattern in 0..<LinkageField.patternCount {
            let vector = ComparisonVector(pattern: pattern)
            #expect(vector.pattern == pattern)
            for field in LinkageField.allCases where RecordComparison.level(pattern, field) != vector.levels[field] {
                Issue.record("Muster \(pattern), \(field)")
            }
        }
    }

    @Test func identicalRecordsAreOneNodeAndDecisionsBindTheirNodes() {
        // Three records of one person written alike by three sources, and a fourth with another
        // municipality: one node of three, one of one.
        var same = Written(given: "Hiba", family: "Osman-Khalil", birth: "08.11.2006", sex: .w)
        var records = [same]
        same.source = 1
        records.append(same)
        same.source = 2
        records.append(same)
        same.municipality = 9
        records.append(same)
        let input = LinkageInput(records.map(\.record))
        let grouping = input.names.withUnsafeBufferPointer { NodeGrouping(input.entries, names: $0, alone: []) }
        #expect(grouping.nodes.count == 2)
        #expect(grouping.nodes[0].records == 3 && grouping.nodes[0].sources == 0b111 && !grouping.nodes[0].sameSourceInside)
        #expect((0..<3).allSatisfy { grouping.node(of: $0) == 0 } && grouping.node(of: 3) == 1)
        // All four are one person; a "verschieden" between two alike records takes them apart.
        let all = Self.background(200) + records
        let base = all.count - 4
        let linked = ProbabilisticLinker().link(all.map(\.record))
        #expect(Set(linked.person.suffix(4)).count == 1)
        let apart = ProbabilisticLinker().link(all.map(\.record), decisions: [PairDecision(first: base, second: base + 1, same: false)])
        #expect(apart.person[base] != apart.person[base + 1])
    }

    @Test func blockingsRadixSortGroupsBlocksAndOrdersTheLargeOnes() {
        // 5,000 entries in 60 blocks (keys differing in their upper bits), some larger than the
        // full block: against a comparison sort of the same entries.
        var state: UInt64 = 7
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return LinkageEncoder.mix(state)
        }
        let keys = (0..<60).map { _ in next() | 1 << 63 }
        var entries: [Blocking.Entry] = []
        for position in 0..<5000 {
            let key = keys[Int(next() % (position % 3 == 0 ? 4 : 60))]
            entries.append(Blocking.Entry(key: key, order: UInt32(truncatingIfNeeded: next()), position: UInt32(position), keyIndex: UInt8(position % 4)))
        }
        var sorted = entries
        var scratch: [Blocking.Entry] = []
        Blocking.radixSort(&sorted, scratch: &scratch, fullBlock: 40)
        // Blocks in order of their 40 bits, each block's entries in node order, or by (order, node)
        // where the block is larger than the full block.
        let blocks = Dictionary(grouping: entries, by: \.block)
        var expected: [Blocking.Entry] = []
        for block in blocks.keys.sorted() {
            let members = blocks[block]!
            expected += members.count > 40 ? members.sorted { ($0.sortKey, $0.position) < ($1.sortKey, $1.position) } : members
        }
        #expect(sorted.map(\.slot) == expected.map(\.slot))
        #expect(blocks.values.contains { $0.count > 40 } && blocks.values.contains { $0.count <= 40 })
    }

    @Test func noChainingThroughAThirdRecord() {
        var clusters = PersonClusters(count: 3)
        // 0 and 1 are different people by the model; 2 resembles both.
        let different: Set<Int64> = [PersonClusters.pairKey(0, 1)]
        #expect(clusters.join(2, 0) { !different.contains(PersonClusters.pairKey($0, $1)) } == .joined)
        #expect(clusters.join(2, 1) { !different.contains(PersonClusters.pairKey($0, $1)) } == .refused)
        #expect(clusters.root(0) == clusters.root(2))
        #expect(clusters.root(1) != clusters.root(0))
    }

    @Test func decisionsBind() {
        // The same two records: "verschieden" keeps them apart, "gleich" joins what the model would not.
        let twins = [Written(given: "Sami", family: "Elias", birth: "04.04.2004"), Written(given: "Sami", family: "Elias", birth: "04.04.2004", source: 1)]
        let all = Self.background(200) + twins
        let base = all.count - 2
        let apart = ProbabilisticLinker().link(all.map(\.record), decisions: [PairDecision(first: base, second: base + 1, same: false)])
        #expect(apart.person[base] != apart.person[base + 1])
        #expect(apart.decisionsApplied == 1)
        let strangers = [
            Written(given: "Omid", family: "Chalabi", birth: "04.04.2004"), Written(given: "Lina", family: "Bakri", birth: "09.12.1999", source: 1),
        ]
        let others = Self.background(200) + strangers
        let joined = ProbabilisticLinker().link(others.map(\.record), decisions: [PairDecision(first: base, second: base + 1, same: true)])
        #expect(joined.person[base] == joined.person[base + 1])
    }

    @Test func theBackgroundLinksPairByPairAndBlockingStaysLinear() {
        let small = ProbabilisticLinker().link(Self.background(400).map(\.record))
        // Every background person is one person of two records.
        #expect(Set(small.person).count == 400)
        #expect((0..<400).allSatisfy { small.person[2 * $0] == small.person[2 * $0 + 1] })
        let large = ProbabilisticLinker().link(Self.background(1600).map(\.record))
        #expect(Set(large.person).count == 1600)
        // Four times the records, not sixteen times the pairs.
        #expect(large.comparedPairs < 6 * small.comparedPairs)
        #expect(small.expectedFalseLinks < 1 && small.expectedMissedLinks < 5, "\(small.expectedFalseLinks) \(small.expectedMissedLinks)")
    }
}

/// The report's page on data quality says what the linkage estimates of its errors, and gives the
/// range for "ohne Aktivität" only where that total is published.
@Suite struct LinkageReportSentenceTests {
    let summary = LinkageSummary(
        method: "probabilistic/1", threshold: 0.5, reviewFrom: 0.2, comparedPairs: 5013, acceptedPairs: 486, refusedJoins: 2,
        expectedFalseLinks: 0.1, expectedMissedLinks: 2.3, reviewPairs: 2, reviewFile: nil, decisionsApplied: 0, withoutActivityRange: [65, 69])

    @Test func theEstimateAndTheRange() {
        let published = FundingReport.linkageSentence(summary, withoutActivity: .count(68))
        #expect(published.contains("etwa 0,1 Verknüpfungen falsch und etwa 2,3 entgangen"))
        #expect(published.contains("zwischen 65 und 69"))
        #expect(published.contains("Schwelle 50 %"))
        // A withheld total: its range with the estimates would give it away.
        let withheld = FundingReport.linkageSentence(summary, withoutActivity: .suppressed)
        #expect(!withheld.contains("zwischen"))
        #expect(withheld.contains("entgangen."))
    }
}
