import Engine
import Model
/// X of the dense model: every linear's `scaler_row` from one pass of the calibration windows through the unpruned
/// model (the bundle's X, used by `static` activation mode and by the pruning pre-flight).
package enum DenseActivations {
    package static func compute(model: ModelWeights, calibration: [TokenID], seqlen: Int,
                        progress: ((Int, Int) -> Void)? = nil) throws -> [String: [Float]] {
        let windows = calibration.count / seqlen
        let forward = Forward(config: model.config, seqlen: seqlen, windows: windows)
        let collector = ScalerRowCollector(config: model.config, seqlen: seqlen, windows: windows)
        forward.observer = collector
        var hidden = try forward.embed(model, tokens: calibration[...])
        var weights = BlockWeights(zeros: model.config)
        var x: [String: [Float]] = [:]
        for layer in 0..<model.config.layers {
            try model.block(layer, into: &weights)
            collector.reset()
            forward.runBlock(layer, weights: weights, hidden: &hidden)
            let rows = Dictionary(uniqueKeysWithValues: LinearInput.allCases.map { ($0, collector.scalerRow($0)) })
            for linear in PrunableLinear.allCases { x[linear.name(layer: layer)] = rows[linear.input] }
            progress?(layer + 1, model.config.layers)
        }
        return x
    }
}
