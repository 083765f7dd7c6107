import Foundation
import Testing
@testable import Shared
@testable import Fitness
@testable import Serve

/// The stopping rule (`PairedRace`) by hand-computed cases, and a raced full evaluation on the fixture bundle
/// (`BundleFitnessFunction.racedEvaluation`): a child far worse than its rival stops at the first checkpoint with
/// the paired estimate; a child raced against itself never stops and gets the unraced value; a race the job
/// cannot run fails it before any work, saying why.
@Suite struct PairedRaceTests {
    static func race(rival: [Double], screen: [Double] = [], z: Double = 2, margin: Double = 0.01) -> Race {
        Race(rivalLoss: rival, screenLoss: screen, checkpoints: [], z: z, margin: margin)
    }

    @Test func stopsOnlyBeyondTheMarginAndZStandardErrors() {
        let rival = [3.0, 3.2, 2.8, 3.1, 3.4, 2.9]
        // d = 0.10, 0.12, 0.08, 0.10: mean 0.10, sd 0.01633, se 0.008165: 0.10 − 2·0.008165 = 0.0837 > 0.01.
        let child = [3.10, 3.32, 2.88, 3.20]
        guard case .stop(let estimate) = PairedRace.verdict(child: child, race: Self.race(rival: rival)) else {
            Issue.record("a child 0.1 nats worse on every window was not stopped"); return
        }
        let rivalMean = rival.reduce(0, +) / 6
        #expect(abs(log(estimate) - (rivalMean + 0.10)) < 1e-12, "\(estimate)")
        // The same gap with the margin above it, or with z large enough: keep going.
        #expect(PairedRace.verdict(child: child, race: Self.race(rival: rival, margin: 0.09)) == .keepGoing)
        #expect(PairedRace.verdict(child: child, race: Self.race(rival: rival, z: 12)) == .keepGoing)
        // Noisy differences with the same mean: d = 0.3, −0.1, 0.2, 0.0, se 0.0913 → 0.1 − 0.183 < 0.01.
        let noisy = [3.3, 3.1, 3.0, 3.1]
        #expect(PairedRace.verdict(child: noisy, race: Self.race(rival: rival)) == .keepGoing)
        // A better child, one window, or more windows than the rival has: never stopped.
        #expect(PairedRace.verdict(child: rival.map { $0 - 0.1 }, race: Self.race(rival: rival)) == .keepGoing)
        #expect(PairedRace.verdict(child: [9], race: Self.race(rival: rival)) == .keepGoing)
        #expect(PairedRace.verdict(child: rival + [3], race: Self.race(rival: rival)) == .keepGoing)
    }
}

@Suite(.enabled(if: PruneReference.available, "../shared/fixtures/prune-reference is absent"), .serialized)
struct RacedEvaluationTests {
    static let wanda = JobMethod.metric(try! MetricExpression(parsing: "mul(abs(W), sqrt(X))"))

    static func request(_ windows: WindowSet, x: XMode = .static) -> FitnessRequest {
        FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: x, windows: windows, screenWindows: 1)
    }

    /// The fixture bundle's fitness function, in a scratch directory removed afterwards.
    static func withFixture(_ body: (BundleFitnessFunction) throws -> Void) throws {
        let url = BundleTests.scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try BundleTests.writeBundle(to: url)
        try body(try BundleFitnessFunction(directory: url))
    }

    @Test func aHopelessChildStopsAtTheFirstCheckpointAndASelfRaceNeverStops() throws {
        try Self.withFixture { fitness in
            let all = fitness.bundle.data.evaluationWindows
            try #require(all >= 4, "the fixture bundle needs at least 4 fitness windows")
            let cheap = try fitness.evaluate(Self.request(.cheap), method: Self.wanda, abortThresholds: [],
                                             screenPerplexity: nil, progress: FitnessProgress())
            let unraced = try fitness.evaluate(Self.request(.full), method: Self.wanda, abortThresholds: [],
                                               screenPerplexity: cheap.perplexity, progress: FitnessProgress())
            #expect(cheap.windowLoss.count == 1 && unraced.windowLoss.count == all - 1)
            let own = cheap.windowLoss + unraced.windowLoss

            // Against itself: never worse, so every window runs, in three stages, and the losses are the one-pass ones
            // bit for bit (a window's loss does not depend on its batch, `DeterminismCheck`).
            let selfRace = Race(rivalLoss: own, screenLoss: cheap.windowLoss, checkpoints: [2, 3], z: 0, margin: 0)
            let same = try fitness.evaluate(Self.request(.full), method: Self.wanda, abortThresholds: [],
                                            screenPerplexity: cheap.perplexity, race: selfRace,
                                            progress: FitnessProgress())
            #expect(same.racedAfter == nil && same.status == .ok)
            #expect(same.windowLoss.map(\.bitPattern) == unraced.windowLoss.map(\.bitPattern))
            #expect(abs(log(same.perplexity) - log(unraced.perplexity)) <= 1e-12)
            #expect(same.maskFingerprint == unraced.maskFingerprint)

            // Against a rival a nat better on every window: stopped after 2 windows, with the paired estimate.
            let rival = own.map { max(0, $0 - 1) }
            let race = Race(rivalLoss: rival, screenLoss: cheap.windowLoss, checkpoints: [2, 3], z: 3, margin: 0.02)
            let stopped = try fitness.evaluate(Self.request(.full), method: Self.wanda, abortThresholds: [],
                                               screenPerplexity: cheap.perplexity, race: race,
                                               progress: FitnessProgress())
            #expect(stopped.racedAfter == 2 && stopped.status == .raced(windows: 2))
            #expect(stopped.windowLoss.map(\.bitPattern) == Array(unraced.windowLoss.prefix(1)).map(\.bitPattern))
            let seen = cheap.windowLoss + stopped.windowLoss
            let d = zip(seen, rival).map { $0 - $1 }.reduce(0, +) / 2
            let expected = exp(rival.reduce(0, +) / Double(all) + d)
            #expect(abs(log(stopped.perplexity) - log(expected)) <= 1e-12, "\(stopped.perplexity) vs \(expected)")
            #expect(stopped.maskFingerprint == unraced.maskFingerprint)
            // It ran one stage of one window instead of all the rest: less evaluation time than the unraced job.
            let time = { (o: FitnessOutcome) in o.stageTimes.first { $0.name == "evaluation" }?.seconds ?? 0 }
            #expect(time(stopped) < time(unraced), "\(time(stopped)) vs \(time(unraced))")
        }
    }

    @Test func aRaceTheJobCannotRunFailsIt() throws {
        try Self.withFixture { fitness in
            let all = fitness.bundle.data.evaluationWindows
            let good = Race(rivalLoss: Array(repeating: 3, count: all), screenLoss: [3], checkpoints: [2],
                            z: 2, margin: 0)
            func run(_ race: Race, x: XMode = .static, screen: Double? = 20) throws {
                _ = try fitness.evaluate(Self.request(.full, x: x), method: Self.wanda, abortThresholds: [],
                                         screenPerplexity: screen, race: race, progress: FitnessProgress())
            }
            #expect(throws: RaceRefusal.masksNotExact) { try run(good, x: .sequential) }
            #expect(throws: RaceRefusal.noScreen) { try run(good, screen: nil) }
            var short = good; short.rivalLoss.removeLast()
            let error = try #require(throws: RaceRefusal.self) { try run(short) }
            #expect("\(error)".contains("\(all) fitness windows"), "\(error)")
            var wide = good; wide.screenLoss = [3, 3]
            #expect(throws: RaceRefusal.self) { try run(wide) }
        }
    }
}
