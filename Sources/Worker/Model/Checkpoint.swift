// Checkpoint: the safetensors files of one model directory, as one name → tensor lookup.
//
// A directory holds either `model.safetensors` or shards listed by `model.safetensors.index.json`
// (`{"weight_map": {tensor: file}}`), as transformers' `save_pretrained` writes them. The index is trusted for
// which file holds which tensor, and checked: every file it names must exist and hold the tensors mapped to it.
// It does not know model shapes; Weights checks those against the config.
import Foundation

/// Why a model directory's weights cannot be opened.
enum CheckpointError: Error, CustomStringConvertible {
    case noWeights(directory: String)
    case invalidIndex(file: String, reason: String)
    case tensorNotInShard(index: String, tensor: String, shard: String)

    var description: String {
        switch self {
        case let .noWeights(directory):
            "\(directory): neither model.safetensors nor model.safetensors.index.json is present"
        case let .invalidIndex(file, reason): "\(file): invalid shard index: \(reason)"
        case let .tensorNotInShard(index, tensor, shard):
            "\(index): maps tensor \(tensor) to \(shard), which does not contain it"
        }
    }
}

/// The model's tensors across one or several memory-mapped safetensors files.
final class Checkpoint {
    let directory: URL
    let files: [SafeTensorsFile]
    /// tensor name → index into `files`.
    private let location: [String: Int]

    static let singleFile = "model.safetensors"
    static let indexFile = "model.safetensors.index.json"

    init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let index = directory.appendingPathComponent(Self.indexFile)
        let single = directory.appendingPathComponent(Self.singleFile)
        if fm.fileExists(atPath: index.path) {
            let weightMap = try Self.readIndex(index)
            let shardNames = Array(Set(weightMap.values)).sorted()
            var files: [SafeTensorsFile] = []
            for shard in shardNames {
                guard !shard.contains("/") else {
                    throw CheckpointError.invalidIndex(file: index.path, reason: "shard name \(shard) is not a plain file name")
                }
                files.append(try SafeTensorsFile(path: directory.appendingPathComponent(shard).path))
            }
            var location: [String: Int] = [:]
            for (tensor, shard) in weightMap {
                let i = shardNames.firstIndex(of: shard)!
                guard files[i].tensors[tensor] != nil else {
                    throw CheckpointError.tensorNotInShard(index: index.path, tensor: tensor, shard: shard)
                }
                location[tensor] = i
            }
            self.files = files
            self.location = location
        } else if fm.fileExists(atPath: single.path) {
            let file = try SafeTensorsFile(path: single.path)
            files = [file]
            location = Dictionary(uniqueKeysWithValues: file.tensors.keys.map { ($0, 0) })
        } else {
            throw CheckpointError.noWeights(directory: directory.path)
        }
    }

    /// The file holding `name`, or nil when the checkpoint lacks it.
    func file(of name: String) -> SafeTensorsFile? { location[name].map { files[$0] } }

    func info(_ name: String) -> TensorInfo? { file(of: name)?.tensors[name] }

    /// Where a tensor was looked for, for error messages.
    var describedFiles: String { files.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ") }

    private static func readIndex(_ index: URL) throws -> [String: String] {
        struct Index: Decodable { let weight_map: [String: String] }
        do {
            return try JSONDecoder().decode(Index.self, from: Data(contentsOf: index)).weight_map
        } catch {
            throw CheckpointError.invalidIndex(file: index.path, reason: "\(error)")
        }
    }
}
