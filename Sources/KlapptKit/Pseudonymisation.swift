import KlapptFormats

/// Turns clean records into pseudonymised ones (SPEC 4.1) and decides, per record, what it says
/// about the period: its current activity (SPEC 4.3) and its flows (SPEC 4.4). After this stage no
/// name, birth date or record id exists any more.
public struct Pseudonymisation: Sendable {
    public let pseudonymizer: Pseudonymizer
    public let period: Period
    public let sourceID: String
    private let recordKeyScope: RowFingerprint

    public init(pseudonymizer: Pseudonymizer, period: Period, sourceID: String) {
        self.pseudonymizer = pseudonymizer
        self.period = period
        self.sourceID = sourceID
        recordKeyScope = Pseudonymizer.recordKeyScope(sourceID)
    }

    public func pseudonymise(_ record: CleanRecord) -> PseudoRecord {
        PseudoRecord(
            person: pseudonymizer.personPseudonym(givenToken: record.givenToken, familyToken: record.familyToken, birthDate: record.birthDate),
            recordKey: record.recordID.isEmpty ? nil : pseudonymizer.recordKey(scope: recordKeyScope, id: record.recordID),
            role: record.role, origin: record.origin, asOf: record.asOf, sex: record.sex,
            age: record.birthDate.age(on: period.referenceDate), nationality: record.nationality,
            municipality: record.municipality, residence: record.residence, residenceUnmapped: record.residenceUnmapped,
            currentActivity: Pseudonymisation.currentActivity(record, period: period),
            flows: Pseudonymisation.flows(record, period: period))
    }

    /// SPEC 4.3: every job-centre row is current; a college record when its status may be current
    /// (2, 3), it began on or before the reference date and did not end on or before it.
    public static func currentActivity(_ record: CleanRecord, period: Period) -> Activity? {
        switch record.role {
        case .jobcenter:
            return record.activity
        case .berufskolleg:
            let reference = period.referenceDate
            guard record.statusCanBeCurrent, let entry = record.entryDate, entry <= reference else { return nil }
            if let exit = record.exitDate, exit <= reference { return nil }
            return record.activity
        }
    }

    /// SPEC 4.4.
    public static func flows(_ record: CleanRecord, period: Period) -> Flows {
        var flows: Flows = []
        switch record.role {
        case .jobcenter:
            if record.activity == .ausbildung, let since = record.statusSince, period.contains(since) { flows.insert(.trainingEntry) }
        case .berufskolleg:
            if record.activity == .ausbildung, let entry = record.entryDate, period.contains(entry) { flows.insert(.trainingEntry) }
            if let exit = record.exitDate, period.contains(exit) {
                if record.leaving == .qualification { flows.insert(.qualification) }
                if record.leaving == .dropout && record.activity == .ausbildung { flows.insert(.dropout) }
            }
        }
        return flows
    }
}
