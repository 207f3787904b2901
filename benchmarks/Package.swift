// swift-tools-version: 6.1
// The benchmark target of klappt (ordo-one/benchmark), a package of its own so that `swift test`
// in the project does not build the benchmark framework. Run from this folder:
//   swift package benchmark                    # all benchmarks
//   swift package benchmark --filter Reader    # some
import PackageDescription

let package = Package(
    name: "klappt-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KlapptBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KlapptKit", package: "klappt"),
                .product(name: "KlapptFormats", package: "klappt"),
            ],
            path: "Benchmarks/KlapptBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
