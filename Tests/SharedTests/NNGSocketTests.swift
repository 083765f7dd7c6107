import TestSupport
import Foundation
import Testing
@testable import Shared

/// Real NNG sockets over tcp loopback: a REP server with contexts on a thread, a REQ client.
@Suite struct NNGSocketTests {
    static func freeAddress() -> String { LoopbackPort.address() }

    @Test func requestReplyRoundTripThroughAContext() throws {
        let url = Self.freeAddress()
        let server = try NNGSocket(.reply)
        try server.listen(url)
        let context = try NNGContext(server)
        let served = Thread {
            for _ in 0..<3 {
                guard let request = try? context.receive(timeout: 5_000) else { return }
                try? context.reply(Data(request.reversed()))
            }
        }
        served.start()

        let client = try NNGSocket(.request)
        // One job must never reach two workers: no automatic resend.
        try client.setDuration(NNGOption.requestResendTime, milliseconds: NNGOption.infinite)
        try client.setDuration(NNGOption.receiveTimeout, milliseconds: 5_000)
        try client.dial(url)
        for message in ["abc", "", String(repeating: "x", count: 100_000)] {
            try client.send(Data(message.utf8))
            #expect(try client.receive() == Data(message.utf8.reversed()))
        }
        client.close()
        server.close()
    }

    @Test func oversizeMessagesAreDroppedByTheReceiver() throws {
        let url = Self.freeAddress()
        let server = try NNGSocket(.reply)
        try server.setSize(NNGOption.receiveMaxSize, bytes: 1_024)
        try server.listen(url)
        let context = try NNGContext(server)
        let client = try NNGSocket(.request)
        try client.dial(url)
        try client.send(Data(count: 4_096))
        #expect(throws: NNGError.self) { try context.receive(timeout: 500) }
    }

    @Test func errorsNameTheCallAndNNGsText() {
        #expect(throws: NNGError.self) { try NNGSocket(.reply).listen("nonsense://here") }
        do {
            try NNGSocket(.reply).listen("nonsense://here")
        } catch {
            #expect(error.description.hasPrefix("nng_listen(nonsense://here): "))
        }
    }
}
