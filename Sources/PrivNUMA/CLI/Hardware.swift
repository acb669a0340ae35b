/// `privnuma hardware`: nodes, CPUs, memory, distances and weights, in numactl's layout, with
/// private nodes marked.
public struct HardwareReport {
  public struct Node: Sendable {
    public var id: Int
    public var cpus: CPUSet
    public var memory: Topology.Memory?
    /// Distances to the nodes of `online`, in that order (sysfs gives them so); an array, so a
    /// 1,024-node table costs no hashing.
    public var distances: [UInt16]
    public var weight: Int?
    public var privateNode: PrivateNode?
    /// Zones of its online memory blocks (`Movable` keeps kernel allocations off).
    public var zones: [String]
    public var tier: Int?
  }

  public var nodes: [Node]
  public var online: NodeSet
  public var memory: MemoryInventory
  /// Nodes that so far exist only as dax devices.
  public var daxOnly: NodeSet

  public init(machine: Machine) {
    let topology = machine.topology
    let order = Array(topology.online)
    let weights = topology.interleaveWeights()
    let memory = MemoryInventory(sysfs: machine.roots.sysfs)
    let nodeDirectories = topology.nodeDirectories()
    defer { nodeDirectories?.close() }
    nodes = order.map { id in
      // Each node's files are opened relative to its directory, and read once each.
      let directory = nodeDirectories?.directory("node\(id)")
      defer { directory?.close() }
      var distances = directory?.attribute("distance").map(Topology.distanceRow) ?? []
      if distances.count > order.count { distances.removeLast(distances.count - order.count) }
      return Node(
        id: id, cpus: directory?.attribute("cpulist").flatMap { CPUSet(kernelList: $0[...]) } ?? CPUSet(),
        memory: directory?.attribute("meminfo").flatMap { $0.withUnsafeBufferPointer(Topology.memory(meminfo:)) }, distances: distances,
        weight: weights?[id], privateNode: machine.privateNode(id),
        zones: MemoryInventory.zones(
          of: MemoryBlocks.read(sysfs: machine.roots.sysfs, node: id, names: directory?.names() ?? [])),
        tier: memory.tiers.tier(of: id))
    }
    online = topology.online
    self.memory = memory
    daxOnly = memory.daxOnlyNodes(withMemory: topology.withMemory.intersection(topology.online))
  }

  /// numactl --hardware's text, private nodes marked on lines of their own.
  public var text: String {
    var out = "available: \(nodes.count) nodes (\(online.listDescription))\n"
    for node in nodes {
      out += "node \(node.id) cpus:" + node.cpus.map { " \($0)" }.joined() + "\n"
      out += "node \(node.id) size: \((node.memory?.total ?? 0) >> 20) MB\n"
      out += "node \(node.id) free: \((node.memory?.free ?? 0) >> 20) MB\n"
      if let node = node.privateNode {
        out += "node \(node.id) private: \(Listing.privateSummary(node))\n"
      }
    }
    if nodes.contains(where: { !$0.distances.isEmpty }) { out += distanceTable }
    if nodes.contains(where: { $0.weight != nil }) {
      out += "weighted interleave weights:" + nodes.compactMap { node in node.weight.map { " \(node.id):\($0)" } }.joined() + "\n"
    }
    out += memoryText
    for node in nodes {
      for disagreement in node.privateNode?.disagreements ?? [] {
        out += "warning: node \(node.id): \(disagreement)\n"
      }
    }
    return out
  }

