/// A cgroup that may allocate on a cpuset-fenced private node without being its opt-in
/// cgroup: a hole in the fence. An empty one is drift that no process uses yet (a slice a
/// manager reset, a cgroup made by hand): the next process started there could.
public struct FenceLeak: Sendable, Equatable {
  /// The private node the cgroup can reach.
  public var node: Int
  /// The cgroup, relative to the cgroup v2 mount: `/` for the root, `/system.slice/cron.service`.
  public var cgroup: String
  /// Its processes (kernel threads left out: they stay in the root and cannot be moved).
  public var pids: [Int32]
  /// Its `cpuset.mems.effective`.
  public var mems: NodeSet

  public init(node: Int, cgroup: String, pids: [Int32], mems: NodeSet) {
    self.node = node
    self.cgroup = cgroup
    self.pids = pids
    self.mems = mems
  }
}

/// Checks the cpuset fences of private nodes by walking the cgroup v2 tree once. Shared by
/// `audit` and `fence status`.
public enum FenceCheck {
  /// The outcome of one walk: the leaks, or why the fences could not be checked at all.
  public struct Check: Sendable, Equatable {
    public var leaks: [FenceLeak]
    /// Set when the cgroup tree could not be read as cgroup v2; `leaks` is then empty.
    public var unchecked: String?
    /// Opt-in cgroups named in the registry that do not exist (the fence was never applied).
    public var missingOptIn: [(node: Int, cgroup: String)]
    /// slurmstepd's own cgroups (`SlurmStep.isDaemonCgroup`) that reach a fenced node: Slurm's
    /// daemon, not counted as leaks, named by `fence status`.
    public var slurmDaemons: [FenceLeak] = []

    public static func == (lhs: Check, rhs: Check) -> Bool {
      lhs.leaks == rhs.leaks && lhs.unchecked == rhs.unchecked
        && lhs.missingOptIn.map(\.node) == rhs.missingOptIn.map(\.node)
        && lhs.missingOptIn.map(\.cgroup) == rhs.missingOptIn.map(\.cgroup)
    }
  }

  /// Every cgroup whose effective mems include a `cpuset`-backend private node it is not the
  /// opt-in cgroup of (nor below it), in node then path order: those with processes, and
  /// empty leaves, where the next process started would leak (a slice a manager reset, a
  /// cgroup made by hand). Empty inner cgroups are left out: their children are reported
  /// themselves. On cgroup v2 the root's effective mems are every node, so processes left in
  /// the root cgroup can allocate anywhere: they are a leak of every cpuset-fenced node.
  public static func leaks(machine: Machine, roots: Roots) -> [FenceLeak] {
    check(machine: machine, roots: roots).leaks
  }

  public static func check(machine: Machine, roots: Roots) -> Check {
    let fenced = machine.privateNodes.filter { $0.backend == .cpuset }
    var result = Check(leaks: [], unchecked: nil, missingOptIn: [])
    if fenced.isEmpty { return result }
    guard FileSystem.exists(roots.cgroup + "/cgroup.controllers") else {
      result.unchecked = "\(roots.cgroup) is not a cgroup v2 mount (no cgroup.controllers), so the cpuset fences cannot be checked"
      return result
    }
    let optIn: [(node: Int, path: CgroupPath)] = fenced.map { ($0.id, CgroupPath(relative: $0.cgroup ?? "")) }
    for (node, path) in optIn where !FileSystem.isDirectory(path.directory(under: roots.cgroup)) {
      result.missingOptIn.append((node, path.path))
    }
    var leaks: [FenceLeak] = []
    CgroupTree.walk(mount: roots.cgroup, rootMems: machine.topology.online) { path, directory, mems in
      let exposed = optIn.filter {
        mems.contains($0.node) && !path.isWithin($0.path)
          && !SlurmStep.grants($0.node, to: path.path, cgroupRoot: roots.cgroup)
      }
      if exposed.isEmpty { return }
      let pids = CgroupTree.processes(directory, proc: roots.proc, withoutKernelThreads: path.isRoot)
      if SlurmStep.isDaemonCgroup(path.path) {
        result.slurmDaemons.append(FenceLeak(node: exposed[0].node, cgroup: path.path, pids: pids, mems: mems))
        return
      }
      // An empty inner cgroup holds no process; its leaves are reported themselves.
      if pids.isEmpty && !CgroupTree.children(directory).isEmpty { return }
      for entry in exposed { leaks.append(FenceLeak(node: entry.node, cgroup: path.path, pids: pids, mems: mems)) }
    }
    result.leaks = leaks.sorted { ($0.node, $0.cgroup) < ($1.node, $1.cgroup) }
    return result
  }
}
