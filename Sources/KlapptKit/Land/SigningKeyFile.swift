import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A district's Ed25519 signing key (issue 22): the private key in FILE (mode 0600, never sent),
/// the public key in FILE.pub, sent to the Land once, which trusts it for the district's deliveries.
///
/// Both are one line of text after a line naming what they are, so that a file mixed up with the
/// pseudonymisation key (64 hex characters) is refused rather than misread.
public enum SigningKeyFile {
    static let privateHeader = "klappt-signaturschluessel-privat-1"
    static let publicHeader = "klappt-signaturschluessel-oeffentlich-1"

    /// Makes a new key pair; refuses to overwrite either file. Returns the public file's path.
    @discardableResult
    public static func create(path: String) throws(KlapptError) -> String {
        let key = Curve25519.Signing.PrivateKey()
        let publicPath = path + ".pub"
        if FileManager.default.fileExists(atPath: publicPath) {
            throw .usage("„\(publicPath)“ existiert bereits; ein vorhandener Schlüssel wird nie überschrieben.")
        }
        try KeyFile.writeNew("\(privateHeader)\n\(key.rawRepresentation.base64EncodedString())\n", to: path, what: "Signaturschlüssel")
        try KeyFile.writeNew(
            "\(publicHeader)\n\(key.publicKey.rawRepresentation.base64EncodedString())\n", to: publicPath, what: "öffentlicher Schlüssel", mode: 0o644)
        return publicPath
    }

    /// The private key; refuses a file that group or others may read (77), or that is no signing key.
    public static func loadPrivate(path: String) throws(KlapptError) -> Curve25519.Signing.PrivateKey {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .key(.missing(path: path)) }
        if info.st_mode & 0o077 != 0 { throw .key(.readableByOthers(path: path, mode: String(info.st_mode & 0o777, radix: 8))) }
        guard let bytes = body(of: path, header: privateHeader), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else {
            throw .key(.notAKey(path: path))
        }
        return key
    }

    /// A trusted public key (`<Kreisschlüssel>.pub` in the Land's folder of trusted keys).
    public static func loadPublic(path: String) -> Curve25519.Signing.PublicKey? {
        body(of: path, header: publicHeader).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    static func body(of path: String, header: String) -> Data? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return nil }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count == 2, lines[0] == header else { return nil }
        return Data(base64Encoded: lines[1])
    }
}