  /// numactl's distance table, each number right-aligned in three columns: written as bytes,
  /// since at 1,024 nodes it is a million numbers.
  var distanceTable: String {
    var table: [UInt8] = []
    table.reserveCapacity((nodes.count + 2) * (nodes.count * 4 + 8))
    func cell(_ value: Int?) {
      guard let value else { return table.append(contentsOf: "  - ".utf8) }
      let digits = value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : String(value).utf8.count
      for _ in digits..<max(digits, 3) { table.append(UInt8(ascii: " ")) }
      if digits <= 3 {
        if value >= 100 { table.append(UInt8(ascii: "0") &+ UInt8(value / 100)) }
        if value >= 10 { table.append(UInt8(ascii: "0") &+ UInt8(value / 10 % 10)) }
        table.append(UInt8(ascii: "0") &+ UInt8(value % 10))
      } else {
        table.append(contentsOf: String(value).utf8)
      }
      table.append(UInt8(ascii: " "))
    }
    table.append(contentsOf: "node distances:\nnode ".utf8)
    for node in nodes { cell(node.id) }
    table.append(UInt8(ascii: "\n"))
    for row in nodes {
      cell(row.id)
      table[table.count - 1] = UInt8(ascii: ":")
      table.append(UInt8(ascii: " "))
      for index in nodes.indices { cell(index < row.distances.count ? Int(row.distances[index]) : nil) }
      table.append(UInt8(ascii: "\n"))
    }
    return String(decoding: table, as: UTF8.self)
  }

  /// After numactl's layout: zones and tier of each node, the dax devices, nodes that are
  /// only dax devices so far, and demotion.
  var memoryText: String {
    var out = ""
    for node in nodes {
      if let line = Listing.memorySummary(zones: node.zones, tier: node.tier) {
        out += "node \(node.id) memory: \(line)\n"
      }
    }
    for device in memory.devices {
      out += "\(device.dax.name): \(Listing.daxSummary(device))\n"
    }
    for id in daxOnly {
      let names = memory.devices(of: id).map(\.dax.name)
      out += "node \(id): only a dax device so far (\(names.joined(separator: ", "))); 'privnuma online \(names[0])' onlines it fenced\n"
    }
    if let demotion = memory.tiers.demotionEnabled {
      var line = "demotion: " + (demotion ? "enabled" : "disabled")
      if !memory.tiers.tiers.isEmpty { line += "; memory tiers:" }
      for tier in memory.tiers.tiers { line += " " + String(tier.id) + ":" + tier.nodes.listDescription }
      out += line + "\n"
    }
    return out
  }

  /// Schema `privnuma.hardware/1`, documented in privnuma(1).
  public var json: JSON {
    let order = Array(online)
    return .object([
      ("schema", .string("privnuma.hardware/1")),
      ("available", .nodes(online)),
      (
        "nodes",
        .array(
          nodes.map { node in
            .object([
              ("id", .int(node.id)),
              ("cpus", .nodes(node.cpus)),
              ("memory_total", node.memory.map { .uint($0.total) } ?? .null),
              ("memory_free", node.memory.map { .uint($0.free) } ?? .null),
              ("distances", .numberMap(
                  keys: node.distances.count == order.count ? order : Array(order.prefix(node.distances.count)),
                  values: node.distances)),
              ("interleave_weight", node.weight.map { .int($0) } ?? .null),
              ("private", node.privateNode.map(Listing.privateJSON) ?? .null),
              ("zones", .array(node.zones.map { .string($0) })),
              ("memory_tier", node.tier.map { .int($0) } ?? .null),
            ])
          })
      ),
      ("dax_devices", .array(memory.devices.map(Listing.daxJSON))),
      ("dax_only_nodes", .nodes(daxOnly)),
      ("memory_tiers", .array(memory.tiers.tiers.map { .object([("id", .int($0.id)), ("nodes", .nodes($0.nodes))]) })),
      ("demotion_enabled", memory.tiers.demotionEnabled.map { .bool($0) } ?? .null),
      ("auto_online_blocks", memory.autoOnline.map { .string($0) } ?? .null),
    ])
  }
}

/// Shared wording for private nodes across `hardware`, `show` and `nodes`.
enum Listing {
  static func privateSummary(_ node: PrivateNode) -> String {
    var text = "\(node.label) backend=\(node.backend.rawValue)"
    if let kind = node.kind { text += " kind=\(kind)" }
    text += " capabilities=" + (node.capabilities.words.isEmpty ? "none" : node.capabilities.words.joined(separator: ","))
    if !node.bindable { text += " (not bindable)" }
    if node.backend == .none { text += " WARNING: not fenced" }
    return text
  }

