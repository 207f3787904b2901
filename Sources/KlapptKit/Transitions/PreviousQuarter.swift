import Foundation

/// What the store knows of the quarter before a run's (SPEC 10): its persons with their states (in
/// pseudonym order) and its publication (its tables and its own transition table, exact, with what
/// was withheld). Read before the period's writer starts.
public struct PreviousQuarter: Sendable {
    public struct PublishedCell: Sendable {
        public var cell: CellID
        public var value: Int
        public var suppressed: Bool
    }

    public var period: Period
    /// The ledger's run of that quarter the transitions are linked to.
    public var runID: Int
    /// Its target-group persons and their states, sorted by pseudonym: two arrays of exactly the
    /// right size, the pseudonyms by their first 128 bits (17 bytes a person, not 33: a state has
    /// a million of them, read while the inputs are; see `PseudonymPrefix`).
    public var pseudonyms: [PseudonymPrefix]
    public var states: [PersonState]

    /// The persons with their states, in pseudonym order.
    public var persons: Zip2Sequence<[PseudonymPrefix], [PersonState]> { zip(pseudonyms, states) }

    public init(period: Period, runID: Int, persons: [(PersonPseudonym, PersonState)], cells: [PublishedCell]) {
        self.period = period
        self.runID = runID
        pseudonyms = persons.map(\.0.prefix)
        states = persons.map(\.1)
        self.cells = cells
    }

    init(period: Period, runID: Int, pseudonyms: [PseudonymPrefix], states: [PersonState], cells: [PublishedCell]) {
        self.period = period
        self.runID = runID
        self.pseudonyms = pseudonyms
        self.states = states
        self.cells = cells
    }
    /// Its indicator table (`CellID.Table.previous`) and transition table (`previousTransitions`).
    public var cells: [PublishedCell]

    /// Why a quarter has no transition table (one German sentence), or the previous quarter.
    public enum Availability: Sendable {
        case available(PreviousQuarter)
        case unavailable(String)

        /// The quarter, when it is available.
        public var quarter: PreviousQuarter? {
            if case .available(let quarter) = self { return quarter }
            return nil
        }
    }
}

extension Store {
    /// Why there is no usable previous quarter (one German sentence).
    public struct Unavailable: Error, Sendable {
        public var text: String
    }

    /// The finished run of `period`'s previous quarter under the key whose check value is
    /// `keyCheck` (a look at the ledger), or why there is none.
    public func previousQuarterRun(of period: Period, keyCheck: String, linkage: LinkageMethod = .exact) throws(KlapptError) -> Result<Int, Unavailable> {
        let previous = period.previous
        guard
            let run = try query(
                "SELECT id, schluessel_pruefwert, verknuepfung FROM runs WHERE zeitraum = '\(previous)' AND veroeffentlicht = 1 ORDER BY id DESC LIMIT 1"
            )
            .first,
            let runID = run[0].flatMap({ Int($0) })
        else {
            return .failure(
                Unavailable(
                    text:
                        "Keine Übergangstabelle: das Vorquartal \(previous) ist im Speicher nicht fertig berechnet (erst \(previous), dann \(period) verarbeiten, z. B. mit --period \(previous)..\(period))."
                ))
        }
        guard let check = run[1] else {
            return .failure(
                Unavailable(
                    text:
                        "Keine Übergangstabelle: das Vorquartal \(previous) wurde von einer klappt-Version ohne Schlüssel-Prüfwert berechnet; ob seine Pseudonyme zu diesem Quartal passen, lässt sich nicht prüfen. Abhilfe: klappt run --period \(previous) --force."
                ))
        }
        guard check == keyCheck else {
            return .failure(
                Unavailable(
                    text:
                        "Keine Übergangstabelle: das Vorquartal \(previous) wurde mit einem anderen Schlüssel berechnet (vor Beginn der neuen Schlüsselserie); seine Pseudonyme passen nicht zu diesem Quartal."
                ))
        }
        // Issue 32: persons linked one way are not the persons of another (handbook, section 8).
        let linked = run[2] ?? LinkageMethod.exact.ledgerValue
        guard linked == linkage.ledgerValue else {
            return .failure(
                Unavailable(
                    text:
                        "Keine Übergangstabelle: das Vorquartal \(previous) wurde mit einer anderen Verknüpfung berechnet (\(linked), dieses Quartal \(linkage.ledgerValue)); seine Personen sind nicht dieselben wie in diesem Quartal. Abhilfe: klappt run --period \(previous) --force mit derselben Verknüpfung."
                ))
        }
        return .success(runID)
    }

