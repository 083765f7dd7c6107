import Foundation
import Testing
@testable import Coordinator
@testable import Search

/// The settings table (SearchSettings.swift): each row's key is its flag's name, and a flag beats the file, which
/// beats the default.
@Suite struct SearchSettingsTests {
    /// camelCase → kebab-case, as ArgumentParser names a property's flag.
    static func flag(_ key: String) -> String {
        "--" + key.unicodeScalars.map { $0.properties.isUppercase ? "-\(String($0).lowercased())" : String($0) }.joined()
    }

    static func file(_ json: String) throws -> SearchFile {
        try JSONDecoder().decode(SearchFile.self, from: Data(json.utf8))
    }

    @Test func everyFlaggedSettingIsAFlagOfSearch() {
        let help = SearchCommand.helpMessage(columns: 400)
        for setting in SearchSetting.all where setting.hasFlag {
            // An option is listed as `--name <value>`, an on/off flag as `--name/--no-name`.
            let flag = Self.flag(setting.key)
            #expect(help.contains(flag + " ") || help.contains("\(flag)/--no-\(flag.dropFirst(2))"),
                    "\(setting.key): no \(flag) in search --help")
        }
    }

    /// A key the table does not know (a typo, or a derived field such as `finalRanking`) is refused by name,
    /// rather than dropped for the default.
    @Test func unknownFileKeysAreRefusedByName() throws {
        #expect(throws: (any Error).self) { try Self.file(#"{"budget": 7, "promoteTopFracton": 0.1}"#) }
        do {
            _ = try Self.file(#"{"finalRanking": "test", "testTopK": 0}"#)
            Issue.record("a file with an unknown key was accepted")
        } catch {
            #expect("\(error)".contains("unknown setting finalRanking"), "\(error)")
            #expect("\(error)".contains("testTopK"), "the message lists the known settings")
        }
        _ = try Self.file(#"{"testTopK": 0, "screenReuse": false}"#)   // known keys still load
    }

    @Test func settingKeysAreUnique() {
        let keys = SearchSetting.all.map(\.key)
        #expect(Set(keys).count == keys.count)
    }

    @Test func flagOverridesFileOverridesDefault() throws {
        let command = try SearchCommand.parse(["--run-dir", "/tmp/runs/s7", "--bundle", "flagged", "--budget", "11",
                                               "--x-mode", "static"])
        let setup = try command.settings(file: try Self.file("""
            {"budget": 7, "seed": 3, "xMode": "sequential", "multiFidelity": false, "bundle": "b", "type": "2:4"}
            """))
        #expect(setup.config.budgetEvaluations == 11)  // flag
        #expect(setup.config.xMode == .static)          // flag
        #expect(setup.config.seed == 3)                 // file
        #expect(setup.config.multiFidelity == false)    // file only
        #expect(setup.bundleDir == "flagged")          // flag
        #expect(setup.sparsityType == "2:4")           // file
        #expect(setup.config.population == SearchConfig().population)  // default
        #expect(setup.config.searchID == "s7")          // default: the run directory's name
    }

    /// Racing is a file-only setting whose object may give any of its fields; the rest keep their defaults.
    @Test func raceFromTheFileWithDefaultsForWhatItOmits() throws {
        let plain = try SearchCommand.parse(["--run-dir", "/tmp/runs/s7", "--bundle", "b"])
        #expect(try plain.settings(file: SearchFile()).config.race == nil)
        #expect(try plain.settings(file: Self.file(#"{"race": {"z": 4}}"#)).config.race == RaceSettings(z: 4))
        #expect(try plain.settings(file: Self.file(#"{"race": {}}"#)).config.race == RaceSettings())
        #expect(throws: (any Error).self) { try Self.file(#"{"race": {"z": "high"}}"#) }
    }

    @Test func layerSparsityFromFlagOrFile() throws {
        let flagged = try SearchCommand.parse(["--run-dir", "/tmp/runs/s7", "--bundle", "b", "--layer-sparsity", "owl:7,0.1"])
        #expect(try flagged.settings(file: Self.file(#"{"layerSparsity": "uniform"}"#)).config.layerSparsity
                == .owl(m: 7, lambda: 0.1))
        let plain = try SearchCommand.parse(["--run-dir", "/tmp/runs/s7", "--bundle", "b"])
        #expect(try plain.settings(file: Self.file(#"{"layerSparsity": "owl", "sparsegptReference": true}"#)).config
                .layerSparsity == .owlDefault)
        #expect(try plain.settings(file: SearchFile()).config.layerSparsity == nil)
        #expect {
            _ = try plain.settings(file: Self.file(#"{"layerSparsity": "owl:5,0.7"}"#))
        } throws: { "\($0)".contains("OWL's λ must be in [0, 0.5]") }
        // A resumed run keeps the journal's allocation: another one on the command line is refused.
        #expect(throws: (any Error).self) {
            _ = try SearchCommand.parse(["--resume", "--run-dir", "/tmp/runs/s7", "--layer-sparsity", "uniform"])
        }
    }

    /// SparseGPT's reference line: one row for the flag and the file key, the flag winning either way (its `--no-`
    /// form over a file's true); a resumed run keeps the journal's, so the flag is refused with `--resume`.
    @Test func sparsegptReferenceFromFlagOrFile() throws {
        let run = ["--run-dir", "/tmp/runs/s7", "--bundle", "b"]
        let file = try Self.file(#"{"sparsegptReference": true}"#)
        let plain = try SearchCommand.parse(run)
        #expect(try plain.settings(file: SearchFile()).config.sparsegptReference == nil)
        #expect(try plain.settings(file: file).config.references == [.sparsegpt])              // file
        let on = try SearchCommand.parse(run + ["--sparsegpt-reference"])
        #expect(try on.settings(file: SearchFile()).config.references == [.sparsegpt])         // flag
        let off = try SearchCommand.parse(run + ["--no-sparsegpt-reference"])
        let overridden = try off.settings(file: file).config
        #expect(overridden.sparsegptReference == false && overridden.references.isEmpty)       // flag over file
        for flag in ["--sparsegpt-reference", "--no-sparsegpt-reference"] {
            #expect {
                _ = try SearchCommand.parse(["--resume", "--run-dir", "/tmp/runs/s7", flag])
            } throws: { SearchCommand.message(for: $0).contains("--resume takes its configuration from the journal") }
        }
    }

    /// Every setting but the bundle's location is the journal's on `--resume`: each flag is refused by name,
    /// not silently ignored; where the bundle is and where to listen now, and process flags (workers, security), pass.
    @Test func resumeRefusesEverySettingFlagByName() throws {
        let resume = ["--resume", "--run-dir", "/tmp/runs/s7"]
        for flag in [["--population", "8"], ["--mode", "generational"], ["--x-mode", "static"], ["--early-abort", "on"],
                     ["--group", "layer"], ["--operators", "paper"], ["--sparsity", "0.6"], ["--type", "2:4"],
                     ["--generations", "3"], ["--wall-seconds", "60"], ["--screen-windows", "4"], ["--config", "c.json"]] {
            #expect {
                _ = try SearchCommand.parse(resume + flag)
            } throws: { SearchCommand.message(for: $0).contains("from the journal: drop \(flag[0])") }
        }
        #expect {
            _ = try SearchCommand.parse(resume + ["--seed", "1", "--x-mode", "static"])
        } throws: { SearchCommand.message(for: $0).contains("drop --seed, --x-mode") }
        _ = try SearchCommand.parse(resume + ["--bundle", "b", "--listen", "tcp://0.0.0.0:47200", "--spawn-workers", "2",
                                              "--max-connections", "8"])
        #expect(SearchSetting.all.first { $0.key == "sparsegptReference" }?.flagName == "--sparsegpt-reference")
    }

    @Test func badModeInTheFileIsNamed() throws {
        let command = try SearchCommand.parse(["--run-dir", "/tmp/runs/s7", "--bundle", "b"])
        let file = try Self.file(#"{"mode": "sometimes"}"#)
        #expect {
            _ = try command.settings(file: file)
        } throws: { error in
            "\(error)".contains("--mode must be steady-state or generational, not 'sometimes'")
        }
    }

    /// The comparison group and the operator set: flag or file; the group reaches every fitness request, and a
    /// journal written before either existed reads as per row with the paper's operators.
    @Test func groupAndOperatorsLandInTheConfig() throws {
        let command = try SearchCommand.parse(["--run-dir", "/tmp/runs/s7", "--bundle", "b", "--group", "layer"])
        let setup = try command.settings(file: try Self.file(#"{"operators": "paper", "group": "row"}"#))
        #expect(setup.config.comparisonGroup == .layer)                      // flag
        #expect(setup.config.evolution.operatorSet == .paper)                // file
        #expect(setup.config.request(.full).group == .layer)
        #expect(SearchConfig().comparisonGroup == .row && SearchConfig().evolution.operatorSet == .all)
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SearchConfig())) as! [String: Any]
        old["group"] = nil
        var evolution = old["evolution"] as! [String: Any]
        evolution["operators"] = nil
        old["evolution"] = evolution
        let decoded = try JSONDecoder().decode(SearchConfig.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.comparisonGroup == .row && decoded.evolution.operatorSet == .paper)
        var nm = SearchConfig()
        nm.bundleIdentity = "b"
        nm.sparsity = .nOfM(n: 2, m: 4)
        nm.group = .layer
        #expect(nm.problems().contains { $0.contains("comparison group must be row") })
        // RIA is seeded only when the operators can express it.
        #expect(SearchConfig().seededBaselines.last == SearchConfig.ria)
        #expect(!decoded.seededBaselines.contains(SearchConfig.ria) && decoded.seededBaselines.count == 2)
        for (json, message) in [(#"{"group": "column"}"#, "--group must be row or layer, not 'column'"),
                                (#"{"operators": "some"}"#, "--operators must be all or paper, not 'some'")] {
            let plain = try SearchCommand.parse(["--run-dir", "/tmp/runs/s7", "--bundle", "b"])
            #expect { _ = try plain.settings(file: try Self.file(json)) } throws: { "\($0)".contains(message) }
        }
    }

    @Test func wrongTypeInTheFileIsADecodingErrorNamingTheKey() {
        #expect {
            _ = try Self.file(#"{"population": "many"}"#)
        } throws: { error in
            "\(error)".contains("population")
        }
    }
}
