@main
enum SearchBench { static func main() {} }
