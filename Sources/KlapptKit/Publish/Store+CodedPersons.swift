import Foundation

/// The persons of the store as integers (schema 7, issue 14): the period as 20263, the pseudonym as
/// its 32 bytes, every category as a small code from `kodes`. A state's quarter writes 1.2 million
/// rows; text columns made them three times as large and the insert the long pole of a run.
/// The view `persons` shows them as before (text, hex pseudonym), so readers and analysts see the
/// same table.
extension Store {
    static let codedPersonsSchema = """
        CREATE TABLE IF NOT EXISTS kodes(
            spalte TEXT NOT NULL, kode INTEGER NOT NULL, wert TEXT NOT NULL,
            PRIMARY KEY(spalte, kode), UNIQUE(spalte, wert)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS personen_kodiert(
            zeitraum INTEGER NOT NULL, pseudonym BLOB NOT NULL, geschlecht INTEGER NOT NULL, altersgruppe INTEGER NOT NULL,
            gemeinde INTEGER NOT NULL, aufenthalt INTEGER NOT NULL, staatsangehoerigkeit INTEGER NOT NULL, aktivitaet INTEGER,
            quellen INTEGER NOT NULL, PRIMARY KEY(zeitraum, pseudonym)) WITHOUT ROWID;
        """

    /// Schema 6 -> 7: the text rows of `persons` become coded rows (in Swift: the system's SQLite
    /// 3.40 has no `unhex`), streamed in batches; then `persons` is the view.
    static func migrateToCodedPersons(_ database: SQLiteDatabase) throws(SQLiteDatabase.Failure) {
        try database.execute("DROP VIEW IF EXISTS bestand_je_zustand; \(codedPersonsSchema)")
        var codes = StoreCodes()
        var batch: [[SQLiteDatabase.Value]] = []
        var failure: SQLiteDatabase.Failure?
        func flush() {
            guard failure == nil, !batch.isEmpty else { return }
            do { try database.run("INSERT INTO personen_kodiert VALUES (?,?,?,?,?,?,?,?,?)", rows: batch) } catch { failure = error }
            batch.removeAll(keepingCapacity: true)
        }
        try database.scan(
            "SELECT zeitraum, pseudonym, geschlecht, altersgruppe, gemeinde, aufenthalt, staatsangehoerigkeit, aktivitaet, quellen FROM persons"
        ) { columns in
            func text(_ index: Int) -> String? { columns[index].map { String(decoding: $0, as: UTF8.self) } }
            let period = Period(text(0) ?? "")?.code ?? 0
            var row: [SQLiteDatabase.Value] = [.int(period), .blob(Store.bytes(hex: text(1) ?? ""))]
            for (index, column) in [(2, "geschlecht"), (3, "altersgruppe"), (4, "gemeinde"), (5, "aufenthalt"), (6, "staatsangehoerigkeit")] {
                row.append(.int(codes.code(column, text(index) ?? "")))
            }
            row.append(text(7).map { .int(codes.code("aktivitaet", $0)) } ?? .null)
            row.append(.int(codes.code("quellen", text(8) ?? "")))
            batch.append(row)
            if batch.count == 50_000 { flush() }
        }
        flush()
        if let failure { throw failure }
        try insertCodes(codes.added, into: database)
        // (The stock per state comes back with schema 10, as `intern_bestand_je_zustand` on this table.)
        try database.execute("DROP TABLE persons; \(personsView(namingMunicipalities: false))")
    }

    static func insertCodes(_ codes: [(column: String, code: Int, value: String)], into database: SQLiteDatabase) throws(SQLiteDatabase.Failure) {
        try database.run("INSERT INTO kodes VALUES (?,?,?)", rows: codes.map { [.text($0.column), .int($0.code), .text($0.value)] })
    }

    /// Hex text as bytes (two digits a byte; what is not hex is dropped).
    static func bytes(hex: String) -> [UInt8] {
        let digits = hex.utf8.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// The codes of the store, read when a period's writer starts.
    func storeCodes() throws(SQLiteDatabase.Failure) -> StoreCodes {
        var codes = StoreCodes()
        for row in try database.query("SELECT spalte, kode, wert FROM kodes") {
            codes.known(row[0]!, Int(row[1]!)!, row[2]!)
        }
        return codes
    }
}

/// The store's codes (`kodes`): per column, value <-> small integer. A value seen for the first time
/// gets the next code of its column; new codes are written with the period's commit.
struct StoreCodes {
    private var codes: [String: [String: Int]] = [:]
    private var next: [String: Int] = [:]
    private(set) var added: [(column: String, code: Int, value: String)] = []

    mutating func known(_ column: String, _ code: Int, _ value: String) {
        codes[column, default: [:]][value] = code
        next[column] = max(next[column] ?? 0, code + 1)
    }

    mutating func code(_ column: String, _ value: String) -> Int {
        if let code = codes[column]?[value] { return code }
        let code = next[column] ?? 0
        known(column, code, value)
        added.append((column, code, value))
        return code
    }
}

/// Codes a person's categories for the store without hashing a value already seen: the cases of
/// sex, residence and activity by their storage byte, the age group by age, municipality and
/// nationality through `ShortTextCodes`, the sources by their mask (SipHash lookups of typed keys
/// were a fifth of the store's thread for a state's quarter).
struct PersonCoder {
    typealias Codes = (Int, Int, Int, Int, Int, Int?, Int)

