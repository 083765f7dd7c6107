import Foundation
import Testing
@testable import Coordinator
@testable import Search

/// The early-abort rows of the settings table: off by default, `on` gives the documented defaults, the knobs need
/// it on, flags beat the file, and bad values are named.
@Suite struct EarlyAbortSettingsTests {
    static func settings(_ flags: [String], file: String = "{}") throws -> SearchSetup {
        let command = try SearchCommand.parse(["--run-dir", "/tmp/runs/a1", "--bundle", "b"] + flags)
        return try command.settings(file: try SearchSettingsTests.file(file))
    }

    @Test func offByDefaultAndOnWithTheDocumentedDefaults() throws {
        #expect(try Self.settings([]).config.depthAbort == nil)
        #expect(try Self.settings(["--early-abort", "on"]).config.depthAbort == DepthAbortSettings(margin: 1.5, warmup: 16))
        #expect(try Self.settings(["--early-abort", "off"], file: #"{"earlyAbort": "on"}"#).config.depthAbort == nil)
    }

    @Test func knobsFromFlagsAndFile() throws {
        let setup = try Self.settings(["--early-abort", "on", "--abort-margin", "2.5"],
                                      file: #"{"abortMargin": 9, "abortWarmup": 5}"#)
        #expect(setup.config.depthAbort == DepthAbortSettings(margin: 2.5, warmup: 5))
        var config = setup.config
        config.bundleIdentity = "b"  // the command fills it from the bundle directory
        #expect(config.problems().isEmpty)
        config.depthAbort = DepthAbortSettings(margin: 0.5, warmup: 0)
        #expect(config.problems().filter { $0.contains("abort") }.count == 2, "\(config.problems())")
    }

    @Test func knobsWithoutEarlyAbortAndBadValuesAreNamed() throws {
        #expect { _ = try Self.settings(["--abort-margin", "2"]) } throws: {
            "\($0)".contains("--abort-margin needs --early-abort on")
        }
        #expect { _ = try Self.settings(["--early-abort", "sometimes"]) } throws: {
            "\($0)".contains("--early-abort must be on or off, not 'sometimes'")
        }
    }
}
