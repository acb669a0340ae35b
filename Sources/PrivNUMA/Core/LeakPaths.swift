/// Ways onto a cpuset-fenced private node that a cgroup fence does not close on kernels
/// without N_MEMORY_PRIVATE (DESIGN §1). `fence status` and `audit` report them; `fence
/// apply` closes those it can and says why it cannot close the rest. privnuma(1), LEAK
/// PATHS, lists each with the kernel versions it applies to.
public struct LeakPath: Sendable, Equatable {
  public enum Kind: String, Sendable {
    /// Hot-added memory goes online by itself, before anything can fence it.
    case autoOnline = "auto-online"
    /// The node's memory is in a zone kernel allocations use (ZONE_NORMAL): slab, page
    /// tables and other unmovable kernel memory land there, and no cgroup limits them.
    case kernelZone = "kernel-zone"
    /// Reclaim demotes any process's pages onto the node, whatever its cpuset.
    case demotion
    /// Huge pages reserved on the node: private memory held by the global hugetlb pool.
    case hugetlb
    /// Cgroups that hold processes and inherit their mems: when the node's memory comes
    /// online they gain it.
    case inheritedMems = "inherited-mems"
  }

  /// What `fence apply` does about it.
  public enum Remedy: Sendable, Equatable {
    case setAutoOnline(String)
    case disableDemotion
    /// Shrink a pool to its pages in use (free pages go back to the node).
    case shrinkHugePages(sizeKiB: UInt64, to: Int)
    /// The cgroup fence closes it (opt-in and general cgroups get explicit mems).
    case fence
    /// Nothing privnuma may do: the reason and what the administrator can do.
    case refused(String)
  }

  public var kind: Kind
  /// The private node, or nil for a machine-wide setting.
  public var node: Int?
  public var problem: String
  public var remedy: Remedy
}

/// The checks behind `LeakPath`, as pure functions of what was read.
public enum LeakPaths {
  /// The facts the checks need, read once.
  public struct Facts: Sendable {
    public var inventory: MemoryInventory
    /// Zones of each private node's online memory.
    public var zones: [Int: [String]]
    public var hugePages: [Int: [HugePagePool]]
    public var withMemory: NodeSet
    /// Cgroups that hold processes and would gain a node coming online (inherited mems up
    /// to the root), outside every opt-in cgroup.
    public var inheriting: [String]

    public init(
      inventory: MemoryInventory, zones: [Int: [String]], hugePages: [Int: [HugePagePool]], withMemory: NodeSet,
      inheriting: [String]
    ) {
      self.inventory = inventory
      self.zones = zones
      self.hugePages = hugePages
      self.withMemory = withMemory
      self.inheriting = inheriting
    }

    /// Reads sysfs and the cgroup tree for the private nodes of `machine`.
    public static func read(machine: Machine) -> Facts {
      let sysfs = machine.roots.sysfs
      var zones: [Int: [String]] = [:]
      var hugePages: [Int: [HugePagePool]] = [:]
      for node in machine.privateNodes {
        zones[node.id] = MemoryInventory.zones(of: MemoryBlocks.read(sysfs: sysfs, node: node.id))
        hugePages[node.id] = HugePagePool.read(sysfs: sysfs, node: node.id)
      }
      let optIn = machine.privateNodes.compactMap { $0.backend == .cpuset ? CgroupPath(relative: $0.cgroup ?? "") : nil }
      return Facts(
        inventory: MemoryInventory(sysfs: sysfs), zones: zones, hugePages: hugePages,
        withMemory: machine.topology.withMemory.intersection(machine.topology.online),
        inheriting: inheritingCgroups(roots: machine.roots, outside: optIn))
    }
  }

  /// Cgroups holding processes (kernel threads aside) whose `cpuset.mems` and every
  /// ancestor's are empty: their effective mems follow the root's, which gains each node
  /// whose memory comes online. Cgroups at or below `outside` are left out.
  public static func inheritingCgroups(roots: Roots, outside: [CgroupPath]) -> [String] {
    guard FileSystem.exists(roots.cgroup + "/cgroup.controllers") else { return [] }
    var found: [String] = []
    // Configured mems stay as they are when a node comes online: nothing below can widen.
    var explicit: Set<CgroupPath> = []
    CgroupTree.walk(mount: roots.cgroup, rootMems: NodeSet()) { path, directory, _ in
      if !path.isRoot {
        if explicit.contains(path.parent) || !(CgroupTree.mems(directory + "/cpuset.mems") ?? NodeSet()).isEmpty {
          explicit.insert(path)
          return
        }
      }
      if outside.contains(where: { path.isWithin($0) }) { return }
      if !CgroupTree.processes(directory, proc: roots.proc, withoutKernelThreads: path.isRoot).isEmpty {
        found.append(path.description)
      }
    }
    return found
  }

