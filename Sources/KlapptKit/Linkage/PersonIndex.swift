import CKlapptPrefetch
import Dispatch

/// The one place where sources meet (SPEC 4.1, 4.2): collects pseudonymised records, keeps one row
/// per customer number or student id, and groups the rest into persons by pseudonym.
package struct PersonIndex: Sendable {
    private var records = ChunkedArray<IndexedRecord>()
    /// The nationality categories and AGS the records hold, by number.
    private var codes = ShortTextCodes()
    /// The record-id keys of the records from `keyBase` on (zero for a record without an id): kept
    /// apart so that they are freed once supersession is decided (62 MB of a state's quarter
    /// while persons are linked).
    private var keys = ChunkedArray<IdKey>()
    private var keyBase = 0
    /// Rows that lost to a newer row of the same id.
    private var superseded: [Bool] = []
    /// SPEC 4.1 (v2): the `Stand` of a row without its own, by (source, file): the file's.
    private var fileStands: [Int: [Int: CivilDate]] = [:]
    /// Supersession is decided once all rows are in (a row's file Stand is known only then).
    private var resolved = 0
    /// What probabilistic linkage compares, beside the records (empty under exact linkage): the
    /// names by number in `linkageInput`'s table and the date, 16 bytes a record.
    private var linkageKeys = ChunkedArray<LinkageKey>()
    private var linkageInput = LinkageInput()

    private struct LinkageKey {
        var given: UInt32
        var family: UInt32
        var birth: DateEncoding
    }

    package init() {}

    /// Adds records (of any file, in any order).
    package mutating func add(_ batch: [PseudoRecord]) {
        for record in batch { add(record) }
    }

    package mutating func add(_ record: PseudoRecord) {
        records.append(IndexedRecord(record, codes: &codes))
        keys.append(IdKey(record.recordKey ?? RecordKey(a: 0, b: 0)))
        superseded.append(false)
        if let linkage = record.linkage {
            linkageKeys.append(
                LinkageKey(given: linkageInput.intern(linkage.given), family: linkageInput.intern(linkage.family), birth: linkage.birth))
        }
    }

    /// Links the surviving records into persons by `linker` (SPEC 4.1 v3): each record's pseudonym
    /// becomes its person's identity. A person's identity is the record pseudonym of one of its
    /// records: one that was a person of the previous quarter (`previous`, sorted), so that a person
    /// keeps its identity from quarter to quarter (SPEC 10), else its first record's in SPEC 4.2
    /// order. Record pseudonyms are unique, so two persons never share an identity.
    package mutating func link(
        _ linker: ProbabilisticLinker, previous: [PseudonymPrefix] = [], decisions: [LinkageReview.Decision] = []
    ) -> LinkedRecords {
        resolve()
        precondition(linkageKeys.count == records.count, "Verknüpfungsmerkmale fehlen")
        // In SPEC 4.2 order (role, source, file, row), not in the order the readers' threads
        // delivered them: blocking's windows and the joins' order then never depend on scheduling.
        let survivors = (0..<records.count).filter { !superseded[$0] }.sorted { Self.rank(records[$0]) < Self.rank(records[$1]) }
        let unknownNationality = codes.values.firstIndex(of: "unbekannt").map { UInt16($0) }
        var input = linkageInput
        linkageInput = LinkageInput()
        input.reserveCapacity(survivors.count)
        for position in survivors {
            let record = records[position]
            let key = linkageKeys[position]
            input.append(
                LinkageEntry(
                    given: key.given, family: key.family, birth: key.birth, sex: record.sex,
                    nationality: record.nationality == unknownNationality ? LinkageRecord.unknown : record.nationality,
                    municipality: record.municipality == 0 ? LinkageRecord.unknown : record.municipality, source: record.sourceIndex))
        }
        linkageKeys.removeAll()
        // Decisions name records by `satz` (their record pseudonym's first 64 bits).
        var bySatz: [UInt64: Int] = [:]
        if !decisions.isEmpty {
            for (local, position) in survivors.enumerated() { bySatz[records[position].person.words.0] = local }
        }
        let pairs = decisions.compactMap { decision -> PairDecision? in
            guard let first = UInt64(decision.first, radix: 16).flatMap({ bySatz[$0] }),
                let second = UInt64(decision.second, radix: 16).flatMap({ bySatz[$0] })
            else { return nil }
            return PairDecision(first: first, second: second, same: decision.same)
        }
        bySatz = [:]
        // (Consumed: its 24 bytes a record go once the nodes are made, not when this function returns.)
        let outcome = linker.link(consume input, decisions: pairs)
        // What the review list (and a measurement) needs of the records, before their pseudonyms
        // become their persons'.
        var listed: [Int: (origin: RowOrigin, pseudonym: PersonPseudonym)] = [:]
        for pair in outcome.reviewPairs {
            for local in [pair.first, pair.second] { listed[local] = (records[survivors[local]].origin, records[survivors[local]].person) }
        }
        let allOrigins = diagnosing ? survivors.map { records[$0].origin } : nil
        func wasPerson(_ pseudonym: PersonPseudonym) -> Bool {
            var low = 0
            var high = previous.count
            let prefix = pseudonym.prefix
            while low < high {
                let middle = (low + high) / 2
                if previous[middle] < prefix { low = middle + 1 } else { high = middle }
            }
            return low < previous.count && previous[low] == prefix
        }
        // A person's number is its first record's position (survivors are in SPEC 4.2 order): its
        // identity is the first member's record pseudonym that was a person before, else the
        // first member's. Two passes over the records, no list per person.
        var chosen = [Int32](repeating: -1, count: survivors.count)
        if !previous.isEmpty {
            for (local, person) in outcome.person.enumerated() where chosen[person] < 0 && wasPerson(records[survivors[local]].person) {
                chosen[person] = Int32(local)
            }
        }
        for (local, person) in outcome.person.enumerated() {
            let source = chosen[person] >= 0 ? Int(chosen[person]) : person
            // (A member before this one already carries the identity; one after still its own
            // pseudonym, which is then the identity.)
            records[survivors[local]].person = records[survivors[source]].person
        }
        return LinkedRecords(outcome: outcome, listed: listed, allOrigins: allOrigins)
    }

    /// Whether a run measures its linkage (`KLAPPT_VERKNUEPFUNG_DIAGNOSE`): then every record's place is kept.
    package var diagnosing = false

    /// The `Stand` of the rows of a file that have none of their own (SPEC 4.1 v2: a row without its
    /// own `Stand` takes its file's): the newest `Stand` of the file's rows.
    package mutating func setFileStand(_ stand: CivilDate, source: Int, file: Int) {
        fileStands[source, default: [:]][file] = stand
    }

    /// Decides supersession for the rows added since the last call. Ids of different sources never
    /// compete, so each source is decided on its own core (a state's 4 million rows: one table of
    /// random probes per source instead of one for all).
    private mutating func resolve() {
        guard resolved < records.count else { return }
        // The keyed rows per source, counted in one pass (each source's table is sized from it).
        var keyedRows = [Int](repeating: 0, count: 256)
        for position in resolved..<records.count where records[position].hasKey { keyedRows[Int(records[position].sourceIndex)] += 1 }
        let partitions = keyedRows.indices.filter { keyedRows[$0] > 0 }
        let counts = keyedRows
        let first = resolved
        resolved = records.count
        let records = self.records
        let keys = self.keys
        let keyBase = self.keyBase
        let index = self
        let lost = UnsafeMutableBufferPointer<Bool>.allocate(capacity: records.count)
        defer { lost.deallocate() }
        _ = lost.initialize(from: superseded)
        let shared = UncheckedSendable(lost)
        // Each source's thread walks all new rows and takes its own (no list of positions per source:
        // 16 MB less at the run's peak for a state's quarter).
        DispatchQueue.concurrentPerform(iterations: partitions.count) { partition in
            let source = UInt8(partitions[partition])
            func ours(_ position: Int) -> Bool { records[position].sourceIndex == source && records[position].hasKey }
            var winners = RecordWinners(capacity: counts[Int(source)])
            var ahead = first
            func prefetchNext() {
                while ahead < records.count, !ours(ahead) { ahead += 1 }
                if ahead < records.count {
                    let key = keys[ahead - keyBase]
                    winners.prefetch(key.a, key.b)
                    ahead += 1
                }
            }
            for _ in 0..<PersonIndex.prefetchDistance { prefetchNext() }
            for position in first..<records.count where ours(position) {
                prefetchNext()
                let record = records[position]
                let key = keys[position - keyBase]
                let previous = winners.claim(key.a, key.b, Int32(position)) { keys[Int($0) - keyBase] }
                guard let previous else { continue }
                if index.isNewer(record, than: records[Int(previous)]) {
                    winners.replaceLastClaimed(by: Int32(position))
                    shared.value[Int(previous)] = true
                } else {
                    shared.value[position] = true
                }
            }
        }
        superseded = Array(lost)
        self.keys.removeAll()
        self.keyBase = records.count
    }

    func isNewer(_ a: IndexedRecord, than b: IndexedRecord) -> Bool {
        switch (stand(of: a), stand(of: b)) {
        case (let x?, let y?) where x != y: return x > y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return (a.origin.fileIndex, a.origin.order) > (b.origin.fileIndex, b.origin.order)
        }
    }

    /// A row's own `Stand`, else its file's; nil when neither has one (it sorts as the oldest).
    func stand(of record: IndexedRecord) -> CivilDate? {
        if let own = record.asOf { return own }
        let origin = record.origin
        return fileStands[origin.sourceIndex]?[origin.fileIndex]
    }

    /// Rows that lost to a newer row of the same id, by (source index, file index) of the losing row.
    package mutating func supersededCounts() -> [Int: [Int: Int]] {
        resolve()
        var counts: [Int: [Int: Int]] = [:]
        for (position, lost) in superseded.enumerated() where lost {
            let origin = records[position].origin
            counts[origin.sourceIndex, default: [:]][origin.fileIndex, default: 0] += 1
        }
        return counts
    }

    /// SPEC 4.2 order of a person's records: role rank (2 bits), source (6), file (16), row (40).
    /// Computed when a person's records are ordered (not kept in the sort keys: 8 bytes less for
    /// each of a state's 4 million rows, twice, at the run's peak of memory).
    static func rank(_ record: IndexedRecord) -> UInt64 {
        let role = UInt64(record.rank & 0x3) << 62
        let source = UInt64(record.sourceIndex & 0x3F) << 56
        let file = UInt64(record.fileIndex) << 40
        return role | source | file | UInt64(record.orderHigh) << 32 | UInt64(record.orderLow)
    }

    /// Where a record stands in the sort that groups persons: 8 bytes, so that the keys of a
    /// state's 3.9 million rows take 31 MB (`sortedKeys` places them into buckets without a second array).
    struct SortKey {
        var position: UInt32
        /// The pseudonym's first 32 bits (full pseudonyms are compared only when these tie: for
        /// two million persons a few hundred pairs).
        var person: UInt32
    }

    /// Calls `body` once per person with its surviving records in SPEC 4.2 order: job-centre
    /// records first (file order), then college records (files in path order, records in file
    /// order). Persons come in pseudonym order, which the inputs and the key fix.
    ///
    /// One sort of compact keys groups everything; the index is emptied.
    package mutating func drainPersons(_ body: (PersonPseudonym, PersonRecords) -> Void) {
        resolve()
        let records = self.records
        let superseded = self.superseded
        var keys = PersonIndex.sortedKeys(
            count: records.count, skip: { superseded[$0] }, prefix: { UInt32(truncatingIfNeeded: records[$0].person.words.0 >> 32) })
        self.superseded = []
        let codes = self.codes
        self.records.removeAll()  // the local copy is the last holder: freed when draining ends
        // Runs of equal prefixes (the same person, or two persons sharing 32 bits: a few hundred
        // pairs among two million persons) are ordered by the full pseudonym, then by rank.
        var runStart = 0
        while runStart < keys.count {
            var runEnd = runStart + 1
            while runEnd < keys.count, keys[runEnd].person == keys[runStart].person { runEnd += 1 }
            if runEnd - runStart > 1 {
                // Nearly always one person (its records from several sources): then the rank alone orders them.
                let first = records[Int(keys[runStart].position)].person
                if (runStart + 1..<runEnd).allSatisfy({ records[Int(keys[$0].position)].person == first }) {
                    var index = runStart + 1
                    while index < runEnd {
                        let key = keys[index]
                        var slot = index
                        while slot > runStart, Self.rank(records[Int(keys[slot - 1].position)]) > Self.rank(records[Int(key.position)]) {
                            keys[slot] = keys[slot - 1]
                            slot -= 1
                        }
                        keys[slot] = key
                        index += 1
                    }
                    runStart = runEnd
                    continue
                }
                keys[runStart..<runEnd].sort { x, y in
                    let p = records[Int(x.position)].person
                    let q = records[Int(y.position)].person
                    if p != q { return p < q }
                    return Self.rank(records[Int(x.position)]) < Self.rank(records[Int(y.position)])
                }
            }
            runStart = runEnd
        }
        // The persons' records are visited in pseudonym order, all over the 200 MB of a state's
        // records: each is prefetched a few keys ahead. The persons' views borrow the records and
        // codes through pointers, so that handing out two million of them costs no reference counting.
        withUnsafePointer(to: records) { records in
            withUnsafePointer(to: codes) { codes in
                keys.withUnsafeBufferPointer { keys in
                    var start = 0
                    var prefetched = 0
                    while start < keys.count {
                        let horizon = min(start + PersonIndex.prefetchDistance, keys.count)
                        while prefetched < horizon {
                            records.pointee.prefetch(Int(keys[prefetched].position))
                            prefetched += 1
                        }
                        let person = records.pointee[Int(keys[start].position)].person
                        var end = start + 1
                        while end < keys.count, keys[end].person == keys[start].person, records.pointee[Int(keys[end].position)].person == person {
                            end += 1
                        }
                        body(person, PersonRecords(records: records, codes: codes, keys: UnsafeBufferPointer(rebasing: keys[start..<end])))
                        start = end
                    }
                }
            }
        }
    }

    /// How many keys ahead the records are prefetched while persons are drained or ids resolved.
    static let prefetchDistance = 16

    /// The sort keys of the records that were not superseded, sorted by `person` and, for equal
    /// `person`, by position: counted by the top 16 bits of `person`, placed straight into their
    /// bucket, then each bucket (about 60 keys for a state's 3.9 million rows) sorted in the cache.
    /// One array of keys and no second one as a radix sort's buffer: 31 MB less at the run's peak
    /// for a state's quarter.
    /// `prefix` gives a position's `person`; `skip` leaves a position out.
    static func sortedKeys(count total: Int, skip: (Int) -> Bool, prefix: (Int) -> UInt32) -> [SortKey] {
        var starts = [Int](repeating: 0, count: (1 << 16) + 1)
        var count = 0
        for position in 0..<total where !skip(position) {
            starts[Int(prefix(position) >> 16) + 1] += 1
            count += 1
        }
        for bucket in 0..<(1 << 16) { starts[bucket + 1] += starts[bucket] }
        var next = starts
        let keys = [SortKey](unsafeUninitializedCapacity: count) { keys, initialized in
            for position in 0..<total where !skip(position) {
                let person = prefix(position)
                let bucket = Int(person >> 16)
                keys[next[bucket]] = SortKey(position: UInt32(position), person: person)
                next[bucket] += 1
            }
            // Within a bucket positions ascend already: an insertion sort by `person` keeps them so.
            for bucket in 0..<(1 << 16) {
                let start = starts[bucket]
                let end = starts[bucket + 1]
                guard end - start > 1 else { continue }
                for index in (start + 1)..<end {
                    let key = keys[index]
                    var slot = index
                    while slot > start, keys[slot - 1].person > key.person {
                        keys[slot] = keys[slot - 1]
                        slot -= 1
                    }
                    keys[slot] = key
                }
            }
            initialized = count
        }
        return keys
    }

    /// All persons as values (for tests and small inputs; the run uses `drainPersons`).
    package func persons() -> [Person] {
        var copy = self
        var result: [Person] = []
        copy.drainPersons { result.append(Person(pseudonym: $0, records: Array($1))) }
        return result
    }
}

