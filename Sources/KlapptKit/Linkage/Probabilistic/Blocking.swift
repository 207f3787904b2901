import Dispatch

/// Which pairs of nodes are compared at all (handbook, section 8a): several blocking rules joined
/// by OR, each a key that two nodes must share. A variant in any one field still meets its partner
/// through a rule that does not look at that field, and every key but the last rule's holds a part
/// of the date as well as the names, so that namesakes (a state's quarter has hundreds of
/// `Ahmad Haidari`) do not all meet each other:
/// 0. the sound of a name word (either field) and the full birth date: a varied given or family
///    name, names swapped;
/// 1. the sounds of both first words (in either order) with year and month, year and day, year and
///    the two of day and month, or day and month: one part of the date varied (a digit, swapped
///    day and month, a year changed after an age assessment);
/// 2. the sounds of both first words and the year, where one side's date is partly known
///    (`00.00.`, `00.MM.`) or a 1 January (the registration's fictitious date);
/// 3. the sound of a name word and the year, where one side's date is partly known or a 1 January:
///    a varied name beside such a date;
/// 4. the full birth date alone (not a 1 January): both names varied.
///
/// A key shared by more than `fullBlock` nodes is not compared pair by pair: its nodes are sorted
/// by the rule's order and each is compared with the next `window - 1` (sorted neighbourhood), so
/// that the pairs grow linearly with the records, never with their square. A pair that an earlier
/// rule (or an earlier key of the same rule) already yields is skipped.
struct Blocking: Sendable {
    static let rules = 5
    var fullBlock = 40
    /// The window per rule in a large block. Rules 0 and 4 have the largest blocks in a state's
    /// quarter (a common sound with a date: hundreds of namesakes), and rule 0's order puts the
    /// same spelling of the other name next to each other, so a narrow window loses little there
    /// (at 2 million persons it gave better figures than 6 or 12: fewer hopeless pairs for the
    /// model to count); blocks of a district's size are compared in full anyway.
    var windows = [3, 12, 12, 12, 3]

    /// Whether a node's date says less than a day (partly known, or a 1 January): rules 2 and 3
    /// compare only pairs with such a side.
    @inline(__always)
    static func loose(_ node: LinkageNode) -> Bool {
        node.entry.birth.precision != .day || node.entry.birth.isFirstJanuary
    }

    /// Whether a rule compares the pair at all (rules 2 and 3: one side's date is loose).
    @inline(__always)
    static func visits(_ a: LinkageNode, _ b: LinkageNode, rule: Int) -> Bool {
        rule != 2 && rule != 3 || loose(a) || loose(b)
    }

    /// The parts of the date rule 1's keys hold, tagged by kind (0: none): year and month, year and
    /// day, year and the two of day and month (smaller first), day and month.
    @inline(__always)
    static func dateParts(_ date: DateEncoding) -> (UInt64, UInt64, UInt64, UInt64) {
        let year = UInt64(date.year)
        let month = UInt64(date.month)
        let day = UInt64(date.day)
        let byMonth = date.precision >= .month ? 1 << 40 | year << 16 | month : 0
        guard date.precision == .day else { return (byMonth, 0, 0, 0) }
        return (
            byMonth, 2 << 40 | year << 16 | day, 3 << 40 | year << 16 | min(month, day) << 8 | max(month, day),
            date.isFirstJanuary ? 0 : 4 << 40 | month << 8 | day
        )
    }

    /// Up to four keys of a node under a rule (0: none).
    @inline(__always)
    static func keys(_ node: LinkageNode, rule: Int, names: UnsafeBufferPointer<NameEncoding>) -> (UInt64, UInt64, UInt64, UInt64) {
        let given = (node.givenSound, 0 as UInt32)
        let family = (node.familySound, 0 as UInt32)
        let date = node.entry.birth
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
        /// A key of both sounds and a part; none (0) for a missing part.
        func both(_ part: UInt64) -> UInt64 { part == 0 ? 0 : key(UInt64(min(given.0, family.0)), UInt64(max(given.0, family.0)), part) }
        switch rule {
        case 0:
            guard full else { return (0, 0, 0, 0) }
            let digits = UInt64(date.digits)
            let second = (names[Int(node.entry.given)].sound1, names[Int(node.entry.family)].sound1)
            return (optional(given.0, digits), optional(second.0, digits), optional(family.0, digits), optional(second.1, digits))
        case 1:
            let parts = dateParts(date)
            return (both(parts.0), both(parts.1), both(parts.2), both(parts.3))
        case 2: return (both(1 << 40 | UInt64(date.year)), 0, 0, 0)
        case 3:
            let year = UInt64(date.year)
            return (optional(given.0, year), optional(family.0, year), 0, 0)
        default:
            guard full, !date.isFirstJanuary else { return (0, 0, 0, 0) }
            return (key(UInt64(date.digits)), 0, 0, 0)
        }
    }

