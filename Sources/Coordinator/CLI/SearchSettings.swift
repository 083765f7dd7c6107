import ArgumentParser
import Foundation
import Search
import Shared

/// The settings of a new search, each declared once: its config-file key, the `search` flag that overrides the
/// file (when it has one), and where its value lands. The precedence — flag over file over `SearchConfig`'s
/// default — is written once, in `SearchSetting.init`.
///
/// ArgumentParser finds flags through stored `@Option` properties, so each flag's declaration (name, help) stays
/// on `SearchCommand` and its row refers to it by key path; a setting's file key is its flag's name in camelCase
/// (`xMode` for `--x-mode`), which `SearchSettingsTests` checks against the command's help for every row.
struct SearchSetting {
    let key: String
    let hasFlag: Bool
    /// On `--resume`, whether this setting's flag says something about the restarted process (where the bundle
    /// is now, where to listen now) rather than the run, which the journal defines.
    let overridesJournal: Bool
    /// Whether `command` gives this setting's flag.
    let isGiven: (SearchCommand) -> Bool
    fileprivate let read: (KeyedDecodingContainer<SettingKey>) throws -> Any?
    fileprivate let apply: (SearchCommand, SearchFile, inout SearchSetup) throws -> Void

    /// A setting whose flag (if any) is `flag`, whose file value has type `Value`, and which `land` writes when
    /// the flag or the file gives it.
    init<Value: Decodable>(_ key: String, flag: KeyPath<SearchCommand, Value?>?, overridesJournal: Bool = false,
                           _ land: @escaping (Value, inout SearchSetup) throws -> Void) {
        self.key = key
        hasFlag = flag != nil
        self.overridesJournal = overridesJournal
        isGiven = { command in flag.map { command[keyPath: $0] != nil } ?? false }
        read = { try $0.decodeIfPresent(Value.self, forKey: SettingKey(key)) }
        apply = { command, file, setup in
            let given: Value? = flag.flatMap { command[keyPath: $0] } ?? file.values[key] as? Value
            if let given { try land(given, &setup) }
        }
    }

    /// The flag's name: the key in kebab case (`xMode` is `--x-mode`).
    var flagName: String {
        "--" + key.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
    }

    /// A setting with no flag, only a file key.
    init<Value: Decodable>(fileOnly key: String, _ type: Value.Type,
                           _ land: @escaping (Value, inout SearchSetup) throws -> Void) {
        self.init(key, flag: nil as KeyPath<SearchCommand, Value?>?, land)
    }

