/// The machine's NUMA layout as sysfs shows it. Per-node details are read on demand so the
/// launch path only pays for what a policy needs.
public struct Topology: Sendable {
  public let roots: Roots
  /// Nodes the kernel reports online.
  public let online: NodeSet
  /// Nodes with memory (`has_memory`); under RFC v4 this includes bindable private nodes.
  public let withMemory: NodeSet
  /// Nodes with CPUs (`has_cpu`), read when asked: most launches never need it.
  public var withCPUs: NodeSet {
    FileSystem.bytesIfPresent(roots.nodeDirectory + "/has_cpu").flatMap { NodeSet(kernelList: $0[...]) } ?? online
  }
  /// The form of the private-node interface this kernel offers.
  public let kernelInterface: KernelInterface
  /// The nodes the kernel keeps private, or nil when it has no private-node state.
  public var kernelPrivate: NodeSet? { kernelInterface.privateNodes }

  public init(roots: Roots) {
    self.roots = roots
    let dir = roots.nodeDirectory
    func mask(_ name: String) -> NodeSet? {
      FileSystem.bytesIfPresent(dir + "/" + name).flatMap { NodeSet(kernelList: $0[...]) }
    }
    let online = mask("online") ?? Topology.nodeDirectories(dir) ?? NodeSet([0])
    self.online = online
    let withMemory = mask("has_memory") ?? online
    self.withMemory = withMemory
    kernelInterface = KernelInterface(NodeStateFiles.read(nodeDirectory: dir), withMemory: withMemory)
  }

  /// A node's `mem_features`, read when asked (private nodes only): nil when it has none.
  public func features(of node: Int) -> KernelFeatures? {
    NodeStateFiles.memFeatures(of: node, nodeDirectory: roots.nodeDirectory).map(KernelFeatures.init(words:))
  }

  /// Fallback for kernels without the `online` file: the nodeN directories present.
  private static func nodeDirectories(_ dir: String) -> NodeSet? {
    guard case .success(let names) = FileSystem.list(dir) else { return nil }
    let ids = names.compactMap { name -> Int? in
      guard name.hasPrefix("node") else { return nil }
      return Int(name.dropFirst(4))
    }
    return ids.isEmpty ? nil : NodeSet(ids)
  }

  private func nodePath(_ node: Int, _ file: String) -> String {
    roots.nodeDirectory + "/node\(node)/" + file
  }

  /// The CPUs of a node; empty for memory-only nodes.
  public func cpus(of node: Int) -> CPUSet {
    FileSystem.bytesIfPresent(nodePath(node, "cpulist")).flatMap { CPUSet(kernelList: $0[...]) } ?? CPUSet()
  }

  /// Memory of one node in bytes, from its `meminfo`.
  public struct Memory: Equatable, Sendable {
    public var total: UInt64
    public var free: UInt64
  }

  public func memory(of node: Int) -> Memory? {
    guard let bytes = FileSystem.bytesIfPresent(nodePath(node, "meminfo")) else { return nil }
    // "Node 0 MemTotal:        5335252 kB", scanned as bytes: this file is read on launches
    // that name a node with a MinFree= reserve, and Character-level splitting is slow.
    func kibibytes(after key: StaticString) -> UInt64? {
      let length = key.utf8CodeUnitCount
      var index = 0
      while index + length <= bytes.count {
        if ProcessStatus.matches(bytes[index..<(index + length)], key) {
          var position = index + length
          while position < bytes.count, bytes[position] == 0x20 { position += 1 }
          var value: UInt64 = 0
          let start = position
          while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            value = value &* 10 &+ UInt64(bytes[position] - 0x30)
            position += 1
          }
          return position > start ? value : nil
        }
        index += 1
      }
      return nil
    }
    guard let total = kibibytes(after: " MemTotal:"), let free = kibibytes(after: " MemFree:") else { return nil }
    return Memory(total: total * 1024, free: free * 1024)
  }

  /// The distance row of a node, indexed like `online` (sysfs lists online nodes in order).
  public func distances(from node: Int) -> [Int] {
    guard let bytes = FileSystem.bytesIfPresent(nodePath(node, "distance")) else { return [] }
    // Bytes, not Characters: a 1,024-node machine has a million entries to read. The row is
    // sized once (a digit that ends a number counts one entry), not grown by doubling.
    var entries = 0
    var previous: UInt8 = 0x20
    for byte in bytes {
      if !(byte >= 0x30 && byte <= 0x39) && previous >= 0x30 && previous <= 0x39 { entries += 1 }
      previous = byte
    }
    if previous >= 0x30 && previous <= 0x39 { entries += 1 }
    var row: [Int] = []
    row.reserveCapacity(entries)
    var value = -1
    for byte in bytes {
      if byte >= 0x30 && byte <= 0x39 {
        value = (value < 0 ? 0 : value * 10) + Int(byte - 0x30)
      } else if value >= 0 {
        row.append(value)
        value = -1
      }
    }
    if value >= 0 { row.append(value) }
    return row
  }

  /// Weighted-interleave weights per node, when the kernel has them (Linux 6.9+).
  public func interleaveWeights() -> [Int: Int]? {
    let dir = roots.sysfs + "/kernel/mm/mempolicy/weighted_interleave"
    guard case .success(let names) = FileSystem.list(dir) else { return nil }
    var weights: [Int: Int] = [:]
    for name in names where name.hasPrefix("node") {
      guard let node = Int(name.dropFirst(4)),
        let text = FileSystem.readIfPresent(dir + "/" + name),
        let weight = Int(text.trimmingWhitespace())
      else { continue }
      weights[node] = weight
    }
    return weights
  }

  /// Whether this kernel offers MPOL_WEIGHTED_INTERLEAVE (its sysfs directory came with it).
  public var hasWeightedInterleave: Bool {
    FileSystem.exists(roots.sysfs + "/kernel/mm/mempolicy/weighted_interleave")
  }
}
