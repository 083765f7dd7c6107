import Foundation
import Testing
@testable import Model
@testable import Engine

/// Broken files give their own error, naming the file, tensor and shapes; nothing traps. Synthetic safetensors are
/// written to a temporary directory; the model-level cases start from a copy of the `tiny` fixture.
@Suite("Malformed model input")
struct MalformedInputTests {
    /// A fresh temporary directory for one test.
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pz-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A safetensors file from a raw JSON header and data section.
    static func write(_ url: URL, header: String, data: Data) throws {
        var out = Data()
        var n = UInt64(header.utf8.count).littleEndian
        out.append(Data(bytes: &n, count: 8))
        out.append(Data(header.utf8))
        out.append(data)
        try out.write(to: url)
    }

    static func open(header: String, dataBytes: Int) throws -> SafeTensorsFile {
        let url = try tempDir().appendingPathComponent("t.safetensors")
        try write(url, header: header, data: Data(count: dataBytes))
        return try SafeTensorsFile(path: url.path)
    }

    static func error<E: Error>(_ type: E.Type, _ body: () throws -> Void) -> E? {
        do { try body() } catch let e as E { return e } catch { Issue.record("unexpected error \(error)") }
        return nil
    }

    // MARK: safetensors structure

    @Test func wellFormedSyntheticFileReads() throws {
        let f = try Self.open(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]}}"#, dataBytes: 12)
        #expect(f.tensors["b"]?.shape == [1, 2])
    }

    @Test func shorterThanTheLengthField() throws {
        let url = try Self.tempDir().appendingPathComponent("t.safetensors")
        try Data([1, 2, 3, 4, 5]).write(to: url)
        #expect(throws: SafeTensorsError.truncated(file: url.path, fileSize: 5)) { try SafeTensorsFile(path: url.path) }
    }

    @Test func headerLengthBeyondTheFile() throws {
        let url = try Self.tempDir().appendingPathComponent("t.safetensors")
        try Self.write(url, header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Data(count: 4))
        var bytes = try Data(contentsOf: url)
        bytes.replaceSubrange(0..<8, with: [0xff, 0xff, 0, 0, 0, 0, 0, 0])   // 65535 > file size
        try bytes.write(to: url)
        #expect(throws: SafeTensorsError.headerLengthBeyondFile(file: url.path, headerLength: 65535, fileSize: bytes.count)) {
            try SafeTensorsFile(path: url.path)
        }
    }

    @Test func offsetsOutOfRange() throws {
        let e = Self.error(SafeTensorsError.self) {
            _ = try Self.open(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)
        }
        guard case .offsetsOutOfRange(_, "a", 0, 16, 8) = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func overlappingTensors() throws {
        let e = Self.error(SafeTensorsError.self) {
            _ = try Self.open(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
        }
        guard case .overlapping(_, "b", "a") = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func gapBetweenTensorsAndUncoveredTail() throws {
        let gap = Self.error(SafeTensorsError.self) {
            _ = try Self.open(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, dataBytes: 12)
        }
        guard case .gap(_, "b", 8, 4) = gap else { Issue.record("got \(String(describing: gap))"); return }
        let tail = Self.error(SafeTensorsError.self) {
            _ = try Self.open(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 12)
        }
        guard case .dataNotCovered(_, 4, 12) = tail else { Issue.record("got \(String(describing: tail))"); return }
    }

    @Test func shapeTimesDTypeDisagreesWithOffsets() throws {
        let e = Self.error(SafeTensorsError.self) {
            _ = try Self.open(header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, dataBytes: 20)
        }
        guard case let .sizeMismatch(_, "w", shape, "F32", 24, 20) = e, shape == [2, 3] else {
            Issue.record("got \(String(describing: e))"); return
        }
    }

    @Test func unsupportedDType() throws {
        let e = Self.error(SafeTensorsError.self) {
            _ = try Self.open(header: #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, dataBytes: 16)
        }
        guard case .unsupportedDType(_, "ids", "I64") = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func headerIsNotJSON() throws {
        let e = Self.error(SafeTensorsError.self) { _ = try Self.open(header: "{not json", dataBytes: 0) }
        guard case .invalidHeader = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func entryMissingOffsets() throws {
        let e = Self.error(SafeTensorsError.self) { _ = try Self.open(header: #"{"a":{"dtype":"F32","shape":[1]}}"#, dataBytes: 4) }
        guard case .invalidEntry(_, "a", "data_offsets", _) = e else { Issue.record("got \(String(describing: e))"); return }
    }

    // MARK: fixture-derived cases

    /// A copy of the `tiny` fixture whose tensors pass through `edit` (name → (dtype, shape, bytes)).
    static func editedTiny(
        config: (String) -> String = { $0 },
        edit: (inout [String: (dtype: String, shape: [Int], bytes: Data)]) -> Void = { _ in }
    ) throws -> URL {
        let src = EngineFixtures.directory("tiny")
        let dst = try tempDir()
        let cfg = try String(contentsOf: src.appendingPathComponent("config.json"), encoding: .utf8)
        try config(cfg).write(to: dst.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let file = try SafeTensorsFile(path: src.appendingPathComponent("model.safetensors").path)
        let raw = try Data(contentsOf: src.appendingPathComponent("model.safetensors"))
        var tensors: [String: (dtype: String, shape: [Int], bytes: Data)] = [:]
        for (name, t) in file.tensors { tensors[name] = (t.dtype.rawValue, t.shape, raw[t.offset..<t.offset + t.byteCount]) }
        edit(&tensors)
        var entries: [String] = [], data = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            entries.append("\"\(name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":\(t.shape),\"data_offsets\":[\(data.count),\(data.count + t.bytes.count)]}")
            data.append(t.bytes)
        }
        try write(dst.appendingPathComponent("model.safetensors"), header: "{" + entries.joined(separator: ",") + "}", data: data)
        return dst
    }

    @Test(.enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
    func truncatedCopyOfAFixture() throws {
        let dir = try Self.tempDir()
        let raw = try Data(contentsOf: EngineFixtures.directory("tiny").appendingPathComponent("model.safetensors"))
        let url = dir.appendingPathComponent("model.safetensors")
        try raw.prefix(raw.count / 2).write(to: url)
        let e = Self.error(SafeTensorsError.self) { _ = try SafeTensorsFile(path: url.path) }
        guard case .offsetsOutOfRange = e else { Issue.record("got \(String(describing: e))"); return }
        try raw.prefix(100).write(to: url)   // inside the JSON header
        let h = Self.error(SafeTensorsError.self) { _ = try SafeTensorsFile(path: url.path) }
        guard case .headerLengthBeyondFile = h else { Issue.record("got \(String(describing: h))"); return }
    }

    @Test(.enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
    func missingTensor() throws {
        let dir = try Self.editedTiny(edit: { $0["model.layers.1.mlp.up_proj.weight"] = nil })
        let e = Self.error(WeightsError.self) { _ = try ModelWeights(directory: dir) }
        guard case .missingTensor("model.layers.1.mlp.up_proj.weight", _) = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test(.enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
    func wrongShape() throws {
        let dir = try Self.editedTiny(edit: { $0["model.layers.0.mlp.down_proj.weight"]!.shape = [176, 64] })
        let e = Self.error(WeightsError.self) { _ = try ModelWeights(directory: dir) }
        guard case let .shapeMismatch("model.layers.0.mlp.down_proj.weight", _, expected, found) = e,
              expected == [64, 176], found == [176, 64] else { Issue.record("got \(String(describing: e))"); return }
        #expect("\(e!)".contains("[176, 64]") && "\(e!)".contains("[64, 176]"))
    }

    @Test(.enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
    func unsupportedArchitecture() throws {
        let dir = try Self.editedTiny(config: {
            $0.replacingOccurrences(of: "LlamaForCausalLM", with: "MistralForCausalLM")
                .replacingOccurrences(of: "\"llama\"", with: "\"mistral\"")
        })
        let e = Self.error(ConfigError.self) { _ = try ModelWeights(directory: dir) }
        guard case let .unsupportedArchitecture(_, arch, "mistral") = e, arch == ["MistralForCausalLM"] else {
            Issue.record("got \(String(describing: e))"); return
        }
    }

    @Test(.enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
    func unsupportedRopeScaling() throws {
        let dir = try Self.editedTiny(config: { $0.replacingOccurrences(of: "\"rope_type\": \"default\"", with: "\"rope_type\": \"llama3\"") })
        let e = Self.error(ConfigError.self) { _ = try ModelWeights(directory: dir) }
        guard case .unsupportedValue(_, "rope_parameters.rope_type", "llama3", _) = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func directoryWithoutWeights() throws {
        let dir = try Self.tempDir()
        let e = Self.error(CheckpointError.self) { _ = try Checkpoint(directory: dir) }
        guard case .noWeights = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test(.enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
    func shardIndexPointsAtTheWrongShard() throws {
        let src = EngineFixtures.directory("sharded"), dir = try Self.tempDir()
        for f in try FileManager.default.contentsOfDirectory(atPath: src.path) where f.hasSuffix(".safetensors") {
            try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        let index = try String(contentsOf: src.appendingPathComponent("model.safetensors.index.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"lm_head.weight\": \"model-00003-of-00003.safetensors\"",
                                  with: "\"lm_head.weight\": \"model-00001-of-00003.safetensors\"")
        try index.write(to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        let e = Self.error(CheckpointError.self) { _ = try Checkpoint(directory: dir) }
        guard case .tensorNotInShard(_, "lm_head.weight", "model-00001-of-00003.safetensors") = e else {
            Issue.record("got \(String(describing: e))"); return
        }
    }

    @Test(.enabled(if: EngineFixtures.available, "../shared/fixtures/hf-llama is absent"))
    func tokenOutsideTheVocabulary() throws {
        let model = try ModelWeights(directory: EngineFixtures.directory("tiny"))
        let e = Self.error(WeightsError.self) {
            _ = try Perplexity.evaluate(model, tokens: [1, 2, 320, 4], seqlen: 4)
        }
        guard case .tokenOutOfRange(2, 320, 320) = e else { Issue.record("got \(String(describing: e))"); return }
    }
}
