import Foundation
import Testing
@testable import Shared

/// A seeded random-mutation fuzzer over encoded messages: bit flips, byte overwrites with boundary values,
/// insertions, deletions, truncations, splices of two messages and length-field rewrites. Every input must either
/// decode or throw `ProtocolError`; a decoded input must re-encode to something that decodes to the same message.
///
/// `PRUNERZERO_FUZZ_INPUTS=1000000 swift test --filter ProtocolFuzzTests` runs the long campaign (issue 7's count).
@Suite struct ProtocolFuzzTests {
    static var inputs: Int {
        ProcessInfo.processInfo.environment["PRUNERZERO_FUZZ_INPUTS"].flatMap(Int.init) ?? 100_000
    }

    @Test func randomMutationsNeverTrap() {
        let corpus = ProtocolSamples.all.map { Envelope.encode($0) }
        var rng = SeededRandom(seed: 0xF022)
        var decoded = 0, refused = 0, unstable = 0
        let started = Date()
        for _ in 0..<Self.inputs {
            let input = Self.mutate(rng.pick(corpus), corpus: corpus, using: &rng)
            do {
                let message = try Envelope.decode(input)
                decoded += 1
                let again = try? Envelope.decode(Envelope.encode(message))
                if again.map({ sameMessage($0, message) }) != true { unstable += 1 }
            } catch {
                refused += 1
            }
        }
        print("protocol fuzz: \(Self.inputs) inputs, \(decoded) decoded, \(refused) refused with ProtocolError, "
              + "\(unstable) unstable re-encodings, 0 crashes, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(decoded + refused == Self.inputs)
        #expect(unstable == 0)
        #expect(refused > Self.inputs / 2)  // the mutations do reach the checks
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
