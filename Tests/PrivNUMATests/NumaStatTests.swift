import Testing

@testable import PrivNUMA

/// `privnuma stat` with numastat's options over the rfc-v4 fixture (nodes 0-1 general, 2 and
/// 3 private; nodeN/numastat and nodeN/meminfo) and the proc-cpuset processes.
@Suite struct NumaStatTests {
  let machine = Fixture.machine(
    "rfc-v4", declared: [Fixture.declared(2, "cxl0"), Fixture.declared(3, "zram0", capabilities: [.demotion])])

  func sample(_ request: StatRequest, pids: [Int32] = [], machine: Machine? = nil) -> NumaStat.Sample {
    NumaStat.Sample.take(request, machine: machine ?? self.machine, pids: pids)
  }

  @Test func countersComeFromEachNodesNumastatFile() throws {
    var request = StatRequest()
    request.counters = true
    let result = sample(request)
    #expect(result.errors.isEmpty)
    let table = try #require(result.tables.first)
    #expect(table.nodes == [0, 1, 2, 3])
    #expect(table.rows.map(\.name) == NodeStatistics.counterNames)
    #expect(table.rows[0].values == [1543210, 98765, 16384, 0])
    #expect(table.rows[1].values == [0, 2048, 0, 0])
    let text = table.rendered(NodeTable.Layout(), privateNodes: machine.privateNodes)
    #expect(text.contains("Node 2*") && text.contains("Node 3*") && !text.contains("Node 1*"))
    #expect(text.contains("* private: node 2 cxl0 (kernel), node 3 zram0 (kernel)"))
    let hit = try #require(text.split(separator: "\n").first { $0.hasPrefix("numa_hit") })
    #expect(hit.split(separator: " ") == ["numa_hit", "1543210", "98765", "16384", "0", "1658359"])
  }

  @Test func meminfoInMiBWithMemUsed() throws {
    var request = StatRequest()
    request.meminfo = true
    let table = try #require(sample(request).tables.first)
    let rows = Dictionary(uniqueKeysWithValues: table.rows.map { ($0.name, $0.values) })
    let total = try #require(rows["MemTotal"])
    let used = try #require(rows["MemUsed"])
    #expect(total[0] == Int64(8_388_608) * 1024)
    #expect(used[3] == Int64(4_194_304 - 4_100_000) * 1024)
    #expect(table.rows.first?.name == "MemTotal")
    #expect(rows["SwapCached"] == nil)  // a key the node's meminfo does not have is left out
    let text = table.rendered(NodeTable.Layout(), privateNodes: machine.privateNodes)
    #expect(text.contains("MemTotal") && text.contains("8192.00"))
  }

  @Test func compactSortAndSkipZero() throws {
    let table = NodeTable(
      title: "t", nodes: [0, 1, 2],
      rows: [
        NodeTable.Row(name: "small", values: [1 << 20, 0, 0]),
        NodeTable.Row(name: "zero", values: [0, 0, 0]),
        NodeTable.Row(name: "big", values: [3 << 19, 0, 5 << 20]),
      ])
    let sorted = table.arranged(NodeTable.Layout(sortBy: -1))
    #expect(sorted.rows.map(\.name) == ["big", "small", "zero"])
    #expect(table.arranged(NodeTable.Layout(sortBy: 0)).rows.map(\.name) == ["big", "small", "zero"])
    let skipped = table.arranged(NodeTable.Layout(skipZero: true))
    #expect(skipped.rows.map(\.name) == ["small", "big"])
    #expect(skipped.columns == [0, 2])
    let compact = table.rendered(NodeTable.Layout(compact: true, skipZero: true), privateNodes: [])
    #expect(compact.contains("big    2       5      7") || compact.split(separator: "\n").contains { $0.split(separator: " ") == ["big", "2", "5", "7"] })
    #expect(!compact.contains("Node 1"))
    let wide = table.rendered(NodeTable.Layout(), privateNodes: [])
    #expect(wide.split(separator: "\n").contains { $0.split(separator: " ") == ["big", "1.50", "0.00", "5.00", "6.50"] })
  }

  @Test func jsonHasWholeValuesAndTheUnit() {
    var request = StatRequest()
    request.counters = true
    request.layout.skipZero = true
    let json = sample(request).tables[0].json(request.layout, privateNodes: machine.privateNodes).rendered()
    #expect(json.contains("\"unit\": \"pages\""))
    #expect(json.contains("\"nodes\": [0, 1, 2]"))
    #expect(json.contains("\"private_nodes\": [2]"))
    #expect(json.contains("\"total\": 1658359"))
  }

  @Test func intervalSamplesAreDifferences() {
    var request = StatRequest()
    request.counters = true
    let first = sample(request)
    var later = first
    later.tables[0].rows[0].values[2] += 512
    let change = later.minus(first)
    #expect(change.tables[0].rows[0].values == [0, 0, 512, 0])
    #expect(change.tables[0].rows[1].values == [0, 0, 0, 0])
  }

  @Test func patternsMatchNameOrCommandLineAsNumastatDoes() {
    let proc = Fixture.directory + "/proc-cpuset/proc"
    #expect(Processes.matching("app", proc: proc, excluding: 0) == [812, 813])
    #expect(Processes.matching("--threads", proc: proc, excluding: 0) == [812])
    #expect(Processes.matching("sleep 600", proc: proc, excluding: 0) == [900])
    #expect(Processes.matching("app", proc: proc, excluding: 813) == [812])
    #expect(Processes.matching("nothing-like-this", proc: proc, excluding: 0).isEmpty)
  }

  @Test func processTableWithPrivateNodesMarked() throws {
    let cpuset = ProcFixture.cpuset()
    var request = StatRequest()
    request.patterns = ["app"]
    request.layout.sortBy = -1
    let table = try #require(sample(request, pids: [812, 813], machine: cpuset).tables.first)
    #expect(table.rows.map(\.name) == ["812 (app)", "813 (app-worker)"])
    let text = table.rendered(request.layout, privateNodes: cpuset.privateNodes)
    #expect(text.contains("Node 3*") && text.contains("Total"))
  }

  @Test func optionsReadAsNumastatsHabits() throws {
    let command = Command.stat
    func parsed(_ words: [String]) throws -> StatRequest {
      let arguments = try command.parse(ArraySlice(words)).get()
      return try Stat.request(arguments).get()
    }
    let request = try parsed(["-p", "app", "812", "-m", "-n", "-c", "-s", "-z", "--interval", "0.5", "--count", "3"])
    #expect(request.patterns == ["app"] && request.pids == [812])
    #expect(request.meminfo && request.counters && request.layout == NodeTable.Layout(compact: true, sortBy: -1, skipZero: true))
    #expect(request.interval == 0.5 && request.count == 3)
    #expect(try parsed(["--sort-node", "2"]).layout.sortBy == 2)
    for bad in [["--interval", "soon"], ["--count", "3"], ["--interval", "1", "--count", "0"], ["-p", ""]] {
      #expect(throws: Failure.self, "\(bad)") { try parsed(bad) }
    }
  }
}
