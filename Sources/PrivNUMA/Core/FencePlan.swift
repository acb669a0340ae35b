/// The cgroup cpuset fence (DESIGN §1, §3): the tree as `fence apply` reads it and the
/// changes it makes, computed as a pure function of that tree and the machine, so that a
/// dry run, a test and the real run agree. The commands are in CLI (Fence, FenceStatus,
/// FenceApply).
enum Fence {
  /// Where `apply` moves processes that sit in the root cgroup or in an opt-in cgroup's
  /// ancestor, where their mems would reach private nodes.
  static let generalCgroup = "/privnuma-general"

  /// One cgroup as `apply` needs it.
  struct Cgroup: Equatable, Sendable {
    /// From the mount: `/` for the root, `/privnuma.slice/cxl0`.
    var path: String
    /// `cpuset.mems` as configured (empty: inherits); nil when it has no cpuset controller.
    var mems: NodeSet?
    /// `cpuset.mems.effective`, or its parent's without a cpuset controller.
    var effective: NodeSet
    /// Whether `cgroup.subtree_control` enables cpuset for its children.
    var cpusetForChildren: Bool
    /// `cgroup.procs`, kernel threads included.
    var pids: [Int32]
  }

  /// The cgroup v2 hierarchy, parents before children.
  struct Tree: Sendable {
    var cgroups: [Cgroup]
    private var index: [String: Int] = [:]

    init(_ cgroups: [Cgroup]) {
      self.cgroups = cgroups
      for (position, cgroup) in cgroups.enumerated() { index[cgroup.path] = position }
    }

    var root: Cgroup { cgroups[0] }

    func cgroup(_ path: String) -> Cgroup? { index[path].map { cgroups[$0] } }

    func children(of path: String) -> [Cgroup] {
      cgroups.filter { $0.path != "/" && Fence.parent(of: $0.path) == path }
    }

    /// Reads the tree under `mount`; the root's mems fall back to `allMems` when the
    /// cpuset controller is not available at all.
    static func read(mount: String, proc: String, allMems: NodeSet) -> Tree {
      var cgroups: [Cgroup] = []
      CgroupTree.walk(mount: mount, rootMems: allMems) { path, directory, effective in
        let mems = CgroupTree.mems(directory + "/cpuset.mems")
        let control = FileSystem.readIfPresent(directory + "/cgroup.subtree_control") ?? ""
        let cpuset = control.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("cpuset")
        let pids = CgroupTree.processes(directory, proc: proc)
        cgroups.append(Cgroup(path: path.path, mems: mems, effective: effective, cpusetForChildren: cpuset, pids: pids))
      }
      return Tree(cgroups)
    }
  }

  /// `/a/b` → `/a`; `/a` → `/`.
  static func parent(of path: String) -> String { CgroupPath(path).parent.path }

  /// Every proper ancestor of a path except the root, nearest last: `/a/b/c` → `/a`, `/a/b`.
  static func ancestors(of path: String) -> [String] { CgroupPath(path).ancestors.map(\.path) }

  /// One change `apply` makes, in the order it makes them.
  enum Change: Equatable, Sendable {
    /// `+cpuset` into the cgroup's `cgroup.subtree_control`.
    case enableCpuset(String)
    case create(String)
    case setMems(String, from: NodeSet?, to: NodeSet)
    case move(pid: Int32, command: String, from: String, to: String)

    var cgroup: String {
      switch self {
      case .enableCpuset(let path), .create(let path), .setMems(let path, _, _): return path
      case .move(_, _, _, let to): return to
      }
    }
  }

  /// The changes that fence every cpuset-backend private node, and notes on what stays.
  struct Plan: Equatable, Sendable {
    var changes: [Change] = []
    var notes: [String] = []
  }

