/// The three tensors a metric reads for one linear layer, borrowed (the caller owns the memory).
///
/// `W` and `G` are (rows, cols) = (out, in), row-major; `X` is the (1, in) row vector.
package struct MetricInputs {
    package let rows: Int
    package let cols: Int
    package let W: UnsafeBufferPointer<Float>
    package let G: UnsafeBufferPointer<Float>
    package let X: UnsafeBufferPointer<Float>

    /// Fails (nil) when a buffer's length does not match the shape.
    package init?(rows: Int, cols: Int, W: UnsafeBufferPointer<Float>, G: UnsafeBufferPointer<Float>,
                 X: UnsafeBufferPointer<Float>) {
        guard rows > 0, cols > 0, W.count == rows * cols, G.count == rows * cols, X.count == cols else { return nil }
        self.rows = rows
        self.cols = cols
        self.W = W
        self.G = G
        self.X = X
    }

    func buffer(_ t: Terminal) -> UnsafeBufferPointer<Float> {
        switch t {
        case .W: W
        case .G: G
        case .X: X
        }
    }
}
