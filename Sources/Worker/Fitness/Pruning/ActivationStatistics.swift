import Engine
import Model
/// The reference's `scaler_row` (lib/layerwrapper.py): per input feature of a linear, the sum over tokens of x²,
/// averaged over calibration windows (REFERENCE-SEMANTICS.md rule 1; "nsamples counts windows, not tokens").
///
/// Attached to `Forward` as its observer for one block's pass, it sees the four distinct linear inputs (q/k/v share
/// one, gate/up share one) and accumulates Σx² in Float64, one slot per window. Lanes write disjoint slots at once,
/// and the slots are summed in window order, so X does not depend on how windows were split over lanes. The
/// reference keeps a float32 running mean instead; the difference is rounding, far inside the 1e-4 tolerance.
final class ScalerRowCollector: BlockObserver {
    let seqlen: Int
    let windows: Int
    private let widths: [LinearInput: Int]
    private let slots: [LinearInput: UnsafeMutablePointer<Double>]   // (windows, width) per input

    init(config c: LlamaConfig, seqlen: Int, windows: Int) {
        self.seqlen = seqlen
        self.windows = windows
        let widths: [LinearInput: Int] = [.attention: c.hidden, .output: c.heads * c.headDim, .mlp: c.hidden, .down: c.intermediate]
        self.widths = widths
        slots = widths.mapValues { width in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: windows * width)
            p.initialize(repeating: 0, count: windows * width)
            return p
        }
    }

    deinit { for p in slots.values { p.deallocate() } }

    func reset() {
        for (input, p) in slots { p.update(repeating: 0, count: windows * widths[input]!) }
    }

    func observe(layer: Int, input: LinearInput, rows: UnsafePointer<Float>, count: Int, width: Int, firstWindow: Int) {
        precondition(width == widths[input] && count % seqlen == 0 && firstWindow + count / seqlen <= windows)
        for w in 0..<count / seqlen {
            let s = slots[input]! + (firstWindow + w) * width
            for r in 0..<seqlen {
                let row = rows + (w * seqlen + r) * width
                for c in 0..<width { let v = Double(row[c]); s[c] += v * v }
            }
        }
    }

    /// X for linears reading `input`, as a (1, in) row: Σ_tokens x² / windows.
    func scalerRow(_ input: LinearInput) -> [Float] {
        let width = widths[input]!, p = slots[input]!
        var sum = [Double](repeating: 0, count: width)
        for w in 0..<windows {
            for c in 0..<width { sum[c] += p[w * width + c] }
        }
        return sum.map { Float($0 / Double(windows)) }
    }
}
