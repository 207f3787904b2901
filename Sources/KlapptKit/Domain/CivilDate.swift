import KlapptFormats

/// A calendar date without time or zone: birth dates, status dates and reference dates are days,
/// and treating them as instants would let a time zone move a birthday.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// year << 9 | month << 5 | day: four bytes per date (records hold several), and ordering the
    /// packed value orders the dates.
    let packed: UInt32

    /// A date from its packed form (as kept in records).
    init(packed: UInt32) { self.packed = packed }

    public var year: Int { Int(packed >> 9) }
    public var month: Int { Int(packed >> 5 & 0xF) }
    public var day: Int { Int(packed & 0x1F) }

    /// nil unless the three numbers name a real day of the proleptic Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard year >= 1, year <= 9999, month >= 1, month <= 12, day >= 1,
            day <= CivilDate.daysInMonth(year: year, month: month)
        else { return nil }
        packed = UInt32(year) << 9 | UInt32(month) << 5 | UInt32(day)
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.packed < rhs.packed }

    /// `YYYY-MM-DD`.
    public var iso: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        appendISO(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DD` as ASCII bytes.
    public func appendISO(to bytes: inout [UInt8]) {
        writeISO { bytes.append($0) }
    }

    /// Hands `YYYY-MM-DD` to `put` byte by byte (no intermediate strings; the linkage material is
    /// built this way for every record).
    @inline(__always)
    public func writeISO(_ put: (UInt8) -> Void) {
        let year = self.year
        let month = self.month
        let day = self.day
        put(UInt8(0x30 + year / 1000 % 10))
        put(UInt8(0x30 + year / 100 % 10))
        put(UInt8(0x30 + year / 10 % 10))
        put(UInt8(0x30 + year % 10))
        put(UInt8(ascii: "-"))
        put(UInt8(0x30 + month / 10))
        put(UInt8(0x30 + month % 10))
        put(UInt8(ascii: "-"))
        put(UInt8(0x30 + day / 10))
        put(UInt8(0x30 + day % 10))
    }

    public var description: String { iso }

    /// `TT.MM.JJJJ`, as German readers write dates.
    public var german: String { String(format: "%02d.%02d.%04d", day, month, year) }

    /// Parses `JJJJ-MM-TT`.
    /// The date of an ISO timestamp (`2026-11-27T09:03:43Z` -> 2026-11-27).
    public init?(isoPrefixOf text: String) { self.init(iso: String(text.prefix(10))) }

    public init?(iso text: String) {
        guard let date = DateFormat("JJJJ-MM-TT")?.parse(text) else { return nil }
        self = date
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's civil-date algorithm: date
    /// arithmetic without Foundation's calendar, which is far slower.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `dayNumber` days after 1970-01-01.
    public init?(dayNumber: Int) {
        let (year, month, day) = CivilDays.date(fromDayNumber: dayNumber)
        self.init(year: year, month: month, day: day)
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days)! }

    /// Completed years of life on `date` (SPEC 4.2). Someone born on 29 February completes a year
    /// on 1 March in common years, as § 188 BGB counts.
    public func age(on date: CivilDate) -> Int {
        var years = date.year - year
        if date.packed & 0x1FF < packed & 0x1FF { years -= 1 }  // month and day of the year
        return years
    }
}

/// The one declared format of a date field (SPEC 2.1), written with German or ICU letters:
/// `TT.MM.JJJJ` = `dd.MM.yyyy`, `JJJJ-MM-TT` = `yyyy-MM-dd`. Parsing is strict: every digit the
/// pattern asks for, the separators exactly, nothing more.
public struct DateFormat: Sendable, Equatable, CustomStringConvertible {
    enum Token: Equatable {
        case day, month, year
        case literal(UInt8)
    }

    let tokens: [Token]
    public let pattern: String

    public init?(_ pattern: String) {
        var tokens: [Token] = []
        let bytes = Array(pattern.utf8)
        var index = 0
        var seen = Set<String>()
        func run(_ byte: UInt8) -> Int {
            var length = 0
            while index + length < bytes.count, bytes[index + length] == byte { length += 1 }
            return length
        }
        while index < bytes.count {
            let byte = bytes[index]
            let length = run(byte)
            switch (byte, length) {
            case (UInt8(ascii: "T"), 2), (UInt8(ascii: "d"), 2):
                tokens.append(.day)
                seen.insert("d")
            case (UInt8(ascii: "M"), 2):
                tokens.append(.month)
                seen.insert("m")
            case (UInt8(ascii: "J"), 4), (UInt8(ascii: "y"), 4):
                tokens.append(.year)
                seen.insert("y")
            case _ where !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) && !(UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte):
                for _ in 0..<length { tokens.append(.literal(byte)) }
            default:
                return nil
            }
            index += length
        }
        guard seen == ["d", "m", "y"] else { return nil }
        self.tokens = tokens
        self.pattern = pattern
    }

    public var description: String { pattern }

    public func parse(_ text: String) -> CivilDate? {
        var copy = text
        return copy.withUTF8 { parse(bytes: $0) }
    }

    /// Parses ASCII bytes (the run's path: no string per date).
    public func parse(bytes: UnsafeBufferPointer<UInt8>) -> CivilDate? {
        guard let (year, month, day) = numbers(bytes) else { return nil }
        return CivilDate(year: year, month: month, day: day)
    }

    /// A birth date, which may be partly known (SPEC 2.1 v3; handbook, section 8): German registers
    /// write an unknown day, or day and month, as `00` (`00.05.2003`, `00.00.2003`). Such a date
    /// stands for the first day of what is known (`2003-05-01`, `2003-01-01`: the day the asylum
    /// registration assigns when the date is unknown), with its precision. `00.00.0000`, a month
    /// `00` under a known day, or no real date: nil (`geburtsdatum_ungueltig`).
    public func parseBirthDate(bytes: UnsafeBufferPointer<UInt8>) -> (date: CivilDate, precision: DatePrecision)? {
        guard let (year, month, day) = numbers(bytes) else { return nil }
        if day == 0, month == 0 { return CivilDate(year: year, month: 1, day: 1).map { ($0, .year) } }
        if day == 0 { return CivilDate(year: year, month: month, day: 1).map { ($0, .month) } }
        return CivilDate(year: year, month: month, day: day).map { ($0, .day) }
    }

    /// The year, month and day the bytes spell in this format (not checked as a date).
    private func numbers(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        var day = 0
        var month = 0
        var year = 0
        var index = 0
        let count = bytes.count
        func digits(_ width: Int) -> Int? {
            guard index + width <= count else { return nil }
            var value = 0
            for _ in 0..<width {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
                index += 1
            }
            return value
        }
        for token in tokens {
            switch token {
            case .day:
                guard let value = digits(2) else { return nil }
                day = value
            case .month:
                guard let value = digits(2) else { return nil }
                month = value
            case .year:
                guard let value = digits(4) else { return nil }
                year = value
            case .literal(let expected):
                guard index < count, bytes[index] == expected else { return nil }
                index += 1
            }
        }
        guard index == count else { return nil }
        return (year, month, day)
    }
}

/// How much of a birth date is known (SPEC 2.1 v3).
public enum DatePrecision: UInt8, Sendable, Comparable {
    /// Only the year (`00.00.2003`).
    case year
    /// Year and month (`00.05.2003`).
    case month
    /// The whole date.
    case day

    public static func < (lhs: DatePrecision, rhs: DatePrecision) -> Bool { lhs.rawValue < rhs.rawValue }
}
