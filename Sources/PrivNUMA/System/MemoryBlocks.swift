/// One memory block of `/sys/devices/system/memory`: the unit memory hotplug onlines and
/// offlines (128 MiB on x86-64).
public struct MemoryBlock: Sendable, Equatable {
  /// The N of `memoryN`: the block's physical address divided by the block size.
  public var index: Int
  public var node: Int?
  public var online: Bool
  /// `valid_zones`: the zone an online block is in (`Movable`, `Normal`, `DMA32`), or the
  /// zones an offline block could go to.
  public var zones: [String]
}

/// Reading and switching memory blocks under a sysfs root.
public enum MemoryBlocks {
  static func directory(_ sysfs: String) -> String { sysfs + "/devices/system/memory" }

  /// `block_size_bytes` (hexadecimal without 0x), or nil without memory hotplug.
  public static func blockSize(sysfs: String) -> UInt64? {
    FileSystem.readIfPresent(directory(sysfs) + "/block_size_bytes").flatMap { UInt64($0.trimmingWhitespace(), radix: 16) }
  }

  /// `auto_online_blocks`: what the kernel does with memory as it is hot-added (`offline`,
  /// `online`, `online_kernel`, `online_movable`), or nil without memory hotplug.
  public static func autoOnlinePolicy(sysfs: String) -> String? {
    FileSystem.readIfPresent(directory(sysfs) + "/auto_online_blocks")?.trimmingWhitespace()
  }

  public static func setAutoOnlinePolicy(_ policy: String, sysfs: String) -> Result<Void, Errno> {
    FileSystem.write(policy, to: directory(sysfs) + "/auto_online_blocks")
  }

  /// The blocks with the given indexes, those that exist.
  public static func read(sysfs: String, indexes: [Int]) -> [MemoryBlock] {
    indexes.compactMap { block(sysfs: sysfs, index: $0) }
  }

  /// The blocks of one node, from the `memoryN` links in its node directory, in index order.
  public static func read(sysfs: String, node: Int) -> [MemoryBlock] {
    let nodeDirectory = sysfs + "/devices/system/node/node\(node)"
    guard case .success(let names) = FileSystem.list(nodeDirectory) else { return [] }
    return read(sysfs: sysfs, node: node, names: names)
  }

  /// The same, from the names already listed in the node's directory. The node is known, so
  /// no block's directory is listed for its node link: five system calls a block saved, and
  /// a machine has hundreds to thousands of blocks.
  static func read(sysfs: String, node: Int, names: [String]) -> [MemoryBlock] {
    let indexes = names.compactMap { name -> Int? in
      name.hasPrefix("memory") ? Int(name.dropFirst(6)) : nil
    }
    return indexes.sorted().compactMap { block(sysfs: sysfs, index: $0, node: node) }
  }

  /// The block at `index`; its node is `node` when the caller knows it, otherwise the one its
  /// `nodeN` link names.
  static func block(sysfs: String, index: Int, node: Int? = nil) -> MemoryBlock? {
    let path = directory(sysfs) + "/memory\(index)"
    guard let state = FileSystem.attributeIfPresent(path + "/state")?.trimmingWhitespace() else { return nil }
    let zones = FileSystem.attributeIfPresent(path + "/valid_zones").map { text in
      text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    } ?? []
    var node = node
    if node == nil, case .success(let names) = FileSystem.list(path) {
      node = names.lazy.compactMap { $0.hasPrefix("node") ? Int($0.dropFirst(4)) : nil }.first
    }
    return MemoryBlock(index: index, node: node, online: state == "online", zones: zones)
  }

  /// Writes `state` (`online_movable`, `offline`) to a block.
  public static func setState(_ state: String, block index: Int, sysfs: String) -> Result<Void, Errno> {
    FileSystem.write(state, to: directory(sysfs) + "/memory\(index)/state")
  }
}
