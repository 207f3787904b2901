import Logging

/// What stages share while a batch flows through them: the rejections they found, warnings for the
/// run report and the logger. Bad rows become values here; only run-fatal problems throw.
public struct StageContext: Sendable {
    public var rejections: [Rejection] = []
    /// Warning kind -> value -> count (e.g. unknown residence texts). No personal data.
    public var warnings: [String: [String: Int]] = [:]
    public var logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public mutating func warn(_ kind: String, _ value: String) {
        warnings[kind, default: [:]][value, default: 0] += 1
    }
}

/// A step of the pipeline that turns batches of one type into batches of another.
///
/// Stages are small value types; `then` composes two into one, so the chain from raw rows to
/// pseudonymised records is a single typed value that the runner drives batch by batch:
///
/// ```swift
/// var chain = RecordValidation(...).then(Pseudonymisation(...))
/// let records = try chain.process(rows, in: &context)
/// ```
public protocol Stage<Input, Output>: Sendable {
    associatedtype Input: Sendable
    associatedtype Output: Sendable

    /// Processes one batch. Bad rows become `Rejection`s in the context.
    mutating func process(_ batch: Input, in context: inout StageContext) throws -> Output
}

extension Stage {
    /// This stage followed by `next`.
    public func then<Next: Stage>(_ next: Next) -> Stages.Chain<Self, Next> where Next.Input == Output {
        Stages.Chain(first: self, second: next)
    }
}

/// Namespace of stage combinators.
public enum Stages {
    /// Two stages run one after the other.
    public struct Chain<First: Stage, Second: Stage>: Stage where First.Output == Second.Input {
        public var first: First
        public var second: Second

        public mutating func process(_ batch: First.Input, in context: inout StageContext) throws -> Second.Output {
            try second.process(try first.process(batch, in: &context), in: &context)
        }
    }
}
