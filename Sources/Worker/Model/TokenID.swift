/// A token id. Stored and sent as 32-bit because pre-tokenized corpora (`.bin`, uint32 little-endian) can hold
/// hundreds of millions of them; the vocabularies we meet (≤ 256k) fit with room to spare.
package typealias TokenID = UInt32
