import Testing
@testable import Shared

/// Version 3's fitness-request fields: the layer sparsity (uniform | OWL's M and λ) and the method (a metric, or a
/// reference baseline), appended after the window set; every refusal says at which byte.
@Suite struct ProtocolLayerSparsityTests {
    /// A job whose fitness request is `request`, encoded; `layers` is the offset of its layer-sparsity tag.
    static func encoded(_ request: FitnessRequest) -> (bytes: [UInt8], layers: Int) {
        let text = "W"
        let bytes = Envelope.encode(.job(Job(jobID: 1, metricText: text, request: request, leaseSeconds: 9)))
        let sparsity = { if case .unstructured = request.sparsity { 9 } else { 3 } }()
        return (bytes, 12 + 8 + 4 + text.utf8.count + sparsity + 2)
    }

    static func refusal(_ bytes: [UInt8]) throws -> ProtocolError {
        try #require(throws: ProtocolError.self) { try Envelope.decode(bytes) }
    }

    @Test func newFieldsRoundTrip() throws {
        for request in [
            FitnessRequest(sparsity: .unstructured(ratio: 0.7), windows: .full, layerSparsity: .owl(m: 7, lambda: 0.1)),
            FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .test, layerSparsity: .owl(m: 5, lambda: 0.08),
                           method: .sparsegpt),
            FitnessRequest(sparsity: .nOfM(n: 2, m: 4), windows: .cheap, method: .sparsegpt),
            FitnessRequest(sparsity: .unstructured(ratio: 0), xMode: .static, windows: .cheap),
        ] {
            guard case .job(let job) = try Envelope.decode(Self.encoded(request).bytes) else {
                Issue.record("not a job"); continue
            }
            #expect(job.request == request)
        }
    }

    @Test func badOWLParametersAreRefusedAtTheirByte() throws {
        let (bytes, layers) = Self.encoded(FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .full,
                                                          layerSparsity: .owl(m: 5, lambda: 0.08)))
        func withF64(_ value: Double, at offset: Int) -> [UInt8] {
            var copy = bytes
            var bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { for (i, b) in $0.enumerated() { copy[offset + i] = b } }
            return copy
        }
        // The envelope's byte order is little-endian (WireWriter); a re-encoded copy proves the layout assumed here.
        #expect(withF64(5, at: layers + 1) == bytes)
        #expect(try Self.refusal(withF64(0, at: layers + 1)).offset == layers + 1)           // M = 0
        #expect(try Self.refusal(withF64(-3, at: layers + 1)).offset == layers + 1)          // M < 0
        #expect(try Self.refusal(withF64(.infinity, at: layers + 1)).offset == layers + 1)   // M not finite
        #expect(try Self.refusal(withF64(0.6, at: layers + 9)).offset == layers + 9)         // λ > 0.5
        #expect(try Self.refusal(withF64(-0.01, at: layers + 9)).offset == layers + 9)       // λ < 0
        var unknown = bytes; unknown[layers] = 2
        #expect(try Self.refusal(unknown) == ProtocolError(offset: layers, .badValue(
            field: "layer sparsity kind", detail: "unknown tag 2")))
    }

    @Test func owlWithNOfMIsRefused() throws {
        let (bytes, layers) = Self.encoded(FitnessRequest(sparsity: .nOfM(n: 2, m: 4), windows: .full,
                                                          layerSparsity: .owl(m: 5, lambda: 0.08)))
        let error = try Self.refusal(bytes)
        #expect(error.offset == layers)
        #expect("\(error)".contains("OWL allocates unstructured sparsity"))
    }

    @Test func methodTagIsChecked() throws {
        let (bytes, layers) = Self.encoded(FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: .static,
                                                          windows: .full))
        var unknown = bytes; unknown[layers + 1] = 9
        #expect(try Self.refusal(unknown) == ProtocolError(offset: layers + 1, .badValue(field: "method", detail: "unknown tag")))
        var sparsegpt = bytes; sparsegpt[layers + 1] = FitnessMethod.sparsegpt.rawValue
        #expect(try Self.refusal(sparsegpt) == ProtocolError(offset: layers + 1, .badValue(
            field: "method", detail: "sparsegpt needs sequential X")))
    }

    @Test func layerSparsityTextRoundTripsThroughJSON() throws {
        for setting in [LayerSparsity.uniform, .owlDefault, .owl(m: 7, lambda: 0.1), .owl(m: 2.5, lambda: 0)] {
            #expect(try LayerSparsity(argument: setting.description) == setting)
        }
        #expect(throws: LayerSparsityError.badLambda(0.7)) { try LayerSparsity(argument: "owl:5,0.7") }
    }
}
