// swift-tools-version:6.1
import PackageDescription

// A program of its own on Errand: its tools, and the whole `errand` command line (serve, worker, token, and the
// client commands call and tasks) for free.
let package = Package(
    name: "file-audit",
    platforms: [.macOS(.v15)],
    dependencies: [
        // In your own project: .package(url: "https://…/errand.git", from: "…").
        .package(name: "errand", path: "../..")
    ],
    targets: [
        .target(
            name: "FileAuditTools",
            dependencies: [.product(name: "Errand", package: "errand")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "file-audit",
            dependencies: ["FileAuditTools", .product(name: "ErrandCommandLine", package: "errand")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "FileAuditToolsTests",
            dependencies: [
                "FileAuditTools", .product(name: "Errand", package: "errand"),
                .product(name: "ErrandEngine", package: "errand"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
