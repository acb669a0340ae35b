import CPrivNUMA
import Glibc

/// Joining an opt-in cgroup: the one privileged step of a launch.
enum Cgroups {
  /// `CGROUP2_SUPER_MAGIC`: the only file system privnuma writes a process into.
  static let cgroup2Magic = 0x6367_7270

  /// Moves this process into the cgroup at absolute `path` (its `cgroup.procs`).
  ///
  /// The write may run with CAP_DAC_OVERRIDE, which would let it write any file, so the
  /// path is checked again here although the registry parser already refused `..`: every
  /// component is opened without following symbolic links, the directory must be on a
  /// cgroup v2 file system, and the capability is raised only for opening and writing
  /// `cgroup.procs` in it.
  static func join(_ path: String) -> Failure? {
    guard let components = plainComponents(path) else {
      return .refused("the opt-in cgroup '\(path)' is not a plain absolute path (it has '..', '.' or empty parts); fix Cgroup= in the registry")
    }
    // Already there or below (a nested launch, a systemd scope inside an opt-in slice):
    // stay. A slice with other controllers enabled could not take the process anyway.
    if let own = ProcessStatus.cgroup(proc: "/proc"), isWithin(path, own: own, isMount: isMount) { return nil }
    var directory = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory < 0 { return .system("cannot open /: \(Errno.current)") }
    for component in components {
      let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      let error = Errno.current
      close(directory)
      if next < 0 {
        switch error {
        case .noSuchFile:
          return .system("cannot join the opt-in cgroup \(path): it does not exist; run 'privnuma fence apply' as root to create it")
        case .notDirectory, Errno(rawValue: ELOOP):
          return .refused("cannot join the opt-in cgroup \(path): '\(component)' is a symbolic link or not a directory; cgroup paths have neither, so something is wrong with the mount")
        default:
          return .system("cannot join the opt-in cgroup \(path): opening '\(component)' failed with \(error)")
        }
      }
      directory = next
    }
    defer { close(directory) }
    let type = CPrivNUMA_fs_type(directory)
    if type < 0 {
      return .system("cannot join the opt-in cgroup \(path): fstatfs failed with \(Errno.current)")
    }
    if type != cgroup2Magic {
      return .refused("cannot join the opt-in cgroup \(path): it is not on a cgroup v2 file system; mount cgroup2 at the cgroup root (normally /sys/fs/cgroup)")
    }
    let pid = String(getpid()) + "\n"
    let failure: Errno? = Privileges.with(.dacOverride) {
      let file = openat(directory, "cgroup.procs", O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
      if file < 0 { return Errno.current }
      defer { close(file) }
      var bytes = Array(pid.utf8)
      let written = bytes.withUnsafeMutableBytes { buffer in
        retryingOnInterrupt { Glibc.write(file, buffer.baseAddress, buffer.count) }
      }
      if case .failure(let error) = written { return error }
      return nil
    }
    if let error = failure {
      let hint: String
      switch error {
      case .accessDenied, .notPermitted:
        hint = "privnuma needs write access there: install it with file capabilities (make install PRIVILEGE=setcap) or setuid root (see README)"
      case .noSuchFile:
        hint = "the cgroup has no cgroup.procs; is it a cgroup v2 directory?"
      default:
        hint = "the kernel refused to move this process there"
      }
      return .system("cannot join the opt-in cgroup: writing \(path)/cgroup.procs failed with \(error); \(hint)")
    }
    return nil
  }

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

/// Capabilities and ids: raised only around the privileged step, all dropped before exec
/// (DESIGN §8).
///
/// privnuma gets its rights one of two ways. Installed with file capabilities
/// (`setcap cap_dac_override,cap_sys_nice+p`) it starts with those two in the permitted set
/// and nothing effective. Installed setuid root it starts with every capability and
/// effective uid 0; `reduceAtStart` narrows that to the same two, permitted only, with the
/// caller's uid as effective uid. Either way a capability becomes effective only inside
/// `with`, and `dropAll` clears every set and restores the real ids before the command is
/// looked up on PATH.
public enum Privileges {
  public enum Capability: UInt32 {
    case dacOverride = 1
    case sysNice = 2
  }

  /// The capabilities privnuma ever uses.
  static let needed: UInt32 = Capability.dacOverride.rawValue | Capability.sysNice.rawValue

  /// Runs `body` with `capability` effective when it is permitted, and lowers it after
  /// unless it was effective already (root keeps its rights). Without the capability the
  /// body runs as is, so the kernel's refusal reaches the caller with its errno.
  static func with<T>(_ capability: Capability, _ body: () -> T) -> T {
    let raised = raise(capability)
    defer { if raised { lower(capability) } }
    return body()
  }

  /// Makes a permitted capability effective; true only when this call changed anything.
  @discardableResult
  static func raise(_ capability: Capability) -> Bool {
    if CPrivNUMA_cap_effective(capability.rawValue) == 1 { return false }
    guard CPrivNUMA_cap_permitted(capability.rawValue) == 1 else { return false }
    return CPrivNUMA_cap_raise(capability.rawValue) == 0
  }

  static func lower(_ capability: Capability) { _ = CPrivNUMA_cap_lower(capability.rawValue) }

  /// Clears the whole effective set.
  static func lowerEffective() { _ = CPrivNUMA_cap_lower_effective() }

  /// For a privileged start: keeps only the capabilities privnuma uses, none of them
  /// effective, and for setuid root takes the caller's uid as effective uid (the saved uid
  /// keeps the permitted set), so files are read with the caller's own rights.
  /// Does nothing for an unprivileged process or for root itself. A failure of either step
  /// is returned, and privnuma stops on it before reading anything: carrying on would read
  /// the caller's files with root's rights or keep every capability.
  public static func reduceAtStart() -> Failure? {
    reduce(
      elevated: Privilege.current().elevated, uid: getuid(), effectiveUID: geteuid(),
      setEffectiveUID: { CPrivNUMA_set_effective_uid($0) == 0 ? nil : Errno.current },
      limitCapabilities: { CPrivNUMA_cap_limit(needed) == 0 ? nil : Errno.current })
  }

  /// The decisions of `reduceAtStart`, with the two system calls passed in.
  static func reduce(
    elevated: Bool, uid: UInt32, effectiveUID: UInt32,
    setEffectiveUID: (UInt32) -> Errno?, limitCapabilities: () -> Errno?
  ) -> Failure? {
    guard elevated, uid != 0 else { return nil }
    if effectiveUID == 0, let error = setEffectiveUID(uid) {
      return .system("cannot take the caller's uid \(uid) as effective uid at start (setresuid failed with \(error)); stopping before reading anything. Check the installation (setuid root, see README)")
    }
    if let error = limitCapabilities() {
      return .system("cannot limit the capabilities at start to cap_dac_override and cap_sys_nice (cap_set_proc failed with \(error)); stopping before reading anything. Check the installation (see README)")
    }
    return nil
  }

  /// Returns to the real ids and clears every capability set, so the command runs
  /// unprivileged; fails rather than let a command run with anything left over.
  static func dropAll() -> Failure? {
    let uid = getuid()
    let gid = getgid()
    if geteuid() != uid || getegid() != gid {
      if CPrivNUMA_set_all_ids(uid, gid) != 0 {
        return .system("cannot drop setuid privilege: setresuid/setresgid failed with \(Errno.current); nothing was run")
      }
    }
    // Root running privnuma keeps root's rights, as any command root runs would.
    if uid == 0 { return nil }
    if CPrivNUMA_cap_drop_all() != 0 {
      return .system("cannot drop capabilities: \(Errno.current); nothing was run")
    }
    if CPrivNUMA_cap_none() != 1 {
      return .system("capabilities are still held after dropping them; nothing was run")
    }
    return nil
  }
}
