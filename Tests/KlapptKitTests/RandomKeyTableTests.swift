import Testing

@testable import KlapptKit

/// The linkage tables must behave like `Dictionary` and `Set` through every growth step,
/// including keys that differ in one word only and the all-zero key.
@Suite struct RandomKeyTableTests {
    static func keys(_ count: Int) -> [(UInt64, UInt64)] {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            return z ^ (z >> 31)
        }
        // Every tenth key shares its first word with the one before it.
        var result: [(UInt64, UInt64)] = []
        for index in 0..<count { result.append(index % 10 == 9 ? (result[index - 1].0, next()) : (next(), next())) }
        return result + [(0, 0), (0, 1)]
    }

    @Test func tableAgreesWithADictionary() {
        var table = RandomKeyTable()
        var reference: [String: Int32] = [:]
        for (position, key) in Self.keys(50_000).enumerated() {
            let value = Int32(position % 1000)
            let old = table.set(key.0, key.1, value)
            let expected = reference.updateValue(value, forKey: "\(key.0)-\(key.1)")
            #expect(old == expected)
        }
        #expect(table.count == reference.count)
        for key in Self.keys(50_000) { #expect(table.value(key.0, key.1) == reference["\(key.0)-\(key.1)"]) }
        #expect(table.value(7, 7) == nil)
    }

    @Test func setAgreesWithASet() {
        var set = RandomKeySet()
        let keys = Self.keys(50_000)
        var added = 0
        for key in keys where set.insert(key.0, key.1) { added += 1 }
        // (0, 0) is kept as (0, 1): the only pair that cannot be told apart.
        #expect(added == keys.count - 1 && set.count == added)
        var again = 0
        for key in keys where set.insert(key.0, key.1) { again += 1 }
        #expect(again == 0)
        let fresh = set.insert(1, 0)
        #expect(fresh)
    }
}

@Suite struct PersonSortTests {
    /// The bucketed sort of the persons' keys orders like a stable sort by person (positions
    /// ascending among equal persons), and leaves out what it is told to skip.
    @Test(arguments: [10, 5_000, 70_000, 300_000])
    func keysSortLikeAStableSort(count: Int) {
        var state: UInt64 = 7
        let persons: [UInt32] = (0..<count).map { position in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Few distinct high words and repeated values, so that buckets, ties and skips matter.
            return position % 13 == 0 ? 42 : UInt32(truncatingIfNeeded: (state >> 48) << (position % 3 == 0 ? 16 : 4))
        }
        let skip = { (position: Int) in position % 7 == 3 }
        let keys = PersonIndex.sortedKeys(count: count, skip: skip, prefix: { persons[$0] })
        let expected = (0..<count).filter { !skip($0) }.map { PersonIndex.SortKey(position: UInt32($0), person: persons[$0]) }
            .sorted { ($0.person, $0.position) < ($1.person, $1.position) }
        #expect(keys.map(\.person) == expected.map(\.person))
        #expect(keys.map(\.position) == expected.map(\.position))
    }
}
