import Shared

/// The search's jobs: every job made, the dispatch queue, the leased set and the test jobs. Which worker holds a
/// job is written both here (the job's state) and in `WorkerRegistry`; `SearchState`'s fold changes the two together.
struct JobBook: Sendable {
    private(set) var jobs: [UInt64: JobRecord] = [:]
    private(set) var nextJobID: UInt64 = 1
    /// Queued job ids in dispatch order.
    private(set) var queue: [UInt64] = []
    /// Jobs currently leased (kept alongside `jobs` so that per-message questions stay O(1)).
    private(set) var leasedJobs: Set<UInt64> = []
    /// Held-out jobs (validation and test), made after evolution.
    private(set) var testJobs: [UInt64] = []
    /// Reference baselines' jobs (`SearchConfig.references`), on any window set.
    private(set) var referenceJobs: [UInt64] = []

    subscript(id: UInt64) -> JobRecord? { jobs[id] }

    /// A new queued job; promotions and re-queued jobs go `front`: they finish individuals already half paid for.
    mutating func make(individual: Int, windows: WindowSet, metricText: String, front: Bool = false) -> UInt64 {
        let id = nextJobID
        nextJobID += 1
        jobs[id] = JobRecord(id: id, individual: individual, windows: windows, metricText: metricText,
                             state: .queued, attempts: 0)
        if front { queue.insert(id, at: 0) } else { queue.append(id) }
        if windows.isHeldOut { testJobs.append(id) }
        return id
    }

    /// A queued job for a reference baseline (no individual).
    mutating func makeReference(_ method: FitnessMethod, windows: WindowSet) {
        let id = make(individual: -1, windows: windows, metricText: method.description)
        jobs[id]?.method = method
        referenceJobs.append(id)
    }

    /// Leases a known job to `worker`; returns the worker that held its previous lease, if another one did.
    mutating func lease(_ id: UInt64, to worker: String, until: Double, attempt: Int) -> String? {
        guard var job = jobs[id] else { return nil }
        queue.removeAll { $0 == id }
        var previous: String?
        if case .leased(let holder, _) = job.state, holder != worker { previous = holder }
        job.state = .leased(worker: worker, until: until)
        job.attempts = attempt
        jobs[id] = job
        leasedJobs.insert(id)
        return previous
    }

    /// Marks a known job done; returns the worker whose lease it was under, if any.
    mutating func complete(_ id: UInt64) -> String? {
        guard var job = jobs[id] else { return nil }
        var holder: String?
        if case .leased(let worker, _) = job.state { holder = worker }
        queue.removeAll { $0 == id }
        leasedJobs.remove(id)
        job.state = .done
        jobs[id] = job
        return holder
    }

    /// Puts a leased job back at the front of the queue; returns the worker that held it (nil: it was not leased).
    mutating func requeue(_ id: UInt64) -> String? {
        guard var job = jobs[id], case .leased(let worker, _) = job.state else { return nil }
        job.state = .queued
        jobs[id] = job
        leasedJobs.remove(id)
        queue.insert(id, at: 0)
        return worker
    }

    /// Lease extension by a heartbeat (not journaled: see `SearchState`'s comment).
    mutating func extendLease(_ id: UInt64, until: Double) {
        guard var job = jobs[id], case .leased(let worker, let old) = job.state, until > old else { return }
        job.state = .leased(worker: worker, until: until)
        jobs[id] = job
    }

    /// Drops every queued job unstarted (evolution has ended).
    mutating func cancelQueued() {
        for id in queue { jobs[id]?.state = .cancelled }
        queue.removeAll()
    }

    /// Jobs currently leased, excluding held-out jobs when `evolutionOnly`.
    func leasedCount(evolutionOnly: Bool) -> Int {
        evolutionOnly ? leasedJobs.count { jobs[$0]?.windows.isHeldOut == false } : leasedJobs.count
    }

    /// Whether every held-out job of an individual (reference jobs aside) on `windows` is done.
    func heldOutDone(_ windows: WindowSet) -> Bool {
        testJobs.allSatisfy { id in
            guard let job = jobs[id], job.windows == windows, job.individual >= 0 else { return true }
            return job.state == .done
        }
    }

    /// The test jobs are done, and no reference job is still to come (one cancelled unstarted never will).
    var testJobsDone: Bool {
        testJobs.allSatisfy { jobs[$0]?.state == .done }
            && referenceJobs.allSatisfy { jobs[$0]?.state == .done || jobs[$0]?.state == .cancelled }
    }
}
