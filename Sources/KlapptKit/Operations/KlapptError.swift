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

/// Everything that ends a run early, each with its exit code (sysexits, SPEC 8) and a German
/// message for the coordinator. The executable maps these to exit codes in one place.
public enum KlapptError: Error, Sendable, CustomStringConvertible {
    case usage(String)
    case pipeline(PipelineError)
    case inputFormat(FormatError)
    case inputData(String)
    /// The plausibility checks before publication failed (issue 9): the findings, in German.
    case implausible([String])
    case inputMissing(String)
    case outputNotWritable(String)
    case locked(String)
    case keyUnsafe(String)
    case internalError(String)

    public var exitCode: Int32 {
        switch self {
        case .usage, .pipeline: return 64
        case .inputFormat, .inputData, .implausible: return 65
        case .inputMissing: return 66
        case .internalError: return 70
        case .outputNotWritable: return 73
        case .locked: return 75
        case .keyUnsafe: return 77
        }
    }

    public var description: String {
        switch self {
        case .usage(let message): return "Aufruf fehlerhaft: \(message)"
        case .pipeline(let error): return "Pipeline-Datei fehlerhaft: \(error)"
        case .inputFormat(let error): return "Eingabedatei unlesbar: \(error)"
        case .inputData(let message): return "Eingabedaten fehlerhaft: \(message)"
        case .implausible(let findings):
            return "Plausibilitätsprüfung nicht bestanden, nichts wurde veröffentlicht:\n" + findings.map { "  - \($0)" }.joined(separator: "\n")
                + "\nStimmt die Lieferung trotzdem, veröffentlicht „--ignore-plausibility“ sie (das wird im Speicher vermerkt). Die Schwellen stehen unter „plausibility:“ und „expect:“ in der Pipeline-Datei."
        case .inputMissing(let message): return "Eingabe fehlt: \(message)"
        case .outputNotWritable(let message): return "Ausgabe nicht schreibbar: \(message)"
        case .locked(let message): return "Ein anderer Lauf ist aktiv: \(message)"
        case .keyUnsafe(let message): return "Schlüsseldatei unsicher oder unbrauchbar: \(message)"
        case .internalError(let message): return "Interner Fehler: \(message)"
        }
    }
}
