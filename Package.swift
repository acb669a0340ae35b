// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "privnuma",
  products: [
    .executable(name: "privnuma", targets: ["privnuma"])
  ],
  targets: [
    .target(
      name: "CPrivNUMA",
      linkerSettings: [.linkedLibrary("cap")]
    ),
    .target(name: "PrivNUMA", dependencies: ["CPrivNUMA"]),
    .executableTarget(name: "privnuma", dependencies: ["PrivNUMA"]),
    .testTarget(name: "PrivNUMATests", dependencies: ["PrivNUMA"], exclude: ["Fixtures"]),
  ]
)
