/// The process's surroundings: where to read the machine from, who is asking, with what rights.
/// Environment overrides are honoured only without privilege (DESIGN §4).
public struct Environment {
  public var roots: Roots
  public var privilege: Privilege
  public var identity: Identity
  public var names: NameService
  public var kernel: Kernel
  /// The privileged half: ids and capabilities, and the writes into the cgroup tree.
  public var credentials: Credentials
  public var cgroups: CgroupWriter
  /// The systemd that owns the cgroup tree, when there is one: the fence's drop-ins, scopes.
  public var systemd: Systemd
  /// Overrides that were set but ignored because privnuma runs with privilege.
  public var ignoredOverrides: [String] = []

  public static let overrideVariables = ["PRIVNUMA_SYSFS", "PRIVNUMA_PROC", "PRIVNUMA_CGROUP", "PRIVNUMA_REGISTRY"]

  public init(
    roots: Roots, privilege: Privilege, identity: Identity, names: NameService, kernel: Kernel,
    credentials: Credentials = ProcessCredentials(), cgroups: CgroupWriter? = nil, systemd: Systemd = SystemManager()
  ) {
    self.roots = roots
    self.privilege = privilege
    self.identity = identity
    self.names = names
    self.kernel = kernel
    self.credentials = credentials
    self.cgroups = cgroups ?? CgroupFS(credentials: credentials)
    self.systemd = systemd
  }

  /// The real process environment.
  public static func current() -> Environment {
    let privilege = Privilege.current()
    var roots = Roots.system
    var ignored: [String] = []
    for name in overrideVariables {
      guard let value = ProcessEnvironment.value(name), !value.isEmpty else { continue }
      if privilege.elevated {
        ignored.append(name)
        continue
      }
      switch name {
      case "PRIVNUMA_SYSFS": roots.sysfs = value
      case "PRIVNUMA_PROC": roots.proc = value
      case "PRIVNUMA_CGROUP": roots.cgroup = value
      default: roots.registry = value
      }
    }
    var environment = Environment(
      roots: roots, privilege: privilege, identity: .current(), names: .trusted(under: privilege),
      kernel: SystemKernel())
    environment.ignoredOverrides = ignored
    return environment
  }

  /// Says once which overrides were ignored, so nobody wonders why they had no effect.
  func reportIgnoredOverrides() {
    if !ignoredOverrides.isEmpty {
      Diagnostics.warning("ignoring \(ignoredOverrides.joined(separator: ", ")): privnuma runs with privilege")
    }
  }

  /// Loads the machine, with the registry held to the privileged rules when needed.
  ///
  /// `registry` is the `--registry` option. Under privilege only root may choose the
  /// registry, as with PRIVNUMA_REGISTRY: any other directory, however root-owned (a stale
  /// copy, an installed example), would let the caller pick which rules apply.
  func loadMachine(registry: String? = nil) throws(Failure) -> Machine {
    var roots = roots
    if let registry {
      if privilege.elevated && identity.uid != 0 {
        throw .refused("--registry \(registry) is not accepted: privnuma runs with privilege (setcap or setuid install) and reads only the configured registry \(roots.registry); drop --registry, or run privnuma as root to try another registry")
      }
      // The default registry may be absent (no private nodes declared); a named one must exist.
      guard FileSystem.exists(registry) else {
        throw .usage("--registry \(registry): no such directory; give the directory that holds the *.conf files")
      }
      roots.registry = registry
    }
    return try Machine.load(roots: roots, trust: privilege.elevated ? Trust() : nil)
  }

  /// The same, for the query commands that compose Results.
  func machine(registry: String? = nil) -> Result<Machine, Failure> {
    do { return .success(try loadMachine(registry: registry)) } catch { return .failure(error) }
  }

  func processStatus() throws(Failure) -> ProcessStatus {
    if roots.proc == Roots.system.proc {
      // The kernel answers directly: two system calls instead of reading and parsing a file.
      if case .success(let mems) = kernel.allowedMemoryNodes(), case .success(let cpus) = kernel.affinity() {
        return ProcessStatus(memsAllowed: mems, cpusAllowed: cpus, name: "", uid: nil)
      }
    }
    switch ProcessStatus.read(proc: roots.proc) {
    case .success(let status): return status
    case .failure(let error): throw .system("cannot read \(roots.proc)/self/status: \(error)")
    }
  }
}
