import Foundation
import Shared

/// The report's reference lines (baselines outside the metric language, e.g. SparseGPT) and the layer sparsity
/// allocation, kept apart from the ranking so a reference can never be read as a found metric.
extension SearchReport {
    package struct Reference: Codable, Sendable {
        package var method: String
        package var fullPerplexity: Double?
        package var testPerplexity: Double?
        package var failure: String?
        /// Evaluation time per window set (`full`, `test`), as the worker reported it.
        package var seconds: [String: Double]

        init(_ line: ReferenceLine) {
            method = line.method.description
            fullPerplexity = line.full?.value
            testPerplexity = line.test?.value
            for score in [line.full, line.test] { if case .failed(let why) = score { failure = why } }
            seconds = Dictionary(uniqueKeysWithValues: line.seconds.map { ($0.key.description, $0.value) })
        }
    }

    /// LLaMA's seven prunable linears per decoder block (q, k, v, o, gate, up, down), in the model order of a
    /// result's per-linear sparsities (`JobResult.layerSparsity`).
    static let linearsPerBlock = 7

    /// Each block's pruned fraction: the mean over its linears (they all get the block's ratio; each prunes
    /// ⌊ratio · columns⌋ per row, so the values are the allocation to within 1/columns).
    static func perBlock(_ linears: [Double]) -> [Double] {
        stride(from: 0, to: linears.count, by: linearsPerBlock).map { start in
            let block = linears[start..<min(start + linearsPerBlock, linears.count)]
            return block.reduce(0, +) / Double(block.count)
        }
    }

    var layerLines: [String] {
        guard let layerSparsity else { return [] }
        let blocks = blockSparsity.map { $0.map { String(format: "%.4f", $0) }.joined(separator: ", ") }
        return ["- layer sparsity: \(layerSparsity); per block as pruned: " + (blocks ?? "no result yet")]
    }

    var referenceLines: [String] {
        guard !references.isEmpty else { return [] }
        let f = SearchReport.cell
        func s(_ v: Double?) -> String { v.map { String(format: "%.1f s", $0) } ?? "–" }
        var lines = ["Reference lines (not metrics: not in the population, never bred):", "",
                     "| reference | full ppl | test ppl | time full | time test |", "|---|---:|---:|---:|---:|"]
        for r in references {
            lines.append("| \(r.method)\(r.failure.map { " (failed: \($0))" } ?? "") | \(f(r.fullPerplexity)) | "
                         + "\(f(r.testPerplexity)) | \(s(r.seconds["full"])) | \(s(r.seconds["test"])) |")
        }
        return lines + [""]
    }
}
