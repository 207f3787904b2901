/// Sex as the statistics publish it (SPEC 3.1): `x` is "not stated".
public enum Sex: String, CaseIterable, Sendable, Codable {
    case m, w, d, x
}

/// Residence groups (SPEC 3.2). The first five are the refugee context of the programme.
public enum ResidenceGroup: String, CaseIterable, Sendable, Codable {
    case gestattung, duldung, schutz, ukraine, chancen, andere, unbekannt
}

/// What a person does on the reference date (SPEC 4.3). The order of the cases is the priority:
/// a person with records of several activities counts under the first.
public enum Activity: String, CaseIterable, Sendable, Codable, Comparable {
    case ausbildung, beschaeftigung, schule, massnahme, arbeitsuchend, sonstige

    public static func < (lhs: Activity, rhs: Activity) -> Bool { lhs.priority < rhs.priority }

    /// German, for summaries: "in Ausbildung", "in Beschäftigung", …
    public var germanName: String {
        switch self {
        case .ausbildung: return "Ausbildung"
        case .beschaeftigung: return "Beschäftigung"
        case .schule: return "Schule"
        case .massnahme: return "Maßnahme"
        case .arbeitsuchend: return "Arbeitsuche"
        case .sonstige: return "sonstiger Aktivität"
        }
    }

    /// Position in the priority order (the order of the cases).
    public var priority: Int {
        switch self {
        case .ausbildung: return 0
        case .beschaeftigung: return 1
        case .schule: return 2
        case .massnahme: return 3
        case .arbeitsuchend: return 4
        case .sonstige: return 5
        }
    }
}

/// The flows of a quarter (SPEC 4.4), one bit each.
public struct Flows: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let trainingEntry = Flows(rawValue: 1)
    public static let qualification = Flows(rawValue: 2)
    public static let dropout = Flows(rawValue: 4)
}

/// Where a person lives, from the postcode (SPEC 3.3).
public enum Municipality: Hashable, Sendable {
    /// A municipality of the district, by its AGS.
    case district(ShortText)
    /// Postcode empty.
    case unknown
    /// Any other postcode.
    case outside

    /// The category label of the `gemeinde` dimension; nil outside the district.
    public var category: String? {
        switch self {
        case .district(let ags): return ags.string
        case .unknown: return "unbekannt"
        case .outside: return nil
        }
    }
}
