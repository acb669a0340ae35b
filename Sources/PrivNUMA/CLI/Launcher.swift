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
    if let failure = prepare(plan) { return failure }
    let error = kernel.execute(plan.command)
    return Launcher.execFailure(plan.command[0], error)
  }

  /// Everything but the exec: cgroup, privilege drop, affinity, policy and its read-back.
  /// Also what `privnuma -m 0 --show` does to itself before showing, as numactl does.
  public func prepare(_ plan: LaunchPlan) -> Failure? {
    if let failure = plan.failure { return failure }
    if let cgroup = plan.cgroup, let failure = Cgroups.join(cgroup) { return failure }
    if privilege.elevated, let failure = Privileges.dropAll() { return failure }
    if let cpus = plan.cpus, case .failure(let error) = kernel.setAffinity(cpus) {
      return .system("cannot bind to CPUs \(cpus): sched_setaffinity failed with \(error)")
    }
    if let policy = plan.policy {
      if let failure = apply(policy, option: plan.policyOption) { return failure }
    }
    return nil
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
        return "this kernel does not accept --balancing with this policy; use it with --membind"
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
