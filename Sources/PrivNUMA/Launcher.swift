import CPrivNUMA
import Glibc

/// Carries out a plan: cgroup, privilege drop, CPU affinity, memory policy, verification,
/// exec. Each step either succeeds or stops the launch before the command runs.
public struct Launcher {
  public var kernel: Kernel
  public var privilege: Privilege

  public init(kernel: Kernel, privilege: Privilege) {
    self.kernel = kernel
    self.privilege = privilege
  }

  /// Applies the plan and execs; returns only with the reason the command did not run.
  public func launch(_ plan: LaunchPlan) -> Failure {
    if let failure = plan.failure { return failure }
    if let cgroup = plan.cgroup, let failure = Cgroups.join(cgroup) { return failure }
    if privilege.elevated, let failure = Privileges.dropAll() { return failure }
    if let cpus = plan.cpus, case .failure(let error) = kernel.setAffinity(cpus) {
      return .system("cannot bind to CPUs \(cpus): sched_setaffinity failed with \(error)")
    }
    if let policy = plan.policy {
      if let failure = apply(policy, option: plan.policyOption) { return failure }
    }
    let error = kernel.execute(plan.command)
    return Launcher.execFailure(plan.command[0], error)
  }

  func apply(_ policy: MemoryPolicy, option: String?) -> Failure? {
    let spelled = "--" + (option ?? policy.mode.name)
    if case .failure(let error) = kernel.setMemoryPolicy(policy) {
      return .system("\(spelled): set_mempolicy(\(Launcher.describe(policy))) failed with \(error): \(Launcher.explain(error, policy))")
    }
    // The kernel trims nodes outside the cpuset without a word: read the policy back.
    switch kernel.memoryPolicy() {
    case .failure(let error):
      return .system("\(spelled): get_mempolicy failed with \(error) while verifying the policy")
    case .success(let applied):
      if applied.mode != policy.mode {
        return .system("\(spelled): the kernel reports policy \(applied.mode.name) instead of \(policy.mode.name); nothing was run")
      }
      let missing = policy.nodes.subtracting(applied.nodes)
      if policy.mode.takesNodes && !missing.isEmpty {
        return .system("\(spelled): the kernel dropped node \(missing) from the policy (kept \(applied.nodes)); node \(missing) is not in this process's cpuset (cpuset.mems). Nothing was run; run inside a cgroup whose cpuset.mems includes it")
      }
    }
    return nil
  }

  /// `MPOL_BIND|MPOL_F_STATIC_NODES, nodes 0-1` — the syscall in the kernel's own words.
  public static func describe(_ policy: MemoryPolicy) -> String {
    let mode = ([policy.mode.constantName] + policy.flags.constantNames).joined(separator: "|")
    return policy.mode.takesNodes ? "\(mode), nodes \(policy.nodes)" : mode
  }

  /// What an errno from set_mempolicy most likely means here.
  static func explain(_ error: Errno, _ policy: MemoryPolicy) -> String {
    switch error {
    case .invalidArgument:
      if policy.flags.contains(.numaBalancing) {
        return "this kernel does not accept --balancing with this policy (Linux supports it with --membind)"
      }
      return "a node may have no memory, be outside the cpuset, or be a private node that does not allow memory policies; see 'privnuma explain'"
    case .notImplemented:
      return "this kernel was built without NUMA support"
    case .notPermitted, .accessDenied:
      return "the kernel denied it to this process"
    default:
      return "the kernel refused it"
    }
  }

  static func execFailure(_ command: String, _ error: Errno) -> Failure {
    switch error {
    case .noSuchFile:
      return Failure(.notFound, "\(command): command not found")
    case .accessDenied, .execFormat, .isDirectory, .notPermitted:
      return Failure(.notExecutable, "\(command): cannot execute: \(error.message) (\(error.name))")
    default:
      return Failure(.notExecutable, "\(command): exec failed with \(error)")
    }
  }
}

/// Joining an opt-in cgroup: the one privileged step of a launch.
enum Cgroups {
  static func join(_ path: String) -> Failure? {
    let procs = path + "/cgroup.procs"
    let raised = Privileges.raise(.dacOverride)
    defer { if raised { Privileges.lowerEffective() } }
    if case .failure(let error) = FileSystem.write(String(getpid()) + "\n", to: procs) {
      let hint =
        error == .noSuchFile
        ? "the cgroup does not exist; run 'privnuma fence apply' as root"
        : "privnuma needs write access there: install it with file capabilities or setuid (see README)"
      return .system("cannot join the opt-in cgroup: writing \(procs) failed with \(error); \(hint)")
    }
    return nil
  }
}

/// Capabilities and ids: raised only around the privileged step, all dropped before exec.
public enum Privileges {
  public enum Capability: UInt32 {
    case dacOverride = 1
    case sysNice = 2
  }

  /// Raises a permitted capability into the effective set; false when it is not permitted.
  @discardableResult
  static func raise(_ capability: Capability) -> Bool {
    guard CPrivNUMA_cap_permitted(capability.rawValue) == 1 else { return false }
    return CPrivNUMA_cap_raise(capability.rawValue) == 0
  }

  static func lowerEffective() { _ = CPrivNUMA_cap_lower_effective() }

  /// Returns to the real ids and clears every capability set, so the command runs unprivileged.
  static func dropAll() -> Failure? {
    let uid = getuid()
    let gid = getgid()
    if geteuid() != uid || getegid() != gid {
      if CPrivNUMA_set_all_ids(uid, gid) != 0 {
        return .system("cannot drop setuid privilege: \(Errno.current)")
      }
    }
    // Root running privnuma keeps root's rights, as any command root runs would.
    if uid == 0 { return nil }
    if CPrivNUMA_cap_drop_all() != 0 {
      return .system("cannot drop capabilities: \(Errno.current)")
    }
    return nil
  }
}
