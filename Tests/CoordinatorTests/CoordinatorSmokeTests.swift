@testable import Coordinator
import Testing

@Test func coordinatorCommandHasItsName() {
    #expect(PrunerZeroCoordinator.configuration.commandName == "prunerzero-coordinator")
}