  /// `zones Movable, tier 22`, or nil when there is nothing to say.
  static func memorySummary(zones: [String], tier: Int?) -> String? {
    var parts: [String] = []
    if !zones.isEmpty { parts.append("zone\(zones.count == 1 ? "" : "s") " + zones.joined(separator: ",")) }
    if let tier { parts.append("memory tier \(tier)") }
    return parts.isEmpty ? nil : parts.joined(separator: ", ")
  }

  /// `region 0, target node 2, 512 MiB, system-ram (4/4 blocks online, Movable)`.
  static func daxSummary(_ device: MemoryInventory.Device) -> String {
    let dax = device.dax
    var text = dax.region.map { "region \($0), " } ?? ""
    text += "target node \(dax.targetNode.map(String.init) ?? "none"), \(Format.bytes(dax.size)), \(device.state.rawValue)"
    if !device.blocks.isEmpty {
      text += " (\(device.onlineBlocks)/\(device.blocks.count) blocks online"
      text += device.zones.isEmpty ? ")" : ", \(device.zones.joined(separator: ",")))"
    }
    for attribute in dax.privateAttributes { text += " \(attribute.name)=\(attribute.value)" }
    return text
  }

  /// The kernel's private-node interface, as `explain` and `nodes` report it.
  static func kernelInterfaceJSON(_ interface: KernelInterface) -> JSON {
    .object([
      ("form", .string(interface.name)),
      ("files", .array(interface.files.map { .string($0) })),
      ("private_nodes", interface.privateNodes.map { .nodes($0) } ?? .null),
      ("user_memory", interface.userMemory.map { .nodes($0) } ?? .null),
      ("description", .string(interface.description)),
    ])
  }

  static func daxJSON(_ device: MemoryInventory.Device) -> JSON {
    let dax = device.dax
    return .object([
      ("name", .string(dax.name)),
      ("region", dax.region.map { .int($0) } ?? .null),
      ("region_size", dax.regionSize.map { .uint($0) } ?? .null),
      ("target_node", dax.targetNode.map { .int($0) } ?? .null),
      ("size", .uint(dax.size)),
      ("state", .string(device.state.rawValue)),
      ("driver", dax.driver.map { .string($0) } ?? .null),
      ("online_blocks", .int(device.onlineBlocks)),
      ("total_blocks", .int(device.blocks.count)),
      ("zones", .array(device.zones.map { .string($0) })),
      ("private_attributes", .object(dax.privateAttributes.map { ($0.name, .string($0.value)) })),
    ])
  }

  static func privateJSON(_ node: PrivateNode) -> JSON {
    .object([
      ("label", .string(node.label)),
      ("kind", node.kind.map { .string($0) } ?? .null),
      ("backend", .string(node.backend.rawValue)),
      ("bindable", .bool(node.bindable)),
      ("capabilities", .array(node.capabilities.words.map { .string($0) })),
      ("disagreements", .array(node.disagreements.map { .string($0) })),
    ])
  }
}

extension Command {
  static let hardware = Command(
    name: "hardware", summary: "nodes, CPUs, memory, distances; private nodes marked",
    synopsis: "", about: "Nodes, their CPUs, memory size and free, distances and weighted-interleave weights, in the layout of numactl --hardware; private nodes marked with label, backend and capabilities. Also: privnuma -H.",
    options: common, operands: .none, examples: ["privnuma hardware", "privnuma hardware --json"],
    manual: #"""
      Nodes, their CPUs, memory size and free memory, the distance table and weighted-interleave
      weights, in the layout of
      .BR "numactl \-\-hardware" ,
      so scripts that parse numactl keep working.
      Private nodes get a line with label, backend and capabilities; disagreements between the
      registry and the kernel are printed as warnings.
      """#,
    run: Hardware.run)
}

enum Hardware {
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.machine(registry: options.value(.registry)).map { machine in
      let report = HardwareReport(machine: machine)
      Diagnostics.output(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
      return 0
    }
  }
}
