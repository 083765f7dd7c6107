import Foundation

/// NSLock with a scoped helper.
package final class NSLockLike: @unchecked Sendable {
    private let lock = NSLock()
    package func with<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
