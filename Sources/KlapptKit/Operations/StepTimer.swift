import Logging

/// Logs how long each step of a run took (`klappt run -v`), for finding where time goes.
struct StepTimer {
    let logger: Logger
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant

    init(logger: Logger) {
        self.logger = logger
        last = clock.now
    }

    mutating func done(_ step: String) {
        let now = clock.now
        let elapsed = now - last
        last = now
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        logger.info("Schritt fertig", metadata: ["schritt": "\(step)", "dauer_ms": "\(milliseconds)"])
    }
}
