import Foundation
import Testing
@testable import Shared

@Suite struct ProtocolTests {
    @Test func everyMessageRoundTrips() throws {
        for message in ProtocolSamples.all {
            let bytes = Envelope.encode(message)
            let decoded = try Envelope.decode(bytes)
            #expect(sameMessage(decoded, message), "\(message.name)")
        }
    }

    @Test func everyKindHasASample() {
        let kinds = Set(ProtocolSamples.all.map(\.kind))
        #expect(kinds == Set(1...14))
    }

    @Test func headerLayoutIsAsDocumented() {
        let bytes = Envelope.encode(.statusQuery)
        #expect(Array(bytes[0..<4]) == Array("PZRO".utf8))
        #expect(bytes[4] == 7 && bytes[5] == 0)  // version 7, little-endian
        #expect(bytes[6] == 9)                     // kind
        #expect(bytes[7] == 0)                     // flags
        #expect(Array(bytes[8..<12]) == [0, 0, 0, 0])
        #expect(Array(bytes[12..<14]) == [0, 0])   // empty trailer
        #expect(bytes.count == 14)
    }

    /// Every strict prefix of every message is refused as truncated, never trapped on.
    @Test func everyTruncationThrows() {
        for message in ProtocolSamples.all {
            let bytes = Envelope.encode(message)
            for cut in 0..<bytes.count {
                #expect(throws: ProtocolError.self) { try Envelope.decode(Array(bytes[0..<cut])) }
            }
        }
    }

