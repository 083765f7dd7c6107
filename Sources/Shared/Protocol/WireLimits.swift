/// Bounds every decoder enforces before it allocates: a hostile peer can make us read at most `maxMessageBytes`
/// and a few small strings. The NNG receive limit is set to `maxMessageBytes` too, so oversize messages are dropped
/// by NNG before they reach Swift.
package enum WireLimits {
    package static let maxMessageBytes = 256 * 1024
    static let identifier = 128       // worker ids, search ids
    static let host = 256
    static let bundleIdentity = 512
    static let reason = 4_096         // failure reasons, refusal details
    static let metricText = 4_096     // MetricLimits.standard (128 nodes) prints in well under 1 kB
    static let stageName = 64
    static let stages = 64
    static let layers = 8_192         // per-layer sparsities: a 70B LLaMA has 80 × 7 = 560 linear layers
    static let windows = 4_096        // per-window losses: 4,096 × 8 B × 2 lists stay far below a message
    static let authTrailer = 1_024    // HMACAuthenticator: nonce + time + HMAC-SHA256 = 56 bytes
}
