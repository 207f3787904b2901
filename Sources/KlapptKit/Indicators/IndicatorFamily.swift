/// A group of indicator columns: which persons it counts, and the identities between its columns
/// that a reader of the published table knows. The table system and the audit take their
/// equations from the families (`IndicatorTable.identities`), never from a hand-kept list, so a new
/// family cannot make the audit unsound by forgetting a sum.
///
/// A new family is a new conforming type plus one line in `Registry`; the pipeline file picks the
/// families of its table by name (`indicators:`). Counting is called once per person, through an
/// existential (per-person hooks may be; ARCHITECTURE).
public protocol IndicatorFamily: Sendable {
    /// The name in the pipeline file (`indicators:`).
    var name: String { get }
    var columns: [Indicator] { get }
    /// Identities between columns (of this family, or of families it builds on).
    var identities: [TableIdentity] { get }
    /// Adds the positions (in `columns`) of the columns `person` counts in; called for target-group
    /// persons only.
    func count(_ person: PersonFacts, into counted: inout [Int])
}

/// The target group as the denominator (SPEC 5 v2): every target-group person, and those of them
/// with no current record on the reference date (`ohne_aktivitaet`: known, in the target group,
/// reached by no programme: the people the alliance is looking for).
public struct TargetGroupFamily: IndicatorFamily {
    public let name = "zielgruppe"
    public let columns: [Indicator] = [.zielgruppe, .ohneAktivitaet]
    /// SPEC 6 v2: `personen + ohne_aktivitaet = zielgruppe`, and each flow is at most `zielgruppe`.
    public let identities: [TableIdentity] = [
        .sum(whole: .zielgruppe, parts: [.personen, .ohneAktivitaet]),
        .atMost(.eintrittAusbildung, bound: .zielgruppe), .atMost(.abschluss, bound: .zielgruppe), .atMost(.abbruch, bound: .zielgruppe),
    ]

    public init() {}

    public func count(_ person: PersonFacts, into counted: inout [Int]) {
        counted.append(0)
        if person.activity == nil { counted.append(1) }
    }
}

/// The stock on the reference date (SPEC 4.3): persons with a current record, and by activity.
public struct StockFamily: IndicatorFamily {
    public let name = "bestand"
    public let columns: [Indicator] = [.personen] + Indicator.activities
    public let identities: [TableIdentity] = [.sum(whole: .personen, parts: Indicator.activities)]

    public init() {}

    public func count(_ person: PersonFacts, into counted: inout [Int]) {
        guard let activity = person.activity else { return }
        counted.append(0)
        counted.append(1 + activity.priority)
    }
}

/// The flows of the quarter (SPEC 4.4), each person counted once per flow.
public struct FlowFamily: IndicatorFamily {
    public let name = "fluesse"
    public let columns: [Indicator] = [.eintrittAusbildung, .abschluss, .abbruch]
    public let identities: [TableIdentity] = []

    public init() {}

    public func count(_ person: PersonFacts, into counted: inout [Int]) {
        if person.flows.contains(.trainingEntry) { counted.append(0) }
        if person.flows.contains(.qualification) { counted.append(1) }
        if person.flows.contains(.dropout) { counted.append(2) }
    }
}
