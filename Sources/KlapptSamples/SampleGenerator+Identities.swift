import KlapptKit

/// How the register wrote a birth date it did not know (SPEC 2.1 v3, 4.1 v3).
enum RegisteredBirth {
    case known
    /// `00.00.YYYY` in the register, a fictitious 1 January in the job centre's list.
    case unknownDayAndMonth
    /// A fictitious 1 January in the register and the job centre's list.
    case firstJanuary
}

/// Names as the partners write them differently: each group one name, the first spelling the
/// register's. The spellings of a group differ in their Kölner Phonetik code more often than not.
enum VariantVocabulary {
    static let givenNames: [[String]] = [
        ["Serhii", "Sergej", "Serhiy", "Sergey"], ["Kateryna", "Jekaterina", "Yekaterina", "Ekaterina"], ["Jamal", "Dschamal", "Djamal"],
        ["Hassan", "Xasan", "Hasan"], ["Abdi", "Cabdi"], ["Abdulrahman", "Abdul Rahman", "Abdelrahman"],
        ["Mohammadreza", "Mohammad Reza", "Mohamadreza"], ["Yusuf", "Jusuf", "Youssef"], ["Oleksandr", "Aleksandr", "Alexander"],
        ["Mykola", "Nikolai", "Mikola"], ["Olha", "Olga"], ["Yevhen", "Jewgeni", "Evgeny"], ["Tetiana", "Tatjana", "Tatiana"],
        ["Mustafa", "Mostafa", "Moustafa"], ["Hussein", "Husain", "Hossein"], ["Zahra", "Sahra", "Zehra"], ["Khadija", "Chadidscha", "Hadidja"],
        ["Dmytro", "Dmitri", "Dmitrij"], ["Andrii", "Andrej", "Andriy"], ["Yuliia", "Julia", "Yulia"], ["Hamid", "Chamid", "Hameed"],
        ["Fatemeh", "Fatima", "Fateme"], ["Abdullahi", "Cabdullaahi", "Abdillahi"], ["Ibrahim", "Ebrahim", "Ibraahim"],
        ["Amanuel", "Emanuel", "Amanouel"], ["Tesfaye", "Tesfay", "Tesfai"], ["Mariam", "Maryam", "Mariyam"], ["Anastasiia", "Anastasija", "Anastasia"],
        ["Volodymyr", "Wladimir", "Vladimir"], ["Halyna", "Galina", "Halina"], ["Ali"], ["Omar", "Umar"], ["Reza"], ["Hiba"], ["Amina"],
        ["Samira"], ["Olena", "Jelena", "Elena"], ["Nour", "Nur", "Noor"], ["Yaser", "Jasser", "Yasir"], ["Ahmad", "Ahmed", "Achmed"],
    ]

    static let familyNames: [[String]] = [
        ["Shevchenko", "Schewtschenko", "Ševčenko"], ["Rahimi", "Rachimi"], ["Diallo", "Jallow", "Djallo"],
        ["Alhassan", "Al-Hassan", "Hassan"], ["Kovalchuk", "Kowaltschuk", "Kowalczuk"], ["Tkachenko", "Tkatschenko"],
        ["Zhukov", "Schukow", "Joukov"], ["Mohammadi", "Mohamadi", "Muhammadi"], ["Hosseini", "Husseini", "Hoseini"],
        ["Ahmadzai", "Ahmadsai"], ["Yusufzai", "Jussufsai", "Yousafzai"], ["Nuur", "Nur", "Noor"], ["Warsame", "Warsami"],
        ["Tesfamariam", "Tesfa Mariam", "Tesfamaryam"], ["Bondarenko", "Bondarenco"], ["Kravchenko", "Krawtschenko"],
        ["Haile", "Hayle"], ["Gebremedhin", "Gebre Medhin", "Gebremedin"], ["Haidari", "Heidari", "Haydari"], ["Abdi", "Cabdi"],
        ["Hashemi", "Haschemi"], ["Jafari", "Dschafari", "Djafari"], ["Sultani", "Soltani"], ["Qasemi", "Ghasemi", "Kasemi"],
        ["Melnyk", "Melnik"], ["Kuznetsova", "Kusnezowa", "Kouznetsova"], ["Karimi", "Kerimi"], ["Noori", "Nuri"],
        ["Popescu", "Popesku"], ["Okafor"], ["Osman", "Usman", "Othman"], ["Haddad"], ["Al-Khalil", "Alkhalil", "Khalil"],
        ["Yilmaz", "Yılmaz"], ["Sahin", "Şahin"], ["Hamidi", "Chamidi"], ["Stepanenko", "Stepanenco"], ["Sidibe", "Sidibeh"],
        ["Barry", "Bari"], ["Ndiaye", "Njie", "Ndiay"], ["Bah", "Ba"], ["Sow", "Sowe"], ["Amiri", "Emiri"],
    ]

