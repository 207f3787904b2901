/// What a kind of register means: the `role:` of a source in the pipeline file (SPEC 2.2, 2.3,
/// 4.2-4.4). Which file layout carries it is the pipeline file's business; what its records say
/// about a person is the role's.
///
/// A new role is a new conforming type plus one line in `Registry`. The per-row methods are called
/// from a loop specialised for the concrete type (`Registry.Role.make`), never through an
/// existential, so a role costs nothing per row beyond its own logic.
///
/// ```swift
/// struct Register: SourceSemantics {
///     static let role = "auslaenderbehoerde"
///     static let requiredFields: Set<CanonicalField> = [.recordID, .familyName, .givenName, .birthDate]
///     static let attributeRank = 0
///     init(codeLists: CodeLists) {}
///     func status(_ text: String) -> StatusMeaning? { .noStatus }   // no status: known, never current
///     func currentActivity(_ record: CleanRecord, period: Period) -> Activity? { nil }
///     func flows(_ record: CleanRecord, period: Period) -> Flows { [] }
/// }
/// ```
public protocol SourceSemantics: Sendable {
    /// The name in the pipeline file (`role:`).
    static var role: String { get }
    /// Fields a source of this role must map.
    static var requiredFields: Set<CanonicalField> { get }
    /// Rank among roles when a person's attributes are chosen (SPEC 4.2): lower comes first.
    static var attributeRank: Int { get }
    /// Whether the course (`Gliederung`) decides the activity of a record (SPEC 2.3).
    static var activityFromCourse: Bool { get }

    init(codeLists: CodeLists) throws(PipelineError)

    /// What a (trimmed) status value means; nil when the role's code list does not know it
    /// (`status_unbekannt`). Asked once per distinct spelling.
    func status(_ text: String) -> StatusMeaning?
    /// SPEC 4.3: the activity when the record is current on the reference date, else nil.
    func currentActivity(_ record: CleanRecord, period: Period) -> Activity?
    /// SPEC 4.4: the flows of the quarter the record shows.
    func flows(_ record: CleanRecord, period: Period) -> Flows
}

extension SourceSemantics {
    public static var activityFromCourse: Bool { false }
}

/// What a status value says (from the role's code list).
public struct StatusMeaning: Sendable, Equatable {
    public var status: String
    /// The activity the status means, if any (the college's comes from the course).
    public var activity: Activity?
    /// Whether the record may be current on the reference date.
    public var current: Bool
    /// What an exit date in the quarter means.
    public var leaving: Leaving?

    public init(status: String, activity: Activity?, current: Bool, leaving: Leaving? = nil) {
        self.status = status
        self.activity = activity
        self.current = current
        self.leaving = leaving
    }

    /// A role without a status (the register): every row is accepted, none is current.
    public static let noStatus = StatusMeaning(status: "", activity: nil, current: false)
}
