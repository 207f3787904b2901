import Testing

@testable import KlapptKit

@Suite struct DateTests {
    let german = DateFormat("TT.MM.JJJJ")!
    let iso = DateFormat("JJJJ-MM-TT")!

    @Test(arguments: ["17.03.2004", "29.02.2024", "31.12.1999"])
    func germanDatesParse(text: String) {
        #expect(german.parse(text) != nil)
    }

    @Test(arguments: [
        "2004-03-17", "17.3.2004", "1.03.2004", "31.02.2001", "29.02.2023", "00.01.2000", "17.03.04", "17.03.2004 ", "", "17-03-2004", "aa.bb.cccc",
    ])
    func strictGermanFormatRejects(text: String) {
        #expect(german.parse(text) == nil)
    }

    @Test func isoFormat() {
        #expect(iso.parse("1996-09-03") == CivilDate(year: 1996, month: 9, day: 3))
        #expect(iso.parse("17.03.2004") == nil)
        #expect(iso.parse("2025-13-01") == nil)
        #expect(DateFormat("dd.MM.yyyy")?.parse("03.09.1996") == CivilDate(year: 1996, month: 9, day: 3))
        #expect(DateFormat("MM.JJJJ") == nil)
        #expect(DateFormat("TT.MM.JJ") == nil)
    }

    @Test(arguments: [
        ((2008, 9, 30), 18), ((2008, 10, 1), 17), ((1999, 9, 30), 27), ((1999, 10, 1), 26), ((2000, 2, 29), 26),
    ])
    func completedYearsOnTheReferenceDate(birth: (Int, Int, Int), age: Int) {
        let reference = CivilDate(year: 2026, month: 9, day: 30)!
        #expect(CivilDate(year: birth.0, month: birth.1, day: birth.2)!.age(on: reference) == age)
    }

    @Test func leapDayBirthdayCompletesOnFirstOfMarch() {
        let born = CivilDate(year: 2008, month: 2, day: 29)!
        #expect(born.age(on: CivilDate(year: 2026, month: 2, day: 28)!) == 17)
        #expect(born.age(on: CivilDate(year: 2026, month: 3, day: 1)!) == 18)
    }

    @Test func periods() {
        let q3 = Period("2026-Q3")!
        #expect(q3.firstDay == CivilDate(year: 2026, month: 7, day: 1))
        #expect(q3.referenceDate == CivilDate(year: 2026, month: 9, day: 30))
        #expect(Period("2024-Q1")!.referenceDate == CivilDate(year: 2024, month: 3, day: 31))
        #expect(Period("2026-Q5") == nil)
        #expect(Period("2026Q3") == nil)
        #expect(q3.contains(CivilDate(year: 2026, month: 7, day: 1)!))
        #expect(!q3.contains(CivilDate(year: 2026, month: 10, day: 1)!))
        #expect(Period.lastCompleted(before: CivilDate(year: 2026, month: 11, day: 26)!) == q3)
        #expect(Period.lastCompleted(before: CivilDate(year: 2027, month: 1, day: 1)!) == Period("2026-Q4"))
        #expect(Period.lastCompleted(before: CivilDate(year: 2026, month: 2, day: 10)!) == Period("2025-Q4"))
    }
}

@Suite struct DayNumberTests {
    @Test(arguments: [((1970, 1, 1), 0), ((2000, 3, 1), 11017), ((1969, 12, 31), -1), ((2026, 9, 30), 20726), ((1900, 2, 28), -25509)])
    func dayNumbers(date: (Int, Int, Int), number: Int) {
        let civil = CivilDate(year: date.0, month: date.1, day: date.2)!
        #expect(civil.dayNumber == number)
        #expect(CivilDate(dayNumber: number) == civil)
    }

    @Test func roundTripOverOneAndAHalfCenturies() {
        var date = CivilDate(year: 1800, month: 1, day: 1)!
        var broken: [CivilDate] = []
        for _ in 0..<(150 * 366) {
            let next = date.adding(days: 1)
            if next.dayNumber != date.dayNumber + 1 || next <= date { broken.append(date) }
            date = next
        }
        #expect(broken.isEmpty)
        #expect(date == CivilDate(year: 1950, month: 4, day: 25))  // Python: date(1800, 1, 1) + timedelta(150 * 366)
    }
}
