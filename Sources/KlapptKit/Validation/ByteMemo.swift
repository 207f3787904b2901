import KlapptFormats

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Remembers what a short field value normalises to, keyed by its raw bytes. The exports repeat a
/// few hundred status codes, postcodes, nationality keys and residence texts over millions of rows;
/// with the memo each distinct spelling is decoded and normalised once, and every later row costs
/// one hash and one byte comparison, with no string made.
///
/// Bounded: after `capacity` distinct keys (or for keys longer than `maxKeyBytes`) values are
/// computed every time instead of remembered, so a free-text column cannot make it grow without end.
struct ByteMemo<Value> {
    fileprivate struct Entry {
        var hash: UInt64
        var offset: Int32
        var count: Int32
        var value: Value
    }

    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    private var slots: [Int32] = Array(repeating: -1, count: 256)
    let capacity: Int
    let maxKeyBytes: Int

    init(capacity: Int = 8192, maxKeyBytes: Int = 200) {
        self.capacity = capacity
        self.maxKeyBytes = maxKeyBytes
    }

    /// The remembered value of `key`, or `compute()`'s (then remembered).
    ///
    /// Inlined, so that `compute` and what it captures (the code lists, a reference) are touched
    /// only when the value is not remembered yet: a hit costs no reference counting (issue 24).
    @inline(__always)
    mutating func value(for key: UnsafeBufferPointer<UInt8>, compute: () -> Value) -> Value {
        let hash = Self.hash(key)
        let slot = find(key, hash: hash)
        if slot.index >= 0 { return entries[slot.index].value }
        return remember(key, hash: hash, slot: slot.slot, value: compute())
    }

    /// The entry of `key` (index >= 0), or the empty slot where it would go.
    private func find(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (index: Int, slot: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return (-1, slot) }
            if entries[index].hash == hash, Int(entries[index].count) == key.count, equal(entries[index], key) { return (index, slot) }
            slot = (slot + 1) & mask
        }
    }

    /// A hash of a short key, eight bytes a step (the keys are a few to 200 bytes; their bytes
    /// are compared on a match, so the hash only has to spread them).
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        guard let base = key.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var index = 0
        while index + 8 <= key.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h = (h << 31) | (h >> 33)
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < key.count {
            tail |= UInt64(base[index]) << shift
            shift += 8
            index += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    private mutating func remember(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, slot: Int, value: Value) -> Value {
        guard entries.count < capacity, key.count <= maxKeyBytes else { return value }
        entries.append(Entry(hash: hash, offset: Int32(arena.count), count: Int32(key.count), value: value))
        arena.append(contentsOf: key)
        slots[slot] = Int32(entries.count - 1)
        if entries.count * 2 > slots.count { grow() }
        return value
    }

    private func equal(_ entry: Entry, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.count > 0 else { return true }
        return arena.withUnsafeBufferPointer { stored in
            let base = stored.baseAddress! + Int(entry.offset)
            // Most keys are a few bytes: compared here, without a call to memcmp (31 million calls
            // in a state's quarter were 2 % of its time).
            guard key.count <= 16 else { return memcmp(base, key.baseAddress!, key.count) == 0 }
            var index = 0
            while index < key.count {
                if base[index] != key[index] { return false }
                index += 1
            }
            return true
        }
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}

extension ByteMemo: Sendable where Value: Sendable {}
extension ByteMemo.Entry: Sendable where Value: Sendable {}
