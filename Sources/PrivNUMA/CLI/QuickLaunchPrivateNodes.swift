/// The quick launch on a machine with a registry: the registry read as the full path reads it
/// (RegistryIndex: the same files, checked by the same parser), the private nodes named held
/// to the planner's rules (Planner's checkPrivateNodes and checkCpuset, Launcher's placement)
/// for the launches the full path makes without a refusal, a systemd scope or a warning other
/// than "not fenced".
extension QuickLaunch {
  /// What deciding on private nodes reads beyond LaunchFacts, each only when needed; closures,
  /// so that tests hand it fixture answers.
  struct Lookups {
    /// The node of a registry entry, as `Registry.load` makes it.
    var node: (Int) -> PrivateNode?
    var access: (PrivateNode) -> Access.Decision
    var freeMemory: (Int) -> UInt64?
    /// `/proc/self/cgroup`'s path.
    var ownCgroup: () -> String?
    /// The cgroup v2 mount, and whether systemd owns the tree there.
    var cgroupMount: String
    var systemdOwnsMount: () -> Bool
    /// `cpuset.mems.effective` of the cgroup at an absolute path.
    var effectiveMems: (String) -> NodeMask?
  }

  /// What a launch the quick path takes on does besides setting the policy.
  struct Admission {
    /// The named nodes nothing fences: a warning each, unless `-q`.
    var unfenced = NodeMask()
    /// The opt-in cgroup to join first (absolute path), as Placement decides, empty to stay;
    /// and this process's cgroup, for the join. Not optional Strings: destroying one costs
    /// the runtime a metadata look-up on every launch.
    var join = ""
    var own = ""
  }

  /// Reads the registry, decides, joins the opt-in cgroup if Placement says so, drops rights,
  /// sets the policy and execs; nil to leave the launch to the full path. Out of line: a
  /// launch without a registry never builds an array.
  @inline(never)
  static func launchWithRegistry(
    _ request: inout Request, _ facts: LaunchFacts, elevated: Bool,
    argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
  ) -> Int32? {
    let directory = request.registry ?? cString(registry)
    let named = request.registry != nil
    // Two calls, not `elevated ? Trust() : nil`: destroying an optional Trust made at run time
    // costs the runtime a metadata look-up on every launch.
    let found =
      elevated
      ? declaredNodes(directory: directory, named: named, trust: Trust())
      : declaredNodes(directory: directory, named: named, trust: nil)
    guard let declared = found else { return nil }
    let names = NameService.trusted(under: Privilege(elevated: elevated))
    let mount = Roots.system.cgroup
    let lookups = Lookups(
      node: { declared.node($0, in: directory) },
      access: { Access.decide($0, for: Identity.current(), names: names) },
      freeMemory: { freeMemory(of: $0, in: cString(nodeDirectory)) },
      ownCgroup: { ProcessStatus.cgroup(proc: Roots.system.proc) },
      cgroupMount: mount, systemdOwnsMount: { SystemManager().owns(cgroupRoot: mount) },
      effectiveMems: { effectiveMems(of: $0) })
    guard let admission = admits(&request, facts, declared: declared, lookups) else { return nil }
    // Launcher.prepare's order: placed, every right dropped, then the policy. A join that
    // fails changes nothing, and the full path tries it again and reports it.
    if !admission.join.isEmpty, CgroupFS().join(admission.join, own: admission.own) != nil {
      return nil
    }
    // Said before the policy, as the full path says them: code run after the policy is set
    // reads the image's pages into the page cache under it, onto the private node.
    let warned = !request.quiet && admission.unfenced.count > 0
    if warned {
      for warning in unfencedWarnings(admission, declared: declared, lookups) {
        Diagnostics.warning(warning)
      }
    }
    if elevated, let failure = ProcessCredentials().dropAll() { return report(failure) }
    // A policy the kernel refuses here lost a race (the cpuset changed since it was read):
    // the full path, left to report it, says the warnings once more.
    guard applyPolicy(request) else { return nil }
    SystemKernel.execute(argv: argv + request.command)
    guard warned else { return nil }
    // The warnings are said: the exec's failure is reported as the full path reports it.
    let error = Errno.current
    let command = String(cString: argv[request.command]!)
    let failure = Launcher.execFailure(command, error)
    let afterOptions = String(cString: argv[1]!) != command
    return report(CLI.hinted(failure, command: command, afterOptions: afterOptions))
  }

  /// The registry's nodes as the full path reads them (`trust` given under privilege), or nil
  /// when the full path has something to say of it: a refusal, a file with errors (a
  /// warning), a named directory that is missing.
  static func declaredNodes(directory: UnsafePointer<CChar>, named: Bool, trust: Trust?)
    -> RegistryIndex?
  {
    guard let index = RegistryIndex.read(directory: directory, trust: trust),
      !(index.missing && named)
    else { return nil }
    return index
  }

  /// The "not fenced" warnings of an admission, in node order, as the full path words them.
  static func unfencedWarnings(_ admission: Admission, declared: RegistryIndex, _ lookups: Lookups)
    -> [String]
  {
    var warnings: [String] = []
    for id in admission.unfenced.nodeSet {
      guard let index = declared.entry(for: id), let node = lookups.node(index),
        case .success(let warning) = PrivateNodeRules.unfenced(node, allowed: true)
      else { continue }
      warnings.append(warning)
    }
    return warnings
  }

