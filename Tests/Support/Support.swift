import Foundation
import KlapptKit
import Logging

/// The package root, found from this file's path.
public let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The project's own pipeline file, loaded once.
public let standardPipeline: Pipeline = try! Pipeline.load(path: "\(repositoryRoot)/pipelines/quartal.yaml")

public func makeTemporaryDirectory(_ label: String = "klappt") -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public let quietLogger: Logger = {
    var logger = Logger(label: "klappt-test")
    logger.logLevel = .critical
    return logger
}()

/// A fixed test key (never a real one).
public let testKey: [UInt8] = Array(UInt8(0)...UInt8(31))

/// Runs the project's pipeline on other inputs, as `klappt run --source … --output-dir …` does.
public func runPipeline(
    jobcenter: String, berufskolleg: String, output: String, period: String = "2026-Q3",
    mode: QuarterlyRun.Mode = .run, adjust: (inout Pipeline) -> Void = { _ in }
) throws(KlapptError) -> RunOutcome {
    var pipeline = try standardPipeline.overriding(sources: ["jobcenter": jobcenter, "berufskolleg": berufskolleg], outputDirectory: output)
    adjust(&pipeline)
    let run = QuarterlyRun(pipeline: pipeline, period: Period(period)!, mode: mode, logger: quietLogger)
    return try run.execute(key: mode == .run ? testKey : nil)
}

/// Every file below `directory`, recursively.
public func filesBelow(_ directory: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: directory)
    var result: [String] = []
    while let next = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: "\(directory)/\(next)", isDirectory: &isDirectory)
        if !isDirectory.boolValue { result.append("\(directory)/\(next)") }
    }
    return result.sorted()
}
