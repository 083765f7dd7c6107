import Shared

extension FitnessEvaluator {
    /// OWL's per-block sparsities for a request, or nil when it asks for uniform sparsity. OWL reads the dense X
    /// (the bundle's), whatever the method, and needs an unstructured target.
    package func layerAllocation(_ request: PruningRequest) throws -> OWLAllocation? {
        guard case let .owl(m, lambda) = request.layerSparsity else { return nil }
        try request.layerSparsity.validate()
        guard case .unstructured(let target) = request.pattern else {
            throw LayerSparsityError.needsUnstructured("\(request.pattern)")
        }
        return try OWLAllocation(model: model, denseX: data.denseX, target: target, m: m, lambda: lambda)
    }
}
