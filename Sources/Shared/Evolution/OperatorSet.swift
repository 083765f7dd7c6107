/// The operators random trees and point mutations draw from.
///
/// `paper` is the reference's fifteen (its `lib/gptree.py`); `all` adds our per-row and per-column normalisations
/// (`rown`, `coln`), which make RIA expressible. `paper` draws exactly as before they existed (they come last in
/// `allCases`), so a seed gives the trees it always gave.
package enum OperatorSet: String, Sendable, Hashable, Codable, CaseIterable {
    case paper
    case all

    package var unary: [UnaryOperator] {
        switch self {
        case .paper: UnaryOperator.paperSet
        case .all: UnaryOperator.allCases
        }
    }

    package var binary: [BinaryOperator] { BinaryOperator.allCases }
}
