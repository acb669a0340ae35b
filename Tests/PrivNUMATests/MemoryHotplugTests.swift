import Testing

@testable import PrivNUMA

/// Memory that arrives at run time, over two fixture trees shaped like the VM suite's dax
/// guest: `dax-devdax` (dax0.0 → node 2 and dax1.0 → node 3 as character devices, only
/// nodes 0-1 online) and `dax-online` (dax0.0 online in ZONE_MOVABLE, dax1.0 in ZONE_NORMAL,
/// both in memory tier 22 below DRAM's tier 4, demotion enabled, auto-onlining on, 8 huge
/// pages of which 2 in use on node 3).
@Suite struct MemoryHotplugTests {
  static let registry = [
    Fixture.declared(2, "cxl0", cgroup: "privnuma.slice/cxl0"),
    Fixture.declared(3, "cxl1", cgroup: "privnuma.slice/cxl1"),
  ]

  static func facts(_ name: String, inheriting: [String] = []) -> LeakPaths.Facts {
    let sysfs = Fixture.roots(name).sysfs
    return LeakPaths.Facts(
      inventory: MemoryInventory(sysfs: sysfs),
      zones: [2: MemoryInventory.zones(of: MemoryBlocks.read(sysfs: sysfs, node: 2)),
              3: MemoryInventory.zones(of: MemoryBlocks.read(sysfs: sysfs, node: 3))],
      hugePages: [2: HugePagePool.read(sysfs: sysfs, node: 2), 3: HugePagePool.read(sysfs: sysfs, node: 3)],
      withMemory: Topology(roots: Fixture.roots(name)).withMemory, inheriting: inheriting)
  }

  @Test func devdaxDevicesAndTheNodesTheyWillBecome() {
    let inventory = MemoryInventory(sysfs: Fixture.roots("dax-devdax").sysfs)
    #expect(inventory.devices.map(\.dax.name) == ["dax0.0", "dax1.0"])
    #expect(inventory.devices.map(\.dax.targetNode) == [2, 3])
    #expect(inventory.devices.map(\.state) == [.devdax, .devdax])
    #expect(inventory.devices[0].dax.size == 512 << 20)
    #expect(inventory.devices[0].dax.region == 0)
    #expect(inventory.devices[0].dax.start == 0x1_0000_0000)
    #expect(inventory.daxOnlyNodes(withMemory: NodeSet([0, 1])) == NodeSet([2, 3]))
    #expect(inventory.autoOnline == "offline")
    #expect(inventory.tiers.tier(of: 0) == 4)
  }

  @Test func onlineDevicesTheirBlocksZonesAndTiers() {
    let inventory = MemoryInventory(sysfs: Fixture.roots("dax-online").sysfs)
    #expect(inventory.devices.map(\.state) == [.systemRAM, .systemRAM])
    #expect(inventory.devices[0].blocks.map(\.index) == [32, 33, 34, 35])
    #expect(inventory.devices[0].zones == ["Movable"])
    #expect(inventory.devices[1].zones == ["Normal"])
    #expect(inventory.daxOnlyNodes(withMemory: NodeSet(0...3)).isEmpty)
    #expect(inventory.tiers.isDemotionTarget(2, withMemory: NodeSet(0...3)))
    #expect(!inventory.tiers.isDemotionTarget(0, withMemory: NodeSet(0...3)))
    #expect(HugePagePool.read(sysfs: Fixture.roots("dax-online").sysfs, node: 3) == [HugePagePool(sizeKiB: 2048, total: 8, free: 6)])
  }

  @Test func everyLeakPathOfTheOnlineMachine() {
    let machine = Fixture.machine("dax-online", declared: Self.registry)
    let paths = LeakPaths.find(machine: machine, facts: Self.facts("dax-online"))
    let kinds = paths.map { "\($0.kind.rawValue):\($0.node.map(String.init) ?? "-")" }
    // Node 2 is Movable, and auto-onlining is no leak once every dax device is online.
    #expect(kinds == ["demotion:2", "kernel-zone:3", "demotion:3", "hugetlb:3"])
    #expect(paths.first { $0.kind == .demotion }?.remedy == .disableDemotion)
    #expect(paths.first { $0.kind == .hugetlb }?.remedy == .shrinkHugePages(sizeKiB: 2048, to: 2))
    if case .refused(let why) = paths.first(where: { $0.kind == .kernelZone })?.remedy {
      #expect(why.contains("privnuma offline dax1.0"))
    } else {
      Issue.record("ZONE_NORMAL memory must be refused with the way out")
    }
  }

  @Test func aNodeGivenDemotionTakesDemotedPages() {
    let registry = [Fixture.declared(2, "zram0", capabilities: [.migration, .demotion, .reclaim], cgroup: "privnuma.slice/zram0")]
    let machine = Fixture.machine("dax-online", declared: registry)
    #expect(!LeakPaths.find(machine: machine, facts: Self.facts("dax-online")).contains { $0.kind == .demotion })
  }

