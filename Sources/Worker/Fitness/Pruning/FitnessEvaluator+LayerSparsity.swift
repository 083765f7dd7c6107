import Shared

extension FitnessEvaluator {
    /// OWL's per-block sparsities for a request, or nil when it asks for uniform sparsity. OWL reads the dense X
    /// (the bundle's), whatever the method, and needs an unstructured target. The allocation scores every weight
    /// of the model, and depends only on the bundle and (target, M, λ), so it is computed once per evaluator and
    /// setting: a serve job's pre-flight and evaluation, and every later job, share it.
    package func layerAllocation(_ request: PruningRequest) throws -> OWLAllocation? {
        guard case let .owl(m, lambda) = request.layerSparsity else { return nil }
        try request.layerSparsity.validate()
        guard case .unstructured(let target) = request.pattern else {
            throw LayerSparsityError.needsUnstructured("\(request.pattern)")
        }
        let key = OWLSetting(target: target, m: m, lambda: lambda)
        if let known = owlAllocations[key] { return known }
        let allocation = try OWLAllocation(model: model, denseX: data.denseX, target: target, m: m, lambda: lambda)
        owlAllocations[key] = allocation
        return allocation
    }

    /// `request` as block `layer` runs it: with OWL, the block's own unstructured sparsity.
    func blockRequest(_ request: PruningRequest, layer: Int, allocation: OWLAllocation?) -> PruningRequest {
        guard let allocation else { return request }
        var block = request
        block.pattern = .unstructured(ratio: allocation.blockSparsity[layer])
        return block
    }
}

/// What an OWL allocation depends on besides the bundle.
struct OWLSetting: Hashable {
    let target: Double, m: Double, lambda: Double
}