/// The records of one person, in SPEC 4.2 order: a view into the index, valid during the call
/// that receives it. Supersession is decided by then, so the records carry no record-id key.
public struct PersonRecords: RandomAccessCollection {
    let records: UnsafePointer<ChunkedArray<IndexedRecord>>
    let codes: UnsafePointer<ShortTextCodes>
    let keys: UnsafeBufferPointer<PersonIndex.SortKey>

    public var startIndex: Int { 0 }
    public var endIndex: Int { keys.count }
    public subscript(position: Int) -> PseudoRecord { records.pointee[Int(keys[position].position)].record(codes.pointee) }
}

/// What `PersonIndex.link` found, with the linked records' own pseudonyms and places (by the
/// linker's positions: for the review list).
package struct LinkedRecords {
    package var outcome: LinkageOutcome
    /// The listed (review) records' places and record pseudonyms, by the linker's positions.
    package var listed: [Int: (origin: RowOrigin, pseudonym: PersonPseudonym)]
    /// Every record's place, when the run measures its linkage.
    package var allOrigins: [RowOrigin]?
}

/// A linked person: a pseudonym and its records in SPEC 4.2 order.
public struct Person: Sendable {
    public var pseudonym: PersonPseudonym
    public var records: [PseudoRecord]
}

/// A value handed to concurrent workers that touch disjoint parts of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Supersession's table of one source: per slot the winning row's position and the top 32 bits of
/// its key, 8 bytes a slot (a `RandomKeyTable` takes 20, and the per-source tables of a state's
/// register and job centre were 168 MB at the run's peak). The full key is compared in the record
/// when the tag matches. Sized once for all of the source's keyed rows: it never grows.
struct RecordWinners {
    private var tags: [UInt32]
    /// -1 marks an empty slot.
    private var positions: [Int32]
    private let mask: Int
    /// The slot `claim` last looked at (where a newer row replaces the winner).
    private var lastSlot = 0

