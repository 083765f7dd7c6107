import Foundation
import Testing
@testable import Model
@testable import Engine

@Suite struct SafeTensorsWriterTests {
    @Test func writtenFilesReadBack() throws {
        var writer = SafeTensorsWriter()
        writer.add("a", float32: [1, -2.5, 3, 4, 5, 6], shape: [2, 3])
        writer.add("b", float16: [0.1, 65504, -1e-8], shape: [3])
        writer.add("mask", uint8: [0, 1, 1, 0], shape: [2, 2])
        writer.metadata = ["format": "pt"]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)

        let file = try SafeTensorsFile(path: url.path)
        #expect(try file.float32("a") == [1, -2.5, 3, 4, 5, 6])
        #expect(try file.info("a").shape == [2, 3])
        #expect(try file.float32("b") == [Float(Float16(0.1)), 65504, Float(Float16(-1e-8))])
        #expect(try file.info("mask").dtype == .u8)
        #expect(try file.float32("mask") == [0, 1, 1, 0])
        // The header is padded to 8 bytes, as the reference writer pads it.
        let data = try Data(contentsOf: url)
        #expect(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } % 8 == 0)
    }
}
