import CPrivNUMA
import Glibc

/// Writes into the cgroup v2 tree: joining an opt-in cgroup (the one privileged step of a
/// launch) and the changes `fence apply` makes. A protocol, injected through `Environment`
/// like `Kernel`, so both can be tested over fixture trees. Paths are absolute directories.
public protocol CgroupWriter: Sendable {
  /// Moves this process into the cgroup at absolute `path` (its `cgroup.procs`); `own` is
  /// this process's cgroup (`/proc/self/cgroup`, read once per launch), nil when unknown.
  func join(_ path: String, own: String?) -> Failure?
  /// Whether `directory` is the mount of a cgroup v2 file system (statfs).
  func isCgroup2(_ directory: String) -> Result<Bool, Errno>
  /// mkdir; an existing directory is no error.
  func create(_ directory: String) -> Result<Void, Errno>
  /// `+cpuset` into `cgroup.subtree_control`.
  func enableCpuset(_ directory: String) -> Result<Void, Errno>
  func setMems(_ directory: String, _ mems: NodeSet) -> Result<Void, Errno>
  /// Writes `pid` into `cgroup.procs`.
  func move(_ pid: Int32, to directory: String) -> Result<Void, Errno>
}

/// The cgroup v2 file system itself.
public struct CgroupFS: CgroupWriter {
  public var credentials: Credentials

  public init(credentials: Credentials = ProcessCredentials()) {
    self.credentials = credentials
  }

  public func isCgroup2(_ directory: String) -> Result<Bool, Errno> {
    FileDescriptor.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC).flatMap { descriptor in
      defer { descriptor.close() }
      let type = CPrivNUMA_fs_type(descriptor.rawValue)
      if type < 0 { return .failure(.current) }
      return .success(type == Cgroups.cgroup2Magic)
    }
  }

  public func create(_ directory: String) -> Result<Void, Errno> {
    if mkdir(directory, 0o755) != 0 && Errno.current.rawValue != EEXIST { return .failure(.current) }
    return .success(())
  }

  public func enableCpuset(_ directory: String) -> Result<Void, Errno> {
    write("+cpuset\n", to: "cgroup.subtree_control", in: directory)
  }

  public func setMems(_ directory: String, _ mems: NodeSet) -> Result<Void, Errno> {
    write(mems.listDescription + "\n", to: "cpuset.mems", in: directory)
  }

  public func move(_ pid: Int32, to directory: String) -> Result<Void, Errno> {
    write(String(pid) + "\n", to: "cgroup.procs", in: directory)
  }

  /// Writes a control file of a cgroup directory; ENOTDIR when `directory` is not a real
  /// directory (a symbolic link is not followed into another part of the file system).
  func write(_ text: String, to file: String, in directory: String) -> Result<Void, Errno> {
    switch FileSystem.status(directory) {
    case .failure(let error): return .failure(error)
    case .success(let status) where !status.isDirectory: return .failure(.notDirectory)
    case .success: return FileSystem.write(text, to: directory + "/" + file)
    }
  }

  /// Moves this process into the cgroup at absolute `path` (its `cgroup.procs`).
  ///
  /// The write may run with CAP_DAC_OVERRIDE, which would let it write any file, so the
  /// path is checked again here although the registry parser already refused `..`: every
  /// component is opened without following symbolic links, the directory must be on a
  /// cgroup v2 file system, and the capability is raised only for opening and writing
  /// `cgroup.procs` in it.
  public func join(_ path: String, own: String?) -> Failure? {
    guard let components = Cgroups.plainComponents(path) else {
      return .refused("the opt-in cgroup '\(path)' is not a plain absolute path (it has '..', '.' or empty parts); fix Cgroup= in the registry")
    }
    // Already there or below (a nested launch, a systemd scope inside an opt-in slice):
    // stay. A slice with other controllers enabled could not take the process anyway.
    if let own, Cgroups.isWithin(path, own: own, isMount: Cgroups.isMount) { return nil }
    var directory: FileDescriptor
    switch FileDescriptor.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) {
    case .success(let root): directory = root
    case .failure(let error): return .system("cannot open /: \(error)")
    }
    for component in components {
      let next = directory.open(component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      directory.close()
      switch next {
      case .success(let opened): directory = opened
      case .failure(let error):
        switch error {
        case .noSuchFile:
          return .system("cannot join the opt-in cgroup \(path): it does not exist; run 'privnuma fence apply' as root to create it")
        case .notDirectory, Errno(rawValue: ELOOP):
          return .refused("cannot join the opt-in cgroup \(path): '\(component)' is a symbolic link or not a directory; cgroup paths have neither, so something is wrong with the mount")
        default:
          return .system("cannot join the opt-in cgroup \(path): opening '\(component)' failed with \(error)")
        }
      }
    }
    defer { directory.close() }
    let type = CPrivNUMA_fs_type(directory.rawValue)
    if type < 0 {
      return .system("cannot join the opt-in cgroup \(path): fstatfs failed with \(Errno.current)")
    }
    if type != Cgroups.cgroup2Magic {
      return .refused("cannot join the opt-in cgroup \(path): it is not on a cgroup v2 file system; mount cgroup2 at the cgroup root (normally /sys/fs/cgroup)")
    }
    let pid = String(getpid()) + "\n"
    let failure: Errno? = credentials.with(.dacOverride) {
      switch directory.open("cgroup.procs", O_WRONLY | O_NOFOLLOW | O_CLOEXEC) {
      case .failure(let error): return error
      case .success(let file):
        defer { file.close() }
        // One write: cgroup.procs takes one pid per write(2).
        if case .failure(let error) = Array(pid.utf8).withUnsafeBytes({ file.write($0) }) { return error }
        return nil
      }
    }
    if let error = failure {
      let hint = Advice.text(.joinCgroup, error)
      return .system("cannot join the opt-in cgroup: writing \(path)/cgroup.procs failed with \(error); \(hint)")
    }
    return nil
  }
}