    /// Sized for a load of at most 80 % (its slots are prefetched ahead of their probes, so a fuller
    /// table costs little: the register's 1.56 million ids of a state take 16 MB, not 32).
    init(capacity: Int) {
        var slots = 16
        while slots * 8 < capacity * 10 { slots *= 2 }
        tags = [UInt32](repeating: 0, count: slots)
        positions = [Int32](repeating: -1, count: slots)
        mask = slots - 1
    }

    /// The winner so far of the key (a, b), or nil when the key is new (then `position` wins it).
    /// `key` gives the full key of the row at a position.
    mutating func claim(_ a: UInt64, _ b: UInt64, _ position: Int32, key: (Int32) -> IdKey) -> Int32? {
        let tag = UInt32(truncatingIfNeeded: a >> 32)
        var slot = RandomKeyTable.home(a, b, mask: mask)
        while true {
            let stored = positions[slot]
            if stored < 0 { break }
            if tags[slot] == tag {
                let other = key(stored)
                if other.a == a && other.b == b {
                    lastSlot = slot
                    return stored
                }
            }
            slot = (slot + 1) & mask
        }
        tags[slot] = tag
        positions[slot] = position
        return nil
    }

    /// Starts loading the slot where `claim` of this key begins probing.
    @inline(__always)
    func prefetch(_ a: UInt64, _ b: UInt64) {
        let slot = RandomKeyTable.home(a, b, mask: mask)
        tags.withUnsafeBufferPointer { klappt_prefetch_write($0.baseAddress! + slot) }
        positions.withUnsafeBufferPointer { klappt_prefetch_write($0.baseAddress! + slot) }
    }

    /// Makes `position` the winner of the key `claim` just returned a winner for.
    mutating func replaceLastClaimed(by position: Int32) {
        positions[lastSlot] = position
    }
}

/// A record id's key as the index keeps it until supersession is decided: 96 of its 128 random
/// bits in 12 bytes (a state's 3.9 million rows: 16 MB less while the inputs are read, the run's
/// peak). Two of a source's ids share 96 bits with a probability of about 10^-17 for a state's
/// 1.6 million ids: far below any failure of the machine.
struct IdKey: Sendable {
    private var w0: UInt32
    private var w1: UInt32
    private var w2: UInt32

    init(_ key: RecordKey) {
        w0 = UInt32(truncatingIfNeeded: key.a)
        w1 = UInt32(truncatingIfNeeded: key.a >> 32)
        w2 = UInt32(truncatingIfNeeded: key.b)
    }

    /// The bits as `RecordWinners` takes them.
    var a: UInt64 { UInt64(w1) << 32 | UInt64(w0) }
    var b: UInt64 { UInt64(w2) }
}
