/// The workers that have joined and not left, with the job each holds and its result count.
struct WorkerRegistry: Sendable {
    private(set) var workers: [String: WorkerRecord] = [:]

    subscript(id: String) -> WorkerRecord? { workers[id] }

    /// A (re)joining worker keeps its result count.
    mutating func join(_ id: String, host: String, cores: UInt32, speed: Double) {
        workers[id] = WorkerRecord(id: id, host: host, cores: cores, speed: speed, job: nil,
                                   results: workers[id]?.results ?? 0)
    }

    mutating func remove(_ id: String) { workers[id] = nil }

    mutating func assign(_ job: UInt64, to worker: String) { workers[worker]?.job = job }

    /// Clears `worker`'s job if it is `job` (a worker may have moved on to another).
    mutating func release(_ job: UInt64, from worker: String) {
        if workers[worker]?.job == job { workers[worker]?.job = nil }
    }

    mutating func countResult(of worker: String) { workers[worker]?.results += 1 }
}
