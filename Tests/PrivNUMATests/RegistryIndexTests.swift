import Foundation
import Testing

@testable import PrivNUMA

/// The quick launch's RegistryIndex against Registry.load, the full path's reading of the
/// same directory: the index exists exactly when the load succeeds with no file error, and
/// then holds the load's nodes, entry for entry.
@Suite("Registry index equivalence")
struct RegistryIndexTests {
  /// Holds the index of `directory` to the load of it.
  static func check(_ directory: String, _ comment: Comment) {
    let index = RegistryIndex.read(directory: directory, trust: nil)
    guard case .success(let contents) = Registry.load(directory: directory, trust: nil),
      contents.errors.isEmpty
    else {
      #expect(index == nil, comment)
      return
    }
    guard let index else {
      Issue.record("no index of a registry the load reads cleanly: \(comment)")
      return
    }
    #expect(index.missing == contents.missing, comment)
    #expect(index.count == contents.nodes.count, comment)
    for node in contents.nodes {
      guard let at = index.entry(for: node.id) else {
        Issue.record("node \(node.id) is not in the index: \(comment)")
        continue
      }
      let entry = index[at]
      #expect(String(decoding: index.bytes[entry.label], as: UTF8.self) == node.label, comment)
      #expect(entry.capabilities == node.capabilities && entry.minFree == node.minFree, comment)
      #expect(entry.limited == (node.allowUsers != nil || node.allowGroups != nil), comment)
      #expect(index.cgroup(of: at) == (node.cgroup ?? ""), comment)
      #expect(index.node(at, in: directory) == node, comment)
      let label = Array(node.label.utf8)
      #expect(QuickLaunch.label(label, label.count, in: index) == node.id, comment)
    }
  }

  /// A fresh directory holding `files` (name, text).
  static func registry(_ files: [(String, String)]) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(getpid())")
      .path
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    for (name, text) in files {
      try text.write(toFile: path + "/" + name, atomically: false, encoding: .utf8)
    }
    return path
  }

  @Test func everyFixtureRegistryIsIndexedAsItIsLoaded() throws {
    let root = RegistryEquivalenceTests.testsDirectory.path + "/Fixtures"
    let enumerator = try #require(FileManager.default.enumerator(atPath: root))
    var directories = 0
    for case let path as String in enumerator where path.hasSuffix("nodes.d") {
      directories += 1
      Self.check(root + "/" + path, "\(path)")
    }
    #expect(directories >= 10)
    Self.check(root + "/absent/nodes.d", "a missing directory")
  }

  /// Registries of two to four files, each a declaration of node 0 to 3, some labelled, with
  /// odd lines of the parser's equivalence tests: duplicate ids and labels across files,
  /// default labels, files with errors among clean ones. The same every run.
  @Test func randomRegistriesAreIndexedAsTheyAreLoaded() throws {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    let labels = ["cxl0", "hbm0", "node1", "node2", "bench0"]
    let clean = [
      "Capabilities=migration mempolicy", "AllowGroups=root", "AllowUsers=alice 1001",
      "Cgroup=privnuma.slice/a", "Cgroup=privnuma.slice/b", "MinFree=1M", "Kind=cxl",
      "Description=x",
      "Capabilities=", "# comment",
    ]
    var indexed = 0
    for round in 0..<400 {
      var files: [(String, String)] = []
      for file in 0..<2 + next(3) {
        var lines = ["[Node]", "Id=\(next(4))"]
        if next(2) == 0 { lines.append("Label=\(labels[next(labels.count)])") }
        for _ in 0..<next(3) { lines.append(clean[next(clean.count)]) }
        if next(8) == 0 {
          lines.append(
            RegistryEquivalenceTests.oddLines[next(RegistryEquivalenceTests.oddLines.count)])
        }
        var seen = Set<String>()
        lines = lines.filter { seen.insert(String($0.prefix { $0 != "=" })).inserted }
        files.append(("\(50 + file)-f\(file).conf", lines.joined(separator: "\n") + "\n"))
      }
      let directory = try Self.registry(files)
      if RegistryIndex.read(directory: directory, trust: nil) != nil { indexed += 1 }
      Self.check(directory, "round \(round): \(files)")
    }
    #expect(indexed > 40 && indexed < 360, "\(indexed) of 400 indexed")
  }
}
