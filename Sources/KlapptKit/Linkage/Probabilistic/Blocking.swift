/// Which record pairs are compared at all (handbook, section 8a): several blocking rules joined by
/// OR, each a key that two records must share. A variant in any one field still meets its partner
/// through a rule that does not look at that field:
/// 1. the sound of a name word (either field) and the full birth date: a varied given or family
///    name, names swapped;
/// 2. the sounds of both first words (in either order) and the birth year: a varied day or month,
///    `00.00.`, a 1 January;
/// 3. the sounds of both first words alone: a varied year (an age assessment);
/// 4. the full birth date alone (not a 1 January): both names varied;
/// 5. the sound of a name word and the birth year: a varied name and a partly known date.
///
/// A key shared by more than `fullBlock` records is not compared pair by pair: its records are
/// sorted by the rule's order and each is compared with the next `window - 1` (sorted
/// neighbourhood), so that the pairs grow linearly with the records, never with their square.
/// A pair that an earlier rule (or an earlier key of the same rule) already yields is skipped.
struct Blocking: Sendable {
    static let rules = 5
    var fullBlock = 40
    var window = 12

    /// Up to four keys of a record under a rule (0: none).
    @inline(__always)
    static func keys(_ record: LinkageRecord, rule: Int) -> (UInt64, UInt64, UInt64, UInt64) {
        let given = record.features.given
        let family = record.features.family
        let date = record.features.birth
        let full = date.precision == .day
        func key(_ parts: UInt64...) -> UInt64 {
            var value = UInt64(rule) &* 0x9E37_79B9_7F4A_7C15
            for part in parts { value = LinkageEncoder.mix(value ^ part) }
            return value == 0 ? 1 : value
        }
        func optional(_ sound: UInt32, _ parts: UInt64...) -> UInt64 {
            guard sound != 0 else { return 0 }
            var value = UInt64(rule) &* 0x9E37_79B9_7F4A_7C15
            value = LinkageEncoder.mix(value ^ UInt64(sound))
            for part in parts { value = LinkageEncoder.mix(value ^ part) }
            return value == 0 ? 1 : value
        }
        let low = UInt64(min(given.sound0, family.sound0))
        let high = UInt64(max(given.sound0, family.sound0))
        switch rule {
        case 0:
            guard full else { return (0, 0, 0, 0) }
            let digits = UInt64(date.digits)
            return (optional(given.sound0, digits), optional(given.sound1, digits), optional(family.sound0, digits), optional(family.sound1, digits))
        case 1: return (key(low, high, UInt64(date.year)), 0, 0, 0)
        case 2: return (key(low, high), 0, 0, 0)
        case 3:
            guard full, !date.isFirstJanuary else { return (0, 0, 0, 0) }
            return (key(UInt64(date.digits)), 0, 0, 0)
        default:
            let year = UInt64(date.year)
            return (optional(given.sound0, year), optional(family.sound0, year), 0, 0)
        }
    }

    /// The order of a rule's records within a large block: what is left to tell them apart.
    @inline(__always)
    static func order(_ record: LinkageRecord, rule: Int) -> UInt64 {
        let features = record.features
        switch rule {
        case 2: return UInt64(features.birth.digits) << 32 | UInt64(features.family.joined)
        case 3: return UInt64(features.family.sound0) << 32 | UInt64(features.given.sound0)
        default: return UInt64(features.family.joined) << 32 | UInt64(features.birth.digits)
        }
    }

    @inline(__always)
    static func shares(_ a: (UInt64, UInt64, UInt64, UInt64), _ key: UInt64) -> Bool {
        key != 0 && (a.0 == key || a.1 == key || a.2 == key || a.3 == key)
    }

    /// Whether the pair meets under a key that comes before `key` of `rule` (then it was compared there).
    @inline(__always)
    static func metEarlier(_ a: LinkageRecord, _ b: LinkageRecord, rule: Int, keyIndex: Int, rules: [Int]) -> Bool {
        for earlier in rules where earlier < rule {
            let keysA = keys(a, rule: earlier)
            let keysB = keys(b, rule: earlier)
            if shares(keysB, keysA.0) || shares(keysB, keysA.1) || shares(keysB, keysA.2) || shares(keysB, keysA.3) { return true }
        }
        guard keyIndex > 0 else { return false }
        let keysA = keys(a, rule: rule)
        let keysB = keys(b, rule: rule)
        let listA = [keysA.0, keysA.1, keysA.2, keysA.3]
        for index in 0..<keyIndex where shares(keysB, listA[index]) { return true }
        return false
    }

    struct Entry {
        var key: UInt64
        var order: UInt64
        var position: UInt32
        var keyIndex: UInt8
    }

    /// Calls `body` once for every candidate pair (i < j not guaranteed; never i == j).
    /// Returns the number of pairs.
    @discardableResult
    func forEachPair(_ records: [LinkageRecord], rules: [Int] = Array(0..<Blocking.rules), _ body: (Int, Int) -> Void) -> Int {
        var pairs = 0
        var entries: [Entry] = []
        for rule in rules {
            entries.removeAll(keepingCapacity: true)
            for (position, record) in records.enumerated() {
                let keys = Blocking.keys(record, rule: rule)
                let order = Blocking.order(record, rule: rule)
                for (index, key) in [keys.0, keys.1, keys.2, keys.3].enumerated() where key != 0 {
                    entries.append(Entry(key: key, order: order, position: UInt32(position), keyIndex: UInt8(index)))
                }
            }
            entries.sort { ($0.key, $0.order, $0.position) < ($1.key, $1.order, $1.position) }
            var start = 0
            while start < entries.count {
                var end = start + 1
                while end < entries.count, entries[end].key == entries[start].key { end += 1 }
                let reach = end - start <= fullBlock ? end - start : window
                for first in start..<end {
                    let a = Int(entries[first].position)
                    for second in (first + 1)..<min(end, first + reach) {
                        let b = Int(entries[second].position)
                        guard a != b else { continue }
                        // The pair's first meeting is where it is compared: not under an earlier
                        // rule, and within this rule under the key of the lower index of the two.
                        if Blocking.metEarlier(
                            records[a], records[b], rule: rule, keyIndex: rule == 0 || rule == 4 ? Int(entries[first].keyIndex) : 0, rules: rules)
                        {
                            continue
                        }
                        pairs += 1
                        body(a, b)
                    }
                }
                start = end
            }
        }
        return pairs
    }
}