    static let secondGivenNames = ["Ali", "Reza", "Amin", "Karim", "Noor", "Sami", "Mahmoud", "Hussein"]
}

extension SampleGenerator {
    /// Gives the invented people the identities real partners write differently (`identityVariants`).
    func addIdentityVariants(_ people: inout [TruePerson], _ random: inout SeededRandom) {
        for index in people.indices {
            var person = people[index]
            person.spellings = (random.pick(VariantVocabulary.givenNames), random.pick(VariantVocabulary.familyNames))
            if random.chance(0.08) { person.secondGiven = random.pick(VariantVocabulary.secondGivenNames) }
            // Siblings born the same day: the family name, the birth date, the nationality and the home of an earlier person.
            if index > 4, random.chance(0.04) {
                let sibling = people[Int.random(in: 4..<index, using: &random)]
                if let family = sibling.spellings?.family, sibling.realBirth == nil, let siblingGiven = sibling.spellings?.given {
                    // Another given name than the sibling's (twins named alike are beyond any linkage).
                    while person.spellings?.given == siblingGiven { person.spellings?.given = random.pick(VariantVocabulary.givenNames) }
                    person.spellings?.family = family
                    person.birth = sibling.birth
                    person.nationality = sibling.nationality
                    person.postcode = sibling.postcode
                    person.place = sibling.place
                    person.ags = sibling.ags
                    person.outside = sibling.outside
                    person.family = sibling.family
                }
            }
            // A birth date the registration did not know: the register and the job centre write
            // `00.00.` or 1 January; only a college knows the real one. (Not for people the
            // colleges alone know: their one record is all there is.)
            let known = person.azr != nil || !person.jobcenter.isEmpty
            if index > 4, known, person.birth.month != 1 || person.birth.day != 1, random.chance(0.08) {
                person.realBirth = person.birth
                person.birth = CivilDate(year: person.birth.year, month: 1, day: 1)!
                person.registeredBirth = random.chance(0.6) ? .unknownDayAndMonth : .firstJanuary
            }
            people[index] = person
        }
    }

    /// The names one source writes for a person.
    func spelledNames(_ person: TruePerson, source: SampleSource, _ random: inout SeededRandom) -> (given: String, family: String) {
        guard let spellings = person.spellings else {
            return (random.pick(SampleVocabulary.givenNames[person.given]), random.pick(SampleVocabulary.allFamilyNames[person.family]))
        }
        // The register keeps its own spelling; the others vary.
        let official = source == .auslaenderbehoerde || random.chance(0.45)
        var given = official ? spellings.given[0] : random.pick(spellings.given)
        var family = official ? spellings.family[0] : random.pick(spellings.family)
        if let second = person.secondGiven {
            switch source {
            case .auslaenderbehoerde: given += " " + second
            case .jobcenter: given = random.chance(0.5) ? second + " " + given : given + " " + second
            case .berufskolleg: break
            }
        }
        if source != .auslaenderbehoerde, random.chance(0.03) {
            if random.chance(0.5) { given = typo(given, &random) } else { family = typo(family, &random) }
        }
        if source == .jobcenter, random.chance(0.02) { swap(&given, &family) }
        return (given, family)
    }

    /// A typing error: two letters swapped, one doubled or one left out.
    func typo(_ name: String, _ random: inout SeededRandom) -> String {
        var letters = Array(name)
        guard letters.count > 4 else { return name }
        let position = Int.random(in: 1..<(letters.count - 2), using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: letters.swapAt(position, position + 1)
        case 1: letters.insert(letters[position], at: position)
        default: letters.remove(at: position)
        }
        return String(letters)
    }

    /// The birth date a list (register, job centre) writes.
    func birthText(_ person: TruePerson, source: SampleSource, _ random: inout SeededRandom) -> String {
        if source == .auslaenderbehoerde, person.registeredBirth == .unknownDayAndMonth { return "00.00.\(person.birth.year)" }
        return german(person.birth)
    }

    /// The birth date a college writes: the real one, now and then mistyped (day and month
    /// swapped, a wrong digit) or changed by an age assessment, where another source knows the
    /// person (SPEC 4.2 takes the age from the register's or the job centre's record then).
    func collegeBirth(_ person: TruePerson, _ random: inout SeededRandom) -> CivilDate {
        let date = person.realBirth ?? person.birth
        guard person.spellings != nil, person.azr != nil || !person.jobcenter.isEmpty, random.chance(0.06) else { return date }
        switch Int.random(in: 0..<3, using: &random) {
        case 0: return CivilDate(year: date.year, month: date.day, day: date.month) ?? date.adding(days: 10)
        case 1: return CivilDate(year: date.year, month: date.month, day: date.day < 20 ? date.day + 10 : date.day - 10) ?? date
        default: return CivilDate(year: date.year + (random.chance(0.5) ? 1 : -1), month: date.month, day: min(date.day, 28)) ?? date
        }
    }
}
