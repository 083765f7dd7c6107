import Shared

@main
enum PrunerZeroBench {
    static func main() {
        print("prunerzero-bench \(prunerZeroVersion)")
    }
}
