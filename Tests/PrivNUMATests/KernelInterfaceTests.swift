import Testing

@testable import PrivNUMA

// Each form of the private-node proposal's sysfs interface, one fixture machine each
// (nodes 0-1 general with CPUs, 2 and 3 memory-only; cpuset mems 0-2 in rfc-v4, else 0-3):
//
//   four-node-gaps  no private-node state at all (the kernels in use today)
//   rfc-v4          has_private_memory 2-3, has_memory 0-2: node 2 bindable, 3 not
//   rfc-fallback    has_fallback_memory 0-1, has_memory 0-3: private 2-3, bindable unknown
//   rfc-public      has_public_memory 0-1, has_user_memory 2: private 2-3, only 2 bindable
//   rfc-common      has_common_memory 0-1, per-node mem_features: node 2 has mempolicy,
//                   node 3 only demotion and reclaim (compressed RAM)

@Suite struct KernelInterfaceTests {
  static func interface(_ fixture: String) -> KernelInterface { Fixture.machine(fixture).topology.kernelInterface }

  @Test func todaysKernelHasNoPrivateState() {
    let interface = Self.interface("four-node-gaps")
    #expect(interface.form == .none)
    #expect(interface.privateNodes == nil)
    #expect(interface.files.isEmpty)
    #expect(Fixture.machine("four-node-gaps").privateNodes.isEmpty)
  }

  @Test func v4ListsThePrivateNodesAndHasMemorySaysWhichBind() {
    let interface = Self.interface("rfc-v4")
    #expect(interface.form == .privateList)
    #expect(interface.files == ["has_private_memory"])
    #expect(interface.privateNodes == NodeSet([2, 3]))
    let machine = Fixture.machine("rfc-v4")
    #expect(machine.privateNode(2)?.bindable == true)
    #expect(machine.privateNode(3)?.bindable == false)
    #expect(machine.generalNodes == NodeSet([0, 1]))
  }

  @Test(arguments: [("rfc-fallback", "has_fallback_memory"), ("rfc-public", "has_public_memory"), ("rfc-common", "has_common_memory")])
  func privateIsHasMemoryMinusTheReachableList(fixture: String, file: String) {
    let interface = Self.interface(fixture)
    #expect(interface.form == .reachableList(file))
    #expect(interface.name == file)
    #expect(interface.privateNodes == NodeSet([2, 3]))
    #expect(interface.description.contains("has_memory minus \(file) = 2-3"))
    let machine = Fixture.machine(fixture)
    #expect(machine.privateNodes.map(\.id) == [2, 3])
    #expect(machine.privateNodes.allSatisfy { $0.backend == .kernel })
    // has_memory lists every node here: `all` must still leave the private ones out.
    #expect(machine.topology.withMemory == NodeSet([0, 1, 2, 3]))
    #expect(machine.generalNodes == NodeSet([0, 1]))
  }

  @Test func aReachableListAloneDoesNotSayWhatBinds() {
    let machine = Fixture.machine("rfc-fallback")
    // The kernel does not say: no capability is assumed without a registry ...
    #expect(machine.privateNode(2)?.kernelBindable == nil)
    #expect(machine.privateNode(2)?.capabilities == [])
    #expect(machine.privateNode(2)?.bindable == false)
    // ... and the registry's word decides with one.
    let declared = Fixture.machine("rfc-fallback", declared: [Fixture.declared(2, "cxl0")])
    #expect(declared.privateNode(2)?.bindable == true)
    #expect(declared.privateNode(2)?.disagreements == [])
  }

  @Test func hasUserMemorySaysWhichPrivateNodesBind() {
    let interface = Self.interface("rfc-public")
    #expect(interface.userMemory == NodeSet([2]))
    #expect(interface.files == ["has_public_memory", "has_user_memory"])
    let machine = Fixture.machine("rfc-public")
    #expect(machine.privateNode(2)?.bindable == true)
    #expect(machine.privateNode(2)?.capabilities == [.migration, .mempolicy])
    #expect(machine.privateNode(3)?.bindable == false)
    // A registry that allows policies on node 3 is contradicted by the kernel, and says so.
    let declared = Fixture.machine("rfc-public", declared: [Fixture.declared(3, "zram0")])
    #expect(declared.privateNode(3)?.bindable == false)
    #expect(declared.privateNode(3)?.disagreements.first?.contains("node 3 is not in has_user_memory") == true)
  }

