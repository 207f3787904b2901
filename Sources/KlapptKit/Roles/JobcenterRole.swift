/// The job centre (SGB II), SPEC 2.2: every row describes the person's state on its `Stand`.
public struct JobcenterRole: SourceSemantics {
    public static let role = "jobcenter"
    public static let requiredFields: Set<CanonicalField> = [.recordID, .familyName, .givenName, .birthDate, .status]
    /// SPEC 4.2 (v2): register, job centre, college.
    public static let attributeRank = 1

    private let activities: [String: Activity]

    public init(codeLists: CodeLists) {
        activities = codeLists.jobcenterStatus
    }

    /// `ALO`, `ASU`, `MAS`, `AUS`, `SVB`, `GFB`, `SON` in any case (`jobcenter_status.csv`).
    public func status(_ text: String) -> StatusMeaning? {
        let status = text.uppercased()
        return activities[status].map { StatusMeaning(status: status, activity: $0, current: true) }
    }

    /// SPEC 4.3: every job-centre row is current.
    public func currentActivity(_ record: CleanRecord, period: Period) -> Activity? {
        record.activity
    }

    /// SPEC 4.4: `AUS` with `Status_seit` in the quarter is an entry into training.
    public func flows(_ record: CleanRecord, period: Period) -> Flows {
        if record.activity == .ausbildung, let since = record.statusSince, period.contains(since) { return .trainingEntry }
        return []
    }
}