    @Test func trailingBytesAreRefused() throws {
        var bytes = Envelope.encode(.ack)
        bytes.append(0)
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(bytes) }
        #expect(error.problem == .trailingBytes(count: 1))
        #expect(error.offset == 14)
    }

    @Test func bodyBytesBeyondTheFieldsAreRefused() throws {
        // A jobRequest whose body length claims one byte more than its fields use.
        var w = WireWriter()
        w.string("w1", limit: 128)
        w.u8(0)
        let framed = frame(kind: 3, body: w.bytes)
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(framed) }
        #expect(error.problem == .trailingBytes(count: 1))
        #expect(error.offset == 12 + 6)
    }

    @Test func badMagicVersionKindAndFlags() throws {
        let good = Envelope.encode(.statusQuery)
        var bad = good; bad[1] = UInt8(ascii: "X")
        #expect(try #require(throws: ProtocolError.self) { try Envelope.decode(bad) } == ProtocolError(offset: 1, .badMagic))
        bad = good; bad[4] = 6  // a version-6 peer (it would ignore a race and send no per-window losses)
        #expect(try #require(throws: ProtocolError.self) { try Envelope.decode(bad) }
                == ProtocolError(offset: 4, .unsupportedVersion(found: 6, supported: 7)))
        bad = good; bad[6] = 200
        #expect(try #require(throws: ProtocolError.self) { try Envelope.decode(bad) }
                == ProtocolError(offset: 6, .unknownKind(200)))
        bad = good; bad[7] = 4
        #expect(try #require(throws: ProtocolError.self) { try Envelope.decode(bad) }.offset == 7)
        bad = good; bad[7] = 1  // claims a MAC; this side has no secret
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(bad) }
        guard case .authentication = error.problem else { Issue.record("\(error)"); return }
    }

    @Test func nonEmptyTrailerIsRefusedWithoutASecret() throws {
        var bytes = Envelope.encode(.ack)
        bytes.removeLast(2)
        bytes += [3, 0, 1, 2, 3]
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(bytes) }
        #expect(error.offset == 12)
        guard case .authentication = error.problem else { Issue.record("\(error)"); return }
    }

    @Test func oversizeMessageAndStringsAreRefusedBeforeReading() throws {
        #expect(throws: ProtocolError.self) { try Envelope.decode([UInt8](repeating: 0, count: 300_000)) }
        // A worker id claiming 1 GiB: refused at its length field, offset 12.
        var w = WireWriter(); w.u32(1 << 30)
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(frame(kind: 3, body: w.bytes)) }
        #expect(error == ProtocolError(offset: 12, .tooLarge(field: "worker id", size: 1 << 30, limit: 128)))
        // A body length beyond the message.
        var lying = Envelope.encode(.ack); lying[8] = 200
        #expect(try #require(throws: ProtocolError.self) { try Envelope.decode(lying) }.offset == 8)
    }

    @Test func invalidUTF8IsRefusedWithItsOffset() throws {
        var w = WireWriter(); w.u32(2); w.u8(0xC3); w.u8(0x28)
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(frame(kind: 3, body: w.bytes)) }
        #expect(error == ProtocolError(offset: 16, .invalidUTF8(field: "worker id")))
    }

    @Test func outOfDomainValuesAreRefused() throws {
        func job(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = Envelope.encode(ProtocolSamples.all[4]); edit(&bytes); return bytes
        }
        // Layout of sample 4's body: job id (8), metric (4 + 27), sparsity tag at 12 + 39.
        let tag = 12 + 8 + 4 + 27
        #expect(throws: ProtocolError.self) { try Envelope.decode(job { $0[tag] = 7 }) }
        #expect(throws: ProtocolError.self) { try Envelope.decode(job { $0[tag + 8] = 0x7F; $0[tag + 7] = 0xF8 }) }  // NaN ratio
        #expect(throws: ProtocolError.self) { try Envelope.decode(job { $0[tag + 9] = 9 }) }   // X mode
        #expect(throws: ProtocolError.self) { try Envelope.decode(job { $0[tag + 10] = 4 }) }  // window set (3: validation)
        // An ok result with a NaN perplexity is a worker bug, refused.
        let okNaN = JobResult(jobID: 1, workerID: "w", status: .ok, perplexity: .nan, maskFingerprint: 0)
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(Envelope.encode(.result(okNaN))) }
        guard case .badValue(field: "perplexity", _) = error.problem else { Issue.record("\(error)"); return }
        // Booleans are 0 or 1.
        var ack = Envelope.encode(.heartbeatAck(HeartbeatAck(leaseValid: true)))
        ack[12] = 2
        #expect(try #require(throws: ProtocolError.self) { try Envelope.decode(ack) }.offset == 12)
    }

    @Test func overlongStringsAreClippedByTheEncoderSoTheyStillDecode() throws {
        let long = String(repeating: "é", count: 100)  // 200 bytes > 128
        let decoded = try Envelope.decode(Envelope.encode(.jobRequest(JobRequest(workerID: long))))
        guard case .jobRequest(let request) = decoded else { Issue.record("kind"); return }
        #expect(request.workerID == String(repeating: "é", count: 64))
    }

    @Test func jobMetricIsValidatedByTheReceiverWithItsLimits() throws {
        let deep = String(repeating: "abs(", count: 40) + "W" + String(repeating: ")", count: 40)
        let job = Job(jobID: 1, metricText: deep, request: FitnessRequest(sparsity: .nOfM(n: 2, m: 4), windows: .full),
                      leaseSeconds: 1)
        guard case .job(let decoded) = try Envelope.decode(Envelope.encode(.job(job))) else { return }
        #expect(throws: MetricError.self) { try decoded.metric() }
        let jobs: [Job] = ProtocolSamples.all.compactMap { if case .job(let j) = $0 { j } else { nil } }
        let firstTwo = jobs.filter { $0.request.method == .metric && $0.request.layerSparsity == .uniform
            && $0.abortThresholds.isEmpty && $0.screenPerplexity == nil && $0.request.screenWindows == nil }
        #expect(try firstTwo.map { try $0.metric().description } == ["mul(abs(mul(W, W)), mms(G))", "mul(W, sqrt(X))", "W"])
    }

    /// The hello's fitness bound (version 2) is a width: a negative one is refused at its offset, not trusted.
    @Test func aNegativeFitnessBoundIsRefused() throws {
        let hello = WorkerHello(workerID: "w", host: "h", cores: 1, memoryBytes: 1, bundleIdentity: "b", speed: 1,
                                fitnessBound: -1e-3)
        let bytes = Envelope.encode(.hello(hello))
        #expect(throws: ProtocolError.self) { try Envelope.decode(bytes) }
        let kept = WorkerHello(workerID: "w", host: "h", cores: 1, memoryBytes: 1, bundleIdentity: "b", speed: 1,
                               fitnessBound: 4.3e-3)
        #expect(try Envelope.decode(Envelope.encode(.hello(kept))) == .hello(kept))
    }

    /// Depth-abort fields (version 3): a threshold or divergence that is negative or NaN is refused at its byte,
    /// +inf and short threshold vectors are kept, and an aborted result must carry one divergence per block it ran.
    @Test func depthAbortFieldsAreChecked() throws {
        let request = FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .cheap)
        for bad in [-1.0, .nan] {
            let job = Job(jobID: 1, metricText: "W", request: request, leaseSeconds: 1, abortThresholds: [0.5, bad])
            let bytes = Envelope.encode(.job(job))
            let error = try #require(throws: ProtocolError.self) { try Envelope.decode(bytes) }
            // The bad value is the thresholds' last 8 bytes, before the absent screen perplexity (9 bytes, version 4),
            // the absent race (1 byte, version 7) and the 2-byte empty trailer.
            #expect(error.offset == bytes.count - 2 - 1 - 9 - 8, "\(error)")
        }
        // +inf is "never at this block", and a vector shorter than the model's blocks is valid (the coordinator's
        // measure-only warm-up sends one entry); empty means no probe at all. All three travel as sent.
        for thresholds in [[Double.infinity], [0.25, .infinity], []] {
            let job = Job(jobID: 1, metricText: "W", request: request, leaseSeconds: 1, abortThresholds: thresholds)
            #expect(try Envelope.decode(Envelope.encode(.job(job))) == .job(job))
        }
        let short = JobResult(jobID: 1, workerID: "w", status: .aborted(blocks: 3), perplexity: .nan,
                              maskFingerprint: 0, divergence: [0.1, 0.2])
        let error = try #require(throws: ProtocolError.self) { try Envelope.decode(Envelope.encode(.result(short))) }
        #expect("\(error)".contains("2 values for a job aborted after 3 blocks"))
        let zero = JobResult(jobID: 1, workerID: "w", status: .aborted(blocks: 0), perplexity: .nan, maskFingerprint: 0)
        #expect(throws: ProtocolError.self) { try Envelope.decode(Envelope.encode(.result(zero))) }
    }

    /// A full job's screen perplexity (version 4) is a perplexity: below 1, NaN or infinite is refused at its byte
    /// (the 8 bytes after its presence byte, before the absent race's byte and the trailer); an absent one must be
    /// encoded as zeros.
    @Test func aScreenPerplexityIsCheckedAtItsByte() throws {
        let request = FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .full)
        for bad in [0.5, 0, -3, .nan, .infinity] {
            let job = Job(jobID: 1, metricText: "W", request: request, leaseSeconds: 1, screenPerplexity: bad)
            let bytes = Envelope.encode(.job(job))
            let error = try #require(throws: ProtocolError.self) { try Envelope.decode(bytes) }
            #expect(error.offset == bytes.count - 2 - 1 - 8, "\(bad): \(error)")
        }
        for kept in [1, 17.25, 2e9] as [Double] {
            let job = Job(jobID: 1, metricText: "W", request: request, leaseSeconds: 1, screenPerplexity: kept)
            #expect(try Envelope.decode(Envelope.encode(.job(job))) == .job(job))
        }
        var absentYetSet = Envelope.encode(.job(Job(jobID: 1, metricText: "W", request: request, leaseSeconds: 1)))
        absentYetSet[absentYetSet.count - 2 - 1 - 1] = 0x3F  // a non-zero byte in the absent value
        #expect(throws: ProtocolError.self) { try Envelope.decode(absentYetSet) }
    }

    /// A race (version 7) travels whole, and a hostile one is refused before any work: checkpoints that do not
    /// rise from above the screen to below the full windows, losses that are negative, NaN or infinite, a negative
    /// z or margin, a race without the screen it continues; a raced result must carry a perplexity.
    @Test func aRaceIsCheckedWhenDecoded() throws {
        let request = FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: .static, windows: .full)
        let good = Race(rivalLoss: [3, 3.1, 3.2, 3.3, 3.4, 3.5], screenLoss: [3, 3.2], checkpoints: [3, 4],
                        z: 3, margin: 0.01)
        func job(_ race: Race, screen: Double? = 20) -> Job {
            Job(jobID: 1, metricText: "W", request: request, leaseSeconds: 1, screenPerplexity: screen, race: race)
        }
        #expect(try Envelope.decode(Envelope.encode(.job(job(good)))) == .job(job(good)))
        var bad: [(String, Race)] = []
        for checkpoints in [[2], [4, 4], [5, 3], [6], [1]] {
            var r = good; r.checkpoints = checkpoints; bad.append(("checkpoints \(checkpoints)", r))
        }
        for loss in [-0.1, .nan, .infinity] {
            var r = good; r.rivalLoss[2] = loss; bad.append(("rival loss \(loss)", r))
            var s = good; s.screenLoss[0] = loss; bad.append(("screen loss \(loss)", s))
        }
        var z = good; z.z = -1; bad.append(("z -1", z))
        var m = good; m.margin = .nan; bad.append(("margin NaN", m))
        var long = good; long.screenLoss = [3, 3, 3, 3, 3, 3]; long.checkpoints = []; bad.append(("screen ≥ full", long))
        for (label, race) in bad {
            #expect(throws: ProtocolError.self, "\(label)") { try Envelope.decode(Envelope.encode(.job(job(race)))) }
        }
        #expect(throws: ProtocolError.self) { try Envelope.decode(Envelope.encode(.job(job(good, screen: nil)))) }
        for p in [Double.nan, 0.5, .infinity] {
            let raced = JobResult(jobID: 1, workerID: "w", status: .raced(windows: 4), perplexity: p, maskFingerprint: 0)
            #expect(throws: ProtocolError.self, "\(p)") { try Envelope.decode(Envelope.encode(.result(raced))) }
        }
        let zero = JobResult(jobID: 1, workerID: "w", status: .raced(windows: 0), perplexity: 30, maskFingerprint: 0)
        #expect(throws: ProtocolError.self) { try Envelope.decode(Envelope.encode(.result(zero))) }
        let negative = JobResult(jobID: 1, workerID: "w", status: .ok, perplexity: 30, maskFingerprint: 0,
                                 windowLoss: [3, -1])
        #expect(throws: ProtocolError.self) { try Envelope.decode(Envelope.encode(.result(negative))) }
    }

    @Test func errorsReadWellInALog() {
        let error = ProtocolError(offset: 4, .unsupportedVersion(found: 2, supported: 1))
        #expect(error.description == "wire message, byte 4: protocol version 2 is not supported (this build speaks 1)")
    }

    /// The screen size ends a fitness request (version 5): 0 is the bundle's default, any count travels with cheap
    /// and full requests, and one on a held-out request is refused at its bytes.
    @Test func screenWindowsCrossTheWire() throws {
        for windows in [WindowSet.cheap, .full] {
            for count in [nil, 1, 4, 65_535] as [Int?] {
                let request = FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: windows, screenWindows: count)
                var w = WireWriter()
                request.encode(into: &w)
                var r = WireReader(w.bytes)
                #expect(try FitnessRequest(from: &r) == request)
            }
        }
        for windows in [WindowSet.test, .validation] {
            var w = WireWriter()
            FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: windows, screenWindows: 4).encode(into: &w)
            var r = WireReader(w.bytes)
            let error = try #require(throws: ProtocolError.self) { try FitnessRequest(from: &r) }
            #expect(error.offset == w.bytes.count - 2, "\(windows): \(error)")
            #expect("\(error)".contains("screen windows"))
        }
    }

    /// The comparison group follows the method; a per-layer group with N:M is refused at its byte.
    @Test func comparisonGroupCrossesTheWire() throws {
        for group in ComparisonGroup.allCases {
            let request = FitnessRequest(sparsity: .unstructured(ratio: 0.6), windows: .full, group: group)
            var w = WireWriter()
            request.encode(into: &w)
            var r = WireReader(w.bytes)
            #expect(try FitnessRequest(from: &r) == request)
        }
        var w = WireWriter()
        FitnessRequest(sparsity: .nOfM(n: 2, m: 4), windows: .full, group: .layer).encode(into: &w)
        var r = WireReader(w.bytes)
        let error = try #require(throws: ProtocolError.self) { try FitnessRequest(from: &r) }
        #expect(error.offset == w.bytes.count - 3)  // the group's byte, before the screen size's two
        w = WireWriter()
        FitnessRequest(sparsity: .nOfM(n: 2, m: 4), windows: .full).encode(into: &w)
        var bytes = w.bytes
        bytes[bytes.count - 3] = 9
        r = WireReader(bytes)
        #expect(try #require(throws: ProtocolError.self) { try FitnessRequest(from: &r) }.offset == bytes.count - 3)
    }

    @Test func sparsityFromTheCommandLine() throws {
        #expect(try SparsitySpec(type: "unstructured", ratio: 0.5) == .unstructured(ratio: 0.5))
        #expect(try SparsitySpec(type: "2:4", ratio: 0.5) == .nOfM(n: 2, m: 4))
        #expect(throws: ProtocolError.self) { try SparsitySpec(type: "4:2", ratio: 0) }
        #expect(throws: ProtocolError.self) { try SparsitySpec(type: "unstructured", ratio: 1) }
        #expect(throws: ProtocolError.self) { try SparsitySpec(type: "2:", ratio: 0) }
    }

    func frame(kind: UInt8, body: [UInt8]) -> [UInt8] {
        var w = WireWriter()
        w.append(Envelope.magic); w.u16(Envelope.version); w.u8(kind); w.u8(0); w.u32(UInt32(body.count)); w.append(body); w.u16(0)
        return w.bytes
    }
}