  /// Every leak path of the cpuset-backend private nodes, machine-wide ones first.
  public static func find(machine: Machine, facts: Facts) -> [LeakPath] {
    let fenced = machine.privateNodes.filter { $0.backend == .cpuset }
    if fenced.isEmpty { return [] }
    var paths: [LeakPath] = []
    let inventory = facts.inventory
    // Memory still to come: a dax device of a fenced node not yet fully online.
    let arriving = fenced.filter { node in inventory.devices(of: node.id).contains { $0.state != .systemRAM } }
    if let policy = inventory.autoOnline, policy != "offline", !arriving.isEmpty {
      let nodes = arriving.map { "node \($0.id) (\($0.label))" }.joined(separator: ", ")
      paths.append(LeakPath(
        kind: .autoOnline, node: nil,
        problem: "auto_online_blocks is '\(policy)': memory hot-added for \(nodes) goes online by itself, before a fence is in place\(policy == "online_movable" ? "" : " and possibly to ZONE_NORMAL")",
        remedy: .setAutoOnline("offline")))
    }
    let pending = fenced.filter { !facts.withMemory.contains($0.id) && !inventory.devices(of: $0.id).isEmpty }
    if !pending.isEmpty && !facts.inheriting.isEmpty {
      let nodes = pending.map { "node \($0.id) (\($0.label))" }.joined(separator: ", ")
      paths.append(LeakPath(
        kind: .inheritedMems, node: pending.count == 1 ? pending[0].id : nil,
        problem: "\(facts.inheriting.count) cgroup\(facts.inheriting.count == 1 ? "" : "s") with processes inherit\(facts.inheriting.count == 1 ? "s" : "") every node (\(facts.inheriting.prefix(3).joined(separator: ", "))\(facts.inheriting.count > 3 ? ", ..." : "")): they gain \(nodes) the moment its memory goes online",
        remedy: .fence))
    }
    let demotion = inventory.tiers.demotionEnabled == true
    for node in fenced {
      // Memory that arrived through dax/kmem, where onlining chose the zone. Memory the
      // firmware gave at boot sits where the kernel put it (movablecore=, movable_node).
      let devices = inventory.devices(of: node.id).map(\.dax.name)
      let kernelZones = (facts.zones[node.id] ?? []).filter { $0 != "Movable" }
      if !kernelZones.isEmpty && !devices.isEmpty {
        let fix = devices.map { "privnuma offline \($0) && privnuma online \($0)" }.joined(separator: "; ")
        paths.append(LeakPath(
          kind: .kernelZone, node: node.id,
          problem: "node \(node.id) (\(node.label)) has memory in ZONE_\(kernelZones.joined(separator: "/").uppercased()): kernel allocations (slab, page tables) of any process can land there",
          remedy: .refused("moving memory to ZONE_MOVABLE takes it offline first; run \(fix)")))
      }
      if demotion && facts.withMemory.contains(node.id)
        && inventory.tiers.isDemotionTarget(node.id, withMemory: facts.withMemory)
        && !node.capabilities.contains(.demotion)
      {
        paths.append(LeakPath(
          kind: .demotion, node: node.id,
          problem: "node \(node.id) (\(node.label)) is in memory tier \(inventory.tiers.tier(of: node.id) ?? -1), below other nodes, and demotion is enabled: kswapd demotes any process's pages onto it, whatever its cpuset",
          remedy: .disableDemotion))
      }
      for pool in facts.hugePages[node.id] ?? [] {
        let used = pool.total - pool.free
        paths.append(LeakPath(
          kind: .hugetlb, node: node.id,
          problem: "node \(node.id) (\(node.label)) holds \(pool.total) huge page\(pool.total == 1 ? "" : "s") of \(pool.sizeKiB >= 1 << 20 ? "\(pool.sizeKiB >> 20) GiB" : "\(pool.sizeKiB >> 10) MiB") (\(used) in use): the machine-wide hugetlb pool spread onto private memory",
          remedy: used == 0 || pool.free > 0
            ? .shrinkHugePages(sizeKiB: pool.sizeKiB, to: used)
            : .refused("all \(pool.total) are in use; they return when their users unmap them")))
      }
    }
    return paths
  }
}
