/// A person's state in a quarter (SPEC 10): an activity of 4.3, `ohne_aktivitaet` (in that
/// quarter's target group without a current record), or `ausserhalb` (not in its target group).
/// The order is the order of publication: the activities in priority order, then the two others.
public enum PersonState: Hashable, Sendable, Comparable, CustomStringConvertible {
    case activity(Activity)
    case withoutActivity
    case outside

    /// All eight, in publication order.
    public static let all: [PersonState] = Activity.allCases.map { .activity($0) } + [.withoutActivity, .outside]

    /// The state of a target-group person.
    public init(activity: Activity?) {
        self = activity.map { .activity($0) } ?? .withoutActivity
    }

    /// The state's name in the published table and the store.
    public var description: String {
        switch self {
        case .activity(let activity): return activity.rawValue
        case .withoutActivity: return "ohne_aktivitaet"
        case .outside: return "ausserhalb"
        }
    }

    var position: Int {
        switch self {
        case .activity(let activity): return activity.priority
        case .withoutActivity: return Activity.allCases.count
        case .outside: return Activity.allCases.count + 1
        }
    }

    public static func < (lhs: PersonState, rhs: PersonState) -> Bool { lhs.position < rhs.position }
}

/// Where people go from one quarter to the next (SPEC 10): every person in the previous or the
/// current quarter's target group, counted once by the pair (state then, state now); 8 × 8 pairs
/// less (`ausserhalb`, `ausserhalb`) = 63 cells.
///
/// Both quarters' persons come sorted by pseudonym (the store's key order and the person index's
/// drain order), so one merge join counts them: no second pass over the inputs, no hash table.
public struct TransitionTable: Sendable, Equatable {
    /// Count per (from, to), `von` major, every pair listed (0 where empty).
    public private(set) var counts: [Int]

    /// The 63 pairs in publication order.
    public static let pairs: [(from: PersonState, to: PersonState)] = PersonState.all.flatMap { from in
        PersonState.all.compactMap { to in from == .outside && to == .outside ? nil : (from, to) }
    }

    public subscript(from: PersonState, to: PersonState) -> Int {
        guard let position = TransitionTable.position(from, to) else { return 0 }
        return counts[position]
    }

    static func position(_ from: PersonState, _ to: PersonState) -> Int? {
        let index = from.position * PersonState.all.count + to.position
        let last = PersonState.all.count * PersonState.all.count - 1  // (ausserhalb, ausserhalb)
        guard index != last else { return nil }
        return index
    }

    /// An empty table (every pair 0).
    init() {
        counts = [Int](repeating: 0, count: TransitionTable.pairs.count)
    }

    mutating func count(_ from: PersonState, _ to: PersonState) {
        if let position = TransitionTable.position(from, to) { counts[position] += 1 }
    }

    /// Counts the pairs of two lists of target-group persons, each sorted by pseudonym (ascending,
    /// no pseudonym twice): a person in only one of them is `ausserhalb` in the other quarter.
    public init<Previous: Sequence, Current: Sequence>(previous: Previous, current: Current)
    where Previous.Element == (PersonPseudonym, PersonState), Current.Element == (PersonPseudonym, PersonState) {
        var counter = TransitionCounter(previous: previous.lazy.map { ($0.0.prefix, $0.1) })
        for (pseudonym, state) in current { counter.add(pseudonym, state) }
        self = counter.finish()
    }
}

/// The merge join of `TransitionTable`, one current person at a time: the run counts the
/// transitions while it links persons (they come in pseudonym order), so that the quarter's target
/// group is never gathered (a state's: 1.2 million persons, 50 MB at the run's peak).
public struct TransitionCounter<Previous: IteratorProtocol> where Previous.Element == (PseudonymPrefix, PersonState) {
    private var before: Previous
    private var next: (PseudonymPrefix, PersonState)?
    private var table = TransitionTable()
    private var last: PersonPseudonym?

    /// `previous`: the earlier quarter's target group, sorted by pseudonym.
    public init<Persons: Sequence>(previous: Persons) where Persons.Iterator == Previous {
        before = previous.makeIterator()
        next = before.next()
    }

    /// A person of the current target group; persons must come in ascending pseudonym order.
    public mutating func add(_ pseudonym: PersonPseudonym, _ state: PersonState) {
        precondition(last.map { $0 < pseudonym } ?? true, "Übergänge: Personen nicht in Pseudonym-Reihenfolge")
        last = pseudonym
        let pseudonym = pseudonym.prefix
        while let (earlier, from) = next, earlier < pseudonym {
            table.count(from, .outside)
            next = before.next()
        }
        if let (earlier, from) = next, earlier == pseudonym {
            table.count(from, state)
            next = before.next()
        } else {
            table.count(.outside, state)
        }
    }

    /// The table, once every current person is added: the earlier quarter's persons not seen are
    /// `ausserhalb` now.
    public mutating func finish() -> TransitionTable {
        while let (_, from) = next {
            table.count(from, .outside)
            next = before.next()
        }
        return table
    }
}
