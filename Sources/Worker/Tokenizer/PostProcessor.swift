import Model
/// The `post_processor` section: adds special tokens around an encoded single sequence.
///
/// Implemented: `TemplateProcessing` (its `single` template; pairs are not encoded here), `ByteLevel` (which only
/// adjusts offsets, so leaves ids alone) and `Sequence`.
package indirect enum PostProcessor: Equatable {
    case sequence([PostProcessor])
    case template(single: [TemplatePiece])
    case byteLevel

    /// One item of a template: the sequence itself, or a special token's ids.
    package enum TemplatePiece: Equatable {
        case sequence
        case special([TokenID])
    }

    /// The factory keyed on `type`.
    package init(json: JSONField) throws {
        switch try json.type() {
        case "Sequence":
            self = .sequence(try json.field("processors").array().map(PostProcessor.init(json:)))
        case "ByteLevel":
            self = .byteLevel
        case "TemplateProcessing":
            let specials = try json.field("special_tokens")
            self = .template(single: try json.field("single").array().map { piece in
                if let sequence = piece.optionalField("Sequence") {
                    let name = try sequence.field("id").string()
                    guard name == "A" else { throw sequence.unsupported("sequence \(name) in the single template") }
                    return .sequence
                }
                let special = try piece.field("SpecialToken")
                let name = try special.field("id").string()
                guard let entry = specials.optionalField(name) else {
                    throw TokenizerError.unknownToken(file: specials.file, path: specials.path, token: name)
                }
                return .special(try entry.field("ids").array().map { TokenID(try $0.int()) })
            })
        case let other:
            throw json.unknownType(other)
        }
    }

    package func process(_ ids: [TokenID]) -> [TokenID] {
        switch self {
        case .sequence(let steps): return steps.reduce(ids) { $1.process($0) }
        case .byteLevel: return ids
        case .template(let pieces):
            return pieces.flatMap { piece -> [TokenID] in
                switch piece {
                case .sequence: return ids
                case .special(let special): return special
                }
            }
        }
    }

    /// The special ids the template puts before / after the sequence (e.g. BOS), in order.
    package var leadingSpecialIDs: [TokenID] { specialIDs(trailing: false) }
    package var trailingSpecialIDs: [TokenID] { specialIDs(trailing: true) }

    private func specialIDs(trailing: Bool) -> [TokenID] {
        switch self {
        case .byteLevel: return []
        case .sequence(let steps): return steps.flatMap { $0.specialIDs(trailing: trailing) }
        case .template(let pieces):
            guard let at = pieces.firstIndex(of: .sequence) else { return [] }
            let side = trailing ? pieces[(at + 1)...] : pieces[..<at]
            return side.flatMap { piece -> [TokenID] in
                if case .special(let ids) = piece { return ids }
                return []
            }
        }
    }
}
