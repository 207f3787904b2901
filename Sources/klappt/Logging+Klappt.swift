import ArgumentParser
import Foundation
import KlapptKit
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// How log lines look: text for people at a terminal, one JSON object per line for cron and log
/// shippers. Log lines carry paths, counts and codes only, never a value from an input row.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// A swift-log handler that writes one JSON object per line to standard error.
struct JSONLineLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "zeit": ISO8601DateFormatter().string(from: Date()), "stufe": event.level.rawValue, "meldung": event.message.description, "quelle": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[key] = value.description }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}

/// Logging and terminal output for one command.
struct Console {
    let format: LogFormat
    let logger: Logger
    /// Standard error is a terminal: progress lines are allowed (never in cron).
    let interactive: Bool

    init(format: LogFormat, verbose: Bool) {
        self.format = format
        interactive = isatty(STDERR_FILENO) == 1 && format == .text
        let level: Logger.Level = verbose ? .info : (format == .json ? .notice : .warning)
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLineLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        logger = Logger(label: "klappt")
    }

    /// Reports the error the way the format asks for and returns its exit code (SPEC 8).
    func fail(_ error: Error) -> ExitCode {
        let code = (error as? KlapptErrorCode)?.exitCode ?? 70
        let text = "\(error)"
        if case .inputFormat(let format)? = error as? KlapptError, let detail = format.redactedTechnicalDetail {
            // The parser's own words, for whoever debugs with --verbose; the user's sentence has none.
            logger.info("Angabe des Parsers", metadata: ["datei": "\(format.file)", "parser": "\(detail)"])
        }
        if format == .json {
            logger.error("\(text)", metadata: ["exit": "\(code)"])
        } else {
            FileHandle.standardError.write(Data("klappt: \(text)\n".utf8))
        }
        return ExitCode(code)
    }

    /// A progress line on the terminal, at most five times a second.
    func progressReporter() -> (@Sendable (String, Int, Int) -> Void)? {
        guard interactive else { return nil }
        let state = ProgressState()
        return { file, bytes, size in state.update(file: file, bytes: bytes, size: size) }
    }
}

/// Throttles and draws the progress line.
final class ProgressState: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast
    private var fileStart = Date()
    private var currentFile = ""

    func update(file: String, bytes: Int, size: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        if file != currentFile {
            currentFile = file
            fileStart = now
        }
        guard now.timeIntervalSince(last) >= 0.2 || bytes >= size else { return }
        last = now
        let seconds = max(now.timeIntervalSince(fileStart), 0.001)
        let megabytes = Double(bytes) / 1_000_000
        let percent = size > 0 ? min(100, bytes * 100 / size) : 100
        let line = String(
            format: "\r\u{1B}[2KLese %@: %d %% (%.1f MB, %.0f MB/s)", URL(fileURLWithPath: file).lastPathComponent, percent, megabytes, megabytes / seconds)
        FileHandle.standardError.write(Data(line.utf8))
        if bytes >= size { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}

/// Errors that carry a sysexits code.
protocol KlapptErrorCode {
    var exitCode: Int32 { get }
}
