/// What the indicators need to know of a person (SPEC 4.2-4.4). Pseudonymous: no name, no birth
/// date, no source id.
public struct PersonFacts: Sendable, Equatable {
    public var pseudonym: String
    public var sex: Sex
    public var age: Int
    public var ageGroup: String?
    public var nationality: String
    public var municipality: Municipality
    public var residence: ResidenceGroup
    public var sources: Set<SourceRole>
    public var sourceIDs: [String]
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
        // SPEC 4.2: attributes from the first record in job-centre-first order.
        let first = person.records[0]
        let residence = person.records.first(where: { $0.residence != .unbekannt })?.residence ?? .unbekannt
        let ageGroup = rules.ageGroups.first(where: { $0.lower <= first.age && first.age <= $0.upper })?.label
        // SPEC 4.3: the first activity in priority order that any current record has.
        let activity = person.records.compactMap(\.currentActivity).min()
        let flows = person.records.reduce(into: Flows()) { $0.formUnion($1.flows) }
        let sourceIndices = Set(person.records.map(\.origin.sourceIndex)).sorted()
        return PersonFacts(
            pseudonym: person.pseudonym, sex: first.sex, age: first.age, ageGroup: ageGroup,
            nationality: first.nationality, municipality: first.municipality, residence: residence,
            sources: Set(person.records.map(\.role)), sourceIDs: sourceIndices.map { sourceIDs[$0] },
            ageInRange: rules.minAge <= first.age && first.age <= rules.maxAge,
            refugeeContext: rules.residenceGroups.contains(residence),
            inDistrict: first.municipality != .outside,
            activity: activity, flows: flows)
    }
}
