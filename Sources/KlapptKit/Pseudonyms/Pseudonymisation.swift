import KlapptFormats

/// Turns clean records into pseudonymised ones (SPEC 4.1) and asks the source's role what each
/// record says about the period: its current activity (SPEC 4.3) and its flows (SPEC 4.4). After
/// this stage no name, birth date or record id exists any more.
public struct Pseudonymisation<Role: SourceSemantics>: RowStage, Sendable {
    public let pseudonymizer: Pseudonymizer
    public let period: Period
    public let sourceID: String
    public let role: Role
    private let recordKeyScope: RowFingerprint

    public init(pseudonymizer: Pseudonymizer, period: Period, sourceID: String, role: Role) {
        self.pseudonymizer = pseudonymizer
        self.period = period
        self.sourceID = sourceID
        self.role = role
        recordKeyScope = Pseudonymizer.recordKeyScope(sourceID)
    }

    public mutating func process(_ record: CleanRecord, context: inout RowContext) -> PseudoRecord? {
        pseudonymise(record)
    }

    public func pseudonymise(_ record: CleanRecord) -> PseudoRecord {
        if let encoder = pseudonymizer.linkageEncoder, let names = record.nameEncodings {
            // Probabilistic linkage (SPEC 4.1 v3): the record's own pseudonym stands for it until
            // persons are linked; its names and birth date go on only as keyed encodings.
            var pseudo = exactRecord(record, person: pseudonymizer.recordPseudonym(source: sourceID, digest: record.recordID))
            pseudo.linkage = LinkageFeatures(
                given: names.given, family: names.family, birth: encoder.encodeDate(record.birthDate, precision: record.birthPrecision))
            return pseudo
        }
        return exactRecord(
            record,
            person: record.phoneticCodes.map { pseudonymizer.personPseudonym(givenCode: $0.given, familyCode: $0.family, birthDate: record.birthDate) }
                ?? pseudonymizer.personPseudonym(givenToken: record.givenToken, familyToken: record.familyToken, birthDate: record.birthDate))
    }

    func exactRecord(_ record: CleanRecord, person: PersonPseudonym) -> PseudoRecord {
        PseudoRecord(
            person: person,
            recordKey: pseudonymizer.recordKey(scope: recordKeyScope, digest: record.recordID),
            rank: Role.attributeRank, origin: record.origin, asOf: record.asOf, sex: record.sex,
            age: record.birthDate.age(on: period.referenceDate), nationality: record.nationality,
            municipality: record.municipality, residence: record.residence, residenceUnmapped: record.residenceUnmapped,
            currentActivity: role.currentActivity(record, period: period),
            flows: role.flows(record, period: period))
    }
}
