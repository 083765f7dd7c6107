import Foundation
import Testing
@testable import Shared
@testable import Fitness
@testable import Serve

/// A promoted child's full evaluation after its cheap screen (`ScreenedFullEvaluation`, `Job.screenPerplexity`):
/// only the windows after the cheap ones run, and the joined perplexity is the full evaluation's.
///
/// Tolerance: the joined value differs from a direct one only by float32 arithmetic that depends on how many
/// windows one forward pass holds, and by exp/log rounding (1e-16); `fitnessBound` (`DeterminismBound`) is the
/// bound the search already uses to tie two workers' values of the same masks, so a join inside it changes no
/// ranking a second worker could not. That the rest is all that runs is shown by a screen value made wrong by a
/// factor e: the join then moves ln perplexity by exactly the cheap windows' share, c / (c + r).
@Suite(.enabled(if: PruneReference.available, "../shared/fixtures/prune-reference is absent"), .serialized)
struct ScreenedFullEvaluationTests {
    @Test func aScreenedFullEvaluationEqualsTheDirectOneAndRunsOnlyTheRest() throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        let fitness = try BundleFitnessFunction(directory: url)
        let c = fitness.bundle.data.cheapWindows, all = fitness.bundle.data.evaluationWindows
        try #require(c < all, "the fixture bundle needs more fitness windows than cheap ones")
        let share = Double(c) / Double(all)
        let bound = fitness.fitnessBound
        for (formula, xMode) in [("mul(abs(W), sqrt(X))", XMode.static), ("mul(abs(W), sqrt(X))", .sequential),
                                 ("mul(abs(mul(W, W)), mms(G))", .sequential)] {
            let method = JobMethod.metric(try MetricExpression(parsing: formula))
            func run(_ windows: WindowSet, screen: Double? = nil) throws -> FitnessOutcome {
                try fitness.evaluate(FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: xMode, windows: windows),
                                     method: method, abortThresholds: [], screenPerplexity: screen,
                                     progress: FitnessProgress())
            }
            let cheap = try run(.cheap), full = try run(.full)
            let joined = try run(.full, screen: cheap.perplexity)
            #expect(abs(log(joined.perplexity) - log(full.perplexity)) <= bound,
                    "\(formula), \(xMode): joined \(joined.perplexity) vs direct \(full.perplexity), bound \(bound)")
            #expect(joined.maskFingerprint == full.maskFingerprint)
            let wrong = try run(.full, screen: cheap.perplexity * M_E)
            #expect(abs(log(wrong.perplexity) - log(joined.perplexity) - share) <= 1e-12,
                    "\(formula), \(xMode): a screen off by e moved ln perplexity by \(log(wrong.perplexity) - log(joined.perplexity)), not \(share)")
        }
    }

    /// A search's own screen size (`FitnessRequest.screenWindows`): a screen of every fitness window is the full
    /// evaluation, the default count is the bundle's quarter, a full job reusing a screen of K windows joins to the
    /// direct value, and a count the bundle cannot supply fails the job, saying why.
    @Test func theScreenSizeIsTheRequestsAndTheJoinFollowsIt() throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        let fitness = try BundleFitnessFunction(directory: url)
        let all = fitness.bundle.data.evaluationWindows, bound = fitness.fitnessBound
        try #require(all >= 3, "the fixture bundle needs at least 3 fitness windows")
        let method = JobMethod.metric(try MetricExpression(parsing: "mul(abs(W), sqrt(X))"))
        func run(_ windows: WindowSet, screen: Int?, perplexity: Double? = nil) throws -> Double {
            try fitness.evaluate(FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: .static, windows: windows,
                                                screenWindows: screen),
                                 method: method, abortThresholds: [], screenPerplexity: perplexity,
                                 progress: FitnessProgress()).perplexity
        }
        let full = try run(.full, screen: nil)
        #expect(abs(log(try run(.cheap, screen: all)) - log(full)) <= bound)
        #expect(try run(.cheap, screen: fitness.bundle.data.cheapWindows) == run(.cheap, screen: nil))
        let one = try run(.cheap, screen: 1), two = try run(.cheap, screen: 2)
        #expect(one != two, "a screen of 1 and of 2 windows scored the same: the count was not used")
        let joined = try run(.full, screen: 2, perplexity: two)
        #expect(abs(log(joined) - log(full)) <= bound, "joined \(joined) vs direct \(full)")
        // The join weighs the screen by its own count: a screen value off by e moves ln perplexity by 2 / all.
        let moved = log(try run(.full, screen: 2, perplexity: two * M_E)) - log(joined)
        #expect(abs(moved - 2 / Double(all)) <= 1e-12, "moved \(moved), not \(2 / Double(all))")
        for bad in [0, all + 1] {
            let error = try #require(throws: ScreenWindowsRefusal.self) { try run(.cheap, screen: bad) }
            #expect("\(error)".contains("\(all) fitness windows"))
        }
    }

    /// The value on a job that cannot use it fails that job before any work, saying why.
    @Test func aScreenPerplexityOnAnyOtherJobFailsIt() throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        let fitness = try BundleFitnessFunction(directory: url)
        let wanda = JobMethod.metric(try MetricExpression(parsing: "mul(abs(W), sqrt(X))"))
        for windows in [WindowSet.cheap, .test] {
            let request = FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: windows)
            let error = try #require(throws: ScreenPerplexityRefusal.self) {
                try fitness.evaluate(request, method: wanda, abortThresholds: [], screenPerplexity: 20,
                                     progress: FitnessProgress())
            }
            #expect("\(error)".contains("\(windows)-window job"))
        }
        let sparsegpt = FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .full, method: .sparsegpt)
        #expect(throws: ScreenPerplexityRefusal.self) {
            try fitness.evaluate(sparsegpt, method: .sparsegpt, abortThresholds: [], screenPerplexity: 20,
                                 progress: FitnessProgress())
        }
    }
}
