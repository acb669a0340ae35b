/// The kernel's memory tiers (Linux 6.1+, `/sys/devices/virtual/memory_tiering`) and the
/// demotion switch: together they decide whether reclaim moves pages to a slower node,
/// which kswapd does without regard to any task's cpuset.
public struct MemoryTiers: Sendable, Equatable {
  /// `memory_tierN` → its nodes, by N; a higher N is a slower tier.
  public var tiers: [(id: Int, nodes: NodeSet)]
  /// `/sys/kernel/mm/numa/demotion_enabled`, nil on kernels without it.
  public var demotionEnabled: Bool?

  public static func == (lhs: MemoryTiers, rhs: MemoryTiers) -> Bool {
    lhs.tiers.map(\.id) == rhs.tiers.map(\.id) && lhs.tiers.map(\.nodes) == rhs.tiers.map(\.nodes)
      && lhs.demotionEnabled == rhs.demotionEnabled
  }

  public init(tiers: [(id: Int, nodes: NodeSet)], demotionEnabled: Bool?) {
    self.tiers = tiers
    self.demotionEnabled = demotionEnabled
  }

  static func demotionFile(_ sysfs: String) -> String { sysfs + "/kernel/mm/numa/demotion_enabled" }

  public static func read(sysfs: String) -> MemoryTiers {
    let directory = sysfs + "/devices/virtual/memory_tiering"
    var tiers: [(id: Int, nodes: NodeSet)] = []
    if case .success(let names) = FileSystem.list(directory) {
      for name in names where name.hasPrefix("memory_tier") {
        guard let id = Int(name.dropFirst(11)),
          let bytes = FileSystem.bytesIfPresent(directory + "/" + name + "/nodelist"),
          let nodes = NodeSet(kernelList: bytes[...])
        else { continue }
        tiers.append((id, nodes))
      }
    }
    let demotion = FileSystem.readIfPresent(demotionFile(sysfs)).map { $0.trimmingWhitespace() == "true" }
    return MemoryTiers(tiers: tiers.sorted { $0.id < $1.id }, demotionEnabled: demotion)
  }

  public static func setDemotion(_ enabled: Bool, sysfs: String) -> Result<Void, Errno> {
    FileSystem.write(enabled ? "true" : "false", to: demotionFile(sysfs))
  }

  /// The tier a node is in.
  public func tier(of node: Int) -> Int? { tiers.first { $0.nodes.contains(node) }?.id }

  /// Whether reclaim may demote pages onto `node`: some node with memory sits in a faster
  /// tier (the kernel demotes from each tier to the ones below it).
  public func isDemotionTarget(_ node: Int, withMemory: NodeSet) -> Bool {
    guard let own = tier(of: node) else { return false }
    return tiers.contains { $0.id < own && !$0.nodes.intersection(withMemory).isEmpty }
  }
}

/// Persistent huge pages reserved on one node (`nodeN/hugepages/hugepages-SIZEkB`).
public struct HugePagePool: Sendable, Equatable {
  public var sizeKiB: UInt64
  public var total: Int
  public var free: Int

  /// The pools of a node that hold pages, smallest size first.
  public static func read(sysfs: String, node: Int) -> [HugePagePool] {
    let directory = sysfs + "/devices/system/node/node\(node)/hugepages"
    guard case .success(let names) = FileSystem.list(directory) else { return [] }
    var pools: [HugePagePool] = []
    for name in names where name.hasPrefix("hugepages-") && name.hasSuffix("kB") {
      guard let size = UInt64(name.dropFirst(10).dropLast(2)) else { continue }
      func count(_ file: String) -> Int {
        FileSystem.readIfPresent(directory + "/" + name + "/" + file).flatMap { Int($0.trimmingWhitespace()) } ?? 0
      }
      let total = count("nr_hugepages")
      if total > 0 { pools.append(HugePagePool(sizeKiB: size, total: total, free: count("free_hugepages"))) }
    }
    return pools.sorted { $0.sizeKiB < $1.sizeKiB }
  }

  /// Asks the kernel to keep `count` pages of this size on `node`.
  public static func resize(node: Int, sizeKiB: UInt64, to count: Int, sysfs: String) -> Result<Void, Errno> {
    FileSystem.write(
      String(count), to: sysfs + "/devices/system/node/node\(node)/hugepages/hugepages-\(sizeKiB)kB/nr_hugepages")
  }
}
