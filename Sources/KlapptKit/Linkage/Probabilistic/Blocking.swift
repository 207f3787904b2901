import Dispatch

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
    var windowSize = 12

    /// Up to four keys of a record under a rule (0: none).
    @inline(__always)
    static func keys(_ record: LinkageRecord, rule: Int) -> (UInt64, UInt64, UInt64, UInt64) {
        let given = record.features.given
        let family = record.features.family
        let date = record.features.birth
        let full = date.precision == .day
        // Each key folds its parts into the rule's seed (fixed arities: no array per key; a
        // state's records ask for 20 million keys a pass).
        let seed = UInt64(rule) &* 0x9E37_79B9_7F4A_7C15
        func nonzero(_ value: UInt64) -> UInt64 { value == 0 ? 1 : value }
        func key(_ a: UInt64) -> UInt64 { nonzero(LinkageEncoder.mix(seed ^ a)) }
        func key(_ a: UInt64, _ b: UInt64) -> UInt64 { nonzero(LinkageEncoder.mix(LinkageEncoder.mix(seed ^ a) ^ b)) }
        func key(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
            nonzero(LinkageEncoder.mix(LinkageEncoder.mix(LinkageEncoder.mix(seed ^ a) ^ b) ^ c))
        }
        /// A key of a sound and one more part; none (0) for a missing sound.
        func optional(_ sound: UInt32, _ part: UInt64) -> UInt64 { sound == 0 ? 0 : key(UInt64(sound), part) }
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

    /// The order of a rule's records within a large block: what is left to tell them apart, in 32
    /// bits (20 of the first part, 12 of the second: an entry is 16 bytes, and a state's rule 0 has
    /// 15 million of them).
    @inline(__always)
    static func order(_ record: LinkageRecord, rule: Int) -> UInt32 {
        let features = record.features
        func combine(_ first: UInt32, _ second: UInt32) -> UInt32 {
            first & 0xFFFF_F000 | UInt32(truncatingIfNeeded: LinkageEncoder.mix(UInt64(second))) & 0xFFF
        }
        switch rule {
        case 2: return combine(features.birth.digits, features.family.joined)
        case 3: return combine(features.family.sound0, features.given.sound0)
        default: return combine(features.family.joined, features.birth.digits)
        }
    }

    /// The sounds a record's key list under rules 0 and 4 is made of, in key order (0: none).
    @inline(__always)
    static func sounds(_ record: LinkageRecord, rule: Int) -> (UInt32, UInt32, UInt32, UInt32) {
        let given = record.features.given
        let family = record.features.family
        return rule == 0 ? (given.sound0, given.sound1, family.sound0, family.sound1) : (given.sound0, family.sound0, 0, 0)
    }

    @inline(__always)
    static func contains(_ sounds: (UInt32, UInt32, UInt32, UInt32), _ sound: UInt32) -> Bool {
        sound != 0 && (sounds.0 == sound || sounds.1 == sound || sounds.2 == sound || sounds.3 == sound)
    }

    /// Whether two records share a key of `rule`, decided on their features (no key is hashed:
    /// the keys are equal exactly when the parts they are made of are, 64-bit collisions aside).
    /// `below`: only the keys of `a` before this index count (the pair's first key in the rule).
    @inline(__always)
    static func share(_ a: LinkageRecord, _ b: LinkageRecord, rule: Int, below: Int = 4) -> Bool {
        let x = a.features
        let y = b.features
        switch rule {
        case 0, 4:
            if rule == 0 {
                guard x.birth.precision == .day, y.birth.precision == .day, x.birth.digits == y.birth.digits else { return false }
            } else {
                guard x.birth.year == y.birth.year else { return false }
            }
            let mine = sounds(a, rule: rule)
            let theirs = sounds(b, rule: rule)
            if below > 0, contains(theirs, mine.0) { return true }
            if below > 1, contains(theirs, mine.1) { return true }
            if below > 2, contains(theirs, mine.2) { return true }
            if below > 3, contains(theirs, mine.3) { return true }
            return false
        case 1, 2:
            if rule == 1, x.birth.year != y.birth.year { return false }
            return min(x.given.sound0, x.family.sound0) == min(y.given.sound0, y.family.sound0)
                && max(x.given.sound0, x.family.sound0) == max(y.given.sound0, y.family.sound0)
        default:
            return x.birth.precision == .day && !x.birth.isFirstJanuary && y.birth.precision == .day && x.birth.digits == y.birth.digits
        }
    }

    /// Whether the pair met under an earlier rule, or under an earlier key of this one (then it
    /// was compared there).
    @inline(__always)
    static func metEarlier(_ a: LinkageRecord, _ b: LinkageRecord, rule: Int, keyIndex: Int) -> Bool {
        for earlier in 0..<rule where share(a, b, rule: earlier) { return true }
        return keyIndex > 0 && share(a, b, rule: rule, below: keyIndex)
    }

    /// A record under one of its keys: 16 bytes.
    struct Entry {
        var key: UInt64
        var order: UInt32
        /// The record's position (bits 0-29) and the key's index among its keys (bits 30-31).
        var slot: UInt32

        init(key: UInt64, order: UInt32, position: UInt32, keyIndex: UInt8) {
            precondition(position < 1 << 30, "Mehr als 2^30 Datensätze")
            self.key = key
            self.order = order
            slot = position | UInt32(keyIndex) << 30
        }

        var position: UInt32 { slot & 0x3FFF_FFFF }
        var keyIndex: UInt8 { UInt8(slot >> 30) }
    }

    /// Calls `body` once for every candidate pair (never i == j), from two threads: each gets its
    /// own copy of `initial` and the states come back in a fixed order (so that whatever is
    /// summed from them is summed in the same order on every run). Each rule's blocks are split
    /// between the threads at a block boundary.
    /// `body` gets the two positions and the two records: a block's records are copied next to each
    /// other before its pairs are visited (the block's members lie all over the records, and each
    /// is compared with up to `windowSize - 1` others: one copy instead of a cache miss a pair).
    func forEachPair<State>(_ records: [LinkageRecord], initial: State, _ body: (inout State, Int, Int, LinkageRecord, LinkageRecord) -> Void) -> [State] {
        var states = [initial, initial]
        var entries: [Entry] = []
        entries.reserveCapacity(records.count * 2)
        for rule in 0..<Blocking.rules {
            entries.removeAll(keepingCapacity: true)
            for (position, record) in records.enumerated() {
                let keys = Blocking.keys(record, rule: rule)
                let order = Blocking.order(record, rule: rule)
                if keys.0 != 0 { entries.append(Entry(key: keys.0, order: order, position: UInt32(position), keyIndex: 0)) }
                if keys.1 != 0 { entries.append(Entry(key: keys.1, order: order, position: UInt32(position), keyIndex: 1)) }
                if keys.2 != 0 { entries.append(Entry(key: keys.2, order: order, position: UInt32(position), keyIndex: 2)) }
                if keys.3 != 0 { entries.append(Entry(key: keys.3, order: order, position: UInt32(position), keyIndex: 3)) }
            }
            entries.sort { ($0.key, $0.order, $0.position) < ($1.key, $1.order, $1.position) }
            // Split at the block boundary nearest the middle.
            var middle = entries.count / 2
            while middle > 0, middle < entries.count, entries[middle].key == entries[middle - 1].key { middle += 1 }
            let halves = [0..<middle, middle..<entries.count]
            let fullBlock = self.fullBlock
            let window = self.windowSize
            entries.withUnsafeBufferPointer { entries in
                states.withUnsafeMutableBufferPointer { states in
                    withoutActuallyEscaping(body) { body in
                        // Each thread touches only its own state and reads the rest.
                        let shared = UncheckedSendable((entries, states, body))
                        DispatchQueue.concurrentPerform(iterations: 2) { half in
                            let (entries, states, body) = shared.value
                            var state = states[half]
                            var start = halves[half].lowerBound
                            let stop = halves[half].upperBound
                            var block: [LinkageRecord] = []
                            while start < stop {
                                var end = start + 1
                                while end < stop, entries[end].key == entries[start].key { end += 1 }
                                guard end - start > 1 else {
                                    start = end
                                    continue
                                }
                                let reach = end - start <= fullBlock ? end - start : window
                                block.removeAll(keepingCapacity: true)
                                for index in start..<end { block.append(records[Int(entries[index].position)]) }
                                for first in start..<end {
                                    let a = Int(entries[first].position)
                                    let x = block[first - start]
                                    let keyIndex = rule == 0 || rule == 4 ? Int(entries[first].keyIndex) : 0
                                    for second in (first + 1)..<min(end, first + reach) {
                                        let b = Int(entries[second].position)
                                        let y = block[second - start]
                                        guard a != b, !Blocking.metEarlier(x, y, rule: rule, keyIndex: keyIndex) else { continue }
                                        body(&state, a, b, x, y)
                                    }
                                }
                                start = end
                            }
                            states[half] = state
                        }
                    }
                }
            }
        }
        return states
    }

    /// Calls `body` for every candidate pair on this thread (tests, small runs); returns the count.
    @discardableResult
    func forEachPair(_ records: [LinkageRecord], _ body: (Int, Int) -> Void) -> Int {
        var count = 0
        let states = forEachPair(records, initial: [(Int, Int)]()) { state, a, b, _, _ in state.append((a, b)) }
        for state in states {
            for (a, b) in state {
                body(a, b)
                count += 1
            }
        }
        return count
    }
}