    /// The order of a rule's nodes within a large block: what is left to tell them apart, in 32
    /// bits (20 of the first part, 12 of the second: an entry is 16 bytes, and a state's rule 0 has
    /// 15 million of them).
    @inline(__always)
    static func order(_ node: LinkageNode, rule: Int, keyIndex: Int) -> UInt32 {
        func combine(_ first: UInt32, _ second: UInt32) -> UInt32 {
            first & 0xFFFF_F000 | UInt32(truncatingIfNeeded: LinkageEncoder.mix(UInt64(second))) & 0xFFF
        }
        switch rule {
        case 1, 2: return combine(node.familyJoined, node.givenJoined)
        case 4: return combine(node.familySound, node.givenSound)
        default: return combine(node.familyJoined, node.entry.birth.digits)
        }
    }

    /// The sounds a node's key list under rules 0 and 3 is made of, in key order (0: none).
    @inline(__always)
    static func sounds(_ node: LinkageNode, rule: Int, names: UnsafeBufferPointer<NameEncoding>) -> (UInt32, UInt32, UInt32, UInt32) {
        guard rule == 0 else { return (node.givenSound, node.familySound, 0, 0) }
        return (node.givenSound, names[Int(node.entry.given)].sound1, node.familySound, names[Int(node.entry.family)].sound1)
    }

    @inline(__always)
    static func contains(_ sounds: (UInt32, UInt32, UInt32, UInt32), _ sound: UInt32) -> Bool {
        sound != 0 && (sounds.0 == sound || sounds.1 == sound || sounds.2 == sound || sounds.3 == sound)
    }

    /// Whether the first words of both names sound alike (in either order).
    @inline(__always)
    static func sameSounds(_ a: LinkageNode, _ b: LinkageNode) -> Bool {
        min(a.givenSound, a.familySound) == min(b.givenSound, b.familySound)
            && max(a.givenSound, a.familySound) == max(b.givenSound, b.familySound)
    }

    /// Whether both have the same full birth date, not a 1 January.
    @inline(__always)
    static func sameFullDate(_ a: LinkageNode, _ b: LinkageNode) -> Bool {
        let x = a.entry.birth
        let y = b.entry.birth
        return x.precision == .day && !x.isFirstJanuary && y.precision == .day && x.digits == y.digits
    }

    /// Whether two nodes share a key of `rule` and the rule visits them, decided on their features
    /// (no key is hashed: the keys are equal exactly when the parts they are made of are, 64-bit
    /// collisions aside). `below`: only the keys of `a` before this index count (the pair's first
    /// key in the rule).
    @inline(__always)
    static func share(_ a: LinkageNode, _ b: LinkageNode, rule: Int, below: Int = 4, names: UnsafeBufferPointer<NameEncoding>) -> Bool {
        let x = a.entry.birth
        let y = b.entry.birth
        switch rule {
        case 0, 3:
            if rule == 0 {
                guard x.precision == .day, y.precision == .day, x.digits == y.digits else { return false }
            } else {
                guard x.year == y.year, loose(a) || loose(b) else { return false }
            }
            let mine = sounds(a, rule: rule, names: names)
            let theirs = sounds(b, rule: rule, names: names)
            if below > 0, contains(theirs, mine.0) { return true }
            if below > 1, contains(theirs, mine.1) { return true }
            if below > 2, contains(theirs, mine.2) { return true }
            if below > 3, contains(theirs, mine.3) { return true }
            return false
        case 1:
            guard sameSounds(a, b) else { return false }
            let mine = dateParts(x)
            let theirs = dateParts(y)
            if below > 0, mine.0 != 0, mine.0 == theirs.0 { return true }
            if below > 1, mine.1 != 0, mine.1 == theirs.1 { return true }
            if below > 2, mine.2 != 0, mine.2 == theirs.2 { return true }
            if below > 3, mine.3 != 0, mine.3 == theirs.3 { return true }
            return false
        case 2: return x.year == y.year && (loose(a) || loose(b)) && sameSounds(a, b)
        default: return sameFullDate(a, b)
        }
    }

    /// Whether the pair met under an earlier rule, or under an earlier key of this one (then it
    /// was compared there).
    @inline(__always)
    static func metEarlier(_ a: LinkageNode, _ b: LinkageNode, rule: Int, keyIndex: Int, names: UnsafeBufferPointer<NameEncoding>) -> Bool {
        for earlier in 0..<rule where share(a, b, rule: earlier, names: names) { return true }
        return keyIndex > 0 && share(a, b, rule: rule, below: keyIndex, names: names)
    }