  @Test func memoryStillToComeNeedsAutoOnliningOffAndExplicitMems() {
    var facts = Self.facts("dax-devdax", inheriting: ["/", "/system.slice"])
    facts.inventory.autoOnline = "online_movable"
    let machine = Fixture.machine("dax-devdax", declared: Self.registry)
    let paths = LeakPaths.find(machine: machine, facts: facts)
    #expect(paths.map(\.kind) == [.autoOnline, .inheritedMems])
    #expect(paths[0].remedy == .setAutoOnline("offline"))
    #expect(paths[1].remedy == .fence)
    // Fenced ahead: no cgroup inherits, auto-onlining off: nothing left.
    let fenced = Self.facts("dax-devdax")
    #expect(LeakPaths.find(machine: machine, facts: fenced).isEmpty)
  }

  @Test func noLeakPathWithoutACpusetNode() {
    let machine = Fixture.machine("dax-online", declared: [])
    #expect(LeakPaths.find(machine: machine, facts: Self.facts("dax-online")).isEmpty)
  }

  @Test func privateOnliningOnlyWhereTheKernelOffersIt() {
    var dax = MemoryInventory(sysfs: Fixture.roots("dax-devdax").sysfs).devices[0].dax
    #expect(PrivateOnlining(dax, capabilities: [.migration, .mempolicy]) == nil)
    dax.privateAttributes = [("private", "0"), ("user_numa", "0"), ("state", "offline")]
    let onlining = PrivateOnlining(dax, capabilities: [.migration, .mempolicy])
    #expect(onlining?.description == "private=1 user_numa=1")
    #expect(PrivateOnlining(dax, capabilities: [.migration, .demotion])?.description == "private=1 user_numa=0")
  }

  /// dax-private: dax-devdax with the attributes of a revision that onlines a device as
  /// private (`private`, `user_numa`, `mm_capabilities`, `state`) on dax0.0 only.
  @Test func theDaxAttributesOfPrivateOnliningAreReadFromSysfs() {
    let devices = MemoryInventory(sysfs: Fixture.roots("dax-private").sysfs).devices
    let dax = devices[0].dax
    #expect(dax.privateAttributes.map(\.name) == ["private", "user_numa", "mm_capabilities", "state"])
    #expect(dax.privateAttributes.map(\.value) == ["0", "0", "", "offline"])
    #expect(devices[1].dax.privateAttributes.isEmpty)
    let onlining = PrivateOnlining(dax, capabilities: [.migration, .mempolicy, .demotion])
    #expect(onlining?.writes.map(\.attribute) == ["private", "user_numa", "mm_capabilities"])
    #expect(onlining?.description == "private=1 user_numa=1 mm_capabilities=migration mempolicy demotion")
    #expect(PrivateOnlining(devices[1].dax, capabilities: [.migration, .mempolicy]) == nil)
  }

  @Test func theFenceGoesInAheadOfANodeWithoutMemory() throws {
    // cgroup-machine's tree with nodes 0-1 only: nodes 2 and 3 are still dax devices.
    let machine = FenceTests.machine("cgroup-unfenced")
    let read = Fence.Tree.read(mount: machine.roots.cgroup, proc: machine.roots.proc, allMems: NodeSet([0, 1]))
    var tree = read
    tree.cgroups = read.cgroups.map { cgroup in
      var cgroup = cgroup
      cgroup.effective = cgroup.effective.intersection(NodeSet([0, 1]))
      return cgroup
    }
    tree = Fence.Tree(tree.cgroups)
    let plan = try Fence.plan(
      machine: machine, tree: tree,
      isKernelThread: { Processes.isKernelThread(proc: machine.roots.proc, pid: $0) },
      command: { Processes.info(proc: machine.roots.proc, pid: $0).command })
    #expect(plan.notes.contains { $0.contains("fenced ahead") })
    // Every top-level cgroup that inherited its mems gets 0-1 explicitly; init leaves the root.
    let explicit = plan.changes.compactMap { change -> String? in
      if case .setMems(let path, _, let to) = change, to == NodeSet([0, 1]) { return path }
      return nil
    }
    #expect(explicit.contains("/privnuma.slice/cxl0"))
    #expect(plan.changes.contains { if case .move(1, _, "/", _) = $0 { return true } else { return false } })
    for cgroup in tree.children(of: "/") where (cgroup.mems ?? NodeSet()).isEmpty && cgroup.path != "/privnuma.slice" {
      #expect(explicit.contains(cgroup.path), "\(cgroup.path) would gain node 2 when it comes online")
    }
  }
}
