import Testing
@testable import Engine
@testable import Fitness

/// The forward pass splits windows into chunks run by lanes side by side. A window's result must not depend on how
/// many lanes there are, which lane ran its chunk, or the chunk size — and neither may the activation statistics X
/// gathered on the way. It holds by construction: every token product is per-window blocks of single-threaded
/// sgemm (BLAS.tokenGemm), because OpenBLAS's Haswell/Zen kernels round a row differently when its product has
/// another row count, and its threads split rows by thread count. `DeterminismContractTests` runs the same
/// properties under every OPENBLAS_CORETYPE; this test runs under the one this process loaded.
@Suite("Forward lanes")
struct ForwardLaneTests {
    @Test(arguments: [1, 2, 5])
    func outputsAndXAreBitIdenticalForAnyLaneCount(chunkWindows: Int) {
        let c = RandomModel.config(hidden: 64, intermediate: 96, heads: 4, kvHeads: 2, layers: 2, vocab: 50)
        let windows = 5, t = 37
        let blocks = (0..<c.layers).map { RandomModel.randomBlock(c, seed: UInt64(40 + $0)) }
        let input = KernelTwinTests.random(windows * t * c.hidden, seed: 41)
        func run(lanes: Int, chunk: Int) -> (hidden: [UInt32], x: [UInt32]) {
            let forward = Forward(config: c, seqlen: t, windows: windows, lanes: lanes, chunkWindows: chunk)
            let collector = ScalerRowCollector(config: c, seqlen: t, windows: windows)
            forward.observer = collector
            var hidden = Activations(windows: windows, seqlen: t, hidden: c.hidden)
            hidden.x = input
            var x: [Float] = []
            for (layer, w) in blocks.enumerated() {
                collector.reset()
                forward.runBlock(layer, weights: w, hidden: &hidden)
                for input in [LinearInput.attention, .output, .mlp, .down] { x += collector.scalerRow(input) }
            }
            return (hidden.x.map(\.bitPattern), x.map(\.bitPattern))
        }
        let reference = run(lanes: 1, chunk: windows)   // one chunk of all windows
        for lanes in [1, 2, 3] {
            let split = run(lanes: lanes, chunk: chunkWindows)
            let hiddenDiffer = zip(split.hidden, reference.hidden).filter { $0 != $1 }.count
            let xDiffer = zip(split.x, reference.x).filter { $0 != $1 }.count
            #expect(hiddenDiffer == 0, "\(lanes) lanes: \(hiddenDiffer) hidden values differ from 1 lane's, all windows in one chunk")
            #expect(xDiffer == 0, "\(lanes) lanes: \(xDiffer) X values differ from 1 lane's, all windows in one chunk")
        }
    }

    /// An observe-only pass (gathering X) sees exactly what a full pass sees and leaves the activations unchanged.
    @Test func observingLeavesTheActivationsAndSeesTheSameX() {
        let c = RandomModel.config(hidden: 64, intermediate: 96, heads: 4, kvHeads: 2, layers: 1, vocab: 50)
        let windows = 3, t = 21
        let w = RandomModel.randomBlock(c, seed: 44)
        var hidden = Activations(windows: windows, seqlen: t, hidden: c.hidden)
        hidden.x = KernelTwinTests.random(windows * t * c.hidden, seed: 45)
        let before = hidden.x.map(\.bitPattern)
        let forward = Forward(config: c, seqlen: t, windows: windows, lanes: 2, chunkWindows: 2)
        func x(_ collector: ScalerRowCollector) -> [UInt32] {
            LinearInput.allCases.flatMap { collector.scalerRow($0) }.map(\.bitPattern)
        }
        let observed = ScalerRowCollector(config: c, seqlen: t, windows: windows)
        forward.observer = observed
        forward.observeBlock(0, weights: w, hidden: hidden)
        #expect(hidden.x.map(\.bitPattern) == before, "an observe-only pass wrote to the activations")
        let full = ScalerRowCollector(config: c, seqlen: t, windows: windows)
        forward.observer = full
        forward.runBlock(0, weights: w, hidden: &hidden)
        #expect(x(observed) == x(full))
        #expect(hidden.x.map(\.bitPattern) != before)
    }
}
