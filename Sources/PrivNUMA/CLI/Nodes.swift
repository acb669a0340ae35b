/// `privnuma nodes`: every private node, what it allows, and whether the caller may use it.
struct NodesListing {
  struct Row {
    var node: PrivateNode
    var memory: Topology.Memory?
    var access: Access.Decision
    var zones: [String]
    var tier: Int?
    /// The dax devices whose memory is (or becomes) this node.
    var devices: [MemoryInventory.Device]
    /// The node has no memory online yet, only dax devices.
    var daxOnly: Bool
  }

  var rows: [Row]
  var kernelInterface: KernelInterface
  /// The registry directory that does not exist, if so: worth saying, since it may be why
  /// a node is not listed (or, under privilege, a registry moved away).
  var missingRegistry: String?

  init(machine: Machine, identity: Identity, names: NameService) {
    missingRegistry = machine.registryMissing ? machine.roots.registry : nil
    kernelInterface = machine.topology.kernelInterface
    let inventory = MemoryInventory(sysfs: machine.roots.sysfs)
    let withMemory = machine.topology.withMemory.intersection(machine.topology.online)
    rows = machine.privateNodes.map {
      let devices = inventory.devices(of: $0.id)
      return Row(
        node: $0, memory: machine.topology.memory(of: $0.id), access: Access.decide($0, for: identity, names: names),
        zones: MemoryInventory.zones(of: MemoryBlocks.read(sysfs: machine.roots.sysfs, node: $0.id)),
        tier: inventory.tiers.tier(of: $0.id), devices: devices,
        daxOnly: !devices.isEmpty && !withMemory.contains($0.id))
    }
  }

  var text: String {
    let missing = missingRegistry.map { "note: the registry \($0) does not exist: no node is declared there\n" } ?? ""
    if rows.isEmpty {
      return missing + "no private nodes: the kernel lists none (has_private_memory) and the registry declares none\n"
    }
    let header = ["ID", "LABEL", "KIND", "BACKEND", "BINDABLE", "CAPABILITIES", "SIZE", "FREE", "RESERVE", "YOU"]
    var table = [header]
    for row in rows {
      let node = row.node
      table.append([
        String(node.id), node.label, node.kind ?? "-", node.backend.rawValue, node.bindable ? "yes" : "no",
        node.capabilities.words.isEmpty ? "-" : node.capabilities.words.joined(separator: ","),
        row.memory.map { Format.bytes($0.total) } ?? "-", row.memory.map { Format.bytes($0.free) } ?? "-",
        node.minFree.map(Format.bytes) ?? "-", (row.access.allowed ? "allowed: " : "denied: ") + row.access.reason,
      ])
    }
    var widths = [Int](repeating: 0, count: header.count)
    for line in table { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
    var out = ""
    for line in table {
      let cells = line.enumerated().map { index, cell in index == line.count - 1 ? cell : Format.padRight(cell, widths[index]) }
      out += cells.joined(separator: "  ") + "\n"
    }
    for row in rows {
      if let line = Listing.memorySummary(zones: row.zones, tier: row.tier) {
        out += "node \(row.node.id) (\(row.node.label)) memory: \(line)\n"
      }
      for device in row.devices {
        out += "node \(row.node.id) (\(row.node.label)) \(device.dax.name): \(Listing.daxSummary(device))\n"
      }
      if row.daxOnly {
        out += "node \(row.node.id) (\(row.node.label)) exists only as a dax device so far; 'privnuma online \(row.devices[0].dax.name)' onlines it fenced\n"
      }
      if row.node.backend == .none {
        out += "warning: node \(row.node.id) (\(row.node.label)) is not fenced: nothing keeps other processes off it\n"
      }
      for disagreement in row.node.disagreements where !row.daxOnly {
        out += "warning: node \(row.node.id) (\(row.node.label)): \(disagreement)\n"
      }
      for name in row.access.unresolved {
        out += "warning: node \(row.node.id) (\(row.node.label)): \(name)\n"
      }
    }
    if kernelInterface.form != .none { out += "kernel: \(kernelInterface.description)\n" }
    return out + missing
  }

  /// Schema `privnuma.nodes/1`, documented in privnuma(1).
  var json: JSON {
    .object([
      ("schema", .string("privnuma.nodes/1")),
      ("registry_missing", missingRegistry.map { .string($0) } ?? .null),
      ("kernel_interface", Listing.kernelInterfaceJSON(kernelInterface)),
      (
        "nodes",
        .array(
          rows.map { row in
            let node = row.node
            return .object([
              ("id", .int(node.id)),
              ("label", .string(node.label)),
              ("kind", node.kind.map { .string($0) } ?? .null),
              ("description", node.description.map { .string($0) } ?? .null),
              ("backend", .string(node.backend.rawValue)),
              ("bindable", .bool(node.bindable)),
              ("kernel_private", .bool(node.kernelPrivate)),
              ("capabilities", .array(node.capabilities.words.map { .string($0) })),
              (
                "kernel_features",
                node.kernelFeatures.map { .array(($0.capabilities.words + $0.unknown).map { .string($0) }) } ?? .null
              ),
              ("cgroup", node.cgroup.map { .string($0) } ?? .null),
              ("memory_total", row.memory.map { .uint($0.total) } ?? .null),
              ("memory_free", row.memory.map { .uint($0.free) } ?? .null),
              ("min_free", node.minFree.map { .uint($0) } ?? .null),
              ("source", node.source.map { .string($0) } ?? .null),
              ("allowed", .bool(row.access.allowed)),
              ("reason", .string(row.access.reason)),
              ("unresolved", .array(row.access.unresolved.map { .string($0) })),
              ("registry_error", row.node.brokenDeclaration.map { .string($0.description) } ?? .null),
              ("disagreements", .array(node.disagreements.map { .string($0) })),
              ("zones", .array(row.zones.map { .string($0) })),
              ("memory_tier", row.tier.map { .int($0) } ?? .null),
              ("dax_only", .bool(row.daxOnly)),
              ("dax_devices", .array(row.devices.map(Listing.daxJSON))),
            ])
          })
      ),
    ])
  }
}

extension Command {
  static let nodes = Command(
    name: "nodes", summary: "the private nodes and whether you may use them",
    synopsis: "", about: "The private nodes: id, label, kind, backend (kernel, cpuset, none), whether a policy may name them, capabilities, size, free memory, MinFree reserve, and whether you may use each and why.",
    options: common, operands: .none, examples: ["privnuma nodes", "privnuma nodes --json"],
    manual: #"""
      The private nodes: id, label, kind, backend, whether a policy may name them
      .RB ( BINDABLE ),
      capabilities, size, free memory, the
      .B MinFree=
      reserve, and for the caller whether each may be used, and why.
      """#,
    run: Nodes.run)
}

enum Nodes {
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.machine(registry: options.value(.registry)).map { machine in
      for warning in machine.registryWarnings { Diagnostics.warning(warning) }
      let listing = NodesListing(machine: machine, identity: environment.identity, names: environment.names)
      let errors = machine.registryErrors
      Diagnostics.output(options.has(.json) ? listing.json.adding(registryErrors: errors).rendered() + "\n" : listing.text)
      // The listing still shows the other nodes; the broken files are errors here (exit 2).
      for error in errors { Diagnostics.error("\(error)") }
      return errors.isEmpty ? 0 : 2
    }
  }
}
