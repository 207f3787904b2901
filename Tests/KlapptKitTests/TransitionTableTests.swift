import Testing

@testable import KlapptKit

/// SPEC 10: the pairs of states, counted by a merge join of two pseudonym-sorted lists.
@Suite struct TransitionTableTests {
    let pseudonymizer = Pseudonymizer(keyBytes: Array(UInt8(0)...UInt8(31)))

    func person(_ name: String) -> PersonPseudonym { pseudonymizer.personPseudonym(name) }

    @Test func sixtyThreeCellsInPublicationOrder() {
        #expect(TransitionTable.pairs.count == 63)
        #expect(TransitionTable.pairs.first.map { "\($0.from)>\($0.to)" } == "ausbildung>ausbildung")
        #expect(TransitionTable.pairs.last.map { "\($0.from)>\($0.to)" } == "ausserhalb>ohne_aktivitaet")
        #expect(
            PersonState.all.map(\.description) == [
                "ausbildung", "beschaeftigung", "schule", "massnahme", "arbeitsuchend", "sonstige", "ohne_aktivitaet", "ausserhalb",
            ])
    }

    @Test func everyPersonOfEitherQuarterOnce() {
        // a: schule -> ausbildung; b: ohne -> (left the target group); c: new -> arbeitsuchend;
        // d: ausbildung -> ausbildung; e: new -> ohne_aktivitaet.
        let previous = [("a", PersonState.activity(.schule)), ("b", .withoutActivity), ("d", .activity(.ausbildung))]
            .map { (person($0.0), $0.1) }.sorted { $0.0 < $1.0 }
        let current = [("a", PersonState.activity(.ausbildung)), ("c", .activity(.arbeitsuchend)), ("d", .activity(.ausbildung)), ("e", .withoutActivity)]
            .map { (person($0.0), $0.1) }.sorted { $0.0 < $1.0 }
        let table = TransitionTable(previous: previous, current: current)
        #expect(table[.activity(.schule), .activity(.ausbildung)] == 1)
        #expect(table[.withoutActivity, .outside] == 1)
        #expect(table[.outside, .activity(.arbeitsuchend)] == 1)
        #expect(table[.activity(.ausbildung), .activity(.ausbildung)] == 1)
        #expect(table[.outside, .withoutActivity] == 1)
        #expect(table.counts.reduce(0, +) == 5)
        // Rows add up to the previous quarter's states, columns to the current one's.
        #expect(PersonState.all.dropLast().map { from in PersonState.all.reduce(0) { $0 + table[from, $1] } } == [1, 0, 1, 0, 0, 0, 1])
        #expect(PersonState.all.dropLast().map { to in PersonState.all.reduce(0) { $0 + table[$1, to] } } == [2, 0, 0, 0, 1, 0, 1])
        #expect(TransitionTable(previous: [], current: []).counts.allSatisfy { $0 == 0 })
    }

    /// The counter the run uses while it links persons, against a count by lookup: 2,000 random
    /// persons, each in either quarter or both, in many states.
    @Test func countingOnePersonAtATimeEqualsACountByLookup() {
        var state: UInt64 = 99
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        let states = PersonState.all.filter { $0 != .outside }
        var before: [PersonPseudonym: PersonState] = [:]
        var now: [PersonPseudonym: PersonState] = [:]
        for index in 0..<2_000 {
            let pseudonym = person("p\(index)")
            switch random(3) {
            case 0: before[pseudonym] = states[random(states.count)]
            case 1: now[pseudonym] = states[random(states.count)]
            default:
                before[pseudonym] = states[random(states.count)]
                now[pseudonym] = states[random(states.count)]
            }
        }
        var expected: [String: Int] = [:]
        for pseudonym in Set(before.keys).union(now.keys) {
            expected["\(before[pseudonym] ?? .outside)>\(now[pseudonym] ?? .outside)", default: 0] += 1
        }
        var counter = TransitionCounter(previous: before.sorted { $0.key < $1.key }.map { ($0.key.prefix, $0.value) })
        for (pseudonym, state) in now.sorted(by: { $0.key < $1.key }) { counter.add(pseudonym, state) }
        let table = counter.finish()
        var got: [String: Int] = [:]
        for pair in TransitionTable.pairs where table[pair.from, pair.to] > 0 { got["\(pair.from)>\(pair.to)"] = table[pair.from, pair.to] }
        #expect(got == expected)
        #expect(table.counts.reduce(0, +) == 2_000)
    }
}
