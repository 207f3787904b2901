/// A per-row step of the pipeline on one row: validation (`RawRow` → `CleanRecord`), then
/// pseudonymisation (`CleanRecord` → `PseudoRecord`). A rejection is a value put into the context,
/// never thrown (ARCHITECTURE: data problems are values); the stage then returns nil.
///
/// Stages compose with `then`, into a concrete generic type (`Stages.Chain`) that the compiler
/// specialises and inlines for the concrete stages, so a chain costs what its stages cost:
///
/// ```swift
/// var stages = RecordValidation(source: spec, role: role, codeLists: lists, nationalityBreakdown: breakdown)
///     .then(Pseudonymisation(pseudonymizer: key, period: period, sourceID: spec.id, role: role))
/// var context = RowContext()
/// let record = stages.process(row, context: &context)   // nil: context.rejection says why
/// ```
public protocol RowStage<Input, Output> {
    associatedtype Input
    associatedtype Output
    /// Processes one row; nil when the row ends here (a rejection in `context`).
    mutating func process(_ input: Input, context: inout RowContext) -> Output?
}

/// What a row leaves besides its output: its rejection, and the warnings its values raised.
public struct RowContext: Sendable {
    public var rejection: Rejection?
    public var warnings = RowWarnings()

    public init() {}

    /// Forgets the row's rejection and warnings (the context is reused for the next row).
    public mutating func reset() {
        rejection = nil
        if !warnings.isEmpty { warnings.removeAll() }
    }
}

extension RowStage {
    /// This stage, then `next` on its output.
    @inlinable
    public func then<Next: RowStage>(_ next: Next) -> Stages.Chain<Self, Next> where Next.Input == Output {
        Stages.Chain(first: self, second: next)
    }
}

/// The concrete stage types (a namespace, as swift-parsing's `Parsers`).
public enum Stages {
    /// Two stages, one after the other.
    public struct Chain<First: RowStage, Second: RowStage>: RowStage where First.Output == Second.Input {
        public var first: First
        public var second: Second

        @inlinable
        public init(first: First, second: Second) {
            self.first = first
            self.second = second
        }

        @inlinable
        public mutating func process(_ input: First.Input, context: inout RowContext) -> Second.Output? {
            guard let middle = first.process(input, context: &context) else { return nil }
            return second.process(middle, context: &context)
        }
    }
}

extension Stages.Chain: Sendable where First: Sendable, Second: Sendable {}
