/// How the target sparsity is spread over decoder blocks: the same in every block, or OWL's outlier-weighted
/// allocation (Yin et al., ICML 2024; OWLAllocation). Any method can use either: the allocation sets each block's
/// ratio, the method chooses the weights. In Shared because it travels in the `FitnessRequest` and the search's
/// journal (as its text, `owl:5,0.08`).
package enum LayerSparsity: Sendable, Hashable, CustomStringConvertible {
    case uniform
    /// `m`: a Wanda score is an outlier above m × the block's mean score; `lambda`: the allocation's half range
    /// (block sparsities span at most target ± lambda).
    case owl(m: Double, lambda: Double)

    /// OWL's published setting for LLaMA (its README's scripts: `--Hyper_m 5 --Lamda 0.08`; main.py's default M is 3).
    package static let owlDefault = LayerSparsity.owl(m: 5, lambda: 0.08)

    /// `uniform`, `owl` (M = 5, λ = 0.08) or `owl:M,λ` such as `owl:7,0.1`.
    package init(argument text: String) throws(LayerSparsityError) {
        if text == "uniform" { self = .uniform; return }
        if text == "owl" { self = Self.owlDefault; return }
        guard text.hasPrefix("owl:") else { throw LayerSparsityError.unknown(text) }
        let fields = text.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 2, let m = Double(fields[0]), let lambda = Double(fields[1]) else {
            throw LayerSparsityError.unknown(text)
        }
        self = .owl(m: m, lambda: lambda)
        try validate()
    }

    /// M must be positive (an outlier exceeds a positive multiple of the mean) and λ in [0, 0.5] (wider ranges put
    /// some block outside [0, 1) at any target).
    package func validate() throws(LayerSparsityError) {
        guard case let .owl(m, lambda) = self else { return }
        guard m.isFinite, m > 0 else { throw LayerSparsityError.badM(m) }
        guard lambda.isFinite, lambda >= 0, lambda <= 0.5 else { throw LayerSparsityError.badLambda(lambda) }
    }

    package var description: String {
        switch self {
        case .uniform: "uniform"
        case let .owl(m, lambda): "owl:\(Self.short(m)),\(Self.short(lambda))"
        }
    }

    private static func short(_ x: Double) -> String { x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : String(x) }
}

extension LayerSparsity: Codable {
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try LayerSparsity(argument: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension LayerSparsity {
    /// Wire form: tag 0 (uniform), or tag 1 then M and λ as f64.
    func encode(into w: inout WireWriter) {
        switch self {
        case .uniform: w.u8(0)
        case let .owl(m, lambda): w.u8(1); w.f64(m); w.f64(lambda)
        }
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        let at = r.offset
        switch try r.u8("layer sparsity kind") {
        case 0: self = .uniform
        case 1:
            let mAt = r.offset
            let m = try r.f64("OWL M")
            let lambdaAt = r.offset
            let lambda = try r.f64("OWL lambda")
            self = .owl(m: m, lambda: lambda)
            do { try validate() } catch {
                let field = error == .badM(m) ? "OWL M" : "OWL lambda"
                throw ProtocolError(offset: field == "OWL M" ? mAt : lambdaAt, .badValue(field: field, detail: "\(error)"))
            }
        case let kind:
            throw ProtocolError(offset: at, .badValue(field: "layer sparsity kind", detail: "unknown tag \(kind)"))
        }
    }
}

package enum LayerSparsityError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case badM(Double)
    case badLambda(Double)
    case needsUnstructured(String)
    case blockOutOfRange(block: Int, sparsity: Double)

    package var description: String {
        switch self {
        case .unknown(let text): "--layer-sparsity must be uniform, owl or owl:M,LAMBDA (e.g. owl:5,0.08), got \(text)"
        case .badM(let m): "OWL's M must be a positive number (outliers exceed M × the mean score), got \(m)"
        case .badLambda(let l): "OWL's λ must be in [0, 0.5] (block sparsities span target ± λ), got \(l)"
        case .needsUnstructured(let pattern):
            "OWL allocates unstructured sparsity per block; \(pattern) fixes every block's ratio (the official code ignores the allocation there)"
        case let .blockOutOfRange(block, sparsity):
            "OWL gives block \(block) sparsity \(sparsity), outside [0, 1): lower λ or the target"
        }
    }
}
