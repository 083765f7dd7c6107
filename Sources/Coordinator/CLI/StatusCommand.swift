import ArgumentParser
import Foundation
import Shared

/// `status`: asks a running coordinator where its search stands (one request over the search's own protocol).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Ask a running coordinator for the state of its search.")

    @Option(help: "The coordinator's address.") var connect = "tcp://127.0.0.1:47200"
    @Option(help: "Seconds to wait for an answer.") var timeout = 5.0
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let socket = try NNGSocket(.request)
        defer { socket.close() }
        try socket.setDuration(NNGOption.requestResendTime, milliseconds: NNGOption.infinite)
        // Both directions bounded: with nobody listening, the send waits for a connection that never comes.
        try socket.setDuration(NNGOption.receiveTimeout, milliseconds: Int32(timeout * 1000))
        try socket.setDuration(NNGOption.sendTimeout, milliseconds: Int32(timeout * 1000))
        try socket.setSize(NNGOption.receiveMaxSize, bytes: WireLimits.maxMessageBytes)
        try socket.dial(connect)
        let answer: Data
        do {
            try socket.send(Envelope.encodeData(.statusQuery))
            answer = try socket.receive()
        } catch {
            let why = error.isTimeout ? "no answer within \(timeout) s (is a search running there?)" : "\(error)"
            throw CommandFailure(description: "\(connect): \(why)")
        }
        guard case .status(let s) = try Envelope.decode(answer) else {
            throw CommandFailure(description: "\(connect) answered with something other than a status")
        }
        if json {
            let object: [String: Any] = [
                "search": s.searchID, "phase": s.phase, "evaluations": s.evaluationsDone, "budget": s.budget,
                "best_perplexity": s.bestPerplexity ?? NSNull(), "best_formula": s.bestFormula,
                "workers_busy": s.workersBusy, "workers_idle": s.workersIdle, "jobs_queued": s.jobsQueued,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("search \(s.searchID): \(s.phase), \(s.evaluationsDone)/\(s.budget) evaluations")
            print("best \(s.bestPerplexity.map { String(format: "%.4f", $0) } ?? "–") \(s.bestFormula)")
            print("workers \(s.workersBusy) busy / \(s.workersIdle) idle; \(s.jobsQueued) jobs queued")
        }
    }
}
