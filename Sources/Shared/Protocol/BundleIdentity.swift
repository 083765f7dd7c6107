import Foundation

/// The identity a worker reports and the coordinator requires: the SHA-256 of the bundle's `manifest.json`.
///
/// The manifest records the model's and the data's content hashes, the windows and every calibration parameter,
/// and holds no timestamps or host names, so its hash names exactly what decides a fitness: two hosts holding the
/// same bundle (wherever it lives) agree, and any difference in what was calibrated is a different identity.
package enum BundleIdentity {
    package static func of(directory: URL) throws -> String {
        let manifest = directory.appendingPathComponent("manifest.json")
        guard let bytes = FileManager.default.contents(atPath: manifest.path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [
                NSFilePathErrorKey: manifest.path,
                NSLocalizedDescriptionKey: "\(manifest.path): missing (is \(directory.path) a calibrated bundle?)"])
        }
        return of(manifestBytes: bytes)
    }

    /// The identity of a manifest already read.
    package static func of(manifestBytes: Data) -> String { Digest.hex(Digest.sha256(manifestBytes)) }
}

/// Which held-out window sets a bundle holds, read from its manifest's keys (`test`, `validation`) without the
/// worker's manifest type: the coordinator decides from it where a search ranks its finalists.
package enum BundleWindowSets {
    package static func of(directory: URL) throws -> Set<WindowSet> {
        let object = try manifest(directory)
        var sets: Set<WindowSet> = [.cheap, .full]
        if object["test"] is [String: Any] { sets.insert(.test) }
        if object["validation"] is [String: Any] { sets.insert(.validation) }
        return sets
    }

    /// How many fitness windows the bundle holds (its manifest's `evaluation.windows`), or nil when the manifest
    /// does not say: the coordinator checks a search's screen size against it before any job is sent.
    package static func fitnessWindows(directory: URL) -> Int? {
        guard let evaluation = (try? manifest(directory))?["evaluation"] as? [String: Any] else { return nil }
        return evaluation["windows"] as? Int
    }

    /// The seeds of the bundle's further calibration draws (`calibrate --validation-seeds`), which its validation
    /// jobs prune with; empty when it has none (validation then prunes with the bundle's own G and X).
    package static func validationDrawSeeds(directory: URL) -> [Int] {
        guard let draws = (try? manifest(directory))?["validationDraws"] as? [[String: Any]] else { return [] }
        return draws.compactMap { ($0["calibration"] as? [String: Any])?["seed"] as? Int }
    }

    /// The manifest as a JSON object, or an error naming it.
    private static func manifest(_ directory: URL) throws -> [String: Any] {
        let manifest = directory.appendingPathComponent("manifest.json")
        guard let bytes = FileManager.default.contents(atPath: manifest.path),
              let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [
                NSFilePathErrorKey: manifest.path,
                NSLocalizedDescriptionKey: "\(manifest.path): missing or not a JSON object (is \(directory.path) a calibrated bundle?)"])
        }
        return object
    }
}
