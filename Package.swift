// swift-tools-version:6.0
// PrunerZero: genetic-programming search for symbolic pruning metrics of LLaMA-family models.
import PackageDescription

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

        // The search: a pure state machine (population, jobs, journal replay) and its NNG edge. A library rather
        // than part of the executable so that tests and the throughput benchmark link it.
        .target(name: "Search", dependencies: ["Shared"], path: "Sources/Coordinator/Search"),
        .executableTarget(
            name: "Coordinator",
            dependencies: ["Shared", "Search", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Coordinator", exclude: ["Search"]),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "Shared", "COpenBLAS", "CZlib", "CKernels", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Worker",
            // Numeric kernels hand raw buffers to concurrent loops; Swift 5 mode keeps that readable. Optimized in
            // debug builds too: `swift test` calibrates and prunes SmolLM2 (135M parameters), and the backward's
            // element-wise loops unoptimized make calibration ~10x slower (25 min instead of ~2).
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-O"], .when(configuration: .debug))]),
        // Throughput benchmarks (`swift run -c release prunerzero-bench`); no benchmark framework, so CI stays light.
        .executableTarget(name: "Benchmarks", dependencies: ["Shared", "COpenBLAS"], path: "Benchmarks",
                          exclude: ["SearchBench", "Reference", "Memory"]),
        // Coordinator throughput over real NNG with in-process load-generator workers (`swift run -c release
        // prunerzero-search-bench [WORKERS] [EVALUATIONS]`).
        .executableTarget(name: "SearchBench", dependencies: ["Shared", "Search"], path: "Benchmarks/SearchBench"),

        // Helpers shared by the test targets (running the built binaries, locating ../shared).
        .target(name: "TestSupport", path: "Tests/Support"),
        .testTarget(name: "SharedTests", dependencies: ["Shared"], path: "Tests/SharedTests"),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Shared", "COpenBLAS", "CKernels", "TestSupport"], path: "Tests/WorkerTests",
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Search", "Shared", "TestSupport"],
                    path: "Tests/CoordinatorTests"),
    ]
)
