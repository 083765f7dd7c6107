// DeterminismBound: how far a different summation order (another OpenBLAS core type, the baseline kernels' sgemm
// attention, or PyTorch) may move the engine's results, from the sizes and magnitudes involved
// (README, "Determinism"). Not a measurement: nothing here depends on what one CPU produced.
//
// Each length-K float32 dot product is within γ_K·Σ|aᵢbᵢ| of exact in any order, FMA or not (Higham, Accuracy and
// Stability of Numerical Algorithms, §3.1), γ_K = K·u/(1 − K·u), u = 2⁻²⁴; two orders differ by ≤ 2γ_K·Σ|aᵢbᵢ|.
// Along the forward there are 6 products in series per block (q/k/v, scores, P·V, o, gate/up, down) adding into
// the residual stream, and lm_head; RMSNorm rescales each sub-layer's input, so to first order (no layer
// amplifying a relative perturbation) the perturbations add. The backward doubles the chain (input and weight
// gradients of each product) and adds lm_head's V-long reduction.
enum DeterminismBound {
    static let u = 0x1p-24

    static func gamma(_ k: Int) -> Double { Double(k) * u / (1 - Double(k) * u) }

    /// Products in series from the embedding to the logits: 6 per block and lm_head.
    static func forwardDepth(_ c: LlamaConfig) -> Int { 6 * c.layers + 1 }

    /// The longest reduction of a forward product: C (q/k/v, gate/up), H·D (o), F (down), D (scores), T (P·V).
    static func longestReduction(_ c: LlamaConfig, seqlen: Int) -> Int {
        max(c.hidden, c.intermediate, c.heads * c.headDim, seqlen)
    }

    /// |Δ mean NLL| of a window (and ≈ |Δppl|/ppl): the logits move by ≤ depth·2γ_K·Z, with Z = max over rows and
    /// vocabulary of Σ_c |W_head[v, c]·xn[c]|, and NLL = logsumexp(z) − z_target by at most twice that.
    static func meanNLL(_ c: LlamaConfig, seqlen: Int, logitScale z: Double) -> Double {
        2 * Double(forwardDepth(c)) * 2 * gamma(longestReduction(c, seqlen: seqlen)) * z
    }

    /// ‖ΔG‖/‖G‖ in the worst case: forward, then twice the forward's chain back, each product within 2γ_K
    /// (K now also the vocabulary, lm_head's backward reduction, and T, a weight gradient's).
    static func gradientNormwise(_ c: LlamaConfig, seqlen: Int) -> Double {
        Double(3 * forwardDepth(c)) * 2 * gamma(max(longestReduction(c, seqlen: seqlen), c.vocab))
    }

    /// The same chain under the probabilistic model of rounding (Higham & Mary, SIAM J. Sci. Comput. 41(5), 2019):
    /// a length-K sum's relative error is ~√K·u (independent roundings of either sign), and the 3·depth products'
    /// errors add in quadrature: √(3·depth)·√K·u, the typical (one-σ) relative difference of a G entry.
    static func gradientTypical(_ c: LlamaConfig, seqlen: Int) -> Double {
        (Double(3 * forwardDepth(c)) * Double(max(longestReduction(c, seqlen: seqlen), c.vocab))).squareRoot() * u
    }
}

// MARK: the bound the coordinator ties fitnesses under

extension DeterminismBound {
    /// The worst case's logit scale Z = max over rows and vocabulary of Σ_c |W_head[v, c]·xn[c]|, bounded from
    /// the weights alone so it holds for every input and every pruned model (pruning never touches lm_head or the
    /// final norm): xn = g ⊙ x̂ with Σ_c x̂[c]² ≤ C (RMSNorm's output has mean square ≤ 1), so by Cauchy–Schwarz
    /// Σ_c |W[v, c]·g[c]·x̂[c]| ≤ √C · ‖W[v, :] ⊙ g‖₂.
    static func logitScaleBound(projection: [Float], norm: [Float]) -> Double {
        Double(norm.count).squareRoot() * headRowNorm(projection: projection, norm: norm)
    }

    /// max over the vocabulary of ‖W_head[v, :] ⊙ g‖₂: how much a unit-size perturbation of x̂ with independent
    /// components moves a logit (the probabilistic model's Z; the worst case aligns the perturbation with the row
    /// and gains √C, `logitScaleBound`).
    static func headRowNorm(projection: [Float], norm: [Float]) -> Double {
        let c = norm.count
        precondition(c > 0 && projection.count % c == 0, "lm_head is not (V, C) for a final norm of \(c)")
        var worst = 0.0
        for v in 0..<(projection.count / c) {
            var s = 0.0
            for i in 0..<c {
                let w = Double(projection[v * c + i]) * Double(norm[i])
                s += w * w
            }
            worst = max(worst, s)
        }
        return worst.squareRoot()
    }

    /// λ of `fitness`: a tail probability 2·exp(−λ²/2) ≈ 2.5e-14 per quantity, small enough that no search ever
    /// sees a correct re-measurement fall outside.
    static let lambda = 8.0

    /// The bound on |Δ ln perplexity| (= |Δ mean NLL| over the windows) between two correct workers, whatever
    /// their core types, kernel variants and lane counts: what the coordinator treats as one result
    /// (`FitnessEquivalence`, README "Determinism"). The worst case (`meanNLL`) under the probabilistic model of
    /// rounding (Higham & Mary, SIAM J. Sci. Comput. 41(5), 2019): each rounding δ (|δ| ≤ u, independent, mean
    /// zero) perturbs a hidden component by u times a partial sum of the normalised state's size, and reaches a
    /// logit through that component's weight; along the chain each of the C components takes depth·K roundings
    /// (first order, no layer amplifying), so by Hoeffding's inequality a logit moves by at most
    /// λ·√(depth·K)·u·‖W[v, :] ⊙ g‖₂ with probability ≥ 1 − 2·exp(−λ²/2). Two orders differ by at most twice
    /// that, and an NLL by twice the largest logit change. The worst case aligns every rounding with the row and
    /// the sign, larger by √(depth·K)·√C/λ, and would tie metrics a search must tell apart.
    static func fitness(_ c: LlamaConfig, seqlen: Int, headRowNorm z: Double) -> Double {
        let terms = Double(forwardDepth(c)) * Double(longestReduction(c, seqlen: seqlen))
        return 2 * 2 * lambda * terms.squareRoot() * u * z
    }

    /// `fitness` for a loaded model: ‖W[v, :] ⊙ g‖₂ from its output head, read `step` rows at a time (a large
    /// vocabulary's head, e.g. SmolLM2's tied 49,152 × 576, is never widened whole for this).
    static func fitness(_ model: ModelWeights, seqlen: Int, step: Int = 1024) throws -> Double {
        let norm = try model.finalNorm()
        let c = model.config.hidden, vocab = model.config.vocab
        var rows = [Float](repeating: 0, count: step * c)  // (1024, C)
        var z = 0.0
        for start in stride(from: 0, to: vocab, by: step) {
            let ids = Array(start..<min(vocab, start + step))
            try rows.withUnsafeMutableBufferPointer {
                try model.store.readRows(model.outputName, rows: ids, into: $0.baseAddress!)
            }
            z = max(z, headRowNorm(projection: Array(rows[0..<(ids.count * c)]), norm: norm))
        }
        return fitness(model.config, seqlen: seqlen, headRowNorm: z)
    }
}