    var codes: StoreCodes
    /// -1: not coded yet.
    private var sexes = [Int](repeating: -1, count: 256)
    private var residences = [Int](repeating: -1, count: 256)
    private var activities = [Int](repeating: -1, count: 256)
    private var ageGroups = [(label: String?, code: Int)?](repeating: nil, count: 256)
    private var places = ShortTextCodes()
    /// By `places` code + 2 (0: unknown, 1: outside).
    private var municipalities: [Int] = []
    private var nationalityTexts = ShortTextCodes()
    private var nationalities: [Int] = []
    /// By source mask (the first 12 sources), else `sources`.
    private var sourceCodes: [Int] = []
    private var sources: [UInt64: Int] = [:]

    init(codes: StoreCodes) { self.codes = codes }

    /// The first byte of a payload-free enum's storage: its case.
    private static func byte<Value>(_ value: Value) -> Int {
        withUnsafeBytes(of: value) { Int($0[0]) }
    }

    private static func cached(_ table: inout [Int], _ position: Int, _ codes: inout StoreCodes, _ column: String, _ text: () -> String) -> Int {
        while table.count <= position { table.append(-1) }
        if table[position] >= 0 { return table[position] }
        let code = codes.code(column, text())
        table[position] = code
        return code
    }

    /// The seven codes of a person: sex, age group, municipality, residence, nationality, activity
    /// (nil without one) and sources.
    mutating func codes(of person: PersonFacts) -> Codes {
        let s = Self.cached(&sexes, Self.byte(person.sex), &codes, "geschlecht") { person.sex.rawValue }
        let age = min(max(person.age, 0), 255)
        let a: Int
        if let known = ageGroups[age], known.label == person.ageGroup {
            a = known.code
        } else {
            a = codes.code("altersgruppe", person.ageGroup ?? "")
            ageGroups[age] = (person.ageGroup, a)
        }
        let place: Int
        switch person.municipality {
        case .unknown: place = 0
        case .outside: place = 1
        case .district(let ags): place = 2 + Int(places.code(ags))
        }
        let m = Self.cached(&municipalities, place, &codes, "gemeinde") { person.municipality.category ?? "" }
        let r = Self.cached(&residences, Self.byte(person.residence), &codes, "aufenthalt") { person.residence.rawValue }
        let n = Self.cached(&nationalities, Int(nationalityTexts.code(person.nationality)), &codes, "staatsangehoerigkeit") {
            person.nationality.string
        }
        let t = person.activity.map { current in Self.cached(&activities, Self.byte(current), &codes, "aktivitaet") { current.rawValue } }
        let q: Int
        if person.sourceMask < 4096 {
            q = Self.cached(&sourceCodes, Int(person.sourceMask), &codes, "quellen") { person.sourceIDs.joined(separator: ",") }
        } else if let known = sources[person.sourceMask] {
            q = known
        } else {
            q = codes.code("quellen", person.sourceIDs.joined(separator: ","))
            sources[person.sourceMask] = q
        }
        return (s, a, m, r, n, t, q)
    }
}

extension Store {
    /// The `persons` view over the coded persons: as schema 7 made it, and (`namingMunicipalities`)
    /// as schema 11 makes it, with the municipality's name from the labels (`gemeinde_text`).
    static func personsView(namingMunicipalities: Bool) -> String {
        """
        CREATE VIEW persons AS
            SELECT (p.zeitraum / 10) || '-Q' || (p.zeitraum % 10) AS zeitraum, lower(hex(p.pseudonym)) AS pseudonym,
                   g.wert AS geschlecht, a.wert AS altersgruppe, m.wert AS gemeinde, r.wert AS aufenthalt,
                   s.wert AS staatsangehoerigkeit, t.wert AS aktivitaet, q.wert AS quellen\(namingMunicipalities ? ",\n           COALESCE(bg.beschriftung, m.wert) AS gemeinde_text" : "")
            FROM personen_kodiert p
            JOIN kodes g ON g.spalte = 'geschlecht' AND g.kode = p.geschlecht
            JOIN kodes a ON a.spalte = 'altersgruppe' AND a.kode = p.altersgruppe
            JOIN kodes m ON m.spalte = 'gemeinde' AND m.kode = p.gemeinde
            JOIN kodes r ON r.spalte = 'aufenthalt' AND r.kode = p.aufenthalt
            JOIN kodes s ON s.spalte = 'staatsangehoerigkeit' AND s.kode = p.staatsangehoerigkeit
            JOIN kodes q ON q.spalte = 'quellen' AND q.kode = p.quellen
            LEFT JOIN kodes t ON t.spalte = 'aktivitaet' AND t.kode = p.aktivitaet\(namingMunicipalities ? "\n    LEFT JOIN beschriftungen bg ON bg.art = 'gemeinde' AND bg.code = m.wert" : "");
        """
    }
}
