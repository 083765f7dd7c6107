import Foundation
import Testing
@testable import Search
import Shared

/// A promoted child's full job carries its cheap screen's perplexity (`SearchConfig.screenReuse`,
/// `Job.screenPerplexity`), so the worker runs only the windows the screen did not; journals from before the
/// setting (nil) and searches without screening send none, and nothing else does.
@Suite struct ScreenReuseTests {
    /// Every job the search sent, with the state it ended in.
    static func jobs(_ configure: (inout SearchConfig) -> Void) -> ([Job], SearchState) {
        var config = DepthAbortRuleTests.config(abort: nil, population: 8, generations: 3)
        config.sparsegptReference = true
        configure(&config)
        var sim = SearchSimulation(config: config)
        let jobs = DepthAbortRuleTests.run(&sim, honourAborts: false)
        return (jobs, sim.machine.state)
    }

    @Test func fullJobsCarryTheirScreensPerplexityAndNoOtherJobDoes() throws {
        let (jobs, state) = Self.jobs { _ in }
        var carried = 0
        for job in jobs {
            guard let record = state.jobs[job.jobID] else { Issue.record("job \(job.jobID) unknown"); continue }
            if record.windows == .full && record.method == .metric {
                let cheap = state.individuals[record.individual].cheap?.value
                #expect(cheap != nil && job.screenPerplexity == cheap, "job \(job.jobID): \(String(describing: job.screenPerplexity)) vs \(String(describing: cheap))")
                carried += 1
            } else {
                #expect(job.screenPerplexity == nil, "a \(record.windows) job of \(record.method) carried a screen")
            }
        }
        #expect(carried >= 8, "only \(carried) full jobs: the test shows little")
        #expect(jobs.contains { $0.request.method == .sparsegpt }, "no reference job was sent: the test shows less")
    }

    /// `screenWindows` travels with every cheap and full request (it defines the screen and what reuse skips) and
    /// with no held-out one (the wire refuses it there); unset, no request carries it.
    @Test func theScreenSizeTravelsWithCheapAndFullRequestsOnly() throws {
        let (jobs, state) = Self.jobs { $0.screenWindows = 2 }
        let sets = Set(jobs.compactMap { state.jobs[$0.jobID]?.windows })
        #expect(sets.isSuperset(of: [.cheap, .full]), "\(sets)")
        for job in jobs {
            let windows = try #require(state.jobs[job.jobID]?.windows)
            #expect(job.request.screenWindows == (windows == .cheap || windows == .full ? 2 : nil), "\(windows)")
        }
        #expect(Self.jobs { _ in }.0.allSatisfy { $0.request.screenWindows == nil })
        var config = SearchConfig()
        config.bundleIdentity = "b"
        config.screenWindows = 0
        #expect(config.problems().contains { $0.contains("screen windows") })
        config.screenWindows = 4
        #expect(config.problems().isEmpty)
    }

    @Test func journalsBeforeTheSettingAndSearchesWithoutScreensSendNone() throws {
        for configure in [{ (c: inout SearchConfig) in c.screenReuse = nil }, { $0.screenReuse = false },
                          { $0.multiFidelity = false }] {
            let (jobs, state) = Self.jobs(configure)
            #expect(jobs.contains { state.jobs[$0.jobID]?.windows == .full })
            #expect(jobs.allSatisfy { $0.screenPerplexity == nil })
        }
    }
}
