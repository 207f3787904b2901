import KlapptFormats

/// A mistake in the pipeline file or a code list it names: exit 64, before any input is read.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line.map { "\(file), Zeile \($0): \(message)" } ?? "\(file): \(message)"
    }
}

/// What can be wrong with the key (exit 77, a missing file 66).
public enum KeyProblem: Sendable, Equatable {
    /// Not there at all (and not to be made here).
    case missing(path: String)
    /// Group or others may read it (mode in octal).
    case readableByOthers(path: String, mode: String)
    case unreadable(path: String)
    /// Not 64 hex characters.
    case notAKey(path: String)
    /// The file lies in the output folder, whose files are shared.
    case insideOutputFolder(path: String, origin: String, folder: String)
    /// Missing, while the store already holds finished quarters (a mistyped path or a lost key).
    case missingWithFinishedQuarters(path: String, origin: String, store: String, periods: [String])
    /// Another key than the one the store's finished quarters were computed with (check values).
    case otherKey(store: String, periods: [String], expected: String, found: String)
}

/// Everything that ends a run early, as typed cases with their context (file, line, field, counts).
/// The executable maps them to exit codes (sysexits, SPEC 8) in one place (`exitCode`), and their
/// German text for the coordinator is rendered in one place (`description`); tests match the cases.
public enum KlapptError: Error, Sendable, CustomStringConvertible {
    /// Any error as a run problem: a `KlapptError` as it is, a file's format problem as
    /// `inputFormat`, anything else as an internal error.
    public init(_ error: any Error) {
        switch error {
        case let error as KlapptError: self = error
        case let error as FormatError: self = .inputFormat(error)
        default: self = .internalError("\(error)")
        }
    }

    case usage(String)
    case pipeline(PipelineError)
    case inputFormat(FormatError)
    /// More rejected rows in a file than the pipeline allows (SPEC 2.1).
    case tooManyRejected(file: String, rejected: Int, rowsRead: Int, allowedShare: Double, mostFrequent: String?, quarantine: String)
    /// Ids or codes of a file turned into numbers by a spreadsheet in `rows` rows (at least
    /// `QuarterlyRun.spreadsheetDamageLimit`): the list went through Excel or Calc and was saved
    /// again, so its other values cannot be trusted either. `fields` are the export's column names.
    case spreadsheetDamage(file: String, rows: Int, fields: [String], quarantine: String)
    /// The plausibility checks before publication failed (issue 9): the findings, in German.
    case implausible([String])
    /// A source's glob matches no file.
    case noInputFiles(source: String, glob: String)
    case inputUnreadable(path: String, reason: String?)
    /// `klappt bericht`: the store has no finished run of the quarter (or no store at all).
    case notInStore(period: String?, store: String, finished: [String])
    case key(KeyProblem)
    case outputNotWritable(String)
    /// Another run holds the output folder's lock: who, since when.
    case locked(directory: String, holder: String)
    case internalError(String)

    public var exitCode: Int32 {
        switch self {
        case .usage, .pipeline: return 64
        case .inputFormat, .tooManyRejected, .spreadsheetDamage, .implausible: return 65
        case .noInputFiles, .inputUnreadable, .notInStore, .key(.missing): return 66
        case .internalError: return 70
        case .outputNotWritable: return 73
        case .locked: return 75
        case .key: return 77
        }
    }

