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
// The int8 kernels (Sources/CKernels) are C with AVX2 intrinsics behind #ifdef __AVX2__ and a scalar
// fallback, optimised in every configuration because the tests multiply large matrices with them.
#if arch(x86_64)
let kernelCFlags = ["-O3", "-mavx2", "-mfma"]
#else
let kernelCFlags = ["-O3"]
#endif

let package = Package(
    name: "Finch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "train", targets: ["Train"]),
        .executable(name: "generate", targets: ["Generate"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "GPT", targets: ["GPT"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "LoRA", targets: ["LoRA"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(kernelCFlags)]),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: fastMath),
        .target(name: "Tokenizer", dependencies: ["Tensor"], swiftSettings: fastMath),
        .target(name: "GPT", dependencies: ["Tensor", "Tokenizer"], swiftSettings: fastMath),
        .target(name: "LoRA", dependencies: ["GPT", "Tensor"], swiftSettings: fastMath),
        // What both command-line tools print and how they fail: one error line, exit code 1.
        .target(
            name: "CommandLineSupport",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "Train",
            dependencies: [
                "GPT", "LoRA", "Tokenizer", "Tensor", "CommandLineSupport",
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
        // The file parsers as fuzz targets: replays a corpus by default, a libFuzzer driver when
        // built by bench/libfuzzer.sh.
        .executableTarget(
            name: "parser-fuzz",
            dependencies: ["GPT", "LoRA", "Tokenizer", "Tensor"],
            path: "Benchmarks/ParserFuzz"
        ),
        // Assertions the test targets share (XCTest only, no project code).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], exclude: ["Fixtures"]),
        .testTarget(name: "GPTTests", dependencies: ["GPT", "Tensor", "Tokenizer", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LoRATests", dependencies: ["LoRA", "GPT", "Tensor", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
    ]
)
