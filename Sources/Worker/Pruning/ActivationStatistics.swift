/// The reference's `scaler_row` (lib/layerwrapper.py): per input feature of a linear, the sum over tokens of x²,
/// averaged over calibration windows (REFERENCE-SEMANTICS.md rule 1; "nsamples counts windows, not tokens").
///
/// Attached to `Forward` as its observer for one block's pass, it sees the four distinct linear inputs (q/k/v share
/// one, gate/up share one) and accumulates Σx² in Float64. The reference keeps a float32 running mean instead; the
/// difference is rounding, far inside the 1e-4 tolerance.
final class ScalerRowCollector: BlockObserver {
    private var sums: [LinearInput: [Double]] = [:]

    func reset() { sums.removeAll(keepingCapacity: true) }

    func observe(layer: Int, input: LinearInput, rows: UnsafePointer<Float>, count: Int, width: Int) {
        var sum = sums[input] ?? [Double](repeating: 0, count: width)
        sum.withUnsafeMutableBufferPointer { s in
            for r in 0..<count {
                let row = rows + r * width
                for c in 0..<width { let v = Double(row[c]); s[c] += v * v }
            }
        }
        sums[input] = sum
    }

    /// X for linears reading `input`, as a (1, in) row: Σ_tokens x² / windows.
    func scalerRow(_ input: LinearInput, windows: Int) -> [Float]? {
        sums[input].map { $0.map { Float($0 / Double(windows)) } }
    }
}