    /// A node under one of its keys: 16 bytes. The sort key holds the key's upper 40 bits and the
    /// node's order in the block (24 bits): one integer, sorted by radix (a comparison sort of a
    /// state's 30 million entries was a third of its linkage). Two keys that agree in 40 bits
    /// share a block; that adds a few comparisons a state, nothing else (the rules' checks look at
    /// the features).
    struct Entry {
        var sortKey: UInt64
        /// The node's position (bits 0-29) and the key's index among its keys (bits 30-31).
        var slot: UInt32

        init(key: UInt64, order: UInt32, position: UInt32, keyIndex: UInt8) {
            precondition(position < 1 << 30, "Mehr als 2^30 Datensätze")
            sortKey = key & 0xFFFF_FFFF_FF00_0000 | UInt64(order >> 8)
            slot = position | UInt32(keyIndex) << 30
        }

        var block: UInt64 { sortKey >> 24 }
        var position: UInt32 { slot & 0x3FFF_FFFF }
        var keyIndex: UInt8 { UInt8(slot >> 30) }
    }

    /// Sorts `entries` by their block (the key's 40 bits), stably (equal blocks keep their order:
    /// the nodes'), three passes of 14, 13 and 13 bits through `scratch` (tables that stay in the
    /// cache); then each block larger than `fullBlock` by the rules' order (only there does the
    /// order decide which pairs are compared).
    static func radixSort(_ entries: inout [Entry], scratch: inout [Entry], fullBlock: Int) {
        let count = entries.count
        guard count > 1 else { return }
        if scratch.count < count { scratch = entries }
        var counts = [Int](repeating: 0, count: 1 << 14)
        let digits: [(shift: UInt64, bits: Int)] = [(24, 14), (38, 13), (51, 13)]
        entries.withUnsafeMutableBufferPointer { source in
            scratch.withUnsafeMutableBufferPointer { target in
                var from = source
                var to = target
                for (shift, bits) in digits {
                    let mask = (1 << bits) - 1
                    for index in 0...mask { counts[index] = 0 }
                    for index in 0..<count { counts[Int(truncatingIfNeeded: from[index].sortKey >> shift) & mask] += 1 }
                    var total = 0
                    for digit in 0...mask {
                        let here = counts[digit]
                        counts[digit] = total
                        total += here
                    }
                    for index in 0..<count {
                        let digit = Int(truncatingIfNeeded: from[index].sortKey >> shift) & mask
                        to[counts[digit]] = from[index]
                        counts[digit] += 1
                    }
                    swap(&from, &to)
                }
                // Three passes: the result is in `scratch`; copied back.
                _ = source.update(fromContentsOf: UnsafeBufferPointer(rebasing: target[0..<count]))
            }
        }
        var start = 0
        while start < count {
            var end = start + 1
            while end < count, entries[end].block == entries[start].block { end += 1 }
            if end - start > fullBlock { entries[start..<end].sort { ($0.sortKey, $0.slot & 0x3FFF_FFFF) < ($1.sortKey, $1.slot & 0x3FFF_FFFF) } }
            start = end
        }
    }

    /// How many entries a part of a rule holds at most, about. A rule's keys are taken in parts
    /// by the keys' bits (a key's block lies in one part), at least two, one thread each at a
    /// time: the memory for blocking stays bounded however large the quarter (a state's rule 0
    /// has 8.6 million entries), and each thread sorts its own parts (the sort was a third of a
    /// state's scoring on one thread).
    static let partEntries = 1_500_000

    /// How many keys a node has under a rule at most.
    static func keysPerNode(rule: Int) -> Int { rule == 0 || rule == 1 ? 4 : rule == 3 ? 2 : 1 }

    /// Calls `body` once for every candidate pair of nodes (never i == j), from two threads: each
    /// gets its own copy of `initial` and the states come back in a fixed order (so that whatever
    /// is summed from them is summed in the same order on every run). Each rule's parts go to the
    /// threads in turn (part p to thread p mod 2). With `sampleEvery` n > 1 only the blocks whose
    /// key is 0 modulo n are visited (about one pair in n: what the model's estimate needs of a
    /// state's quarter).
    /// `body` gets the two positions and the two nodes: a block's nodes are copied next to each
    /// other before its pairs are visited (the block's members lie all over the nodes, and each
    /// is compared with up to `window - 1` others: one copy instead of a cache miss a pair).
    func forEachPair<State>(
        _ nodes: [LinkageNode], names: UnsafeBufferPointer<NameEncoding>, sampleEvery: Int = 1, initial: State,
        _ body: (inout State, Int, Int, LinkageNode, LinkageNode) -> Void
    ) -> [State] {
        var states = [initial, initial]
        let sample = UInt64(max(sampleEvery, 1))
        let fullBlock = self.fullBlock
        for rule in 0..<Blocking.rules {
            let wanted = nodes.count * Blocking.keysPerNode(rule: rule) / Int(sample) / Blocking.partEntries
            let parts = UInt64(max(2, wanted + wanted % 2))
            let window = self.windows[rule]
            nodes.withUnsafeBufferPointer { nodes in
                states.withUnsafeMutableBufferPointer { states in
                    withoutActuallyEscaping(body) { body in
                        // Each thread touches only its own state and reads the rest.
                        let shared = UncheckedSendable((states, body, names, nodes))
                        DispatchQueue.concurrentPerform(iterations: 2) { thread in
                            let (states, body, names, nodes) = shared.value
                            states[thread] = Blocking.runParts(
                                thread: thread, parts: parts, nodes: nodes, names: names, rule: rule, sample: sample, fullBlock: fullBlock, window: window,
                                state: states[thread], body)
                        }
                    }
                }
            }
        }
        return states
    }

