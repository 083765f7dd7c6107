import Foundation
import Testing
@testable import Shared

@Suite struct DigestTests {
    @Test func sha256MatchesTheStandardVectors() {
        #expect(Digest.hex(Digest.sha256(Data())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.hex(Digest.sha256(Data("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let hasher = SHA256Hasher()
        hasher.update(Data("ab".utf8))
        hasher.update(Data("c".utf8))
        #expect(Digest.hex(hasher.finish()) == Digest.hex(Digest.sha256(Data("abc".utf8))))
    }

    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = Digest.hmacSHA256(key: Data("Jefe".utf8), message: Data("what do ya want for nothing?".utf8))
        #expect(Digest.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func filesHashLikeTheirBytes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID())")
        let data = Data((0..<10_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try Digest.sha256(fileAt: url) == Digest.sha256(data))
    }

    @Test func constantTimeComparison() {
        #expect(Digest.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEqual([1, 2, 3], [1, 2, 4]) && !Digest.constantTimeEqual([1], [1, 2]))
    }
}