  /// Whether the full path would launch `request` with `declared` as the registry's nodes
  /// (from files without errors), printing at most the "not fenced" warnings: nil when not.
  /// Resolves NODES, labels included.
  ///
  /// Taken on: every node online and with memory (the private ones bindable, as `has_memory`
  /// says on kernels without private-node state); each private node allowed to the caller
  /// with every AllowUsers/AllowGroups name resolved, with the `mempolicy` capability and its
  /// MinFree= reserve free; unfenced ones with `--allow-unfenced`; fenced ones of one opt-in
  /// cgroup, with this process's cgroup readable, where Placement keeps the launch or has it
  /// join the cgroup (outside a Slurm step), and every node in the cpuset that applies.
  static func admits(
    _ request: inout Request, _ facts: LaunchFacts, declared: RegistryIndex, _ lookups: Lookups
  ) -> Admission? {
    if let list = request.nodeList {
      guard parseNodes(list, labels: declared, into: &request.nodes) else { return nil }
    }
    let nodes = request.nodes
    guard !(request.mode == .preferred && nodes.count != 1), facts.online.contains(nodes),
      facts.withMemory.contains(nodes)
    else { return nil }
    var admission = Admission()
    var named = NodeMask()
    // The entry of the opt-in cgroup, by index: no String is made for an unfenced node.
    var optedEntry = -1
    for id in 0..<UInt64.bitWidth where nodes.bits & 1 << UInt64(id) != 0 {
      guard let index = declared.entry(for: id) else { continue }
      let node = declared[index]
      named.bits |= 1 << UInt64(id)
      if node.limited {
        guard let limited = lookups.node(index) else { return nil }
        let decision = lookups.access(limited)
        guard decision.allowed, decision.unresolved.isEmpty else { return nil }
      }
      guard node.capabilities.contains(.mempolicy) else { return nil }
      if let reserve = node.minFree {
        guard let free = lookups.freeMemory(id), free >= reserve else { return nil }
      }
      if node.cgroup.isEmpty {
        guard request.allowUnfenced else { return nil }
        admission.unfenced.bits |= 1 << UInt64(id)
      } else {
        // Nodes of two opt-in cgroups are refused: a process is in one.
        guard optedEntry < 0 || declared.cgroup(of: optedEntry) == declared.cgroup(of: index) else {
          return nil
        }
        optedEntry = index
      }
    }
    guard optedEntry >= 0 else { return facts.memsAllowed.contains(nodes) ? admission : nil }
    let cgroup = declared.cgroup(of: optedEntry)
    guard let own = lookups.ownCgroup() else { return nil }
    admission.own = own
    // The cpuset allows the private nodes already (a unit in the opt-in slice, a Slurm task
    // the SPANK plugin granted them): the launch stays.
    if facts.memsAllowed.contains(named) {
      return facts.memsAllowed.contains(nodes) ? admission : nil
    }
    // A Slurm step's cgroups are Slurm's: the full path refuses and says why.
    guard SlurmStep.containing(own) == nil else { return nil }
    let optIn = lookups.cgroupMount + "/" + cgroup
    guard let mems = lookups.effectiveMems(optIn), mems.contains(nodes) else { return nil }
    var fence = [Fence.generalCgroup]
    for index in 0..<declared.count where !declared[index].cgroup.isEmpty {
      fence.append(CgroupPath(relative: declared.cgroup(of: index)).path)
    }
    switch Placement.decide(
      optIn: CgroupPath("/" + cgroup).path, mount: lookups.cgroupMount, nodes: named.nodeSet,
      own: own, mems: facts.memsAllowed.nodeSet, systemd: lookups.systemdOwnsMount(),
      fenceCgroups: fence)
    {
    case .stay: return admission
    case .join(let path):
      admission.join = path
      return admission
    case .scope, .refuse: return nil
    }
  }

  /// NODES of node numbers, ranges and the labels of `declared` nodes below 64, separated by
  /// commas; false for any other form, which the full path reads.
  static func parseNodes(
    _ text: UnsafePointer<UInt8>, labels declared: RegistryIndex, into nodes: inout NodeMask
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

  /// The id of the declared node with this label, byte for byte.
  static func label(_ bytes: UnsafePointer<UInt8>, _ count: Int, in declared: RegistryIndex)
    -> Int?
  {
    for index in 0..<declared.count where declared.label(of: index, is: bytes, count: count) {
      return declared[index].id
    }
    return nil
  }

  /// An opt-in cgroup's `cpuset.mems.effective`, as the planner's checkCpuset reads it.
  static func effectiveMems(of cgroup: String) -> NodeMask? {
    guard let bytes = FileSystem.bytesIfPresent(cgroup + "/cpuset.mems.effective"),
      !bytes.isEmpty
    else { return nil }
    var mems = NodeMask()
    let read = bytes.withUnsafeBufferPointer {
      NodeMask.parse(kernelList: $0.baseAddress!, count: $0.count, into: &mems)
    }
    return read ? mems : nil
  }

  /// MemFree of `node`, as the planner's MinFree= check reads it (Topology.memory).
  static func freeMemory(of node: Int, in nodeDirectory: UnsafePointer<CChar>) -> UInt64? {
    LaunchFacts.withMeminfo(of: node, in: nodeDirectory) { Topology.memory(meminfo: $0)?.free }
  }
}
