import Glibc

/// The quick launch on a machine with a registry: the registry read by the full path's own
/// `Registry.load`, the private nodes named held to the planner's rules (Planner's
/// checkPrivateNodes, checkCpuset; Launcher's placement) for the launches the full path makes
/// without a refusal, a cgroup to join or a warning other than "not fenced".
extension QuickLaunch {
  /// Reads the registry, decides, drops rights, sets the policy and execs; nil to leave the
  /// launch to the full path. Out of line: a launch without a registry never builds an array.
  @inline(never)
  static func launchWithRegistry(
    _ request: inout Request, _ facts: LaunchFacts, elevated: Bool,
    argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
  ) -> Int32? {
    let directory =
      request.registry.map { String(cString: $0) } ?? String(cString: cString(registry))
    guard
      let declared = declaredNodes(
        directory: directory, named: request.registry != nil, trust: elevated ? Trust() : nil)
    else { return nil }
    let names = NameService.trusted(under: Privilege(elevated: elevated))
    let nodeDirectory = String(cString: cString(nodeDirectory))
    guard
      let unfenced = admits(
        &request, facts, declared: declared,
        access: { Access.decide($0, for: Identity.current(), names: names) },
        freeMemory: { freeMemory(of: $0, in: nodeDirectory) },
        ownCgroupReadable: { ProcessStatus.cgroup(proc: "/proc") != nil })
    else { return nil }
    if elevated, let failure = ProcessCredentials().dropAll() { return report(failure) }
    guard applyPolicy(request) else { return nil }
    if request.quiet || unfenced.isEmpty {
      SystemKernel.execute(argv: argv + request.command)
      return nil
    }
    // Said once the policy is set, so that no fallback says them again; only the exec is left,
    // and its failure is reported as the full path reports it.
    for node in unfenced {
      if case .success(let warning) = PrivateNodeRules.unfenced(node, allowed: true) {
        Diagnostics.warning(warning)
      }
    }
    SystemKernel.execute(argv: argv + request.command)
    let error = Errno.current
    let command = String(cString: argv[request.command]!)
    let failure = Launcher.execFailure(command, error)
    let afterOptions = strcmp(argv[1]!, argv[request.command]!) != 0
    return report(CLI.hinted(failure, command: command, afterOptions: afterOptions))
  }

  /// The registry's nodes as the full path reads them (`trust` given under privilege), or nil
  /// when the full path has something to say of it: a refusal, a file with errors (a
  /// warning), a named directory that is missing.
  static func declaredNodes(directory: String, named: Bool, trust: Trust?) -> [PrivateNode]? {
    guard case .success(let contents) = Registry.load(directory: directory, trust: trust),
      contents.errors.isEmpty, !(contents.missing && named)
    else { return nil }
    return contents.nodes
  }

  /// Whether the full path would launch `request` with `declared` as the registry's nodes
  /// (from files without errors) and print at most the "not fenced" warnings: nil when not,
  /// else the named nodes nothing fences, in id order. Resolves NODES, labels included.
  ///
  /// Taken on: every node online, with memory and in the cpuset (the private ones bindable,
  /// as `has_memory` says on kernels without private-node state); each private node allowed
  /// to the caller with every AllowUsers/AllowGroups name resolved, with the `mempolicy`
  /// capability and its MinFree= reserve free; unfenced ones with `--allow-unfenced`, fenced
  /// ones of one opt-in cgroup with this process's cgroup readable, where Placement keeps the
  /// launch (the cpuset already allows the nodes).
  static func admits(
    _ request: inout Request, _ facts: LaunchFacts, declared: [PrivateNode],
    access: (PrivateNode) -> Access.Decision, freeMemory: (Int) -> UInt64?,
    ownCgroupReadable: () -> Bool
  ) -> [PrivateNode]? {
    if let list = request.nodeList {
      guard parseNodes(list, labels: declared, into: &request.nodes) else { return nil }
    }
    guard admits(request, facts) else { return nil }
    var unfenced: [PrivateNode] = []
    var cgroup: String?
    for id in 0..<UInt64.bitWidth where request.nodes.bits & 1 << UInt64(id) != 0 {
      guard let index = declared.firstIndex(where: { $0.id == id }) else { continue }
      let node = declared[index]
      if node.allowUsers != nil || node.allowGroups != nil {
        let decision = access(node)
        guard decision.allowed, decision.unresolved.isEmpty else { return nil }
      }
      guard node.capabilities.contains(.mempolicy) else { return nil }
      if let reserve = node.minFree {
        guard let free = freeMemory(id), free >= reserve else { return nil }
      }
      if let opted = node.cgroup {
        // Two opt-in cgroups are refused; the first one needs this process's cgroup read.
        guard cgroup == nil ? ownCgroupReadable() : cgroup == opted else { return nil }
        cgroup = opted
      } else {
        guard request.allowUnfenced else { return nil }
        unfenced.append(node)
      }
    }
    return unfenced
  }

  /// NODES of node numbers, ranges and the labels of `declared` nodes below 64, separated by
  /// commas; false for any other form, which the full path reads.
  static func parseNodes(
    _ text: UnsafePointer<UInt8>, labels declared: [PrivateNode], into nodes: inout NodeMask
  ) -> Bool {
    var count = 0
    while text[count] != 0 { count += 1 }
    guard count > 0, text[count - 1] != UInt8(ascii: "\n") else { return false }
    var result = NodeMask()
    var start = 0
    while start <= count {
      var end = start
      while end < count && text[end] != UInt8(ascii: ",") { end += 1 }
      guard end > start else { return false }
      var item = NodeMask()
      if text[start] >= UInt8(ascii: "a") && text[start] <= UInt8(ascii: "z") {
        guard let id = label(text + start, end - start, in: declared), item.insert(id, through: id)
        else { return false }
      } else {
        guard NodeMask.parse(kernelList: text + start, count: end - start, into: &item) else {
          return false
        }
      }
      result.bits |= item.bits
      start = end + 1
    }
    nodes = result
    return true
  }

  /// The id of the declared node with this label, byte for byte (labels are ASCII).
  static func label(_ bytes: UnsafePointer<UInt8>, _ count: Int, in declared: [PrivateNode])
    -> Int?
  {
    for node in declared where node.label.utf8.count == count {
      if node.label.utf8.enumerated().allSatisfy({ bytes[$0.offset] == $0.element }) {
        return node.id
      }
    }
    return nil
  }

  /// MemFree of `node`, as the planner's MinFree= check reads it (Topology.memory).
  static func freeMemory(of node: Int, in nodeDirectory: String) -> UInt64? {
    let path = nodeDirectory + "/node\(node)/meminfo"
    return FileSystem.bytesIfPresent(path).flatMap(Topology.memory(meminfo:))?.free
  }
}