    public var description: String {
        switch self {
        case .usage(let message): return "Aufruf fehlerhaft: \(message)"
        case .pipeline(let error): return "Pipeline-Datei fehlerhaft: \(error)"
        case .inputFormat(let error): return "Eingabedatei fehlerhaft: \(error)"
        case .tooManyRejected(let file, let rejected, let rowsRead, let allowed, let reason, let quarantine):
            let share = rowsRead == 0 ? 0 : Double(rejected) / Double(rowsRead)
            return "Eingabedaten fehlerhaft: „\(file)“: \(rejected) von \(rowsRead) Zeilen abgewiesen (\(QuarterlyRun.percent(share)), erlaubt sind höchstens "
                + "\(QuarterlyRun.percent(allowed))). Häufigster Grund: \(reason ?? "-"). Die abgewiesenen Zeilen stehen in „\(quarantine)“. "
                + "Keine Ausgabe des Zeitraums wurde geschrieben."
        case .spreadsheetDamage(let file, let rows, let fields, let quarantine):
            let columns = (fields.count == 1 ? "Spalte " : "Spalten ") + fields.map { "„\($0)“" }.joined(separator: ", ")
            return "Eingabedaten entstellt: „\(file)“: In \(rows) Zeilen sind Kennungen oder Codes (\(columns)) zu Zahlen geworden "
                + "(Exponent wie 1,2E+102, Nachkommastellen, verlorene führende Null oder ein Datum): die Liste wurde in einer Tabellenkalkulation "
                + "geöffnet und gespeichert. Verschiedene Personen können so dieselbe Kennung bekommen. Bitte die Liste beim Absender neu anfordern, "
                + "direkt aus dem Fachverfahren exportiert, oder beim Speichern die \(columns) als Text formatieren (Kundennummern als Text "
                + "exportieren). Die betroffenen Zeilen stehen in „\(quarantine)“. Keine Ausgabe des Zeitraums wurde geschrieben."
        case .implausible(let findings):
            return "Plausibilitätsprüfung nicht bestanden, nichts wurde veröffentlicht:\n" + findings.map { "  - \($0)" }.joined(separator: "\n")
                + "\nStimmt die Lieferung trotzdem, veröffentlicht „--ignore-plausibility“ sie (das wird im Speicher vermerkt). "
                + "Die Schwellen stehen unter „plausibility:“ und „expect:“ in der Pipeline-Datei."
        case .noInputFiles(let source, let glob): return "Eingabe fehlt: Keine Dateien für Quelle „\(source)“ unter „\(glob)“."
        case .inputUnreadable(let path, let reason): return "Eingabe fehlt: „\(path)“ ist nicht lesbar\(reason.map { " (\($0))" } ?? "")."
        case .notInStore(let period, let store, let finished):
            let which = period.map { "das Quartal \($0)" } ?? "ein fertiges Quartal"
            return "Eingabe fehlt: Der Speicher „\(store)“ hat \(which) nicht "
                + (finished.isEmpty ? "(noch kein fertiges Quartal). Zuerst „klappt run“." : "(fertig: \(finished.joined(separator: ", "))).")
        case .key(let problem): return "Schlüsseldatei unsicher oder unbrauchbar: \(KlapptError.text(problem))"
        case .outputNotWritable(let message): return "Ausgabe nicht schreibbar: \(message)"
        case .locked(let directory, let holder): return "Ein anderer Lauf ist aktiv: Das Ausgabeverzeichnis „\(directory)“ ist gesperrt von \(holder)."
        case .internalError(let message): return "Interner Fehler: \(message)"
        }
    }

    static func text(_ problem: KeyProblem) -> String {
        let recovery = "Nur wenn der alte Schlüssel verloren ist: „klappt keygen DATEI“ und dann „klappt run … --key-file DATEI --new-key-series“."
        switch problem {
        case .missing(let path): return "Schlüsseldatei „\(path)“ nicht gefunden."
        case .readableByOthers(let path, let mode): return "„\(path)“ ist für Gruppe oder andere lesbar (Rechte \(mode)). Bitte „chmod 600 \(path)“ ausführen."
        case .unreadable(let path): return "„\(path)“ ist nicht lesbar."
        case .notAKey(let path): return "„\(path)“ enthält keinen Schlüssel aus 64 Hex-Zeichen (256 Bit)."
        case .insideOutputFolder(let path, let origin, let folder):
            return "Die Schlüsseldatei „\(path)“ (\(origin)) liegt im Ausgabeordner „\(folder)“, dessen Dateien weitergegeben werden. "
                + "Verschieben Sie sie an einen geschützten Ort außerhalb, z. B. „mv \(path) ~/.config/klappt/klappt.key“, und geben Sie den neuen Pfad an "
                + "(--key-file, KLAPPT_KEY_FILE oder key_file der Pipeline-Datei)."
        case .missingWithFinishedQuarters(let path, let origin, let store, let periods):
            return
                "Die Schlüsseldatei „\(path)“ (\(origin)) fehlt, aber der Speicher „\(store)“ enthält schon fertige Quartale (\(periods.joined(separator: ", "))). "
                + "Ein neuer Schlüssel ergäbe andere Pseudonyme, Personen ließen sich nicht mehr über die Quartale verfolgen. "
                + "Stellen Sie die Schlüsseldatei aus der Sicherung wieder her oder geben Sie den richtigen Pfad an. \(recovery)"
        case .otherKey(let store, let periods, let expected, let found):
            return "Der Schlüssel passt nicht zum Speicher „\(store)“: die fertigen Quartale \(periods.joined(separator: ", ")) wurden mit einem anderen "
                + "Schlüssel berechnet (Prüfwert \(expected) statt \(found)). Mit diesem Schlüssel entstünden andere Pseudonyme; Personen ließen sich nicht "
                + "mehr über die Quartale verfolgen. Geben Sie die richtige Schlüsseldatei an (--key-file, KLAPPT_KEY_FILE, key_file) oder stellen Sie sie "
                + "aus der Sicherung wieder her. Nur wenn der alte Schlüssel verloren ist: „--new-key-series“ beginnt bewusst eine neue Serie "
                + "(Übergänge zu früheren Quartalen entfallen)."
        }
    }
}
