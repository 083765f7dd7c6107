/// What a `--resume` starts locally: the bundle directory and the number of workers to spawn, from the journal's
/// record (`SearchState.launch`) and the flags given now. Pure: the bundle's identity is looked up through
/// `identityOf`, so tests need no files.
///
/// - `--spawn-workers` given: that many (0 too); else as many as the search was started (or last resumed) with.
/// - `--bundle` given: accepted when its identity is the journal's, refused naming both when it is not.
/// - no `--bundle`: the recorded path, checked the same way when workers are to be spawned from it; a journal
///   written before paths were recorded has none, and then spawning needs `--bundle`.
package struct ResumeLaunch: Sendable, Hashable {
    /// Absolute bundle directory, or nil when nothing is spawned and no `--bundle` was given.
    package var bundlePath: String?
    package var spawnWorkers: Int

    package init(bundlePath: String?, spawnWorkers: Int) {
        self.bundlePath = bundlePath; self.spawnWorkers = spawnWorkers
    }

    /// Why a resume cannot start what was asked, in words naming the paths and identities involved.
    package struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        package var description: String
        package init(description: String) { self.description = description }
    }

    /// - Parameters:
    ///   - identity: the journal's bundle identity (`SearchConfig.bundleIdentity`).
    ///   - recorded: what the journal says about the last launch.
    ///   - bundle: `--bundle`, made absolute, or nil.
    ///   - spawnWorkers: `--spawn-workers`, or nil.
    ///   - identityOf: a bundle directory's identity (`BundleIdentity.of`), throwing when it is not a bundle.
    package static func choose(identity: String, recorded: SearchEvent.Launch, bundle: String?, spawnWorkers: Int?,
                              identityOf: (String) throws -> String) throws(Refusal) -> ResumeLaunch
    {
        let count = spawnWorkers ?? recorded.spawnWorkers ?? 0
        if let bundle {
            let found: String
            do { found = try identityOf(bundle) } catch {
                throw Refusal(description: "--bundle \(bundle) is not a readable bundle: \(error)")
            }
            guard found == identity else {
                throw Refusal(description: "--bundle \(bundle) has identity \(found), but the journal's search uses "
                    + "bundle identity \(identity): its perplexities would not be comparable")
            }
            return ResumeLaunch(bundlePath: bundle, spawnWorkers: count)
        }
        guard count > 0 else { return ResumeLaunch(bundlePath: recorded.bundlePath, spawnWorkers: 0) }
        guard let path = recorded.bundlePath else {
            throw Refusal(description: "--spawn-workers needs --bundle DIR: this journal was written before bundle "
                + "paths were recorded, so it does not say where bundle \(identity) is")
        }
        let found: String
        do { found = try identityOf(path) } catch {
            throw Refusal(description: "the journal's bundle \(path) cannot be read (\(error)); give --bundle DIR "
                + "with identity \(identity), or --spawn-workers 0 for workers that dial in")
        }
        guard found == identity else {
            throw Refusal(description: "the journal's bundle \(path) now has identity \(found), but the search uses "
                + "bundle identity \(identity) (recalibrated?); give --bundle DIR with identity \(identity)")
        }
        return ResumeLaunch(bundlePath: path, spawnWorkers: count)
    }
}
