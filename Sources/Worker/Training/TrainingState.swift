// TrainingState: the resumable checkpoint of a run: weights, AdamW moments, the step, and what else the loop needs
// to continue exactly (tokens seen, best validation loss, elapsed time), in one safetensors file.
//
// Tensors are `param.<name>`, `adam_m.<name>`, `adam_v.<name>` in Float32; the counters travel as a U8 tensor
// `trainer_state` holding their JSON. The file is written beside its destination and renamed (SafeTensorsWriter),
// so a run killed mid-write keeps its previous checkpoint. The data order needs no generator state: step s's
// windows come from SplitMix64(seed, s) (Shared's SeededRandom.swift).
import Engine
import Foundation
import Model

package struct TrainingState {
    package struct Counters: Codable, Equatable {
        package var step: Int
        package var tokens: Int
        package var seconds: Double
        package var bestValidationLoss: Double?
        package var seed: UInt64

        package enum CodingKeys: String, CodingKey {
            case step, tokens, seconds, seed
            case bestValidationLoss = "best_validation_loss"
        }
    }

    package var parameters: LlamaParameters
    package var optimizer: AdamW
    package var counters: Counters

    package static let fileName = "checkpoint.safetensors"

    package func write(to url: URL) throws {
        var writer = SafeTensorsWriter()
        let c = parameters.config
        for t in parameters.tensors {
            writer.add("param.\(t.name)", float32: parameters[t], shape: t.shape(c))
            writer.add("adam_m.\(t.name)", float32: optimizer.m[t], shape: t.shape(c))
            writer.add("adam_v.\(t.name)", float32: optimizer.v[t], shape: t.shape(c))
        }
        let json = [UInt8](try JSONEncoder().encode(counters))
        writer.add("trainer_state", uint8: json, shape: [json.count])
        try writer.write(to: url)
    }

    /// Reads a checkpoint written by `write` for a model of `config`, into an optimizer configured like `optimizer`.
    package static func read(_ url: URL, config: LlamaConfig, optimizer: AdamW) throws -> TrainingState {
        let file = try SafeTensorsFile(path: url.path)
        var p = LlamaParameters(zeros: config)
        var opt = optimizer
        for t in p.tensors {
            for (prefix, target) in [("param", 0), ("adam_m", 1), ("adam_v", 2)] {
                let name = "\(prefix).\(t.name)"
                let info = try file.info(name)
                guard info.shape == t.shape(config) else {
                    throw WeightsError.shapeMismatch(tensor: name, file: url.path, expected: t.shape(config), found: info.shape)
                }
                let values = try file.float32(name)
                switch target {
                case 0: p[t] = values
                case 1: opt.m[t] = values
                default: opt.v[t] = values
                }
            }
        }
        let bytes = try file.float32("trainer_state").map { UInt8($0) }
        let counters = try JSONDecoder().decode(Counters.self, from: Data(bytes))
        return TrainingState(parameters: p, optimizer: opt, counters: counters)
    }
}
