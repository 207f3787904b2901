/// The vocational colleges (Berufskollegs, SchILD-NRW / SVWS exports), SPEC 2.3: one record per
/// course attended; the course decides the activity, the status whether it runs.
public struct CollegeRole: SourceSemantics {
    public static let role = "berufskolleg"
    public static let requiredFields: Set<CanonicalField> = [.recordID, .familyName, .givenName, .birthDate, .status, .course, .entryDate]
    /// SPEC 4.2 (v2): register, job centre, college.
    public static let attributeRank = 2
    public static let activityFromCourse = true

    private let statuses: [String: CodeLists.CollegeStatus]

    public init(codeLists: CodeLists) {
        // Status texts of a school export (`aktiv`, `Aktiv`) in any case, as the job centre's.
        statuses = Dictionary(codeLists.collegeStatus.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The school statistics' status keys (`schueler_status.csv`): 2 and 3 may be current, 8 and 9
    /// say how a pupil left.
    public func status(_ text: String) -> StatusMeaning? {
        statuses[text.lowercased()].map { StatusMeaning(status: text, activity: nil, current: $0.current, leaving: $0.leaving) }
    }

    /// SPEC 4.3: current when the status may be (2, 3), it began on or before the reference date
    /// and did not end on or before it.
    public func currentActivity(_ record: CleanRecord, period: Period) -> Activity? {
        let reference = period.referenceDate
        guard record.statusCanBeCurrent, let entry = record.entryDate, entry <= reference else { return nil }
        if let exit = record.exitDate, exit <= reference { return nil }
        return record.activity
    }

    /// SPEC 4.4: entry into an `ausbildung` course in the quarter; leaving in the quarter with a
    /// qualification (status 8), or without one from an `ausbildung` course (status 9).
    public func flows(_ record: CleanRecord, period: Period) -> Flows {
        var flows: Flows = []
        if record.activity == .ausbildung, let entry = record.entryDate, period.contains(entry) { flows.insert(.trainingEntry) }
        if let exit = record.exitDate, period.contains(exit) {
            if record.leaving == .qualification { flows.insert(.qualification) }
            if record.leaving == .dropout && record.activity == .ausbildung { flows.insert(.dropout) }
        }
        return flows
    }
}
