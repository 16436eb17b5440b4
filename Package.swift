// swift-tools-version:6.1
import PackageDescription

/// One strict settings list, shared by every Swift target.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "errand",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "errand", targets: ["ErrandCLI"]),
        .library(name: "Errand", targets: ["Errand"]),
        .library(name: "ErrandCommandLine", targets: ["ErrandCommandLine"]),
        .library(name: "ErrandHTTP", targets: ["ErrandHTTP"]),
        .library(name: "ErrandEngine", targets: ["ErrandEngine"]),
        .library(name: "ErrandProtocol", targets: ["ErrandProtocol"]),
        .library(name: "ErrandCommandTools", targets: ["ErrandCommandTools"]),
        .library(name: "ErrandClient", targets: ["ErrandClient"]),
    ],
    traits: [
        .trait(name: "Postgres", description: "Build the PostgreSQL task store (postgres-nio)."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Compiled only with the `Postgres` trait: every target dependency on it is trait-conditioned.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CNghttp2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        // epoll for ErrandHTTP's event loops on Linux (empty elsewhere).
        .target(name: "CErrandLinux"),
        // HTTP without I/O: the request parser, headers, responses, server limits and event streams. The fuzz
        // targets build on it alone.
        .target(name: "ErrandHTTPCore", swiftSettings: strictSettings),
        .target(
            name: "ErrandHTTP",
            dependencies: [
                "ErrandHTTPCore",
                "CNghttp2",
                .target(name: "CErrandLinux", condition: .when(platforms: [.linux])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ErrandProtocol",
            swiftSettings: strictSettings
        ),
        // The client side of MCP tasks: Streamable HTTP over FoundationNetworking's URLSession, no SwiftNIO.
        .target(
            name: "ErrandClient",
            dependencies: ["ErrandProtocol"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ErrandEngine",
            dependencies: [
                "ErrandProtocol",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ErrandSQLite",
            dependencies: [
                "ErrandEngine",
                "ErrandProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ErrandPostgres",
            dependencies: [
                "ErrandEngine",
                "ErrandProtocol",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Errand",
            dependencies: [
                "ErrandHTTP",
                "ErrandProtocol",
                "ErrandEngine",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ErrandCommandTools",
            dependencies: [
                "Errand",
                "ErrandEngine",
                "ErrandProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ErrandDemo",
            dependencies: ["Errand", "ErrandProtocol"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ErrandCommandLine",
            dependencies: [
                "Errand", "ErrandClient", "ErrandCommandTools", "ErrandEngine", "ErrandHTTP", "ErrandSQLite",
                .target(name: "ErrandPostgres", condition: .when(traits: ["Postgres"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ErrandCLI",
            dependencies: ["ErrandCommandLine", "ErrandDemo"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ErrandStoreTool",
            dependencies: [
                "ErrandEngine", "ErrandProtocol", "ErrandSQLite", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/crash/StoreTool",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ErrandBench",
            dependencies: [
                "ErrandEngine", "ErrandProtocol", "Errand", "ErrandDemo", "ErrandHTTP", "ErrandSQLite",
                .target(name: "ErrandPostgres", condition: .when(traits: ["Postgres"])),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ErrandBench",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "CommandToolsBench",
            dependencies: [
                "Errand", "ErrandCommandTools", "ErrandEngine", "ErrandProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Benchmarks/CommandToolsBench",
            swiftSettings: strictSettings
        ),
        // Fuzz targets. scripts/fuzz-*.sh build them with libFuzzer (`-sanitize=fuzzer,address -DFUZZING`); an
        // ordinary build makes a replayer of the files it is given, which the tests run over the seed corpus.
        .target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),
        .executableTarget(
            name: "HTTPParserFuzz",
            dependencies: ["CFuzzerDriver", "ErrandHTTPCore", "ErrandTestSupport"],
            path: "Fuzz/HTTPParserFuzz",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "JSONRPCFuzz",
            dependencies: ["CFuzzerDriver", "ErrandProtocol", "ErrandTestSupport"],
            path: "Fuzz/JSONRPCFuzz",
            swiftSettings: strictSettings
        ),
        // Helpers shared by the test targets (a plain target: test targets cannot depend on each other).
        .target(
            name: "ErrandTestSupport",
            dependencies: ["ErrandEngine", "ErrandProtocol"],
            path: "Tests/ErrandTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandHTTPTests",
            dependencies: ["ErrandHTTP", "ErrandHTTPCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandProtocolTests",
            dependencies: ["ErrandProtocol"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandEngineTests",
            dependencies: ["ErrandEngine", "ErrandProtocol", "ErrandTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandSQLiteTests",
            dependencies: [
                "ErrandSQLite", "ErrandEngine", "ErrandProtocol", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandPostgresTests",
            dependencies: [
                "ErrandEngine", "ErrandProtocol", "ErrandTestSupport",
                .target(name: "ErrandPostgres", condition: .when(traits: ["Postgres"])),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandCommandToolsTests",
            dependencies: ["ErrandCommandTools", "Errand", "ErrandEngine", "ErrandProtocol"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandClientTests",
            dependencies: [
                "ErrandClient", "Errand", "ErrandDemo", "ErrandEngine", "ErrandHTTP", "ErrandProtocol",
                "ErrandTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ErrandTests",
            dependencies: [
                "Errand", "ErrandDemo", "ErrandHTTP", "ErrandProtocol", "ErrandEngine", "ErrandTestSupport",
            ],
            swiftSettings: strictSettings
        ),
    ]
)