/// Paths in the cgroup v2 tree.
enum Cgroups {
  /// `CGROUP2_SUPER_MAGIC`: the only file system privnuma writes a process into.
  static let cgroup2Magic = 0x6367_7270

  /// Whether cgroup `own` (from /proc/self/cgroup: `/privnuma.slice/cxl0/job`) is the cgroup at
  /// absolute path `target` or below it. The mount is what `target` has before one of
  /// `own`'s ancestors-or-self; `isMount` confirms it is a cgroup v2 root, so that a cgroup
  /// of the same name elsewhere in the tree does not count.
  static func isWithin(_ target: String, own: String, isMount: (String) -> Bool) -> Bool {
    var target = target
    while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
    var candidate = own
    while candidate.count > 1 && candidate.hasPrefix("/") {
      if target.hasSuffix(candidate) {
        let mount = String(target.dropLast(candidate.count))
        if !mount.isEmpty && isMount(mount) { return true }
      }
      guard let slash = candidate.lastIndex(of: "/") else { break }
      candidate = String(candidate[..<slash])
    }
    return false
  }

  /// A cgroup v2 root: it has cgroup.controllers, and no cgroup.type (every other cgroup has one).
  static func isMount(_ path: String) -> Bool {
    FileSystem.exists(path + "/cgroup.controllers") && !FileSystem.exists(path + "/cgroup.type")
  }

  /// The components of an absolute path with no `..`, `.` or empty parts, or nil.
  static func plainComponents(_ path: String) -> [String]? {
    guard path.hasPrefix("/") else { return nil }
    var components: [String] = []
    for part in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
      let name = String(decoding: part, as: UTF8.self)
      if name == ".." || name == "." { return nil }
      // A trailing '/' is harmless; an empty part inside is not a path anyone meant.
      if name.isEmpty { continue }
      components.append(name)
    }
    return components
  }
}


