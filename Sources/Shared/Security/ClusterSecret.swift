import Foundation

/// The cluster secret that authenticates every message: from `--secret-file PATH` (which must not be readable or
/// writable by group or others) or the environment variable `PRUNERZERO_SECRET`; never from the command line, where
/// every user of the host can read it in the process list. Surrounding whitespace (a trailing newline) is ignored.
package enum ClusterSecret {
    package static let environmentVariable = "PRUNERZERO_SECRET"

    package enum Failure: Error, CustomStringConvertible, Equatable {
        case unreadable(path: String, detail: String)
        case tooOpen(path: String, mode: Int)
        case tooShort(source: String, bytes: Int)

        package var description: String {
            switch self {
            case .unreadable(let path, let detail): return "cannot read the secret file \(path): \(detail)"
            case .tooOpen(let path, let mode):
                return "the secret file \(path) has mode \(String(mode, radix: 8)): group or others may read it; "
                    + "run `chmod 600 \(path)`"
            case .tooShort(let source, let bytes):
                return "the secret from \(source) has \(bytes) bytes; at least \(HMACAuthenticator.minimumSecretBytes) "
                    + "are needed (make one with `openssl rand -hex 32`)"
            }
        }
    }

    /// The secret from `file` if given, else from the environment; nil when neither is set.
    package static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(Failure) -> [UInt8]?
    {
        if let file {
            // The file a symbolic link points to is what must be private (a link's own mode is always 777).
            let target = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
            let attributes: [FileAttributeKey: Any]
            do { attributes = try FileManager.default.attributesOfItem(atPath: target) } catch {
                throw .unreadable(path: file, detail: "\(error.localizedDescription)")
            }
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            if mode & 0o077 != 0 { throw .tooOpen(path: file, mode: mode) }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw .unreadable(path: file, detail: "no permission, or not a regular file")
            }
            return try checked(Array(data), source: file)
        }
        if let value = environment[environmentVariable] {
            return try checked(Array(value.utf8), source: "$\(environmentVariable)")
        }
        return nil
    }

    /// The authenticator for a secret, or `Unauthenticated` without one.
    package static func authenticator(_ secret: [UInt8]?) -> MessageAuthenticator {
        secret.map { HMACAuthenticator(secret: $0) } ?? Unauthenticated()
    }

    private static func checked(_ raw: [UInt8], source: String) throws(Failure) -> [UInt8] {
        let space: Set<UInt8> = [9, 10, 13, 32]
        var bytes = ArraySlice(raw)
        while let last = bytes.last, space.contains(last) { bytes.removeLast() }
        while let first = bytes.first, space.contains(first) { bytes.removeFirst() }
        guard bytes.count >= HMACAuthenticator.minimumSecretBytes else { throw .tooShort(source: source, bytes: bytes.count) }
        return Array(bytes)
    }
}