  /// Computes `apply`'s changes from the tree as read, writing nothing, so that a dry run, a
  /// test and the real run agree.
  ///
  /// - The opt-in cgroups and their ancestors get cpuset.mems = open nodes + the private
  ///   nodes at or below them (created first, cpuset enabled along the way).
  /// - Every other child of the root or of such an ancestor whose effective mems would reach
  ///   a fenced node gets its own cpuset.mems without them (what it had minus the fenced
  ///   nodes, or the open nodes when that leaves nothing). Its descendants follow, since a
  ///   child's effective mems never exceed its parent's.
  /// - Processes in the root cgroup, or in an ancestor that reaches nodes not its own, move
  ///   to `/privnuma-general`; kernel threads cannot, and are only counted.
  static func plan(
    machine: Machine, tree: Tree, isKernelThread: (Int32) -> Bool, command: (Int32) -> String
  ) throws(Failure) -> Plan {
    var plan = Plan()
    let rootMems = tree.root.effective
    var fenced = NodeSet()
    // Declared nodes whose memory is not online yet: fenced ahead of it (below).
    var pending = NodeSet()
    var optedAt: [String: NodeSet] = [:]
    for node in machine.privateNodes {
      switch node.backend {
      case .kernel:
        continue
      case .none:
        plan.notes.append("node \(node.id) (\(node.label)) has backend none: give it Cgroup= in \(node.source ?? "the registry") to fence it")
        continue
      case .cpuset:
        break
      }
      let relative = node.cgroup ?? ""
      // The registry parser refuses these already; a privileged writer checks again.
      if let problem = Registry.cgroupProblem(relative) {
        throw .usage("\(node.source ?? "the registry"): \(problem)")
      }
      let path = CgroupPath(relative: relative).path
      if CgroupPath(path).isWithin(CgroupPath(generalCgroup)) {
        throw .usage("\(node.source ?? "the registry"): Cgroup=\(relative) is where 'fence apply' puts general processes; choose another opt-in cgroup, e.g. privnuma.slice/\(node.label)")
      }
      guard rootMems.contains(node.id) else {
        // A cgroup that inherits its mems gains a node the moment its memory comes online
        // (dax/kmem, hotplug), so every such cgroup gets explicit mems now; the opt-in
        // cgroup gets the node once it has memory (apply again, or `privnuma online`).
        plan.notes.append("node \(node.id) (\(node.label)) has no memory online yet: fenced ahead of it; its opt-in cgroup gets it once it is online")
        pending.insert(node.id)
        if optedAt[path] == nil { optedAt[path] = NodeSet() }
        continue
      }
      fenced.insert(node.id)
      optedAt[path, default: NodeSet()].insert(node.id)
    }
    if fenced.isEmpty && pending.isEmpty { return plan }
    let open = rootMems.subtracting(fenced)
    if open.isEmpty {
      throw .usage("every node with memory (\(rootMems)) is a cpuset-backend private node; a fence would leave general processes no memory. Declare only the private nodes in the registry")
    }

    // Nodes at or below each opt-in cgroup and each ancestor of one.
    var beneath: [String: NodeSet] = [:]
    var hasOptInBelow: Set<String> = []
    for (path, nodes) in optedAt {
      beneath[path, default: NodeSet()] = beneath[path, default: NodeSet()].union(nodes)
      for ancestor in ancestors(of: path) {
        beneath[ancestor, default: NodeSet()] = beneath[ancestor, default: NodeSet()].union(nodes)
        hasOptInBelow.insert(ancestor)
      }
    }
    let inside = beneath.keys.sorted(by: FileSystem.byteOrder)

    if !tree.root.cpusetForChildren { plan.changes.append(.enableCpuset("/")) }
    for path in inside {
      let existing = tree.cgroup(path)
      if existing == nil { plan.changes.append(.create(path)) }
      let wanted = open.union(beneath[path]!)
      if existing?.mems != wanted { plan.changes.append(.setMems(path, from: existing?.mems, to: wanted)) }
      if hasOptInBelow.contains(path) && !(existing?.cpusetForChildren ?? false) {
        plan.changes.append(.enableCpuset(path))
      }
    }

    // Every other cgroup next to the opt-in paths: keep the fenced nodes out.
    for parent in ["/"] + inside.filter({ hasOptInBelow.contains($0) }) {
      let parentMems = parent == "/" ? rootMems : open.union(beneath[parent]!)
      for child in tree.children(of: parent) where beneath[child.path] == nil {
        let configured = child.mems ?? NodeSet()
        var reach = configured.intersection(parentMems)
        if reach.isEmpty { reach = parentMems }
        let widens = !pending.isEmpty && configured.isEmpty
        guard !reach.intersection(fenced).isEmpty || widens else { continue }
        var wanted = configured.subtracting(fenced)
        if wanted.intersection(parentMems).isEmpty { wanted = open }
        plan.changes.append(.setMems(child.path, from: child.mems, to: wanted))
      }
    }

    // Processes where no cpuset.mems can keep them off: the root, and ancestors of opt-ins.
    var moves: [Change] = []
    var kernelThreads = 0
    for path in ["/"] + inside {
      guard let cgroup = tree.cgroup(path), !cgroup.pids.isEmpty else { continue }
      let reach = path == "/" ? fenced.union(pending) : open.union(beneath[path]!).intersection(fenced)
      if reach.subtracting(optedAt[path] ?? NodeSet()).isEmpty { continue }
      for pid in cgroup.pids {
        if isKernelThread(pid) {
          kernelThreads += 1
          continue
        }
        moves.append(.move(pid: pid, command: command(pid), from: path, to: generalCgroup))
      }
    }
    if !moves.isEmpty && tree.cgroup(generalCgroup) == nil {
      plan.changes.append(.create(generalCgroup))
      plan.changes.append(.setMems(generalCgroup, from: nil, to: open))
    }
    plan.changes += moves
    if kernelThreads > 0 {
      plan.notes.append("\(kernelThreads) kernel thread\(kernelThreads == 1 ? " stays" : "s stay") in the root cgroup: the kernel does not let \(kernelThreads == 1 ? "it" : "them") move, and kernel threads allocate no user memory")
    }
    return plan
  }
}