/// A cgroup by its path from the cgroup v2 mount: `/` is the root, `/privnuma.slice/cxl0`.
/// The one place cgroup paths are built, compared and taken apart.
public struct CgroupPath: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
  public let path: String

  /// `a/b/`, `/a//b` and `/a/b` are the same cgroup, `/a/b`.
  public init(_ text: String) {
    path = "/" + text.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
  }

  /// A registry `Cgroup=` value, relative to the mount: `privnuma.slice/cxl0`.
  public init(relative: String) { self.init(relative) }

  public init(stringLiteral text: String) { self.init(text) }

  public var description: String { path }

  public var isRoot: Bool { path == "/" }

  /// `/a/b` → `/a`; `/a` → `/`; the root is its own parent.
  public var parent: CgroupPath {
    guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
    return CgroupPath(String(path[..<slash]))
  }

  /// Every proper ancestor except the root, nearest last: `/a/b/c` → `/a`, `/a/b`.
  public var ancestors: [CgroupPath] {
    var result: [CgroupPath] = []
    var current = parent
    while !current.isRoot {
      result.insert(current, at: 0)
      current = current.parent
    }
    return result
  }

  /// Whether this cgroup is `ancestor` or below it (by whole components: `/a/bc` is not below `/a/b`).
  public func isWithin(_ ancestor: CgroupPath) -> Bool {
    ancestor.isRoot || path == ancestor.path || path.hasPrefix(ancestor.path + "/")
  }

  /// A child by name.
  public func appending(_ name: String) -> CgroupPath { CgroupPath(path + "/" + name) }

  /// Its directory under the mount.
  public func directory(under mount: String) -> String { isRoot ? mount : mount + path }
}

/// Reading the cgroup v2 tree: one walk, parents before children, shared by `audit`,
/// `fence status` and `fence apply`.
enum CgroupTree {
  /// Visits every cgroup under `mount` depth-first with its effective mems: its
  /// `cpuset.mems.effective`, or its parent's without a cpuset controller (the root's
  /// default is `rootMems`).
  static func walk(mount: String, rootMems: NodeSet, _ visit: (CgroupPath, _ directory: String, _ effective: NodeSet) -> Void) {
    var stack: [(path: CgroupPath, inherited: NodeSet)] = [("/", rootMems)]
    while let (path, inherited) = stack.popLast() {
      let directory = path.directory(under: mount)
      var effective = inherited
      if let read = mems(directory + "/cpuset.mems.effective"), !read.isEmpty { effective = read }
      visit(path, directory, effective)
      for child in children(directory).reversed() { stack.append((path.appending(child), effective)) }
    }
  }

  /// Waits up to `seconds` until the root cgroup's effective mems include `node`. After
  /// memory goes online the kernel tells the cpusets from a work queue, a moment later;
  /// until then no cgroup's effective mems can hold the node. Returns at once where the
  /// root shows no effective mems.
  static func awaitRootMems(including node: Int, mount: String, seconds: Double = 5) {
    var waited = 0.0
    while let root = mems(mount + "/cpuset.mems.effective"), !root.contains(node), waited < seconds {
      Clock.sleep(seconds: 0.01)
      waited += 0.01
    }
  }

  /// A node list file (`cpuset.mems`, `cpuset.mems.effective`); nil when it is absent.
  static func mems(_ file: String) -> NodeSet? {
    FileSystem.bytesIfPresent(file).flatMap { NodeSet(kernelList: $0[...]) }
  }

  /// The pids in a cgroup's `cgroup.procs`; `withoutKernelThreads` leaves out kernel
  /// threads (they live in the root cgroup and cannot move).
  static func processes(_ directory: String, proc: String, withoutKernelThreads: Bool = false) -> [Int32] {
    guard let bytes = FileSystem.bytesIfPresent(directory + "/cgroup.procs") else { return [] }
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
    if withoutKernelThreads { pids.removeAll { Processes.isKernelThread(proc: proc, pid: $0) } }
    return pids
  }

  /// Child cgroups by name, in byte order; the type comes from readdir where the file
  /// system gives it, so a walk does not stat every control file.
  static func children(_ directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let type = entry.pointee.d_type
      guard type == UInt8(DT_DIR) || type == UInt8(DT_UNKNOWN) else { continue }
      let name = FileSystem.entryName(entry)
      if name == "." || name == ".." { continue }
      if type == UInt8(DT_UNKNOWN) && !FileSystem.isDirectory(directory + "/" + name) { continue }
      names.append(name)
    }
    return names.sorted(by: FileSystem.byteOrder)
  }
}