  @Test func memFeaturesGiveEachNodesCapabilities() {
    let machine = Fixture.machine("rfc-common")
    let cxl = machine.privateNode(2)
    #expect(cxl?.kernelFeatures?.capabilities == [.migration, .mempolicy, .demotion, .reclaim, .numaBalancing, .compaction])
    #expect(cxl?.capabilities == cxl?.kernelFeatures?.capabilities)
    #expect(cxl?.bindable == true)
    let compressed = machine.privateNode(3)
    #expect(compressed?.capabilities == [.demotion, .reclaim])
    #expect(compressed?.bindable == false)
    #expect(machine.topology.kernelInterface.notBindableReason(3, features: compressed?.kernelFeatures) == "node 3's mem_features lacks mempolicy")
  }

  @Test func theKernelsFeaturesBoundTheRegistrys() {
    let declared = Fixture.declared(2, "cxl0", capabilities: [.migration, .mempolicy, .longtermPin])
    let node = Fixture.machine("rfc-common", declared: [declared]).privateNode(2)
    #expect(node?.capabilities == [.migration, .mempolicy])
    #expect(node?.disagreements == [
      "/etc/privnuma/nodes.d/50-cxl0.conf gives longterm-pin but node 2's mem_features does not; the kernel's list applies"
    ])
  }

  @Test func featureWordsInTheKernelsSpellings() {
    let features = KernelFeatures(words: ["NP_OPS_MIGRATION", "mempolicy", "numa_balancing", "protect-write", "OOM_ELIGIBLE", "frobnicate"])
    #expect(features.capabilities == [.migration, .mempolicy, .numaBalancing, .protectWrite])
    #expect(features.unknown == ["frobnicate"])
  }

  @Test func theNewestNameWinsWhenAKernelKeepsAnOldOneBeside() {
    let states = NodeStateFiles(lists: ["has_fallback_memory": NodeSet([0]), "has_common_memory": NodeSet([0, 1])])
    let interface = KernelInterface(states, withMemory: NodeSet([0, 1, 2]))
    #expect(interface.form == .reachableList("has_common_memory"))
    #expect(interface.privateNodes == NodeSet([2]))
  }

  static func plan(_ fixture: String, _ words: [String], declared: [PrivateNode] = []) throws -> LaunchPlan {
    let machine = Fixture.machine(fixture, declared: declared)
    let status = try ProcessStatus.read(proc: machine.roots.proc).get()
    let request = try OptionParser.parseLaunch(ArraySlice(words + ["app"])).get()
    return Planner(machine: machine, identity: Fixture.alice, names: Fixture.names, status: status, kernelRelease: "6.18.0")
      .plan(request)
  }

  @Test func aPolicyOnANodeTheKernelKeepsFromPoliciesIsRefused() throws {
    let refused = try Self.plan("rfc-public", ["-m", "3"])
    #expect(refused.failure?.exitCode == 3)
    #expect(refused.failure?.message.contains("mempolicy") == true)
    #expect(try Self.plan("rfc-public", ["-m", "2"]).failure == nil)
    // The registry cannot override the kernel's list.
    let declared = try Self.plan("rfc-public", ["-m", "3"], declared: [Fixture.declared(3, "zram0")])
    #expect(declared.failure?.exitCode == 3)
    #expect(declared.failure?.message.contains("node 3 is not in has_user_memory") == true)
  }

  @Test func whereTheKernelDoesNotSayTheRefusalSaysHowToDeclareIt() throws {
    let refused = try Self.plan("rfc-fallback", ["-m", "2"])
    #expect(refused.failure?.exitCode == 3)
    #expect(refused.failure?.message.contains("declare it in the registry with Capabilities=migration mempolicy") == true)
    #expect(try Self.plan("rfc-fallback", ["-m", "2"], declared: [Fixture.declared(2, "cxl0")]).failure == nil)
  }
}
