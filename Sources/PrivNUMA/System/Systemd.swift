import Glibc

/// The systemd that owns the cgroup tree on most hosts. privnuma keeps its fence in
/// systemd's own configuration (drop-ins systemd applies to every slice, now and after a
/// reload or a reboot) and lets systemd place processes, so that no unit loses track of its
/// processes (DESIGN §11). A protocol, injected through `Environment` like `Kernel`, so the
/// fence's systemd half can be tested over a fixture unit directory.
public protocol Systemd: Sendable {
  /// Where `fence apply` writes its drop-ins: the administrator's unit directory.
  var unitDirectory: String { get }
  /// Slurm's configuration directory: its plugstack.conf tells whether this is a Slurm node
  /// whose slurmstepd scope the fence must leave open for privnuma's SPANK plugin.
  var slurmDirectory: String { get }
  /// Whether systemd is PID 1 here.
  var isBooted: Bool { get }
  /// Whether systemd owns the cgroup v2 tree mounted at `cgroupRoot`: the machine's own
  /// tree (not a fixture's) on a host where systemd is PID 1.
  func owns(cgroupRoot: String) -> Bool
  /// `systemctl daemon-reload`: systemd reads the drop-ins again and applies them to every
  /// unit's cgroup.
  func reload() -> Failure?
  /// `systemctl stop UNIT`.
  func stop(_ unit: String) -> Failure?
  /// Asks systemd to start a transient scope, `privnuma-PID.scope`, in `slice` around this
  /// process, as `systemd-run --scope` does; systemd moves the process itself and then
  /// knows it.
  func startScope(slice: String, description: String) -> Failure?
}

/// The running systemd, through its own programs (`systemctl`, `busctl`).
public struct SystemManager: Systemd {
  public let unitDirectory = "/etc/systemd/system"
  public let slurmDirectory = "/etc/slurm"

  public init() {}

  /// `sd_booted()`'s test: `/run/systemd/system` exists.
  public var isBooted: Bool { FileSystem.isDirectory("/run/systemd/system") }

  public func owns(cgroupRoot: String) -> Bool { cgroupRoot == Roots.system.cgroup && isBooted }

  public func reload() -> Failure? { systemctl(["daemon-reload"]) }

  public func stop(_ unit: String) -> Failure? { systemctl(["stop", unit]) }

  func systemctl(_ arguments: [String]) -> Failure? {
    switch Self.run("systemctl", arguments) {
    case .failure(let failure): return failure
    case .success(let result) where result.status != 0:
      return .system("systemctl \(arguments.joined(separator: " ")) failed (exit \(result.status)): \(result.stderr)")
    case .success: return nil
    }
  }

  /// StartTransientUnit on the system bus; waits until `/proc/self/cgroup` shows the move.
  public func startScope(slice: String, description: String) -> Failure? {
    let pid = getpid()
    let unit = "privnuma-\(pid).scope"
    let arguments = [
      "--system", "--quiet", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
      "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", unit, "fail",
      "4", "Slice", "s", slice, "PIDs", "au", "1", String(pid), "Description", "s", description,
      "CollectMode", "s", "inactive-or-failed", "0",
    ]
    switch Self.run("busctl", arguments) {
    case .failure(let failure): return failure
    case .success(let result) where result.status != 0:
      let denied = result.stderr.includes("denied") || result.stderr.includes("Interactive authentication required")
      if denied {
        return .refused("systemd refused to start scope \(unit) in \(slice) (\(result.stderr)): only root may ask it to place processes")
      }
      return .system("systemd could not start scope \(unit) in \(slice): busctl exited \(result.status): \(result.stderr)")
    case .success: break
    }
    // The call returns once the start job is queued; the job moves the process shortly after.
    for _ in 0..<100 {
      if let own = ProcessStatus.cgroup(proc: "/proc"), own.hasSuffix("/" + unit) { return nil }
      usleep(20_000)
    }
    return .system("systemd accepted scope \(unit) in \(slice) but did not move this process into it within 2 seconds; 'systemctl status \(unit)' says why")
  }

