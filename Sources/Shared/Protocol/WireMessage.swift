/// Every message of the protocol, with its kind byte: one case and one row in each switch below per message.
package enum WireMessage: Sendable, Hashable {
    case hello(WorkerHello)
    case welcome(Welcome)
    case jobRequest(JobRequest)
    case job(Job)
    case wait(Wait)
    case result(JobResult)
    case heartbeat(Heartbeat)
    case heartbeatAck(HeartbeatAck)
    case statusQuery
    case status(StatusAnswer)
    case refusal(Refusal)
    case goodbye(Goodbye)
    /// Acknowledges a goodbye.
    case ack
    case finished(Finished)

    /// The kind byte in the envelope. Values are part of the protocol: never renumber, only add.
    package var kind: UInt8 {
        switch self {
        case .hello: 1
        case .welcome: 2
        case .jobRequest: 3
        case .job: 4
        case .wait: 5
        case .result: 6
        case .heartbeat: 7
        case .heartbeatAck: 8
        case .statusQuery: 9
        case .status: 10
        case .refusal: 11
        case .goodbye: 12
        case .ack: 13
        case .finished: 14
        }
    }

    /// A short name for logs.
    package var name: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .jobRequest: "jobRequest"
        case .job: "job"
        case .wait: "wait"
        case .result: "result"
        case .heartbeat: "heartbeat"
        case .heartbeatAck: "heartbeatAck"
        case .statusQuery: "statusQuery"
        case .status: "status"
        case .refusal: "refusal"
        case .goodbye: "goodbye"
        case .ack: "ack"
        case .finished: "finished"
        }
    }

    func encodeBody(into w: inout WireWriter) {
        switch self {
        case .hello(let m): m.encode(into: &w)
        case .welcome(let m): m.encode(into: &w)
        case .jobRequest(let m): m.encode(into: &w)
        case .job(let m): m.encode(into: &w)
        case .wait(let m): m.encode(into: &w)
        case .result(let m): m.encode(into: &w)
        case .heartbeat(let m): m.encode(into: &w)
        case .heartbeatAck(let m): m.encode(into: &w)
        case .statusQuery, .ack: break
        case .status(let m): m.encode(into: &w)
        case .refusal(let m): m.encode(into: &w)
        case .goodbye(let m): m.encode(into: &w)
        case .finished(let m): m.encode(into: &w)
        }
    }

    static func decodeBody(kind: UInt8, kindOffset: Int, from r: inout WireReader) throws(ProtocolError) -> WireMessage {
        switch kind {
        case 1: return .hello(try WorkerHello(from: &r))
        case 2: return .welcome(try Welcome(from: &r))
        case 3: return .jobRequest(try JobRequest(from: &r))
        case 4: return .job(try Job(from: &r))
        case 5: return .wait(try Wait(from: &r))
        case 6: return .result(try JobResult(from: &r))
        case 7: return .heartbeat(try Heartbeat(from: &r))
        case 8: return .heartbeatAck(try HeartbeatAck(from: &r))
        case 9: return .statusQuery
        case 10: return .status(try StatusAnswer(from: &r))
        case 11: return .refusal(try Refusal(from: &r))
        case 12: return .goodbye(try Goodbye(from: &r))
        case 13: return .ack
        case 14: return .finished(try Finished(from: &r))
        default: throw ProtocolError(offset: kindOffset, .unknownKind(kind))
        }
    }
}