    /// One thread's share of a rule: its parts, each collected, sorted and visited.
    static func runParts<State>(
        thread: Int, parts: UInt64, nodes: UnsafeBufferPointer<LinkageNode>, names: UnsafeBufferPointer<NameEncoding>, rule: Int, sample: UInt64,
        fullBlock: Int,
        window: Int, state initial: State, _ body: (inout State, Int, Int, LinkageNode, LinkageNode) -> Void
    ) -> State {
        var state = initial
        var buffers = PartBuffers()
        var part = UInt64(thread)
        while part < parts {
            collect(nodes, names: names, rule: rule, part: part, of: parts, sample: sample, into: &buffers.entries)
            radixSort(&buffers.entries, scratch: &buffers.scratch, fullBlock: fullBlock)
            visit(buffers.entries, nodes: nodes, names: names, rule: rule, fullBlock: fullBlock, window: window, block: &buffers.block, state: &state, body)
            part += 2
        }
        return state
    }

    /// A thread's buffers for its parts.
    struct PartBuffers {
        var entries: [Entry] = []
        var scratch: [Entry] = []
        var block: [LinkageNode] = []
    }

    /// The entries of one part of a rule: the nodes' keys whose bits put them in `part`.
    static func collect(
        _ nodes: UnsafeBufferPointer<LinkageNode>, names: UnsafeBufferPointer<NameEncoding>, rule: Int, part: UInt64, of parts: UInt64, sample: UInt64,
        into entries: inout [Entry]
    ) {
        entries.removeAll(keepingCapacity: true)
        for position in nodes.indices {
            let node = nodes[position]
            let keys = Blocking.keys(node, rule: rule, names: names)
            for index in 0..<4 {
                let key: UInt64
                switch index {
                case 0: key = keys.0
                case 1: key = keys.1
                case 2: key = keys.2
                default: key = keys.3
                }
                guard key != 0, sample == 1 || key % sample == 0, (key >> 40) % parts == part else { continue }
                let order = Blocking.order(node, rule: rule, keyIndex: index)
                entries.append(Entry(key: key, order: order, position: UInt32(position), keyIndex: UInt8(index)))
            }
        }
    }

    /// Visits the pairs of the sorted `entries`' blocks.
    static func visit<State>(
        _ entries: [Entry], nodes: UnsafeBufferPointer<LinkageNode>, names: UnsafeBufferPointer<NameEncoding>, rule: Int, fullBlock: Int, window: Int,
        block: inout [LinkageNode], state: inout State, _ body: (inout State, Int, Int, LinkageNode, LinkageNode) -> Void
    ) {
        var start = 0
        let stop = entries.count
        while start < stop {
            var end = start + 1
            while end < stop, entries[end].block == entries[start].block { end += 1 }
            guard end - start > 1 else {
                start = end
                continue
            }
            let reach = end - start <= fullBlock ? end - start : window
            block.removeAll(keepingCapacity: true)
            for index in start..<end { block.append(nodes[Int(entries[index].position)]) }
            for first in start..<end {
                let a = Int(entries[first].position)
                let x = block[first - start]
                let keyIndex = Int(entries[first].keyIndex)
                for second in (first + 1)..<min(end, first + reach) {
                    let b = Int(entries[second].position)
                    let y = block[second - start]
                    guard a != b, Blocking.visits(x, y, rule: rule), !Blocking.metEarlier(x, y, rule: rule, keyIndex: keyIndex, names: names)
                    else { continue }
                    body(&state, a, b, x, y)
                }
            }
            start = end
        }
    }

    /// Calls `body` for every candidate pair on this thread (tests, small runs); returns the count.
    @discardableResult
    func forEachPair(_ nodes: [LinkageNode], names: UnsafeBufferPointer<NameEncoding>, _ body: (Int, Int) -> Void) -> Int {
        var count = 0
        let states = forEachPair(nodes, names: names, initial: [(Int, Int)]()) { state, a, b, _, _ in state.append((a, b)) }
        for state in states {
            for (a, b) in state {
                body(a, b)
                count += 1
            }
        }
        return count
    }
}
