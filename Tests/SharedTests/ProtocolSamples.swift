@testable import Shared

/// One or more instances of every message, with edge values (empty strings, NaN for a failure, N:M sparsity).
enum ProtocolSamples {
    static let all: [WireMessage] = [
        .hello(WorkerHello(workerID: "node7-1234", host: "node7", cores: 64, memoryBytes: 512 << 30,
                           bundleIdentity: "llama-2-7b@sha256:abcd", speed: 1.75, fitnessBound: 4.3e-3)),
        .hello(WorkerHello(workerID: "", host: "ü-host", cores: 0, memoryBytes: 0, bundleIdentity: "", speed: 0)),
        .welcome(Welcome(searchID: "run-42", heartbeatSeconds: 5)),
        .jobRequest(JobRequest(workerID: "w1")),
        .job(Job(jobID: 17, metricText: "mul(abs(mul(W, W)), mms(G))",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: .sequential, windows: .cheap,
                                         group: .layer),
                 leaseSeconds: 600)),
        .job(Job(jobID: .max, metricText: "mul(W, sqrt(X))",
                 request: FitnessRequest(sparsity: .nOfM(n: 2, m: 4), xMode: .static, windows: .test),
                 leaseSeconds: 0)),
        .job(Job(jobID: 19, metricText: "mul(W, sqrt(X))",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: .sequential, windows: .cheap),
                 leaseSeconds: 600, abortThresholds: [0.25, .infinity, 0, 1.5e-3])),
        .job(Job(jobID: 21, metricText: "mul(W, sqrt(X))",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: .static, windows: .full),
                 leaseSeconds: 600, screenPerplexity: 27.5)),
        .result(JobResult(jobID: 19, workerID: "w1", status: .aborted(blocks: 2), perplexity: .nan,
                          maskFingerprint: 0, stageTimes: [StageTime(name: "evaluation", seconds: 0.5)],
                          divergence: [0.01, 0.75])),
        .result(JobResult(jobID: 20, workerID: "w1", status: .ok, perplexity: 30, maskFingerprint: 7,
                          divergence: [0.01, 0.02, 0.04])),
        .job(Job(jobID: 22, metricText: "mul(W, X)",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.5), xMode: .static, windows: .full),
                 leaseSeconds: 600, screenPerplexity: 27.5,
                 race: Race(rivalLoss: [3.1, 3.3, 3.0, 3.4, 3.2, 3.3], screenLoss: [3.2, 3.4], checkpoints: [4],
                            z: 3, margin: 0.015))),
        .result(JobResult(jobID: 22, workerID: "w1", status: .raced(windows: 4), perplexity: 31.25, maskFingerprint: 9,
                          windowLoss: [3.5, 3.6])),
        .job(Job(jobID: 3, metricText: "W",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.6), xMode: .sequential, windows: .validation),
                 leaseSeconds: 60)),
        .wait(Wait(retryMilliseconds: 250, reason: "population still being evaluated")),
        .result(JobResult(jobID: 17, workerID: "w1", status: .ok, perplexity: 12.5, maskFingerprint: 0xDEAD_BEEF,
                          layerSparsity: [0.5, 0.49, 0.51],
                          stageTimes: [StageTime(name: "prune", seconds: 1.5), StageTime(name: "ppl", seconds: 3)],
                          wantsAnotherJob: true)),
        .result(JobResult(jobID: 18, workerID: "w2", status: .failed(reason: "NaN everywhere in layer 3"),
                          perplexity: .nan, maskFingerprint: 0, wantsAnotherJob: false)),
        .heartbeat(Heartbeat(workerID: "w1", jobID: 17)),
        .heartbeat(Heartbeat(workerID: "w1", jobID: 17, maskFingerprint: 42)),
        .heartbeatAck(HeartbeatAck(leaseValid: true)),
        .heartbeatAck(HeartbeatAck(leaseValid: false, knownPerplexity: 13.25)),
        .statusQuery,
        .status(StatusAnswer(searchID: "run-42", phase: "evolving", evaluationsDone: 10, budget: 100,
                             bestPerplexity: 11.5, bestFormula: "mul(W, sqrt(X))", workersBusy: 2, workersIdle: 1,
                             jobsQueued: 3)),
        .status(StatusAnswer(searchID: "", phase: "", evaluationsDone: 0, budget: 0, bestPerplexity: nil,
                             bestFormula: "", workersBusy: 0, workersIdle: 0, jobsQueued: 0)),
        .refusal(Refusal(reason: .bundleMismatch, detail: "worker has bundle A, search uses B")),
        .goodbye(Goodbye(workerID: "w1", reason: "SIGTERM", abandonedJob: 17)),
        .goodbye(Goodbye(workerID: "w1", reason: "done")),
        .ack,
        .finished(Finished(summary: "budget of 100 evaluations reached")),
        // Version 3: OWL's allocation, and a reference baseline (its metric text is only a label).
        .job(Job(jobID: 19, metricText: "mul(W, sqrt(X))",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.7), windows: .full,
                                         layerSparsity: .owl(m: 5, lambda: 0.08)),
                 leaseSeconds: 600)),
        .job(Job(jobID: 20, metricText: "sparsegpt",
                 request: FitnessRequest(sparsity: .nOfM(n: 2, m: 4), windows: .test, method: .sparsegpt),
                 leaseSeconds: 600)),
        // Version 5: a search's own screen size, on a cheap screen and on a full job that reuses it.
        .job(Job(jobID: 21, metricText: "mul(W, sqrt(X))",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .cheap, screenWindows: 4),
                 leaseSeconds: 600)),
        .job(Job(jobID: 22, metricText: "mul(W, sqrt(X))",
                 request: FitnessRequest(sparsity: .unstructured(ratio: 0.5), windows: .full, screenWindows: 4),
                 leaseSeconds: 600, screenPerplexity: 31.5)),
    ]
}

/// Equality that treats NaN perplexities as equal (a failed result carries NaN).
func sameMessage(_ a: WireMessage, _ b: WireMessage) -> Bool {
    if case .result(var x) = a, case .result(var y) = b, x.perplexity.isNaN, y.perplexity.isNaN {
        x.perplexity = 0; y.perplexity = 0
        return x == y
    }
    return a == b
}
