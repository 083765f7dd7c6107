import Foundation
import Search

/// A finished or stopped run read back from its directory: the journal's events (a torn last line is reported on
/// stderr, as `JournalReader` describes it) and the state they fold to. `report` and `rescore` both start here.
struct RunJournal {
    let events: [SearchEvent]
    let state: SearchState

    init(runDirectory run: URL) throws {
        let (events, warning) = try JournalReader.read(url: run.appendingPathComponent("events.jsonl"))
        if let warning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        var state = SearchState()
        for event in events { try state.apply(event) }
        self.events = events
        self.state = state
    }}
