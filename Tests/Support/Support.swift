import Foundation
import KlapptKit
import KlapptSamples
import Logging

/// The package root, found from this file's path.
public let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The project's own pipeline file, loaded once, with SPEC 4.1's exact linkage: the tests that
/// compare figures with a worked-out or generated truth of identical spellings check the rules of
/// SPEC 4, which the exact method follows to the letter. Probabilistic linkage (the pipeline file's
/// own) has its tests in `ProbabilisticLinkageTests` and `LinkageEndToEndTests`.
public let standardPipeline: Pipeline = {
    var pipeline = try! Pipeline.load(path: "\(repositoryRoot)/pipelines/quartal.yaml")
    pipeline.linkage = .exact
    return pipeline
}()

/// The project's pipeline file as it is (probabilistic linkage).
public let probabilisticPipeline: Pipeline = try! Pipeline.load(path: "\(repositoryRoot)/pipelines/quartal.yaml")

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
/// The project's pipeline on other inputs; without `register` its register source is left out.
public func testPipeline(jobcenter: String, berufskolleg: String, register: String? = nil, output: String) throws(KlapptError) -> Pipeline {
    var globs = ["jobcenter": jobcenter, "berufskolleg": berufskolleg]
    if let register { globs["auslaenderbehoerde"] = register }
    var pipeline = try standardPipeline.overriding(sources: globs, outputDirectory: output)
    if register == nil { pipeline.sources.removeAll { $0.id == "auslaenderbehoerde" } }
    return pipeline
}

/// The outcome of a run that did work (a run with nothing to do throws). Without `register`, the
/// pipeline's register source is left out (a pipeline without one, SPEC 2.5 is optional).
public func runPipeline(
    jobcenter: String, berufskolleg: String, register: String? = nil, output: String, period: String = "2026-Q3",
    mode: QuarterlyRun.Mode = .run, sliceBytes: Int = QuarterlyRun.defaultSliceBytes, adjust: (inout Pipeline) -> Void = { _ in }
) throws(KlapptError) -> RunOutcome {
    var pipeline = try testPipeline(jobcenter: jobcenter, berufskolleg: berufskolleg, register: register, output: output)
    adjust(&pipeline)
    var run = QuarterlyRun(pipeline: pipeline, period: Period(period)!, mode: mode, logger: quietLogger)
    run.sliceBytes = sliceBytes
    let result = try run.execute(key: mode == .run ? testKey : nil)
    guard let outcome = result.outcome else { throw .internalError("unverändert seit \(result.unchangedSince ?? "?")") }
    return outcome
}

/// Every file below `directory`, recursively.
public func filesBelow(_ directory: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: directory)
    var result: [String] = []
    while let next = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: "\(directory)/\(next)", isDirectory: &isDirectory)
        if !isDirectory.boolValue { result.append("\(directory)/\(next)") }
    }
    return result.sorted()
}

/// The `klappt` executable that `swift test` built next to the test bundle.
public let klapptBinary: String = {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("klappt").path,
        "\(repositoryRoot)/.build/debug/klappt",
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}()

/// The result of running the executable.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Starts `klappt` with `arguments`; the caller waits or kills.
public func startKlappt(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: klapptBinary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "KLAPPT_KEY_FILE")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
}

/// Runs `klappt` to the end.
public func runKlappt(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let (process, out, err) = try startKlappt(arguments, environment: environment)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

/// Writes a private key file for command-line tests.
public func writeTestKey(in directory: String) -> String {
    let path = "\(directory)/test.key"
    _ = FileManager.default.createFile(
        atPath: path, contents: Data((testKey.map { String(format: "%02x", $0) }.joined() + "\n").utf8), attributes: [.posixPermissions: 0o600])
    return path
}

/// `pipelines/quartal.yaml` without its register source (a copy of `pipelines/` in a temporary
/// folder), for command-line tests whose inputs have no register.
public let pipelineWithoutRegister: String = {
    let copy = "\(makeTemporaryDirectory("klappt-ohne-register"))/pipelines"
    try! FileManager.default.copyItem(atPath: "\(repositoryRoot)/pipelines", toPath: copy)
    let file = "\(copy)/quartal.yaml"
    let text = try! String(contentsOfFile: file, encoding: .utf8)
    let start = text.range(of: "  # Register der Ausländerbehörde")!.lowerBound
    let end = text.range(of: "  - id: jobcenter")!.lowerBound
    try! (String(text[..<start]) + String(text[end...])).write(toFile: file, atomically: true, encoding: .utf8)
    return file
}()

/// The setup of the end-to-end suites that run the binary: a temporary folder with a test key and a
/// generated quarter under `in/`, and the globs of its three sources.
public struct GeneratedQuarter: Sendable {
    public let directory: String
    public let key: String

    public init(_ label: String, persons: Int, seed: UInt64, period: String = "2026-Q3") throws {
        directory = makeTemporaryDirectory(label)
        key = writeTestKey(in: directory)
        try SampleGenerator(persons: persons, seed: seed, period: Period(period)!).write(to: "\(directory)/in")
    }

    public var register: String { "\(directory)/in/auslaenderbehoerde/*.csv" }
    public var jobcenter: String { "\(directory)/in/jobcenter/*.csv" }
    public var college: String { "\(directory)/in/berufskolleg/*.xml" }
}
