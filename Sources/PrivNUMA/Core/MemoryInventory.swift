/// Memory that arrives at run time: the dax devices, what each has become, and per node the
/// zones its memory sits in and its memory tier. `hardware`, `nodes`, `online` and the leak
/// checks read the machine through this one view.
public struct MemoryInventory: Sendable {
  /// What a dax device's memory is now, in daxctl's words where it has them.
  public enum State: String, Sendable {
    /// A character device (`device_dax`): not system RAM, no allocation can reach it.
    case devdax
    /// Bound to kmem with every memory block online.
    case systemRAM = "system-ram"
    /// Bound to kmem with its blocks (or some of them) offline.
    case offline
    /// No driver.
    case unbound
  }

  public struct Device: Sendable, Equatable {
    public var dax: DaxDevice
    public var state: State
    /// Its memory blocks, those that exist (only while kmem holds it).
    public var blocks: [MemoryBlock]
    public var onlineBlocks: Int { blocks.filter(\.online).count }
    /// Zones of its online blocks, in first-seen order.
    public var zones: [String] { MemoryInventory.zones(of: blocks) }
  }

  public var devices: [Device]
  public var tiers: MemoryTiers
  /// `auto_online_blocks`, nil without memory hotplug.
  public var autoOnline: String?
  public var blockSize: UInt64?

  public init(devices: [Device], tiers: MemoryTiers, autoOnline: String?, blockSize: UInt64?) {
    self.devices = devices
    self.tiers = tiers
    self.autoOnline = autoOnline
    self.blockSize = blockSize
  }

  public init(sysfs: String) {
    let blockSize = MemoryBlocks.blockSize(sysfs: sysfs)
    devices = DaxDevices.read(sysfs: sysfs).map { dax in
      var blocks: [MemoryBlock] = []
      if dax.driver == "kmem", let blockSize, blockSize > 0, let start = dax.start, dax.size > 0 {
        let first = Int(start / blockSize)
        let last = Int((start + dax.size - 1) / blockSize)
        blocks = MemoryBlocks.read(sysfs: sysfs, indexes: Array(first...last))
      }
      let state: State
      switch dax.driver {
      case "device_dax": state = .devdax
      case "kmem": state = !blocks.isEmpty && blocks.allSatisfy(\.online) ? .systemRAM : .offline
      default: state = .unbound
      }
      return Device(dax: dax, state: state, blocks: blocks)
    }
    tiers = MemoryTiers.read(sysfs: sysfs)
    autoOnline = MemoryBlocks.autoOnlinePolicy(sysfs: sysfs)
    self.blockSize = blockSize
  }

  public func device(named name: String) -> Device? { devices.first { $0.dax.name == name } }

  /// The devices whose memory becomes `node`.
  public func devices(of node: Int) -> [Device] { devices.filter { $0.dax.targetNode == node } }

  /// Nodes that exist only as dax devices: targets with no memory online.
  public func daxOnlyNodes(withMemory: NodeSet) -> NodeSet {
    NodeSet(devices.compactMap(\.dax.targetNode).filter { !withMemory.contains($0) })
  }

  /// `Movable`, `Normal`, `DMA32`: the zones of the online blocks among `blocks`.
  public static func zones(of blocks: [MemoryBlock]) -> [String] {
    var zones: [String] = []
    for block in blocks where block.online {
      for zone in block.zones where !zones.contains(zone) { zones.append(zone) }
    }
    return zones
  }
}
