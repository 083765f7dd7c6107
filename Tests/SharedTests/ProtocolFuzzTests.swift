import Foundation
import Testing
@testable import Shared

/// A seeded random-mutation fuzzer over encoded messages: bit flips, byte overwrites with boundary values,
/// insertions, deletions, truncations, splices of two messages and length-field rewrites. Every input must either
/// decode to a message whose encoding is exactly the input (the wire format has one encoding per message, so a
/// decoder that accepts anything else is lenient somewhere), or be refused with a `ProtocolError` whose offset lies
/// inside the input and whose problem names the field it is about.
///
/// `PRUNERZERO_FUZZ_INPUTS=1000000 swift test --filter ProtocolFuzzTests` runs the long campaign (issue 7's count).
@Suite struct ProtocolFuzzTests {
    static var inputs: Int {
        ProcessInfo.processInfo.environment["PRUNERZERO_FUZZ_INPUTS"].flatMap(Int.init) ?? 100_000
    }

    /// One campaign, shared by the tests below (each checks one property of it).
    struct Campaign: Sendable {
        var decoded = 0, refused = 0, differing = 0, unlocated = 0
        /// Decoded inputs whose message does not encode back to the input's bytes (first few kept).
        var reEncodedDifferently: [String] = []
        /// Refusals whose offset or field does not locate the problem (`Envelope.decode` throws only ProtocolError).
        var unlocatedRefusals: [String] = []

        init(inputs: Int) {
            let corpus = ProtocolSamples.all.map { Envelope.encode($0) }
            var rng = SeededRandom(seed: 0xF022)
            let started = Date()
            for _ in 0..<inputs {
                let input = ProtocolFuzzTests.mutate(rng.pick(corpus), corpus: corpus, using: &rng)
                do {
                    let message = try Envelope.decode(input)
                    decoded += 1
                    if Envelope.encode(message) != input {
                        differing += 1
                        if reEncodedDifferently.count < 5 {
                            reEncodedDifferently.append("\(message): \(input.count) bytes in, re-encoded differently")
                        }
                    }
                } catch {  // typed throws: `error` is a ProtocolError, so the type is the compiler's check
                    refused += 1
                    if let why = Self.unlocated(error, in: input) {
                        unlocated += 1
                        if unlocatedRefusals.count < 5 { unlocatedRefusals.append("\(error): \(why)") }
                    }
                }
            }
            print("protocol fuzz: \(inputs) inputs, \(decoded) decoded (\(differing) re-encoded differently), "
                  + "\(refused) refused (\(unlocated) without a located ProtocolError), "
                  + "\(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }

        /// Why `error` does not say where the problem is, or nil when it does: the offset must be inside the input
        /// (the end included: a truncation is found there) and a field-carrying problem must name its field.
        static func unlocated(_ error: ProtocolError, in input: [UInt8]) -> String? {
            guard (0...input.count).contains(error.offset) else { return "offset outside the \(input.count)-byte input" }
            switch error.problem {
            case .truncated(let field, _, _), .tooLarge(let field, _, _), .invalidUTF8(let field),
                 .badValue(let field, _):
                return field.isEmpty ? "no field named" : nil
            case .badMagic, .unsupportedVersion, .unknownKind, .trailingBytes, .authentication, .badMetric:
                return nil
            }
        }
    }

    static let campaign = Campaign(inputs: inputs)

    @Test func decodedMutationsReEncodeToTheirBytes() {
        #expect(Self.campaign.reEncodedDifferently.isEmpty, "\(Self.campaign.reEncodedDifferently)")
    }

    @Test func refusalsAreProtocolErrorsThatSayWhere() {
        #expect(Self.campaign.unlocatedRefusals.isEmpty, "\(Self.campaign.unlocatedRefusals)")
    }

    @Test func mutationsReachBothOutcomes() {
        #expect(Self.campaign.refused > Self.inputs / 2)  // the mutations do reach the checks
        #expect(Self.campaign.decoded > 0)
    }

    /// The same mutations against a receiver with the cluster secret: nothing but the unmodified message gets
    /// past the MAC, each at most once (again is a replay), and nothing traps.
    @Test func mutationsOfSealedMessagesNeverAuthenticate() {
        let secret = Array("fuzz-secret-0123456789abcdef".utf8)
        let sender = HMACAuthenticator(secret: secret)
        let receiver = HMACAuthenticator(secret: secret, capacity: 1 << 16)
        let corpus = ProtocolSamples.all.map { Envelope.encode($0, authenticator: sender) }
        var rng = SeededRandom(seed: 0x5EA1)
        var accepted = 0, refused = 0
        for _ in 0..<(Self.inputs / 10) {
            let input = Self.mutate(rng.pick(corpus), corpus: corpus, using: &rng)
            do {
                _ = try Envelope.decode(input, authenticator: receiver)
                accepted += 1
                // A splice at offset 0 reproduces another original whole: authentic, the first time.
                #expect(corpus.contains(input), "a mutated message authenticated")
            } catch {
                refused += 1
            }
        }
        print("sealed protocol fuzz: \(Self.inputs / 10) inputs, \(accepted) authentic (originals, first sight), "
              + "\(refused) refused, 0 crashes")
        #expect(accepted <= corpus.count)  // each original at most once: the rest are replays
    }

    static func mutate(_ seed: [UInt8], corpus: [[UInt8]], using rng: inout SeededRandom) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + rng.below(4)) {
            let position = bytes.isEmpty ? 0 : rng.below(bytes.count)
            switch rng.below(8) {
            case 0 where !bytes.isEmpty: bytes[position] ^= 1 << UInt8(rng.below(8))
            case 1 where !bytes.isEmpty: bytes[position] = rng.pick([0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF])
            case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: min(position, bytes.count))
            case 3 where !bytes.isEmpty: bytes.remove(at: position)
            case 4: bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
            case 5:
                let other = rng.pick(corpus)
                bytes = Array(bytes.prefix(position)) + Array(other.suffix(from: rng.below(other.count)))
            case 6 where bytes.count >= position + 4:
                // A length field (u32) rewritten to a boundary value.
                let value: UInt32 = rng.pick([0, 1, 127, 128, 129, 4096, 0x7FFF_FFFF, 0xFFFF_FFFF])
                for k in 0..<4 { bytes[position + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
            default:
                if !bytes.isEmpty { bytes[position] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return bytes
    }
}