  /// Runs one of systemd's programs from a fixed path with a fixed environment and waits
  /// for it: nothing of the caller's environment reaches a program that may run with root's
  /// rights. Returns its exit status and what it wrote to stderr, lines joined with "; ".
  static func run(_ program: String, _ arguments: [String]) -> Result<(status: Int32, stderr: String), Failure> {
    guard let path = ["/usr/bin/", "/bin/"].map({ $0 + program }).first(where: { access($0, X_OK) == 0 }) else {
      return .failure(.system("\(program) was not found in /usr/bin or /bin; is systemd installed?"))
    }
    var pipeEnds: [Int32] = [0, 0]
    if pipe(&pipeEnds) != 0 { return .failure(.system("cannot run \(program): pipe failed with \(Errno.current)")) }
    _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
    let argv = ([path] + arguments).map { strdup($0) }
    let environment: [String] = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
    let envp = environment.map { strdup($0) }
    defer {
      for pointer in argv + envp { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv + [nil], envp + [nil])
    close(pipeEnds[1])
    defer { close(pipeEnds[0]) }
    if spawned != 0 {
      return .failure(.system("cannot run \(path): posix_spawn failed with \(Errno(rawValue: spawned))"))
    }
    var errorBytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1024)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
      if n > 0 {
        errorBytes += chunk[0..<n]
      } else if n == 0 || Errno.current != .interrupted {
        break
      }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if Errno.current != .interrupted { return .failure(.system("cannot wait for \(path): \(Errno.current)")) }
    }
    // WIFEXITED / WEXITSTATUS, spelled out: Glibc's macros do not reach Swift.
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let text = String(decoding: errorBytes, as: UTF8.self)
    return .success((code, text.split(whereSeparator: { $0 == "\n" }).joined(separator: "; ")))
  }
}

/// Drop-in files under a unit directory (`slice.d/90-privnuma-fence.conf`): found by name,
/// written all or nothing, removed with their emptied directory.
struct DropInFiles {
  /// The unit directory, `/etc/systemd/system` (a fixture's in tests).
  var units: String

  /// Every `*.d/NAME` with NAME one of `names`, as absolute path and contents, in byte order.
  func installed(named names: [String]) -> [(path: String, contents: String)] {
    guard case .success(let entries) = FileSystem.list(units) else { return [] }
    var found: [(path: String, contents: String)] = []
    for entry in entries.sorted(by: FileSystem.byteOrder) where entry.hasSuffix(".d") {
      for name in names {
        let path = units + "/" + entry + "/" + name
        if let contents = FileSystem.readIfPresent(path) { found.append((path, contents)) }
      }
    }
    return found
  }

  /// Writes every file (`directory` relative to `units`) to a temporary name first and
  /// renames them only when all are written, so a failure leaves the old configuration whole.
  func writeAll(_ files: [(directory: String, file: String, contents: String)]) -> Failure? {
    var staged: [(temporary: String, final: String)] = []
    func discard() { for entry in staged { unlink(entry.temporary) } }
    for file in files {
      let directory = units + "/" + file.directory
      if case .failure(let error) = FileSystem.makeDirectory(directory) {
        discard()
        return .system("cannot create \(directory): \(error); nothing was changed")
      }
      let temporary = directory + "/.\(file.file).privnuma-new"
      if case .failure(let error) = FileSystem.write(file.contents, to: temporary, create: true) {
        discard()
        return .system("cannot write \(temporary): \(error); nothing was changed")
      }
      staged.append((temporary, directory + "/" + file.file))
    }
    for entry in staged where rename(entry.temporary, entry.final) != 0 {
      let error = Errno.current
      discard()
      return .system("cannot rename \(entry.temporary) to \(entry.final): \(error)")
    }
    return nil
  }

  /// Deletes the file at absolute `path`, and its directory when that is left empty.
  func remove(_ path: String) -> Failure? {
    if unlink(path) != 0 && Errno.current != .noSuchFile {
      return .system("cannot remove \(path): \(Errno.current)")
    }
    if let slash = path.lastIndex(of: "/") { rmdir(String(path[..<slash])) }
    return nil
  }
}
