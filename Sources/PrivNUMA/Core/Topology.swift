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

  /// The directory of the node directories held open, for commands that read several files
  /// of every node: each `nodeN` is then opened relative to it.
  func nodeDirectories() -> Directory? {
    Directory.open(roots.nodeDirectory)
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
    FileSystem.bytesIfPresent(nodePath(node, "meminfo")).flatMap { $0.withUnsafeBufferPointer(Topology.memory(meminfo:)) }
  }

  /// A node's `meminfo`: "Node 0 MemTotal:        5335252 kB", scanned as bytes: this file
  /// is read on launches that name a node with a MinFree= reserve, and Character-level
  /// splitting is slow.
  static func memory(meminfo bytes: UnsafeBufferPointer<UInt8>) -> Memory? {
    func kibibytes(after key: StaticString) -> UInt64? {
      let length = key.utf8CodeUnitCount
      let spelling = UnsafeBufferPointer(start: key.utf8Start, count: length)
      var index = 0
      while index + length <= bytes.count {
        if spelling.elementsEqual(bytes[index..<(index + length)]) {
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

  /// A node's `distance` file, "10 21 21\n", as numbers indexed like `online` (sysfs lists
  /// online nodes in order). UInt16, not Int: the kernel keeps SLIT distances in a byte on
  /// x86, arm64 and riscv (powerpc doubles 10 per level), and a 1,024-node table is then 2 MB
  /// to fault in rather than 8. A value past 65,535 ends the row, as a row cut short by the
  /// kernel would.
  static func distanceRow(_ bytes: [UInt8]) -> [UInt16] {
    bytes.withUnsafeBufferPointer { bytes in
      // One pass into scratch room for the most entries the bytes can hold ("1 1 1"), then
      // the row is made at its size: a million entries at 1,024 nodes. Each step starts at a
      // number or a separator; a number of two digits and its separator, which nearly every
      // distance is (10 local, up to 99 remote), are taken in one step.
      withUnsafeTemporaryAllocation(of: UInt16.self, capacity: bytes.count / 2 + 1) { scratch in
        var count = 0
        var index = 0
        while index < bytes.count {
          if index + 2 < bytes.count {
            let tens = bytes[index] &- 0x30
            let ones = bytes[index + 1] &- 0x30
            if tens < 10, ones < 10, bytes[index + 2] &- 0x30 >= 10 {
              scratch[count] = UInt16(tens &* 10 &+ ones)
              count += 1
              index += 3
              continue
            }
          }
          var digit = bytes[index] &- 0x30
          index += 1
          if digit >= 10 { continue }
          var value = UInt32(digit)
          while index < bytes.count {
            digit = bytes[index] &- 0x30
            if digit >= 10 { break }
            value = value &* 10 &+ UInt32(digit)
            if value > UInt32(UInt16.max) { return Array(scratch[0..<count]) }
            index += 1
          }
          scratch[count] = UInt16(value)
          count += 1
        }
        return Array(scratch[0..<count])
      }
    }
  }

  /// Weighted-interleave weights per node, when the kernel has them (Linux 6.9+).
  public func interleaveWeights() -> [Int: Int]? {
    guard let directory = Directory.open(roots.sysfs + "/kernel/mm/mempolicy/weighted_interleave") else { return nil }
    defer { directory.close() }
    var weights: [Int: Int] = [:]
    for name in directory.names() where name.hasPrefix("node") {
      guard let node = Int(name.dropFirst(4)), let bytes = directory.attribute(name),
        let weight = Int(String(decoding: bytes, as: UTF8.self).trimmingWhitespace())
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
