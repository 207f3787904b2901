import CKlapptPrefetch

/// A hash table for 128-bit keys that are already uniformly random (mixed keys of the kinds of
/// person; record ids use `RecordWinners`, 8 bytes a slot), mapping each to an `Int32`. Such keys need no hashing: their low bits
/// pick the slot. Open addressing with linear probing, keys inline, no per-entry allocation.
///
/// Swift's `Set` and `Dictionary` hash every key again with SipHash; for the millions of rows of a
/// state-wide export that was the largest single cost of linking (benchmarks/README.md).
struct RandomKeyTable: Sendable {
    private var keys: [UInt64]
    /// -1 marks an empty slot.
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        let slots = RandomKeyTable.slots(for: capacity)
        keys = [UInt64](repeating: 0, count: 2 * slots)
        values = [Int32](repeating: -1, count: slots)
        mask = slots - 1
    }

    /// A power of two with room for `capacity` keys at half load; grown at 70 % load.
    static func slots(for capacity: Int) -> Int {
        var slots = 16
        while slots < capacity * 2 { slots *= 2 }
        return slots
    }

    /// The slot a key's probe starts at (the keys are random: their bits are the hash).
    @inline(__always)
    static func home(_ a: UInt64, _ b: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: a ^ (b >> 32)) & mask }

    /// The value of `key`, if present.
    func value(_ a: UInt64, _ b: UInt64) -> Int32? {
        var slot = RandomKeyTable.home(a, b, mask: mask)
        while true {
            let value = values[slot]
            if value < 0 { return nil }
            if keys[2 * slot] == a && keys[2 * slot + 1] == b { return value }
            slot = (slot + 1) & mask
        }
    }

    /// Sets the value of `key` (`value` >= 0); returns the previous value, nil when the key is new.
    @discardableResult
    mutating func set(_ a: UInt64, _ b: UInt64, _ value: Int32) -> Int32? {
        precondition(value >= 0)
        var slot = RandomKeyTable.home(a, b, mask: mask)
        while true {
            let old = values[slot]
            if old < 0 { break }
            if keys[2 * slot] == a && keys[2 * slot + 1] == b {
                values[slot] = value
                return old
            }
            slot = (slot + 1) & mask
        }
        keys[2 * slot] = a
        keys[2 * slot + 1] = b
        values[slot] = value
        count += 1
        if count * 10 > values.count * 7 { grow() }
        return nil
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let slots = values.count * 2
        keys = [UInt64](repeating: 0, count: 2 * slots)
        values = [Int32](repeating: -1, count: slots)
        mask = slots - 1
        count = 0
        for slot in oldValues.indices where oldValues[slot] >= 0 {
            set(oldKeys[2 * slot], oldKeys[2 * slot + 1], oldValues[slot])
        }
    }
}

/// The set form of `RandomKeyTable` (row fingerprints seen in a file): keys only, 16 bytes a slot.
/// The all-zero key marks an empty slot; a fingerprint that happens to be zero is stored as (0, 1),
/// which could only collide with another fingerprint of exactly that value.
struct RandomKeySet: Sendable {
    private var keys: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        let slots = RandomKeyTable.slots(for: capacity)
        keys = [UInt64](repeating: 0, count: 2 * slots)
        mask = slots - 1
    }

    /// Starts loading the slot where `insert` of this key begins probing (a hint: nothing changes).
    @inline(__always)
    func prefetch(_ a: UInt64, _ b: UInt64) {
        let slot = RandomKeyTable.home(a, b, mask: mask)
        keys.withUnsafeBufferPointer { klappt_prefetch_write($0.baseAddress! + 2 * slot) }
    }

    /// Adds the key; true when it was not there yet.
    mutating func insert(_ a: UInt64, _ b: UInt64) -> Bool {
        let b = a == 0 && b == 0 ? 1 : b
        var slot = RandomKeyTable.home(a, b, mask: mask)
        while true {
            let storedA = keys[2 * slot]
            let storedB = keys[2 * slot + 1]
            if storedA == 0 && storedB == 0 { break }
            if storedA == a && storedB == b { return false }
            slot = (slot + 1) & mask
        }
        keys[2 * slot] = a
        keys[2 * slot + 1] = b
        count += 1
        // Grown at 80 % load: the slots are prefetched ahead of their probes (`prefetch`), so a fuller
        // table costs little, and a state's register (1.56 million rows) keeps to 32 MB, not 64.
        if count * 10 > (mask + 1) * 8 { grow() }
        return true
    }

    private mutating func grow() {
        let old = keys
        keys = [UInt64](repeating: 0, count: 2 * old.count)
        mask = old.count - 1
        count = 0
        for slot in 0..<(old.count / 2) where old[2 * slot] != 0 || old[2 * slot + 1] != 0 {
            _ = insert(old[2 * slot], old[2 * slot + 1])
        }
    }
}
