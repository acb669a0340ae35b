import Glibc

/// A cgroup that holds processes and may still allocate on a cpuset-fenced private node
/// without being its opt-in cgroup: a hole in the fence.
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

    public static func == (lhs: Check, rhs: Check) -> Bool {
      lhs.leaks == rhs.leaks && lhs.unchecked == rhs.unchecked
        && lhs.missingOptIn.map(\.node) == rhs.missingOptIn.map(\.node)
        && lhs.missingOptIn.map(\.cgroup) == rhs.missingOptIn.map(\.cgroup)
    }
  }

  /// Every cgroup that holds processes and whose effective mems include a `cpuset`-backend
  /// private node it is not the opt-in cgroup of (nor below it), in node then path order.
  /// On cgroup v2 the root's effective mems are every node, so processes left in the root
  /// cgroup can allocate anywhere: they are a leak of every cpuset-fenced node.
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
    let optIn: [(node: Int, path: String)] = fenced.map { ($0.id, cgroupPath($0.cgroup ?? "")) }
    for (node, path) in optIn where !isDirectory(roots.cgroup + path) {
      result.missingOptIn.append((node, path))
    }
    var leaks: [FenceLeak] = []
    // Depth-first, parents before children, each child inheriting its parent's effective mems
    // when it has no cpuset controller of its own.
    var stack: [(path: String, inherited: NodeSet)] = [("/", machine.topology.online)]
    while let (path, inherited) = stack.popLast() {
      let directory = path == "/" ? roots.cgroup : roots.cgroup + path
      var mems = inherited
      if let bytes = FileSystem.bytesIfPresent(directory + "/cpuset.mems.effective"),
        let parsed = NodeSet(kernelList: bytes[...])
      {
        mems = parsed
      }
      let exposed = optIn.filter { mems.contains($0.node) && !within(path, $0.path) }
      if !exposed.isEmpty {
        let pids = processes(directory + "/cgroup.procs", root: path == "/", proc: roots.proc)
        if !pids.isEmpty {
          for entry in exposed { leaks.append(FenceLeak(node: entry.node, cgroup: path, pids: pids, mems: mems)) }
        }
      }
      for child in subdirectories(directory).reversed() {
        stack.append((path == "/" ? "/" + child : path + "/" + child, mems))
      }
    }
    result.leaks = leaks.sorted { ($0.node, $0.cgroup) < ($1.node, $1.cgroup) }
    return result
  }

  /// A registry `Cgroup=` value as a path from the mount: `privnuma.slice/cxl0/` → `/privnuma.slice/cxl0`.
  public static func cgroupPath(_ relative: String) -> String {
    let parts = relative.split(separator: "/", omittingEmptySubsequences: true)
    return "/" + parts.joined(separator: "/")
  }

  /// Whether cgroup `path` is `ancestor` or below it.
  public static func within(_ path: String, _ ancestor: String) -> Bool {
    if ancestor == "/" { return true }
    return path == ancestor || path.hasPrefix(ancestor + "/")
  }

  /// The pids in a `cgroup.procs` file; in the root cgroup, kernel threads are left out.
  static func processes(_ file: String, root: Bool, proc: String) -> [Int32] {
    guard let bytes = FileSystem.bytesIfPresent(file) else { return [] }
    var pids: [Int32] = []
    var value: Int32 = 0
    var digits = 0
    for byte in bytes {
      if byte >= 0x30 && byte <= 0x39 {
        value = value &* 10 &+ Int32(byte - 0x30)
        digits += 1
      } else {
        if digits > 0 { pids.append(value) }
        value = 0
        digits = 0
      }
    }
    if digits > 0 { pids.append(value) }
    if root { pids.removeAll { Processes.isKernelThread(proc: proc, pid: $0) } }
    return pids
  }

  static func isDirectory(_ path: String) -> Bool {
    if case .success(let status) = FileSystem.status(path) { return status.isDirectory }
    return false
  }

  /// Child directories of a cgroup, by name; the type comes from readdir where the file
  /// system gives it, so a walk does not stat every control file.
  static func subdirectories(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let type = entry.pointee.d_type
      guard type == UInt8(DT_DIR) || type == UInt8(DT_UNKNOWN) else { continue }
      let name = FileSystem.entryName(entry)
      if name == "." || name == ".." { continue }
      if type == UInt8(DT_UNKNOWN) && !isDirectory(path + "/" + name) { continue }
      names.append(name)
    }
    return names.sorted(by: FileSystem.byteOrder)
  }
}
