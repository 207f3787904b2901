/// How records are linked into persons, as the pipeline file (`linkage:`) or the command line
/// (`--linkage`) names it, and as the store's ledger records it for every quarter (handbook,
/// section 8): a quarter linked one way is never compared with one linked another way (the
/// transitions of SPEC 10 need the same persons in both quarters).
///
/// `exact` is SPEC 4.1's rule: records with the same pseudonym of phonetic codes and birth date are
/// one person. `probabilistic` is SPEC 4.1 v3's (`ProbabilisticLinker`; handbook, section 8a).
public struct LinkageMethod: Sendable, Equatable, CustomStringConvertible {
    /// The name in the pipeline file and on the command line.
    public let name: String
    /// The version of the method's rules: a change that can link records differently is a new
    /// version, and the ledger then treats the quarters apart.
    public let version: Int

    public static let exact = LinkageMethod(name: "exact", version: 1)
    public static let probabilistic = LinkageMethod(name: "probabilistic", version: 1)

    /// The methods this klappt has.
    public static let available: [LinkageMethod] = [.exact, .probabilistic]

    /// What the ledger keeps (`runs.verknuepfung`): `exact/1`.
    public var ledgerValue: String { "\(name)/\(version)" }

    public var description: String { ledgerValue }

    /// The method named `name`, or the German reason why there is none.
    public static func named(_ name: String) -> Result<LinkageMethod, LinkageMethodError> {
        if let method = available.first(where: { $0.name == name.lowercased() }) { return .success(method) }
        return .failure(
            LinkageMethodError(message: "Unbekannte Verknüpfung „\(name)“ (vorhanden: \(available.map(\.name).joined(separator: ", ")))."))
    }
}

/// Why a linkage method cannot be used (German, for the coordinator).
public struct LinkageMethodError: Error, Sendable {
    public var message: String
}
