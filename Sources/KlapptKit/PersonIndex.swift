/// The one place where sources meet (SPEC 4.1, 4.2): collects pseudonymised records, keeps one row
/// per customer number or student id, and groups the rest into persons by pseudonym.
public struct PersonIndex: Sendable {
    private var records: [PseudoRecord] = []
    /// (source, record key) -> index in `records` of the row that currently wins.
    private var winners: [ScopedKey: Int] = [:]
    /// Indices of rows that lost to a newer row of the same id.
    private var supersededRows = Set<Int>()

    struct ScopedKey: Hashable {
        var source: Int
        var key: RecordKey
    }

    public init() {}

    /// Adds a file's records. The first batch is adopted without a copy, so that a big single
    /// file is not held twice.
    public mutating func add(_ batch: [PseudoRecord]) {
        let base = records.count
        if records.isEmpty { records = batch } else { records.append(contentsOf: batch) }
        for position in base..<records.count { register(position) }
    }

    public mutating func add(_ record: PseudoRecord) {
        records.append(record)
        register(records.count - 1)
    }

    /// SPEC 4.1: of several rows with the same id in a source, the row from the newest file (by
    /// `Stand`) wins, then the last in file order. The decision depends only on (Stand, file, row),
    /// so files may be added in any order.
    private mutating func register(_ position: Int) {
        let record = records[position]
        guard let key = record.recordKey else { return }
        let scopedKey = ScopedKey(source: record.origin.sourceIndex, key: key)
        if let previous = winners[scopedKey] {
            if PersonIndex.isNewer(record, than: records[previous]) {
                winners[scopedKey] = position
                supersededRows.insert(previous)
            } else {
                supersededRows.insert(position)
            }
        } else {
            winners[scopedKey] = position
        }
    }

    static func isNewer(_ a: PseudoRecord, than b: PseudoRecord) -> Bool {
        switch (a.asOf, b.asOf) {
        case let (x?, y?) where x != y: return x > y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return (a.origin.fileIndex, a.origin.order) > (b.origin.fileIndex, b.origin.order)
        }
    }

    /// Rows that lost to a newer row of the same id, by (source index, file index) of the losing row.
    public func supersededCounts() -> [Int: [Int: Int]] {
        var counts: [Int: [Int: Int]] = [:]
        for position in supersededRows {
            let record = records[position]
            counts[record.origin.sourceIndex, default: [:]][record.origin.fileIndex, default: 0] += 1
        }
        return counts
    }

    /// Calls `body` once per person with its surviving records in SPEC 4.2 order: job-centre
    /// records first (file order), then college records (files in path order, records in file
    /// order). Persons come in the order of their first record, which is fixed by the inputs.
    /// One pass to count, one to place (a counting sort by person), no array per person.
    /// The index is emptied on the way (its rows are moved into person order and then released), so
    /// that rows and per-person results are not both held at their largest.
    public mutating func drainPersons(_ body: (PersonPseudonym, ArraySlice<PseudoRecord>) -> Void) {
        var ids: [PersonPseudonym: Int] = [:]
        ids.reserveCapacity(records.count)
        var owners: [PersonPseudonym] = []
        var personOf = [Int](repeating: -1, count: records.count)
        var counts: [Int] = []
        for (position, record) in records.enumerated() where !supersededRows.contains(position) {
            let id: Int
            if let known = ids[record.person] {
                id = known
            } else {
                id = owners.count
                ids[record.person] = id
                owners.append(record.person)
                counts.append(0)
            }
            personOf[position] = id
            counts[id] += 1
        }
        var starts = [Int](repeating: 0, count: counts.count + 1)
        for id in counts.indices { starts[id + 1] = starts[id] + counts[id] }
        var next = starts
        var placed = [PseudoRecord]()
        placed.reserveCapacity(starts.last ?? 0)
        var order = [Int](repeating: 0, count: starts.last ?? 0)
        for (position, id) in personOf.enumerated() where id >= 0 {
            order[next[id]] = position
            next[id] += 1
        }
        for index in order { placed.append(records[index]) }
        records = []
        winners = [:]
        supersededRows = []
        order = []
        personOf = []
        for id in owners.indices {
            var group = placed[starts[id]..<starts[id + 1]]
            if group.count > 1 {
                group.sort {
                    ($0.role.precedence, $0.origin.sourceIndex, $0.origin.fileIndex, $0.origin.order)
                        < ($1.role.precedence, $1.origin.sourceIndex, $1.origin.fileIndex, $1.origin.order)
                }
            }
            body(owners[id], group)
        }
    }

    /// All persons as values (for tests and small inputs; the run uses `drainPersons`).
    public func persons() -> [Person] {
        var copy = self
        var result: [Person] = []
        copy.drainPersons { result.append(Person(pseudonym: $0, records: Array($1))) }
        return result
    }
}

/// A linked person: a pseudonym and its records in SPEC 4.2 order.
public struct Person: Sendable {
    public var pseudonym: PersonPseudonym
    public var records: [PseudoRecord]
}
