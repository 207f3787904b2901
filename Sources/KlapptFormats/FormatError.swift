/// A problem that makes a whole input file unreadable (SPEC 2.1): the run stops with exit 65.
/// `line` and `field` say where, as far as the reader knows.
public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case unreadable
        case undecodable
        case truncated
        case malformed
        case tooLong
        case forbiddenDTD
        /// A workbook (or one of its parts) protected by a password.
        case encrypted
        /// Not the kind of file the source reads (an old `.xls`, a CSV under an `.xlsx` name).
        case wrongFileType
        /// A part that would inflate beyond the reader's bounds (a zip bomb, or a size that lies).
        case inflationLimit
        /// The workbook has no worksheet of the configured name.
        case missingSheet
    }

    public var kind: Kind
    public var file: String
    /// The worksheet of a workbook, whose rows `line` counts.
    public var sheet: String?
    public var line: Int?
    public var field: String?
    /// German explanation for the coordinator.
    public var message: String
    /// What the underlying parser said (libxml2's English text), for a debug log only: never part of
    /// the message a user reads (issue 23).
    public var technicalDetail: String?

    public init(
        _ kind: Kind, file: String, sheet: String? = nil, line: Int? = nil, field: String? = nil, message: String, technicalDetail: String? = nil
    ) {
        self.technicalDetail = technicalDetail
        self.kind = kind
        self.file = file
        self.sheet = sheet
        self.line = line
        self.field = field
        self.message = message
    }

    /// `technicalDetail` with everything the parser quoted from the input (`'…'`, `"…"`: an entity's
    /// name, a value) left out, for the debug log: only the quarantine holds input values.
    public var redactedTechnicalDetail: String? {
        guard let detail = technicalDetail else { return nil }
        var result = ""
        var closing: Character?
        for character in detail {
            if let open = closing {
                if character == open {
                    result.append("…")
                    result.append(character)
                    closing = nil
                }
            } else {
                result.append(character)
                if character == "'" || character == "\"" { closing = character }
            }
        }
        if closing != nil { result.append("…") }
        return result
    }

    public var description: String {
        var place = file
        if let sheet { place += ", Blatt „\(sheet)“" }
        if let line { place += ", Zeile \(line)" }
        if let field { place += ", Feld \(field)" }
        return "\(place): \(message)"
    }
}
