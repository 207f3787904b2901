/// The district's immigration office (Ausländerbehörde), SPEC 2.5: the register of the foreign
/// nationals living in the district. It is the only source that knows every young refugee, whether or
/// not a programme reaches them, and the authoritative source of the residence status: its values
/// come first when a person's attributes are chosen (SPEC 4.2).
///
/// A register record has no activity: it is never current (SPEC 4.3) and never a flow (SPEC 4.4);
/// it makes its person known, so that a target-group person without a current record elsewhere is
/// counted as `ohne_aktivitaet` (SPEC 5).
public struct RegisterRole: SourceSemantics {
    public static let role = "auslaenderbehoerde"
    public static let requiredFields: Set<CanonicalField> = [.recordID, .familyName, .givenName, .birthDate]
    /// SPEC 4.2 (v2): register, job centre, college.
    public static let attributeRank = 0

    public init(codeLists: CodeLists) {}

    /// The register has no status: every row means "registered here".
    public func status(_ text: String) -> StatusMeaning? { StatusMeaning.noStatus }

    public func currentActivity(_ record: CleanRecord, period: Period) -> Activity? { nil }

    public func flows(_ record: CleanRecord, period: Period) -> Flows { [] }
}
