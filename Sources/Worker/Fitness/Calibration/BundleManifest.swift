import Foundation
import Shared

/// The manifest of a calibrated bundle: what was calibrated, from what, how — everything that decides a fitness.
///
/// It holds no timestamps or host names, so calibrating the same model on the same data with the same parameters
/// writes the same bytes; the SHA-256 of those bytes is the bundle's **identity**. Two workers with the same identity
/// compute the same fitness for the same request; the coordinator refuses a worker whose identity differs.
package struct BundleManifest: Codable, Equatable {
    package static let currentFormat = "prunerzero-bundle/1"

    /// A file's size and content hash.
    package struct FileDigest: Codable, Equatable {
        package var bytes: Int
        package var sha256: String

        package static func of(_ url: URL) throws -> FileDigest {
            let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
            return FileDigest(bytes: size, sha256: Digest.hex(try Digest.sha256(fileAt: url)))
        }
    }

    /// Where windows were cut from and which ones.
    package struct WindowRecord: Codable, Equatable {
        /// The corpus file as given on the command line, and its content hash.
        package var source: String
        package var sourceSHA256: String
        /// Window count and start offsets in the tokenized stream.
        package var windows: Int
        package var offsets: [Int]
        /// The seed the offsets were drawn with (Python's random, as the reference), or nil when given explicitly.
        package var seed: Int?
        /// The bundle file holding the windows' tokens, (windows, seqlen) uint32 little-endian.
        package var file: String
    }

    /// A calibration of the same model on other windows of the calibration corpus, drawn with another seed: its
    /// windows and its own G and X. Validation jobs prune with each draw's statistics, not the bundle's, so a
    /// metric chosen on them has not been chosen on the calibration draw the search fitted (a searched metric can
    /// fit that draw: issue 14's 60% search won by 6.8% on it and by 0.7% on others).
    package struct CalibrationDraw: Codable, Equatable {
        /// The draw's windows; `file` is its token file inside the bundle (`draws/seed-S/calibration.bin`).
        package var calibration: WindowRecord
        /// Its G and dense X, as the bundle's own (`draws/seed-S/gradients.safetensors`, `…/activations.safetensors`).
        package var gradients: String
        package var activations: String

        /// Where the draw of `seed` lives inside a bundle.
        package static func directory(seed: Int) -> String { "draws/seed-\(seed)" }
    }

    package var format = Self.currentFormat
    /// The model directory as given (a hint: workers may pass their own path, checked against `modelFiles`).
    package var modelDirectory: String
    /// config.json, tokenizer.json (when present), the safetensors index and shards.
    package var modelFiles: [String: FileDigest]
    package var seqlen: Int
    package var calibration: WindowRecord
    package var evaluation: WindowRecord
    package var test: WindowRecord?
    /// Held-out windows the search ranks its finalists on, disjoint from the fitness and test windows (see
    /// `calibrate --validation-windows`). Absent from bundles made before it existed: nil keeps their manifests,
    /// and so their identities, byte for byte (an absent optional is not encoded).
    package var validation: WindowRecord?
    /// Other calibrations of the same model the search ranks its finalists with (`calibrate --validation-seeds`):
    /// absent (nil, not encoded) in bundles without them, whose identities stay as they were.
    package var validationDraws: [CalibrationDraw]?
    /// How G was made: G = sqrt(Σ_windows (scale·∂L/∂W)²) over the calibration windows, stored as `gradientDType`.
    package var gradientScale: Double = 100
    package var gradientDType: String = "F32"
    /// The bundle's own files (gradients.safetensors, activations.safetensors, the window token files).
    package var files: [String: FileDigest]

    /// The manifest's canonical bytes: sorted keys, pretty printed, so equal manifests are equal files.
    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// SHA-256 of the canonical bytes, in hex.
    package func identity() throws -> String { Digest.hex(Digest.sha256(try encoded())) }
}
