/// Carries out a plan: cgroup, privilege drop, CPU affinity, memory policy, verification,
/// exec. Each step either succeeds or stops the launch before the command runs.
public struct Launcher {
  public var kernel: Kernel
  public var privilege: Privilege
  public var cgroups: CgroupWriter
  public var credentials: Credentials
  public var systemd: Systemd

  public init(
    kernel: Kernel, privilege: Privilege, cgroups: CgroupWriter = CgroupFS(), credentials: Credentials = ProcessCredentials(),
    systemd: Systemd = SystemManager()
  ) {
    self.kernel = kernel
    self.privilege = privilege
    self.cgroups = cgroups
    self.credentials = credentials
    self.systemd = systemd
  }

  /// The launcher of this environment: its kernel, rights, cgroup tree and systemd.
  init(_ environment: Environment) {
    self.init(
      kernel: environment.kernel, privilege: environment.privilege, cgroups: environment.cgroups,
      credentials: environment.credentials, systemd: environment.systemd)
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
    if let cgroup = plan.cgroup, let failure = place(plan, cgroup) { return failure }
    if privilege.elevated, let failure = credentials.dropAll() { return failure }
    if let cpus = plan.cpus, case .failure(let error) = kernel.setAffinity(cpus) {
      return .system("cannot bind to CPUs \(cpus): sched_setaffinity failed with \(error)")
    }
    // A policy for --shm/--file goes on the segment or file (SharedPolicy), not on this process.
    if let policy = plan.policy, plan.shared == nil {
      if let failure = apply(policy, option: plan.policyOption) { return failure }
    }
    return nil
  }

  /// Runs the launch where `Placement` says: where it is, in the opt-in cgroup, or in a
  /// scope systemd makes in the opt-in slice.
  func place(_ plan: LaunchPlan, _ cgroup: String) -> Failure? {
    let mount = plan.cgroupMount
    let optIn = CgroupPath(String(cgroup.dropFirst(mount.count))).path
    let mems = (try? kernel.allowedMemoryNodes().get()) ?? NodeSet()
    let placement = Placement.decide(
      optIn: optIn, mount: mount, nodes: plan.privateNodes, own: plan.ownCgroup, mems: mems,
      systemd: systemd.owns(cgroupRoot: mount), fenceCgroups: plan.fenceCgroups + [Fence.generalCgroup])
    switch placement {
    case .stay: return nil
    case .join(let path): return cgroups.join(path, own: plan.ownCgroup)
    case .refuse(let reason): return .system(reason + "; nothing was run")
    case .scope(let slice): return enterScope(slice: slice, nodes: plan.privateNodes)
    }
  }

  /// Has systemd start a transient scope in `slice` around this process. Only root may ask
  /// systemd for that: root asks directly; a setuid-root install runs itself again with its
  /// full rights to ask (`privnuma __scope`, which checks the registry's access rule again
  /// before it asks); anything else gets systemd's refusal and what to do.
  func enterScope(slice: String, nodes: NodeSet) -> Failure? {
    let uid = Identity.current().uid
    if uid != 0 && privilege.elevated && credentials.savedUIDIsRoot {
      let error = kernel.execute(["/proc/self/exe", Scope.command, slice, "--"] + CommandLine.arguments.dropFirst())
      return .system("cannot run privnuma again to ask systemd for a scope in \(slice): exec /proc/self/exe failed with \(error); nothing was run")
    }
    let failure = Scope.start(slice: slice, systemd: systemd)
    if let failure, failure.kind == .refused {
      return .system("on this systemd host a launch on node \(nodes) from a login session runs in a scope that systemd makes in \(slice), and only root may ask systemd for one (\(failure.message)). Install privnuma setuid root (make install PRIVILEGE=setuid), or run the program as a transient service in the slice: sudo systemd-run --wait --pipe --slice=\(slice) --uid=\(Identity.userName(uid: uid) ?? String(uid)) privnuma ...; nothing was run")
    }
    return failure
  }

  func apply(_ policy: MemoryPolicy, option: String?) -> Failure? {
    let spelled = "--" + (option ?? policy.mode.name)
    if case .failure(let error) = kernel.setMemoryPolicy(policy) {
      return .system("\(spelled): set_mempolicy(\(Launcher.describe(policy))) failed with \(error): \(Advice.text(policy.flags.contains(.numaBalancing) ? .setMempolicyBalancing : .setMempolicy, error))")
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
