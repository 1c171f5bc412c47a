// swift-tools-version:6.0
import PackageDescription

// The numeric kernels are bounds-checked in debug builds (tests) and unchecked in release builds.
// On x86-64 release builds target AVX2 + FMA (every x86 server since 2013) so SIMD8<Float> is one register.
#if arch(x86_64)
let releaseFlags = ["-Ounchecked", "-wmo", "-target-cpu", "haswell"]
#else
let releaseFlags = ["-Ounchecked", "-wmo"]
#endif
let fastMath: [SwiftSetting] = [.unsafeFlags(releaseFlags, .when(configuration: .release))]
// The int8 and 4-bit kernels (Sources/CKernels) are C with AVX2 (+F16C for the 4-bit scales) intrinsics behind #ifdef and a scalar
// fallback, optimised in every configuration because the tests multiply large matrices with them.
#if arch(x86_64)
let kernelCFlags = ["-O3", "-mavx2", "-mfma", "-mf16c"]
#else
let kernelCFlags = ["-O3"]
#endif

let package = Package(
    name: "Finch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "train", targets: ["Train"]),
        .executable(name: "generate", targets: ["Generate"]),
        .executable(name: "recommend", targets: ["RecommendCLI"]),
        .executable(name: "serve", targets: ["Serve"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "GPT", targets: ["GPT"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "LoRA", targets: ["LoRA"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Recommend", targets: ["Recommend"]),
        .library(name: "Embedding", targets: ["Embedding"]),
        .library(name: "Narrative", targets: ["Narrative"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Accounts: bcrypt password hashes (only the HummingbirdBcrypt product, plain C) and HS256 JWTs.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(kernelCFlags)]),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: fastMath),
        .systemLibrary(name: "CLZMA", path: "Sources/CLZMA", providers: [.apt(["liblzma-dev"])]),
        // RFC 4180 records, shared by `train prepare --format csv` and the shop's import.
        .target(name: "CSV", swiftSettings: fastMath),
        .target(name: "Tokenizer", dependencies: ["CSV", "Tensor"], swiftSettings: fastMath),
        .target(name: "GPT", dependencies: ["Tensor", "Tokenizer", "CKernels"], swiftSettings: fastMath),
        .target(name: "LoRA", dependencies: ["GPT", "Tensor"], swiftSettings: fastMath),
        // The shop: the Online Retail purchase data in SQLite, and the recommenders that read it.
        .target(
            name: "Store",
            dependencies: [
                "CSV", "CLZMA", "Tensor", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: fastMath
        ),
        .target(
            name: "Recommend",
            dependencies: ["Store", "Tensor", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: fastMath
        ),
        // Sentence embeddings (all-MiniLM-L6-v2 and other BERT sentence-transformers) on Tensor's kernels.
        .target(name: "Embedding", dependencies: ["Tensor", "CKernels"], swiftSettings: fastMath),
        // Grounded recommendation narratives: fact sheets, the delexicalised corpus, the grounding checker,
        // and the narrator that writes them (a GPT model with LoRA voices, batched a page at once).
        .target(
            name: "Narrative", dependencies: ["Store", "Recommend", "Tensor", "GPT", "LoRA", "Tokenizer"],
            swiftSettings: fastMath
        ),
        // Open MPI loaded at run time (see Sources/CMPI/MPIRuntime.c for why not linked).
        .target(name: "CMPI", path: "Sources/CMPI"),
        .target(name: "DataParallel", dependencies: ["CMPI", "GPT"], swiftSettings: fastMath),
        // What both command-line tools print and how they fail: one error line, exit code 1.
        .target(
            name: "CommandLineSupport",
            dependencies: ["Tensor", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "Train",
            dependencies: [
                "GPT", "LoRA", "Tokenizer", "Tensor", "CommandLineSupport", "DataParallel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "Generate",
            dependencies: [
                "GPT", "LoRA", "Tokenizer", "Tensor", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The HTTP server: OpenAI/llama.cpp-style completions over the GPT engine.
        .target(
            name: "Server",
            dependencies: [
                "GPT", "Tokenizer", "Store", "Recommend", "Embedding", "Narrative",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Serve",
            dependencies: [
                "Server", "GPT", "CommandLineSupport", "Store", "Recommend", "Embedding", "Narrative",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "RecommendCLI",
            dependencies: [
                "Embedding", "Recommend", "Store", "Tensor", "CommandLineSupport", "Narrative", "Tokenizer", "GPT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "kernel-bench",
            dependencies: [
                "Tensor", "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/KernelBench",
            swiftSettings: fastMath
        ),
        .executableTarget(
            name: "int8-bench",
            dependencies: [
                "Tensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Int8Bench",
            swiftSettings: fastMath
        ),
        .executableTarget(
            name: "tokenizer-bench",
            dependencies: [
                "Tokenizer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/TokenizerBench",
            swiftSettings: fastMath
        ),
        .executableTarget(
            name: "store-bench",
            dependencies: [
                "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/StoreBench",
            swiftSettings: fastMath
        ),
        // The file parsers as fuzz targets: replays a corpus by default, a libFuzzer driver when
        // built by bench/libfuzzer.sh.
        .executableTarget(
            name: "parser-fuzz",
            dependencies: ["CSV", "Embedding", "GPT", "LoRA", "Tokenizer", "Tensor"],
            path: "Benchmarks/ParserFuzz"
        ),
        // Assertions the test targets share (XCTest only, no project code).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], exclude: ["Fixtures"]),
        .testTarget(name: "GPTTests", dependencies: ["GPT", "Tensor", "Tokenizer", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LoRATests", dependencies: ["LoRA", "GPT", "Tensor", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "RecommendTests", dependencies: ["Recommend", "Store"], exclude: ["Fixtures"]),
        .testTarget(name: "EmbeddingTests", dependencies: ["Embedding", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "NarrativeTests",
            dependencies: ["Narrative", "Store", "Recommend", "GPT", "LoRA", "Tokenizer", "Tensor", "TestSupport"]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "GPT", "Tokenizer", "Store", "Recommend", "Embedding", "Narrative", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Runs the built `train` under mpirun; depends on Train so `swift test` builds it first.
        .testTarget(name: "DataParallelTests", dependencies: ["Train", "GPT", "Tensor", "TestSupport"]),
    ]
)
