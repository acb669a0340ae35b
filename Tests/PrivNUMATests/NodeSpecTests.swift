import Testing

@testable import PrivNUMA

@Suite struct NodeSpecTests {
  /// Nodes 0 and 1 with CPUs, 4 and 6 memory-only; the cpuset allows 0, 1 and 4.
  let context = NodeContext(
    present: NodeSet([0, 1, 4, 6]), general: NodeSet([0, 1, 4, 6]), memsAllowed: NodeSet([0, 1, 4]))

  /// RFC v4: 0-1 general, 2 bindable private (label cxl0), 3 not bindable (zram0); the caller may use 2.
  let privateContext = NodeContext(
    present: NodeSet([0, 1, 2, 3]), general: NodeSet([0, 1]), memsAllowed: NodeSet([0, 1, 2, 3]),
    privateNodes: NodeSet([2, 3]), usablePrivate: NodeSet([2]), labels: [("cxl0", 2), ("zram0", 3)])

  func parse(_ text: String, _ context: NodeContext) -> NodeSet? { try? NodeSpec.parse(text, in: context).get() }
  func error(_ text: String, _ context: NodeContext) -> Failure? {
    if case .failure(let failure) = NodeSpec.parse(text, in: context) { return failure }
    return nil
  }

  @Test func numbersAndRanges() {
    #expect(parse("0", context) == NodeSet([0]))
    // numactl reads numbers with strtoul(base 0): 0x hex works, and 01 is 1 either way.
    #expect(parse("0x4", context) == NodeSet([4]))
    #expect(parse("0x0-0x1,06", context) == NodeSet([0, 1, 6]))
    #expect(parse("0,4", context) == NodeSet([0, 4]))
    #expect(parse("0-1,6", context) == NodeSet([0, 1, 6]))
  }

  @Test func gapsInNumberingAreMissingNodes() {
    #expect(error("2", context)?.message == "node 2 does not exist (this machine has nodes 0-1,4,6)")
    #expect(error("0-4", context)?.kind == .usage)
  }

  @Test func allFollowsTheCpusetUnlessAsked() {
    #expect(parse("all", context) == NodeSet([0, 1, 4]))
    var ignoring = context
    ignoring.ignoreCpuset = true
    #expect(parse("all", ignoring) == NodeSet([0, 1, 4, 6]))
  }

  @Test func inversionIsByIdOverGeneralNodes() {
    #expect(parse("!0", context) == NodeSet([1, 4, 6]))
    #expect(parse("!1,6", context) == NodeSet([0, 4]))
    #expect(error("!all", context)?.kind == .usage)
    #expect(parse("!0", privateContext) == NodeSet([1]))
  }

  @Test func relativeToCpuset() {
    #expect(parse("+0", context) == NodeSet([0]))
    #expect(parse("+2", context) == NodeSet([4]))
    #expect(error("+3", context)?.kind == .usage)
  }

  @Test(arguments: ["", "abc", "0,", ",0", "all,0", "0,all", "1-0", "0x9", "0xg", "010", "-1", "1--2", " 1", "9"])
  func badInputIsAUsageError(_ text: String) {
    let failure = error(text, context)
    #expect(failure?.kind == .usage, "\(text)")
    #expect(failure?.message.isEmpty == false)
  }

  @Test func messagesNameTheInput() {
    #expect(error("abc", context)!.message.contains("'abc'"))
    #expect(error("0,", context)!.message.contains("empty entry"))
    #expect(error("all,0", context)!.message.contains("cannot be combined"))
  }

  @Test func privateNodesOnlyWhenNamed() {
    #expect(parse("all", privateContext) == NodeSet([0, 1]))
    #expect(parse("cxl0", privateContext) == NodeSet([2]))
    #expect(parse("2", privateContext) == NodeSet([2]))
    #expect(parse("private", privateContext) == NodeSet([2]))
    #expect(parse("0,cxl0", privateContext) == NodeSet([0, 2]))
  }

  @Test func privateWithNothingUsableIsRefused() {
    var context = privateContext
    context.usablePrivate = NodeSet()
    #expect(error("private", context)?.kind == .refused)
    #expect(error("private", self.context)?.kind == .usage)
  }

  @Test func rankPicksTheEntryOfTheLocalRank() {
    var context = privateContext
    context.environment = { ["OMPI_COMM_WORLD_LOCAL_RANK": "1", "MPI_LOCALRANKID": "0"][$0] }
    #expect(parse("rank:2,3", context) == NodeSet([3]))
    context.environment = { ["SLURM_LOCALID": "0", "OMPI_COMM_WORLD_LOCAL_RANK": "1"][$0] }
    #expect(parse("rank:cxl0,1", context) == NodeSet([2]))
    context.environment = { ["SLURM_LOCALID": "2"][$0] }
    #expect(error("rank:2,3", context)!.message.contains("has 2 entries but SLURM_LOCALID is 2"))
    context.environment = { _ in nil }
    #expect(error("rank:2,3", context)!.message.contains("SLURM_LOCALID, OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID"))
  }

  @Test func cpuLists() throws {
    let present = CPUSet([0, 1, 2, 3])
    let allowed = CPUSet([0, 1])
    #expect(try CPUSpec.parse("1-2", present: present, allowed: allowed, ignoreCpuset: false).get() == CPUSet([1, 2]))
    #expect(try CPUSpec.parse("all", present: present, allowed: allowed, ignoreCpuset: false).get() == allowed)
    #expect(try CPUSpec.parse("+1", present: present, allowed: allowed, ignoreCpuset: false).get() == CPUSet([1]))
    #expect(try CPUSpec.parse("!0", present: present, allowed: allowed, ignoreCpuset: false).get() == CPUSet([1, 2, 3]))
    guard case .failure(let failure) = CPUSpec.parse("999", present: present, allowed: allowed, ignoreCpuset: false) else {
      Issue.record("cpu 999 accepted")
      return
    }
    #expect(failure.message == "cpu 999 does not exist (this machine has cpus 0-3)")
  }
}

@Suite struct NodeSpecPrivateTests {
  /// The cpuset holds a private node (2); `+` must not reach it without naming it.
  let context = NodeContext(
    present: NodeSet([0, 1, 2]), general: NodeSet([0, 1]), memsAllowed: NodeSet([0, 1, 2]),
    privateNodes: NodeSet([2]), usablePrivate: NodeSet([2]), labels: [("cxl0", 2)])

  @Test func relativeNeverPicksAPrivateNode() throws {
    #expect(try NodeSpec.parse("+0-1", in: context).get() == NodeSet([0, 1]))
    guard case .failure(let failure) = NodeSpec.parse("+2", in: context) else {
      Issue.record("+2 reached the private node")
      return
    }
    #expect(failure.kind == .usage)
  }

  @Test func inversionIsGivenOnce() {
    guard case .failure(let failure) = NodeSpec.parse("!!0", in: context) else {
      Issue.record("!!0 accepted")
      return
    }
    #expect(failure.message.contains("once"))
  }
}
