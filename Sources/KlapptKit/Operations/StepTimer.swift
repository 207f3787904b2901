import Foundation
import Logging

/// Logs how long each step of a run took and the process's memory at its end and at its highest so
/// far (`klappt run -v`), for finding where time and memory go.
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
        let memory = StepTimer.memory()
        logger.info(
            "Schritt fertig",
            metadata: ["schritt": "\(step)", "dauer_ms": "\(milliseconds)", "rss_mb": "\(memory.current)", "spitze_mb": "\(memory.peak)"])
    }

    /// Resident memory now and at its highest (VmRSS, VmHWM of /proc/self/status), in MB; 0 where
    /// the system has no such file.
    static func memory() -> (current: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func value(_ key: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0) / 1024
        }
        return (value("VmRSS:"), value("VmHWM:"))
    }
}
