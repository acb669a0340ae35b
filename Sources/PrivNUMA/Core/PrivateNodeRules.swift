/// The rules of DESIGN §6 that a launch and a migration both hold a private node to, with
/// one wording: each returns the refusal, or nil when the node passes.
enum PrivateNodeRules {
  /// `node 2 (cxl0)`, as every refusal names it.
  static func name(_ node: PrivateNode) -> String { "node \(node.id) (\(node.label))" }

  /// A node a registry file with errors mentions: refused until the file is fixed, because
  /// what the file meant to allow cannot be known.
  static func declaration(_ node: PrivateNode) -> Failure? {
    guard let error = node.brokenDeclaration else { return nil }
    return .refused("\(name(node)) is mentioned by a registry file with errors (\(error)); privnuma refuses the node until the file is fixed: ask an administrator to correct it ('privnuma check \(node.id)' says what is wrong)")
  }

  static func existence(_ node: PrivateNode, online: NodeSet) -> Failure? {
    if online.contains(node.id) { return nil }
    return .refused("\(name(node)) is declared in \(node.source ?? "the registry") but the kernel has no such node online; fix the registry's Id=")
  }

  static func access(_ node: PrivateNode, _ decision: Access.Decision) -> Failure? {
    if decision.allowed { return nil }
    return .refused("\(name(node)): \(decision.reason); ask an administrator to add you to AllowUsers= or AllowGroups= in \(node.source ?? "the registry")")
  }

  /// The node's free memory against its `MinFree=` reserve; nil memory when it has none.
  static func reserve(_ node: PrivateNode, topology: Topology) -> Result<Topology.Memory?, Failure> {
    guard let reserve = node.minFree else { return .success(nil) }
    guard let memory = topology.memory(of: node.id) else {
      return .failure(.system("\(name(node)): cannot read its free memory from sysfs to check MinFree="))
    }
    if memory.free < reserve {
      return .failure(.refused("\(name(node)) has \(Format.bytes(memory.free)) free, below its MinFree= reserve of \(Format.bytes(reserve)); free memory there or wait"))
    }
    return .success(memory)
  }

  /// Backend `none`: refused, or allowed by `--allow-unfenced` with this warning.
  static func unfenced(_ node: PrivateNode, allowed: Bool) -> Result<String, Failure> {
    if allowed { return .success("\(name(node)) is not fenced: any process may allocate there") }
    return .failure(.refused("\(name(node)) is not fenced (backend none): nothing keeps other processes off it; give it Cgroup= and run 'privnuma fence apply', or pass --allow-unfenced"))
  }
}
