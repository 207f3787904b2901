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
    mutating func value(for key: UnsafeBufferPointer<UInt8>, compute: () -> Value) -> Value {
        let hash = RowFingerprint(bytes: key).a
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = slots[slot]
            if index < 0 { break }
            let entry = entries[Int(index)]
            if entry.hash == hash, Int(entry.count) == key.count, equal(entry, key) { return entry.value }
            slot = (slot + 1) & mask
        }
        let value = compute()
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
            memcmp(stored.baseAddress! + Int(entry.offset), key.baseAddress!, key.count) == 0
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