    /// Reads a finished quarter's persons (in pseudonym order) and publication.
    public func loadQuarter(_ previous: Period, runID: Int, indicators: [Indicator]) throws(KlapptError) -> PreviousQuarter {
        // Up to millions of rows: read as bytes, no string per value (a state-scale quarter).
        var pseudonyms: [PseudonymPrefix] = []
        var states: [PersonState] = []
        let count = Int(try query("SELECT COUNT(*) FROM personen_kodiert WHERE zeitraum = \(previous.code)").first?[0].flatMap { $0 } ?? "0") ?? 0
        pseudonyms.reserveCapacity(count)
        states.reserveCapacity(count)
        // The activity codes of the store (schema 7): code -> state.
        var stateOfCode: [Int: PersonState] = [:]
        for row in try query("SELECT kode, wert FROM kodes WHERE spalte = 'aktivitaet'") {
            if let code = row[0].flatMap({ Int($0) }), let activity = row[1].flatMap(Activity.init(rawValue:)) { stateOfCode[code] = .activity(activity) }
        }
        do {
            try database.scan("SELECT pseudonym, aktivitaet FROM personen_kodiert WHERE zeitraum = ? ORDER BY pseudonym", [.int(previous.code)]) { columns in
                guard let bytes = columns[0], let pseudonym = PersonPseudonym(bytes: bytes) else { return }
                var state = PersonState.withoutActivity
                if let text = columns[1] {
                    let code = text.reduce(0) { $0 * 10 + Int($1) - 48 }
                    state = stateOfCode[code] ?? .withoutActivity
                }
                pseudonyms.append(pseudonym.prefix)
                states.append(state)
            }
        } catch {
            throw .outputNotWritable("Speicher „\(path)“: \(error)")
        }
        let known = Dictionary(indicators.map { ($0.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        var cells: [PreviousQuarter.PublishedCell] = []
        for row in try query("SELECT indikator, dimension, auspraegung, wert, gesperrt FROM indikatoren WHERE zeitraum = '\(previous)'") {
            let indicator = known[row[0] ?? ""] ?? Indicator(row[0] ?? "", rank: 99)
            cells.append(
                PreviousQuarter.PublishedCell(
                    cell: CellID(table: CellID.Table.previous, indicator: indicator, dimension: row[1] ?? "", category: row[2] ?? ""),
                    value: Int(row[3] ?? "") ?? 0, suppressed: row[4] == "1"))
        }
        for row in try query("SELECT von, nach, wert, gesperrt FROM uebergaenge WHERE zeitraum = '\(previous)'") {
            cells.append(
                PreviousQuarter.PublishedCell(
                    cell: CellID(table: CellID.Table.previousTransitions, indicator: .transition, dimension: row[0] ?? "", category: row[1] ?? ""),
                    value: Int(row[2] ?? "") ?? 0, suppressed: row[3] == "1"))
        }
        return PreviousQuarter(period: previous, runID: runID, pseudonyms: pseudonyms, states: states, cells: cells)
    }
}

/// Reads the previous quarter on a connection of its own while the run reads its inputs (SPEC 10):
/// the store's scan of a state's 1.25 million persons (about 0.4 s) then costs the run little wall
/// time. Its result is taken before the period's writer starts.
final class PreviousQuarterLoading: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the loading thread before `done` is signalled.
    private var result: Result<PreviousQuarter, KlapptError>?

    init(storePath: String, period: Period, runID: Int, indicators: [Indicator]) {
        DispatchQueue.global().async { [self] in
            result = Result { () throws(KlapptError) -> PreviousQuarter in
                try Store(path: storePath).loadQuarter(period, runID: runID, indicators: indicators)
            }
            done.signal()
        }
    }

    /// The quarter, once read.
    func wait() throws(KlapptError) -> PreviousQuarter {
        done.wait()
        guard let result else { throw .internalError("Vorquartal nicht gelesen") }
        return try result.get()
    }
}
