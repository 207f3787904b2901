import Crypto
import Foundation

/// One roll-up for the Land (issue 22, `klappt land`), cron-safe like `klappt run`: the output
/// folder's lock, then the deliveries verified, then "bereits fertig" when the same deliveries were
/// rolled up already and the table is still the one written, else the joint protection, the table
/// (replaced atomically) and the Land store in one transaction.
public struct LandRun: Sendable {
    public var period: Period
    /// The delivery files.
    public var deliveries: [String]
    public var trustedKeys: String
    public var outputDirectory: String
    public var expected: [String]?
    public var minCell = 3
    public var timeLimit = 10.0

    public init(period: Period, deliveries: [String], trustedKeys: String, outputDirectory: String, expected: [String]? = nil) {
        self.period = period
        self.deliveries = deliveries
        self.trustedKeys = trustedKeys
        self.outputDirectory = outputDirectory
        self.expected = expected
    }

    public enum Outcome: Sendable {
        case published(table: String, protected: ProtectedTable, deliveries: [LandRollup.Verified])
        /// The same deliveries were rolled up at `since`; nothing was done.
        case unchanged(table: String, since: String, deliveries: [LandRollup.Verified])
    }

    public func execute() throws(KlapptError) -> Outcome {
        do { try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true) } catch {
            throw .outputNotWritable("\(outputDirectory): \(error)")
        }
        let lock = try RunLock(directory: outputDirectory)
        defer { withExtendedLifetime(lock) {} }
        let started = ISO8601DateFormatter().string(from: Date())
        let verified = try LandRollup.verify(files: deliveries, trustedKeys: trustedKeys, period: period, expected: expected)
        if let other = verified.first(where: { $0.delivery.tabellensystem.minCell != minCell }) {
            throw .usage("--min-cell \(minCell), die Kreise sperren mit min_cell \(other.delivery.tabellensystem.minCell): bitte denselben Wert angeben.")
        }
        let table = "\(outputDirectory)/land_indikatoren_\(period).csv"
        let store = try LandStore(directory: outputDirectory)
        let fingerprint = LandStore.fingerprint(verified, minCell: minCell)
        if let since = try store.finishedRun(period: period, fingerprint: fingerprint, table: table) {
            return .unchanged(table: table, since: since, deliveries: verified)
        }
        let protected = try LandRollup.protect(verified, minCell: minCell, timeLimit: timeLimit)
        let path = try LandRollup.publish(protected, period: period, directory: outputDirectory)
        guard let data = FileManager.default.contents(atPath: path) else { throw .outputNotWritable(path) }
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        try store.record(period: period, started: started, fingerprint: fingerprint, tableSHA256: digest, deliveries: verified, protected: protected)
        return .published(table: path, protected: protected, deliveries: verified)
    }
}
