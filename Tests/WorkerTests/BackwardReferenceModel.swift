import Foundation
@testable import Model
@testable import Engine
@testable import Training

/// A plain LLaMA forward in Double, written from the definitions (transformers' LlamaForCausalLM) with no BLAS and
/// no vector kernels: the loss whose central differences check the engine's analytic gradients.
struct ReferenceLlama {
    let config: LlamaConfig
    var tensors: [ParameterTensor: [Double]]

    init(_ p: LlamaParameters) {
        config = p.config
        tensors = Dictionary(uniqueKeysWithValues: p.tensors.map { ($0, p[$0].map(Double.init)) })
    }

    /// Mean next-token NLL over the (T−1) predictions of every window of `tokens`.
    func loss(tokens: [Int], seqlen t: Int) -> Double {
        let windows = tokens.count / t
        var total = 0.0
        for b in 0..<windows { total += windowNLLSum(Array(tokens[b * t..<(b + 1) * t])) }
        return total / Double(windows * (t - 1))
    }

    private func windowNLLSum(_ ids: [Int]) -> Double {
        let c = config, t = ids.count, C = c.hidden, D = c.headDim, H = c.heads, K = c.kvHeads
        let emb = tensors[.embedding]!
        var x = ids.flatMap { Array(emb[$0 * C..<($0 + 1) * C]) }   // (T, C)
        for l in 0..<c.layers {
            func w(_ bt: BlockTensor) -> [Double] { tensors[.block(l, bt)]! }
            let xn = Self.rmsNorm(x, w(.inputNorm), rows: t, eps: c.rmsNormEps)
            var q = Self.linear(xn, w(.q), rows: t, inputs: C), k = Self.linear(xn, w(.k), rows: t, inputs: C)
            let v = Self.linear(xn, w(.v), rows: t, inputs: C)
            Self.rope(&q, rows: t, heads: H, headDim: D, theta: c.ropeTheta)
            Self.rope(&k, rows: t, heads: K, headDim: D, theta: c.ropeTheta)
            var att = [Double](repeating: 0, count: t * H * D)
            for h in 0..<H {
                let g = h / (H / K)
                for i in 0..<t {
                    let s = (0...i).map { j in
                        (0..<D).reduce(0.0) { $0 + q[i * H * D + h * D + $1] * k[j * K * D + g * D + $1] } / Double(D).squareRoot()
                    }
                    let m = s.max()!, e = s.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
                    for d in 0..<D {
                        att[i * H * D + h * D + d] = (0...i).reduce(0.0) { $0 + e[$1] / z * v[$1 * K * D + g * D + d] }
                    }
                }
            }
            let o = Self.linear(att, w(.o), rows: t, inputs: H * D)
            for i in x.indices { x[i] += o[i] }
            let xn2 = Self.rmsNorm(x, w(.postNorm), rows: t, eps: c.rmsNormEps)
            let gate = Self.linear(xn2, w(.gate), rows: t, inputs: C), up = Self.linear(xn2, w(.up), rows: t, inputs: C)
            let hidden = zip(gate, up).map { g, u in g / (1 + Foundation.exp(-g)) * u }
            let down = Self.linear(hidden, w(.down), rows: t, inputs: c.intermediate)
            for i in x.indices { x[i] += down[i] }
        }
        let xf = Self.rmsNorm(x, tensors[.finalNorm]!, rows: t, eps: c.rmsNormEps)
        let logits = Self.linear(xf, tensors[c.tiedEmbeddings ? .embedding : .lmHead]!, rows: t, inputs: C)
        var sum = 0.0
        for i in 0..<t - 1 {
            let row = logits[i * c.vocab..<(i + 1) * c.vocab]
            let m = row.max()!
            sum += m + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp($1 - m) }) - row[i * c.vocab + ids[i + 1]]
        }
        return sum
    }

    /// y (rows, out) = x (rows, in) · wᵀ, w (out, in).
    static func linear(_ x: [Double], _ w: [Double], rows: Int, inputs: Int) -> [Double] {
        let outputs = w.count / inputs
        var y = [Double](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var s = 0.0
                for i in 0..<inputs { s += x[r * inputs + i] * w[o * inputs + i] }
                y[r * outputs + o] = s
            }
        }
        return y
    }

    static func rmsNorm(_ x: [Double], _ w: [Double], rows: Int, eps: Double) -> [Double] {
        let c = w.count
        var y = x
        for r in 0..<rows {
            let ms = (0..<c).reduce(0.0) { $0 + x[r * c + $1] * x[r * c + $1] } / Double(c)
            for i in 0..<c { y[r * c + i] = x[r * c + i] / (ms + eps).squareRoot() * w[i] }
        }
        return y
    }

    /// Rotate-half RoPE at positions 0..<rows.
    static func rope(_ x: inout [Double], rows: Int, heads: Int, headDim d: Int, theta: Double) {
        let half = d / 2
        for r in 0..<rows {
            for h in 0..<heads {
                for i in 0..<half {
                    let angle = Double(r) / Foundation.pow(theta, Double(2 * i) / Double(d))
                    let a = r * heads * d + h * d + i, b = a + half
                    let x1 = x[a], x2 = x[b]
                    x[a] = x1 * Foundation.cos(angle) - x2 * Foundation.sin(angle)
                    x[b] = x2 * Foundation.cos(angle) + x1 * Foundation.sin(angle)
                }
            }
        }
    }
}

/// Tiny random models for the backward tests.
enum TinyModels {
    static func config(tied: Bool, layers: Int = 2) -> LlamaConfig {
        let json = """
            {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":16,"intermediate_size":24,
             "num_attention_heads":4,"num_key_value_heads":2,"num_hidden_layers":\(layers),"vocab_size":40,
             "rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":\(tied)}
            """
        return try! LlamaConfig.decode(Data(json.utf8), file: "tiny-backward")
    }

    /// Weights large enough that attention is far from uniform and every path carries gradient; norms near 1.
    static func parameters(_ c: LlamaConfig, seed: UInt64) -> LlamaParameters {
        var p = LlamaParameters(zeros: c)
        var s = seed
        func rnd(_ n: Int, _ scale: Float, around center: Float = 0) -> [Float] {
            s &+= 0x9E37_79B9
            return RandomModel.random(n, scale: scale, seed: s).map { $0 + center }
        }
        for t in p.tensors {
            let n = p[t].count
            switch t {
            case .finalNorm, .block(_, .inputNorm), .block(_, .postNorm): p[t] = rnd(n, 0.3, around: 1)
            case .embedding: p[t] = rnd(n, 1)
            case .lmHead: p[t] = rnd(n, 0.5)
            case let .block(_, bt): p[t] = rnd(n, bt == .q || bt == .k ? 1.2 : 0.5)
            }
        }
        return p
    }

    /// `windows` windows of `seqlen` ids, with a repeated token so the embedding gradient sums rows.
    static func tokens(windows: Int, seqlen: Int, vocab: Int, seed: UInt64) -> [TokenID] {
        var ids = RandomModel.random(windows * seqlen, scale: 1, seed: seed).map { TokenID(abs($0) * Float(vocab - 1)) }
        ids[2] = ids[0]
        return ids
    }
}
