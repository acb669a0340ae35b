/// `privnuma hardware`: nodes, CPUs, memory, distances and weights, in numactl's layout, with
/// private nodes marked.
public struct HardwareReport {
  public struct Node: Sendable {
    public var id: Int
    public var cpus: CPUSet
    public var memory: Topology.Memory?
    /// Distances to the nodes of `online`, in that order (sysfs gives them so); an array, so a
    /// 1,024-node table costs no hashing.
    public var distances: [Int]
    public var weight: Int?
    public var privateNode: PrivateNode?
  }

  public var nodes: [Node]
  public var online: NodeSet

  public init(machine: Machine) {
    let topology = machine.topology
    let order = Array(topology.online)
    let weights = topology.interleaveWeights()
    nodes = order.map { id in
      let distances = Array(topology.distances(from: id).prefix(order.count))
      return Node(
        id: id, cpus: topology.cpus(of: id), memory: topology.memory(of: id), distances: distances,
        weight: weights?[id], privateNode: machine.privateNode(id))
    }
    online = topology.online
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
    if nodes.contains(where: { !$0.distances.isEmpty }) {
      out += "node distances:\nnode "
      for node in nodes { out += Format.pad(String(node.id), 3) + " " }
      out += "\n"
      for row in nodes {
        out += Format.pad(String(row.id), 3) + ": "
        for index in nodes.indices {
          out += Format.pad(index < row.distances.count ? String(row.distances[index]) : "-", 3) + " "
        }
        out += "\n"
      }
    }
    if nodes.contains(where: { $0.weight != nil }) {
      out += "weighted interleave weights:" + nodes.compactMap { node in node.weight.map { " \(node.id):\($0)" } }.joined() + "\n"
    }
    for node in nodes {
      for disagreement in node.privateNode?.disagreements ?? [] {
        out += "warning: node \(node.id): \(disagreement)\n"
      }
    }
    return out
  }

  /// Schema `privnuma.hardware/1`, documented in privnuma(1).
  public var json: JSON {
    .object([
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
              ("distances", .object(zip(online, node.distances).map { (String($0), .int($1)) })),
              ("interleave_weight", node.weight.map { .int($0) } ?? .null),
              ("private", node.privateNode.map(Listing.privateJSON) ?? .null),
            ])
          })
      ),
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
