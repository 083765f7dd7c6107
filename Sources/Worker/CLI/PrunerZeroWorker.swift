import ArgumentParser
import Engine
import Shared

/// `prunerzero-worker`: the compute node's program: the LLaMA engine and its model tools.
@main
struct PrunerZeroWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prunerzero-worker",
        abstract: "Load, calibrate, prune and evaluate LLaMA-family models; serve fitness evaluations.",
        version: prunerZeroVersion,
        subcommands: [
            CalibrateCommand.self, PruneCommand.self, EvalCommand.self, ServeCommand.self, TokenizeCommand.self,
            RescoreCommand.self, BLASInfoCommand.self, BenchForwardCommand.self, BenchBackwardCommand.self, TrainCommand.self,
            SplitCorpusCommand.self, BaselinesCommand.self, ConvertCommand.self, DeterminismCheckCommand.self,
        ])

    /// Settles the OpenBLAS kernel (possibly re-executing the process) before any subcommand runs.
    static func main() {
        BLASRuntime.selectFastestKernel()
        main(nil)
    }
}
