// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

/// Release builds leave out the run-time exclusivity checks of the per-row code (the compile-time
/// checks stay, and debug builds, which `swift test` runs, keep the run-time ones too): they were
/// 5 % of a state's quarter (benchmarks/README.md).
let releaseSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "klappt",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "klappt", targets: ["klappt"]),
        .library(name: "KlapptKit", targets: ["KlapptKit"]),
        .library(name: "KlapptFormats", targets: ["KlapptFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Tests only: reading the workbook back (an .xlsx is a zip of XML parts).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // Reading workbooks (.xlsx): the zip container, one part at a time in pieces.
        .systemLibrary(
            name: "CLibZip",
            pkgConfig: "libzip",
            providers: [.apt(["libzip-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CXLSXWriter",
            pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"])]
        ),
        .systemLibrary(
            name: "CCoinOR",
            pkgConfig: "cbc",
            providers: [.apt(["coinor-libcbc-dev", "coinor-libclp-dev"])]
        ),
        .target(name: "CKlapptSHA256"),
        .target(name: "CKlapptPrefetch"),
        .target(
            name: "KlapptFormats",
            dependencies: ["CLibXML2", "CLibZip"],
            swiftSettings: releaseSettings
        ),
        .target(
            name: "KlapptKit",
            dependencies: [
                "KlapptFormats",
                "CSQLite",
                "CXLSXWriter",
                "CCoinOR",
                "CKlapptSHA256",
                "CKlapptPrefetch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                // Ed25519 signatures of the districts' deliveries to the Land (issue 22).
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: releaseSettings
        ),
        // The sample generator: synthetic exports in the reference layouts with their own ground
        // truth. A target of its own, so the library that handles real data does not ship it.
        .target(
            name: "KlapptSamples",
            dependencies: ["KlapptKit", "KlapptFormats", "CXLSXWriter"]
        ),
        .executableTarget(
            name: "klappt",
            dependencies: [
                "KlapptKit",
                "KlapptSamples",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "KlapptTestSupport",
            dependencies: [
                "KlapptKit", "KlapptSamples", .product(name: "Logging", package: "swift-log"), .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Tests/Support"
        ),
        // The fuzz corpus is read from the source tree (#filePath), not bundled: excluded, so the
        // build does not warn about unhandled files.
        .testTarget(
            name: "KlapptFormatsTests", dependencies: ["KlapptFormats", .product(name: "ZIPFoundation", package: "ZIPFoundation")], exclude: ["Corpus"]),
        .testTarget(
            name: "KlapptKitTests",
            dependencies: ["KlapptKit", "KlapptSamples", "KlapptTestSupport", "CKlapptSHA256", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["KlapptKit", "KlapptFormats", "KlapptSamples", "KlapptTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
    ]
)

// The benchmark target (ordo-one/benchmark) only when asked for, so that `swift test` and CI do not
// build the benchmark framework:  KLAPPT_BENCHMARKS=1 swift package --disable-sandbox benchmark
if ProcessInfo.processInfo.environment["KLAPPT_BENCHMARKS"] != nil {
    package.dependencies.append(.package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "KlapptBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), "KlapptKit", "KlapptSamples", "KlapptFormats"],
            path: "benchmarks/Benchmarks/KlapptBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ))
}
