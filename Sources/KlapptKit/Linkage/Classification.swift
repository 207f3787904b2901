/// What the indicators need to know of a person (SPEC 4.2-4.4). Pseudonymous: no name, no birth
/// date, no source id.
public struct PersonFacts: Sendable, Equatable {
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
    /// The pipeline's source ids (shared by all persons; `sourceIDs` picks from them).
    let allSourceIDs: [String]
    /// The ids of the sources the person has records in, in pipeline order.
    public var sourceIDs: [String] { allSourceIDs.indices.filter { sourceMask & (1 << UInt64($0)) != 0 }.map { allSourceIDs[$0] } }
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
    public let sourceIDs: [String]

    public init(rules: TargetGroupRules, sourceIDs: [String]) {
        self.rules = rules
        self.sourceIDs = sourceIDs
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
            sourceMask: sourceMask, allSourceIDs: sourceIDs,
            ageInRange: rules.minAge <= first.age && first.age <= rules.maxAge,
            refugeeContext: rules.residenceGroups.contains(residence),
            inDistrict: municipality != .outside,
            activity: activity, flows: flows)
    }
}