    /// Every setting, in the order they are applied.
    static var all: [SearchSetting] {
        [
            SearchSetting("bundle", flag: \.bundle, overridesJournal: true) { $1.bundleDir = $0 },
            SearchSetting("budget", flag: \.budget) { $1.config.budgetEvaluations = $0 },
            SearchSetting("seed", flag: \.seed) { $1.config.seed = $0 },
            SearchSetting("population", flag: \.population) { $1.config.population = $0 },
            SearchSetting("sparsity", flag: \.sparsity) { $1.sparsityRatio = $0 },
            SearchSetting("type", flag: \.type) { $1.sparsityType = $0 },
            SearchSetting("mode", flag: \.mode) { m, setup in
                guard let parsed = SearchConfig.Mode(rawValue: m) else {
                    throw ValidationError("--mode must be steady-state or generational, not '\(m)'")
                }
                setup.config.mode = parsed
            },
            SearchSetting("xMode", flag: \.xMode) { x, setup in
                guard let parsed = XMode.allCases.first(where: { "\($0)" == x }) else {
                    throw ValidationError("--x-mode must be sequential or static, not '\(x)'")
                }
                setup.config.xMode = parsed
            },
            SearchSetting("layerSparsity", flag: \.layerSparsity) { text, setup in
                do { setup.config.layerSparsity = try LayerSparsity(argument: text) } catch {
                    if case LayerSparsityError.unknown = error { throw ValidationError("\(error)") }  // names the flag
                    throw ValidationError("--layer-sparsity (config key layerSparsity) \(text): \(error)")
                }
            },
            SearchSetting("generations", flag: \.generations) { $1.config.budgetGenerations = $0 },
            SearchSetting("wallSeconds", flag: \.wallSeconds) { $1.config.budgetWallSeconds = $0 },
            SearchSetting("listen", flag: \.listen, overridesJournal: true) { $1.config.listen = $0 },
            SearchSetting("tieWidth", flag: \.tieWidth) { $1.config.tieWidth = $0 },
            SearchSetting("earlyAbort", flag: \.earlyAbort) { value, setup in
                guard value == "on" || value == "off" else {
                    throw ValidationError("--early-abort must be on or off, not '\(value)'")
                }
                setup.config.depthAbort = value == "on" ? DepthAbortSettings() : nil
            },
            SearchSetting("abortMargin", flag: \.abortMargin) { value, setup in
                guard setup.config.depthAbort != nil else { throw ValidationError("--abort-margin needs --early-abort on") }
                setup.config.depthAbort?.margin = value
            },
            SearchSetting("abortWarmup", flag: \.abortWarmup) { value, setup in
                guard setup.config.depthAbort != nil else { throw ValidationError("--abort-warmup needs --early-abort on") }
                setup.config.depthAbort?.warmup = value
            },
            SearchSetting("screenWindows", flag: \.screenWindows) { $1.config.screenWindows = $0 },
            SearchSetting("group", flag: \.group) { g, setup in
                guard let parsed = ComparisonGroup(argument: g) else {
                    throw ValidationError("--group must be row or layer, not '\(g)'")
                }
                setup.config.group = parsed
            },
            SearchSetting("sparsegptReference", flag: \.sparsegptReference) { $1.config.sparsegptReference = $0 },
            SearchSetting("operators", flag: \.operators) { o, setup in
                guard let parsed = OperatorSet(rawValue: o) else {
                    throw ValidationError("--operators must be all or paper, not '\(o)'")
                }
                setup.config.evolution.operators = parsed
            },
            // File only: tuning a person rarely changes from the command line.
            SearchSetting(fileOnly: "multiFidelity", Bool.self) { $1.config.multiFidelity = $0 },
            SearchSetting(fileOnly: "testTopK", Int.self) { $1.config.testTopK = $0 },
            SearchSetting(fileOnly: "leaseSeconds", Int.self) { $1.config.leaseSeconds = $0 },
            SearchSetting(fileOnly: "heartbeatSeconds", Int.self) { $1.config.heartbeatSeconds = $0 },
            SearchSetting(fileOnly: "promoteTopFraction", Double.self) { $1.config.promoteTopFraction = $0 },
            SearchSetting(fileOnly: "screenReuse", Bool.self) { $1.config.screenReuse = $0 },
            SearchSetting(fileOnly: "race", RaceSettings.self) { $1.config.race = $0 },
            SearchSetting(fileOnly: "seedBaselines", Bool.self) { $1.config.seedBaselines = $0 },
            SearchSetting(fileOnly: "searchID", String.self) { $1.config.searchID = $0 },
        ]
    }
}

/// What the settings fill: the configuration, and the inputs that enter it only together or after a check (the
/// sparsity from its type and ratio, the bundle's identity from its directory).
struct SearchSetup {
    var config = SearchConfig()
    var bundleDir: String?
    var sparsityType = "unstructured"
    var sparsityRatio = 0.5
}

/// The `--config` file: a JSON object whose keys are the settings' (every one optional); other keys are ignored.
struct SearchFile: Decodable {
    fileprivate var values: [String: Any] = [:]

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: SettingKey.self)
        let settings = SearchSetting.all
        // A misspelt or derived key would otherwise be dropped without a word and the run would use the default.
        let keys = settings.map(\.key)
        let unknown = container.allKeys.map(\.stringValue).filter { !keys.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ValidationError("unknown setting\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) "
                + "(the settings: \(keys.joined(separator: ", ")))")
        }
        for setting in settings {
            if let value = try setting.read(container) { values[setting.key] = value }
        }
    }

    static func read(path: String) throws -> SearchFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("--config \(path): cannot read it (\(error.localizedDescription))")
        }
        do { return try JSONDecoder().decode(SearchFile.self, from: data) } catch let error as ValidationError {
            throw ValidationError("--config \(path): \(error.message)")
        }
    }
}

struct SettingKey: CodingKey {
    let stringValue: String
    init(_ key: String) { stringValue = key }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension SearchCommand {
    /// Every setting resolved from the flags and `file` (flag over file over default); the run directory's name is
    /// the default search ID.
    func settings(file: SearchFile) throws -> SearchSetup {
        var setup = SearchSetup()
        setup.config.searchID = URL(fileURLWithPath: runDir).lastPathComponent
        for setting in SearchSetting.all { try setting.apply(self, file, &setup) }
        return setup
    }
}
