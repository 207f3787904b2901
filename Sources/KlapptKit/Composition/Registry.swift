/// Every conforming type klappt knows, by the name the pipeline file gives it: source roles
/// (`role:`), formats (`format:`), indicator families (`indicators:`) and outputs (`outputs:`).
///
/// The one place that names them: a new role, format, indicator family or output is a new type and
/// one line in `standard`. A pipeline file that names something unknown fails at load with its line
/// (exit 64). Tests and other programs can add their own types to a copy:
///
/// ```swift
/// var registry = Registry.standard
/// registry.register(role: ToyRole.self)
/// let pipeline = try Pipeline.load(path: file, registry: registry)
/// ```
public struct Registry: Sendable {
    public private(set) var roles: [String: any SourceSemantics.Type] = [:]
    /// Per role: the maker of its sources' readers, specialised for the role (see `register(role:)`).
    public private(set) var readerMakers: [String: SourceReader.Maker] = [:]
    public private(set) var formats: [String: any SourceFormat.Type] = [:]
    public private(set) var indicatorFamilies: [String: any IndicatorFamily] = [:]
    /// Indicator families in the order the published table lists them when the pipeline file does
    /// not choose (`indicators:` absent).
    public private(set) var defaultIndicators: [String] = []
    public private(set) var sinks: [String: any PeriodSink] = [:]
    /// Outputs written when the pipeline file does not choose (`outputs:` absent).
    public private(set) var defaultOutputs: [String] = []

    public init() {}

    /// What klappt ships.
    public static let standard: Registry = {
        var registry = Registry()
        registry.register(role: JobcenterRole.self)
        registry.register(role: CollegeRole.self)
        registry.register(role: RegisterRole.self)
        registry.register(format: CSVFormat.self)
        registry.register(format: XMLFormat.self)
        registry.register(format: XLSXFormat.self)
        registry.register(indicators: TargetGroupFamily(), byDefault: true)
        registry.register(indicators: StockFamily(), byDefault: true)
        registry.register(indicators: FlowFamily(), byDefault: true)
        registry.register(sink: IndicatorTableSink(), byDefault: true)
        registry.register(sink: TransitionTableSink(), byDefault: true)
        registry.register(sink: RunReportSink(), byDefault: true)
        registry.register(sink: WorkbookSink(), byDefault: true)
        registry.register(sink: ReportPageSink(), byDefault: true)
        return registry
    }()

    /// Registers a role. Generic on purpose: called with the concrete type, the maker of its sources'
    /// readers is specialised for it, so the per-row loop never goes through an existential.
    public mutating func register<Role: SourceSemantics>(role: Role.Type) {
        roles[Role.role] = Role.self
        // (Untyped `throws`: a typed-throws closure in a generic function crashes swiftc 6.3.1's SILGen.)
        readerMakers[Role.role] = { source, codeLists, breakdown, pseudonymizer, period in
            try SourceReader.make(
                source: source, roleType: Role.self, codeLists: codeLists, nationalityBreakdown: breakdown, pseudonymizer: pseudonymizer, period: period)
        }
    }
    public mutating func register(format: any SourceFormat.Type) { formats[format.name] = format }

    public mutating func register(indicators family: any IndicatorFamily, byDefault: Bool = false) {
        indicatorFamilies[family.name] = family
        if byDefault, !defaultIndicators.contains(family.name) { defaultIndicators.append(family.name) }
    }

    public mutating func register(sink: any PeriodSink, byDefault: Bool = false) {
        sinks[sink.kind] = sink
        if byDefault, !defaultOutputs.contains(sink.kind) { defaultOutputs.append(sink.kind) }
    }
}
