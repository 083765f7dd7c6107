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
        let journal = try RunJournal(runDirectory: run)
        let last = journal.events.map(\.time).max() ?? Date().timeIntervalSince1970
        let report = SearchReport(state: journal.state, now: last)
        try report.write(to: run, events: journal.events)
        print(report.markdown)
        print("wrote report.md, report.json, history.csv, progress.svg and best_metric.json in \(runDir)")
    }
}
