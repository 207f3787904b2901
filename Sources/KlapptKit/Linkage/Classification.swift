import Foundation

/// What the indicators need to know of a person (SPEC 4.2-4.4). Pseudonymous: no name, no birth
/// date, no source id.
public struct PersonFacts: Sendable, Equatable {
    public static func == (lhs: PersonFacts, rhs: PersonFacts) -> Bool {
        lhs.pseudonym == rhs.pseudonym && lhs.sex == rhs.sex && lhs.age == rhs.age && lhs.ageGroup == rhs.ageGroup
            && lhs.nationality == rhs.nationality && lhs.municipality == rhs.municipality && lhs.residence == rhs.residence
            && lhs.residenceUnmapped == rhs.residenceUnmapped && lhs.sourceMask == rhs.sourceMask && lhs.allSourceIDs.ids == rhs.allSourceIDs.ids
            && lhs.ageInRange == rhs.ageInRange && lhs.refugeeContext == rhs.refugeeContext && lhs.inDistrict == rhs.inDistrict
            && lhs.activity == rhs.activity && lhs.flows == rhs.flows
    }

    public var pseudonym: PersonPseudonym
    public var sex: Sex
    public var age: Int
    public var ageGroup: String?
    public var nationality: ShortText
    public var municipality: Municipality
    public var residence: ResidenceGroup
    /// The residence group is `unbekannt` although a record gave a text: one the code list lacks.
    public var residenceUnmapped: Bool
    /// Bit i: the person has a record of the pipeline's source i.
    public var sourceMask: UInt64
    /// The pipeline's source ids (shared by all persons; `sourceIDs` picks from them). Interned
    /// and never freed, so a person refers to them without reference counting: millions of facts
    /// are copied between the classifying thread and the store's, and a shared array's count was
    /// a cache line both cores fought over.
    unowned(unsafe) let allSourceIDs: SourceNames
    /// The ids of the sources the person has records in, in pipeline order.
    public var sourceIDs: [String] {
        let ids = allSourceIDs.ids
        return ids.indices.filter { sourceMask & (1 << UInt64($0)) != 0 }.map { ids[$0] }
    }
    /// Whether records of more than one source were linked.
    public var isLinked: Bool { sourceMask & (sourceMask &- 1) != 0 }
    public var ageInRange: Bool
    public var refugeeContext: Bool
    public var inDistrict: Bool
    /// Age, residence group and municipality all fit (SPEC 4.2).
    public var inTargetGroup: Bool { ageInRange && refugeeContext && inDistrict }
    /// Activity on the reference date; nil without a current record.
    public var activity: Activity?
    public var flows: Flows
}

/// Derives `PersonFacts` from a linked person under the pipeline's target-group rules.
public struct Classification: Sendable {
    public let rules: TargetGroupRules
    public var sourceIDs: [String] { sourceNames.ids }
    let sourceNames: SourceNames

    public init(rules: TargetGroupRules, sourceIDs: [String]) {
        self.rules = rules
        sourceNames = SourceNames.interned(sourceIDs)
    }

    public func facts(for person: Person) -> PersonFacts {
        facts(pseudonym: person.pseudonym, records: person.records)
    }

    /// The nationality category of a record that does not know it (made once, not per record).
    static let unknownNationality: ShortText = "unbekannt"

    /// The facts of one person from its records in SPEC 4.2 order (by role rank: register, job
    /// centre, college; then source, file, row).
    public func facts<Records: Collection<PseudoRecord>>(pseudonym: PersonPseudonym, records: Records) -> PersonFacts {
        // SPEC 4.2 (v2): each attribute takes the first known value in that order. Age is the same
        // in every record: the birth date is part of the linkage material.
        let first = records[records.startIndex]
        var sex = Sex.x
        let unknownNationality = Classification.unknownNationality
        var nationality = unknownNationality
        var municipality = Municipality.unknown
        var residence = ResidenceGroup.unbekannt
        // SPEC 4.3: the first activity in priority order that any current record has.
        var activity: Activity?
        var flows = Flows()
        var sourceMask: UInt64 = 0
        var unmapped = false
        for record in records {
            if sex == .x { sex = record.sex }
            if nationality == unknownNationality { nationality = record.nationality }
            if municipality == .unknown { municipality = record.municipality }
            if residence == .unbekannt { residence = record.residence }
            unmapped = unmapped || record.residenceUnmapped
            if let current = record.currentActivity, activity.map({ current < $0 }) ?? true { activity = current }
            flows.formUnion(record.flows)
            sourceMask |= 1 << UInt64(record.origin.sourceIndex & 63)
        }
        let ageGroup = rules.ageGroups.first(where: { $0.lower <= first.age && first.age <= $0.upper })?.label
        return PersonFacts(
            pseudonym: pseudonym, sex: sex, age: first.age, ageGroup: ageGroup,
            nationality: nationality, municipality: municipality, residence: residence,
            residenceUnmapped: residence == .unbekannt && unmapped,
            sourceMask: sourceMask, allSourceIDs: sourceNames,
            ageInRange: rules.minAge <= first.age && first.age <= rules.maxAge,
            refugeeContext: rules.residenceGroups.contains(residence),
            inDistrict: municipality != .outside,
            activity: activity, flows: flows)
    }
}

/// A pipeline's source ids, interned for the life of the process (a handful of short lists), so
/// that `PersonFacts` may refer to them `unowned(unsafe)`.
final class SourceNames: Sendable {
    let ids: [String]

    private init(_ ids: [String]) { self.ids = ids }

    private nonisolated(unsafe) static var table: [[String]: SourceNames] = [:]
    private static let lock = NSLock()

    static func interned(_ ids: [String]) -> SourceNames {
        lock.withLock {
            if let known = table[ids] { return known }
            let names = SourceNames(ids)
            table[ids] = names
            return names
        }
    }
}
