/// Why a calibrated bundle cannot be used. Every case names the file.
enum BundleError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case unreadableManifest(path: String, reason: String)
    case unknownFormat(path: String, format: String)
    case sizeMismatch(path: String, expected: Int, found: Int)
    case hashMismatch(path: String, expected: String, found: String)
    case missingTensor(path: String, tensor: String)
    case wrongShape(path: String, tensor: String, expected: [Int], found: [Int])
    case windowsMismatch(path: String, expected: Int, found: Int)
    case alreadyExists(path: String)

    var description: String {
        switch self {
        case let .missingFile(path): "\(path): missing"
        case let .unreadableManifest(path, reason): "\(path): not a bundle manifest: \(reason)"
        case let .unknownFormat(path, format):
            "\(path): format '\(format)' is not '\(BundleManifest.currentFormat)' (made by another version?)"
        case let .sizeMismatch(path, expected, found): "\(path): \(found) bytes, the manifest says \(expected) (truncated or replaced?)"
        case let .hashMismatch(path, expected, found): "\(path): SHA-256 \(found), the manifest says \(expected) (corrupt or replaced)"
        case let .missingTensor(path, tensor): "\(path): no tensor \(tensor)"
        case let .wrongShape(path, tensor, expected, found): "\(path): tensor \(tensor) has shape \(found), the model implies \(expected)"
        case let .windowsMismatch(path, expected, found): "\(path): \(found) tokens, the manifest implies \(expected)"
        case let .alreadyExists(path): "\(path) already exists (remove it or choose another --out)"
        }
    }
}
