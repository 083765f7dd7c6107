import CMbedCrypto
import Foundation

/// SHA-256 (content hashes of models, data and bundles) and HMAC-SHA256 (message authentication), from mbedTLS.
package enum Digest {
    /// SHA-256 of `data`.
    package static func sha256(_ data: some DataProtocol) -> [UInt8] {
        let hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finish()
    }

    /// SHA-256 of a file, read in 4 MiB pieces so a 13 GB shard needs no more memory than that.
    package static func sha256(fileAt url: URL) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.finish()
    }

    /// HMAC-SHA256 of `message` under `key`.
    package static func hmacSHA256(key: some DataProtocol, message: some DataProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256)
        let k = Array(key), m = Array(message)
        // mbedtls_md_hmac only fails for a missing md_info, which SHA-256 always has.
        _ = mbedtls_md_hmac(info, k, k.count, m, m.count, &out)
        return out
    }

    /// Equality in time independent of where the inputs differ (for MACs).
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// Lowercase hex.
    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Incremental SHA-256. `finish()` once; the context is freed with the hasher.
final class SHA256Hasher {
    private var context = mbedtls_sha256_context()

    init() {
        mbedtls_sha256_init(&context)
        _ = mbedtls_sha256_starts_ret(&context, 0)
    }

    deinit { mbedtls_sha256_free(&context) }

    func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { bytes in
                _ = mbedtls_sha256_update_ret(&context, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
            }
        }
    }

    func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = mbedtls_sha256_finish_ret(&context, &out)
        return out
    }
}
