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
    }

    public var kind: Kind
    public var file: String
    public var line: Int?
    public var field: String?
    /// German explanation for the coordinator.
    public var message: String

    public init(_ kind: Kind, file: String, line: Int? = nil, field: String? = nil, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var place = file
        if let line { place += ", Zeile \(line)" }
        if let field { place += ", Feld \(field)" }
        return "\(place): \(message)"
    }
}
