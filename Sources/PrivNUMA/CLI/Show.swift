/// `privnuma show`: the calling process's policy and binding in numactl's layout, without
/// numactl's glitches (a broken `local` line, mode flags shown as an unknown policy).
public struct ShowReport {
  public var policy: MemoryPolicy
  public var nextInterleave: Int?
  public var affinity: CPUSet
  public var cpuNodes: NodeSet
  public var memsAllowed: NodeSet
  public var privateNodes: [(node: PrivateNode, access: Access.Decision)]

  public static func read(machine: Machine, kernel: Kernel, identity: Identity, names: NameService) -> Result<ShowReport, Failure> {
    let policy: MemoryPolicy
    switch kernel.memoryPolicy() {
    case .success(let value): policy = value
    case .failure(let error): return .failure(.system("cannot read this process's policy: get_mempolicy failed with \(error)"))
    }
    let affinity: CPUSet
    switch kernel.affinity() {
    case .success(let value): affinity = value
    case .failure(let error): return .failure(.system("cannot read this process's CPU affinity: sched_getaffinity failed with \(error)"))
    }
    let mems = (try? kernel.allowedMemoryNodes().get()) ?? machine.topology.withMemory
    let nodes = machine.topology.online.filter { !machine.topology.cpus(of: $0).intersection(affinity).isEmpty }
    let next = policy.mode == .interleave || policy.mode == .weightedInterleave ? try? kernel.nextInterleaveNode().get() : nil
    return .success(
      ShowReport(
        policy: policy, nextInterleave: next, affinity: affinity, cpuNodes: NodeSet(nodes), memsAllowed: mems,
        privateNodes: machine.privateNodes.map { ($0, Access.decide($0, for: identity, names: names)) }))
  }

  var preferredNode: String {
    switch policy.mode {
    case .default, .local: return "current"
    case .interleave, .weightedInterleave:
      return nextInterleave.map { "\($0) (interleave next)" } ?? "current"
    case .preferred, .bind, .preferredMany:
      return policy.nodes.first.map(String.init) ?? "current"
    }
  }

  var membind: NodeSet { policy.mode == .bind ? policy.nodes : memsAllowed }

  /// numactl's list layout: each id preceded by a space and followed by one, then a newline.
  static func numactlList(_ set: IDSet) -> String {
    " " + set.map { "\($0) " }.joined() + "\n"
  }

  public var text: String {
    var out = "policy: \(policy.mode.name)\n"
    if !policy.flags.isEmpty { out += "policy flags: \(policy.flags.names.joined(separator: " "))\n" }
    out += "preferred node: \(preferredNode)\n"
    if policy.mode == .interleave || policy.mode == .weightedInterleave {
      out += "interleavemask:" + ShowReport.numactlList(policy.nodes)
      if let nextInterleave { out += "interleavenode: \(nextInterleave)\n" }
    }
    out += "physcpubind:" + ShowReport.numactlList(affinity)
    out += "cpubind:" + ShowReport.numactlList(cpuNodes)
    out += "nodebind:" + ShowReport.numactlList(cpuNodes)
    out += "membind:" + ShowReport.numactlList(membind)
    // numactl prints the policy's node mask here whatever the mode (empty for default and local).
    out += "preferred:" + ShowReport.numactlList(policy.nodes)
    for (node, access) in privateNodes {
      out += "private node \(node.id): \(Listing.privateSummary(node)) \(access.allowed ? "allowed" : "not allowed")\n"
      for disagreement in node.disagreements { out += "warning: node \(node.id): \(disagreement)\n" }
    }
    return out
  }

  /// Schema `privnuma.show/1`, documented in privnuma(1).
  public var json: JSON {
    .object([
      ("schema", .string("privnuma.show/1")),
      (
        "policy",
        .object([
          ("mode", .string(policy.mode.name)),
          ("flags", .array(policy.flags.names.map { .string($0) })),
          ("nodes", .nodes(policy.nodes)),
        ])
      ),
      ("preferred_node", policy.mode.takesNodes && policy.mode != .interleave && policy.mode != .weightedInterleave ? (policy.nodes.first.map { .int($0) } ?? .null) : .null),
      ("interleave_next", nextInterleave.map { .int($0) } ?? .null),
      ("physcpubind", .nodes(affinity)),
      ("cpubind", .nodes(cpuNodes)),
      ("membind", .nodes(membind)),
      ("mems_allowed", .nodes(memsAllowed)),
      (
        "private_nodes",
        .array(
          privateNodes.map { node, access in
            .object([
              ("id", .int(node.id)), ("label", .string(node.label)), ("backend", .string(node.backend.rawValue)),
              ("capabilities", .array(node.capabilities.words.map { .string($0) })),
              ("allowed", .bool(access.allowed)), ("reason", .string(access.reason)),
            ])
          })
      ),
    ])
  }
}

extension Command {
  static let show = Command(
    name: "show", summary: "this process's policy and CPU binding",
    synopsis: "", about: "This process's memory policy and CPU binding, in numactl's layout, with a line for each private node and whether you may use it. Run by privnuma, it shows what the launch applied. Also: privnuma -s.",
    options: common, operands: .none, examples: ["privnuma show", "privnuma -m 0 privnuma show"],
    manual: #"""
      This process's policy and CPU binding in numactl's layout
      .RB ( "policy:" ,
      .BR "preferred node:" ,
      .BR "physcpubind:" ,
      .BR "cpubind:" ,
      .BR "nodebind:" ,
      .BR "membind:" ,
      .BR "preferred:" ),
      without numactl's glitches (a broken
      .B local
      line, mode flags shown as an unknown policy), plus a line for each private node and
      whether the caller may use it.
      Launched by privnuma
      .RB ( "privnuma \-m 0 privnuma show" ),
      it shows what the launch applied.
      """#,
    run: Show.run)
}

enum Show {
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.machine(registry: options.value(.registry)).flatMap { machine in
      ShowReport.read(machine: machine, kernel: environment.kernel, identity: environment.identity, names: environment.names)
        .map { report in
          Diagnostics.output(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
          return 0
        }
    }
  }
}
