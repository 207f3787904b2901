import Foundation
import KlapptFormats
import KlapptKit

extension SampleGenerator {
    /// Writes several consecutive quarters of one population (issue 12), each under
    /// `directory/<period>/` with its own `erwartet_<period>.json`; from the second quarter on, the
    /// expectation holds the transitions from the quarter before (SPEC 10), derived from the
    /// invented people's states, not from the pipeline's code.
    ///
    /// Between quarters people move as the programme sees them: the job centre's status changes or
    /// the case closes, courses begin and end (their dates decide, as SPEC 4.3 and 4.4 say),
    /// asylum decisions change the register's residence text, some newly registered, some arrive
    /// in the district, some move away or drop out of sight, and everyone grows a quarter older.
    @discardableResult
    public func writeQuarters(to directory: String, periods: [Period]) throws -> [Expectation] {
        precondition(!periods.isEmpty, "mindestens ein Quartal")
        var random = SeededRandom(seed: seed)
        var generator = self
        generator.period = periods[0]
        var people = generator.makePeople(&random)
        var expectations: [Expectation] = []
        var previous: (people: [TruePerson], generator: SampleGenerator)?
        for (position, period) in periods.enumerated() {
            generator.period = period
            if position > 0 {
                people = generator.evolve(people, arrivals: max(1, persons / 20), quarter: position, &random)
            }
            var expectation = try generator.writeQuarter(people, to: "\(directory)/\(period)", &random)
            if let previous {
                expectation.transitions = generator.transitions(from: previous.people, by: previous.generator, to: people)
                try generator.save(expectation, to: "\(directory)/\(period)")
            }
            expectations.append(expectation)
            previous = (people, generator)
        }
        return expectations
    }

    /// Each person's state in this generator's quarter (SPEC 10).
    func state(_ person: TruePerson) -> String {
        guard isTargetGroup(person, reference: period.referenceDate) else { return "ausserhalb" }
        return activity(person) ?? "ohne_aktivitaet"
    }

    /// `von|nach` -> persons, all 63 pairs.
    func transitions(from before: [TruePerson], by earlier: SampleGenerator, to now: [TruePerson]) -> [String: Int] {
        let states = ["ausbildung", "beschaeftigung", "schule", "massnahme", "arbeitsuchend", "sonstige", "ohne_aktivitaet", "ausserhalb"]
        var counts: [String: Int] = [:]
        for from in states { for to in states where !(from == "ausserhalb" && to == "ausserhalb") { counts["\(from)|\(to)"] = 0 } }
        for (index, person) in now.enumerated() {
            let from = index < before.count ? earlier.state(before[index]) : "ausserhalb"
            let to = state(person)
            if from == "ausserhalb" && to == "ausserhalb" { continue }
            counts["\(from)|\(to)", default: 0] += 1
        }
        return counts
    }

    /// The population one quarter later (this generator's period).
    func evolve(_ people: [TruePerson], arrivals: Int, quarter: Int, _ random: inout SeededRandom) -> [TruePerson] {
        var next: [TruePerson] = []
        for var person in people {
            if random.chance(0.04) {
                // Moved away or out of sight: no source knows them any more.
                person.jobcenter = []
                person.college = []
                person.azr = nil
                next.append(person)
                continue
            }
            if !person.jobcenter.isEmpty {
                if random.chance(0.08) {
                    person.jobcenter = []
                } else if random.chance(0.35) {
                    person.jobcenter = person.jobcenter.map { jobcenterState(customer: $0.customer, &random) }
                }
            } else if random.chance(0.05) {
                person.jobcenter = [jobcenterState(customer: "12\(quarter)E\(100_000 + next.count)", &random)]
            }
            person.college = person.college.map { record in
                random.chance(0.25) ? collegeRecord(id: record.id, &random) : reevaluated(record)
            }
            if person.college.isEmpty && random.chance(0.05) {
                person.college = [collegeRecord(id: "T\(quarter)\(100_000 + next.count)", &random)]
            }
            if person.azr != nil {
                if random.chance(0.05) {
                    let entry = random.pick(SampleVocabulary.registerResidenceTexts)
                    person.registerResidence = (entry.text, entry.group)
                }
                person.registerOutdatedText = random.chance(0.05) ? random.pick(SampleVocabulary.registerResidenceTexts).text : nil
            } else if sources.contains(.auslaenderbehoerde), random.chance(0.05) {
                register(&person, only: person.jobcenter.isEmpty && person.college.isEmpty, &random)
            }
            next.append(person)
        }
        // Arrivals: new people, drawn like the first quarter's, who are not anyone already there.
        var arrivalGenerator = self
        arrivalGenerator.persons = arrivals
        var arrivalRandom = SeededRandom(seed: seed &+ UInt64(quarter) &* 0x9E37_79B9)
        let known = Set(people.map { "\($0.given)|\($0.family)|\($0.birth.iso)" })
        for var person in arrivalGenerator.makePeople(&arrivalRandom) where !known.contains("\(person.given)|\(person.family)|\(person.birth.iso)") {
            // Their own id ranges, so that no id of a different person is reused.
            person.jobcenter = person.jobcenter.map { state in
                var renamed = state
                renamed.customer = "12\(quarter)N" + state.customer.dropFirst(4)
                return renamed
            }
            person.college = person.college.map { record in
                var renamed = record
                renamed.id = "N\(quarter)" + record.id.dropFirst()
                return renamed
            }
            next.append(person)
        }
        return next
    }

    /// A course record as this quarter sees it: current, entered, left with or without a
    /// qualification, by its dates and status (SPEC 4.3, 4.4, in the generator's own words).
    func reevaluated(_ record: CollegeRecord) -> CollegeRecord {
        var record = record
        let reference = period.referenceDate
        let training = SampleVocabulary.trainingCourses.contains(record.course)
        let began = record.entry.map { $0 <= reference } ?? false
        let running = record.exit.map { $0 > reference } ?? true
        record.current = (record.status == "2" || record.status == "3") && began && running
        record.entryFlow = training && (record.entry.map(period.contains) ?? false)
        let leftNow = record.exit.map(period.contains) ?? false
        record.qualification = record.status == "8" && leftNow
        record.dropout = record.status == "9" && training && leftNow
        return record
    }
}
