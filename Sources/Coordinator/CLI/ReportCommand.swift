import ArgumentParser
import Foundation
import Search

/// `report RUN_DIR`: rebuilds a run's report from its journal, finished or not (a running or crashed search too).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a run's report (Markdown, JSON, CSV history, SVG plot, best metric as a reference tree).")

    @Argument(help: "The run directory (holding events.jsonl).")
    var runDir: String

    func run() throws {
        let run = URL(fileURLWithPath: runDir)
        let (events, warning) = try JournalReader.read(url: run.appendingPathComponent("events.jsonl"))
        if let warning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        var state = SearchState()
        for event in events { try state.apply(event) }
        let last = events.map(\.time).max() ?? Date().timeIntervalSince1970
        let report = SearchReport(state: state, now: last)
        try report.write(to: run, events: events)
        print(report.markdown)
        print("wrote report.md, report.json, history.csv, progress.svg and best_metric.json in \(runDir)")
    }
}
