// swift-tools-version:6.0
// PrunerZero: genetic-programming search for symbolic pruning metrics of LLaMA-family models.
import PackageDescription

/// `-O` in debug builds as well, for the numeric targets (see the comment above the worker's targets).
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "PrunerZero",
    products: [
        .executable(name: "prunerzero-coordinator", targets: ["Coordinator"]),
        .executable(name: "prunerzero-worker", targets: ["Worker"]),
        .executable(name: "prunerzero-bench", targets: ["Benchmarks"]),
        .executable(name: "prunerzero-search-bench", targets: ["SearchBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries. NNG 1.5.2 (Debian) ships no pkg-config file, so its module map links it by name.
        .systemLibrary(name: "CNNG", path: "Sources/CNNG"),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // mbedTLS's crypto (SHA-256, HMAC): Debian's libmbedtls-dev, which NNG's TLS already pulls in.
        .systemLibrary(name: "CMbedCrypto", path: "Sources/CMbedCrypto", providers: [.apt(["libmbedtls-dev"])]),

        // The forward pass's element-wise kernels, compiled for several instruction sets and picked at run time.
        // Optimized in debug builds too: `swift test` runs SmolLM2 (135M parameters, 2048-token windows) through
        // them, and at -O0 attention alone is ~10x slower than the BLAS calls around it.
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

        // The metric language, GP operators, wire protocol, NNG wrapper and configuration.
        .target(name: "Shared", dependencies: ["CNNG", "CMbedCrypto"], path: "Sources/Shared"),

        // The search: a pure state machine (population, jobs, journal replay) and its NNG edge. A library, so that
        // tests and the throughput benchmark link it; the executable beside it is only the command line.
        .target(name: "Search", dependencies: ["Shared"], path: "Sources/Coordinator/Search"),
        .executableTarget(
            name: "Coordinator",
            dependencies: ["Shared", "Search", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Coordinator/CLI"),

        // The worker, one library per pipeline stage; dependencies point one way (README, "Architecture"):
        // Model ← Tokenizer ← Dataset; Model ← Engine; (Engine, Dataset) ← Fitness ← Serve; (Engine, Dataset) ←
        // Training; all ← the executable (the commands). Optimized in debug builds too: `swift test` calibrates
        // and prunes SmolLM2 (135M parameters), and the backward's element-wise loops unoptimized make calibration
        // ~10x slower (25 min instead of ~2); the dequantizers, the tokenizer and the corpus readers run over the
        // whole model and corpus in the same tests.
        .target(name: "Model", dependencies: ["Shared", "CKernels"], path: "Sources/Worker/Model", swiftSettings: optimizedInDebug),
        .target(name: "Tokenizer", dependencies: ["Model"], path: "Sources/Worker/Tokenizer", swiftSettings: optimizedInDebug),
        .target(name: "Dataset", dependencies: ["Model", "Tokenizer", "CZlib"], path: "Sources/Worker/Dataset",
                swiftSettings: optimizedInDebug),
        .target(name: "Engine", dependencies: ["Model", "CKernels", "COpenBLAS"], path: "Sources/Worker/Engine",
                swiftSettings: optimizedInDebug),
        .target(name: "Fitness", dependencies: ["Shared", "Model", "Tokenizer", "Dataset", "Engine", "CKernels", "COpenBLAS"],
                path: "Sources/Worker/Fitness", swiftSettings: optimizedInDebug),
        .target(name: "Serve", dependencies: ["Shared", "Model", "Engine", "Fitness"], path: "Sources/Worker/Serve",
                swiftSettings: optimizedInDebug),
        .target(name: "Training", dependencies: ["Shared", "Model", "Tokenizer", "Dataset", "Engine"],
                path: "Sources/Worker/Training", swiftSettings: optimizedInDebug),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "Shared", "Model", "Tokenizer", "Dataset", "Engine", "Fitness", "Serve", "Training",
                "COpenBLAS", "CKernels", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Worker/CLI", swiftSettings: optimizedInDebug),
        // Throughput benchmarks (`swift run -c release prunerzero-bench`); no benchmark framework, so CI stays light.
        .executableTarget(name: "Benchmarks", dependencies: ["Shared", "COpenBLAS"], path: "Benchmarks",
                          exclude: ["SearchBench", "Reference", "Memory", "DepthAbort", "Scaling", "Results"]),
        // Coordinator throughput over real NNG with in-process load-generator workers (`swift run -c release
        // prunerzero-search-bench [WORKERS] [EVALUATIONS]`).
        .executableTarget(name: "SearchBench", dependencies: ["Shared", "Search"], path: "Benchmarks/SearchBench"),

        // Helpers shared by the test targets (running the built binaries, locating ../shared).
        .target(name: "TestSupport", path: "Tests/Support"),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "TestSupport"], path: "Tests/SharedTests"),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["Shared", "Model", "Tokenizer", "Dataset", "Engine", "Fitness", "Serve", "Training",
                           "COpenBLAS", "CKernels", "TestSupport"],
            path: "Tests/WorkerTests"),
        // The worker's command line itself (its option blocks); everything else is tested through the libraries.
        .testTarget(name: "WorkerCLITests", dependencies: ["Worker", "Model", "Dataset"], path: "Tests/WorkerCLITests"),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Search", "Shared", "TestSupport"],
                    path: "Tests/CoordinatorTests"),
    ]
)
