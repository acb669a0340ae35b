/// Turns a request into a plan: resolves NODES and CPUS, holds private nodes to the rules of
/// DESIGN §6, and checks the kernel and cpuset can do it. Reads the machine, changes nothing.
public struct Planner {
  public var machine: Machine
  public var identity: Identity
  public var names: NameService
  /// The caller's /proc/self/status (cpuset and affinity).
  public var status: ProcessStatus
  public var kernelRelease: String
  /// False on the launch path: passing checks then skip building their explanations.
  public var explaining = true
  /// The caller's cgroup (`/proc/self/cgroup`), asked only when a cpuset-fenced node is named.
  public var ownCgroup: () -> String?

  public init(machine: Machine, identity: Identity, names: NameService, status: ProcessStatus, kernelRelease: String) {
    self.machine = machine
    self.identity = identity
    self.names = names
    self.status = status
    self.kernelRelease = kernelRelease
    let proc = machine.roots.proc
    self.ownCgroup = { ProcessStatus.cgroup(proc: proc) }
  }

  public func plan(_ request: LaunchRequest) -> LaunchPlan {
    var plan = LaunchPlan()
    plan.recordsDetails = explaining
    plan.command = request.command
    plan.policyOption = request.policyOption
    plan.shared = request.shared
    let context = machine.nodeContext(
      memsAllowed: status.memsAllowed, identity: identity, names: names, ignoreCpuset: request.ignoreCpuset)

    if let mode = request.mode {
      resolvePolicy(mode, request, context, &plan)
    }
    if plan.failure == nil { resolveCPUs(request, context, &plan) }
    if plan.failure == nil, let policy = plan.policy {
      checkPrivateNodes(policy, request, &plan)
      if plan.failure == nil { checkKernel(policy, &plan) }
      if plan.failure == nil { checkCpuset(policy, request, &plan) }
      if plan.failure == nil && plan.shared == nil { adviseOn(policy, &plan) }
    }
    return plan
  }

  // MARK: - NODES and CPUS

  func resolvePolicy(_ mode: PolicyMode, _ request: LaunchRequest, _ context: NodeContext, _ plan: inout LaunchPlan) {
    let option = "--" + (request.policyOption ?? mode.name)
    var flags: PolicyFlags = []
    if request.staticNodes { flags.insert(.staticNodes) }
    if request.relativeNodes { flags.insert(.relativeNodes) }
    if request.balancing { flags.insert(.numaBalancing) }
    guard mode.takesNodes else {
      plan.policy = MemoryPolicy(mode: mode, flags: flags)
      plan.pass("nodes", "\(option) takes no nodes")
      return
    }
    let nodes: NodeSet
    switch NodeSpec.parse(request.nodes ?? "", in: context) {
    case .failure(let failure):
      plan.fail("nodes", Failure(failure.kind, "\(option): \(failure.message)"))
      return
    case .success(let resolved): nodes = resolved
    }
    if mode == .preferred && nodes.count != 1 {
      plan.fail("nodes", .usage("\(option) takes one node, but '\(request.nodes ?? "")' names \(nodes.count) (\(nodes)); use --preferred-many for several"))
      return
    }
    let memoryless = nodes.subtracting(machine.topology.withMemory).subtracting(machine.privateSet)
    if !memoryless.isEmpty {
      plan.fail("nodes", .usage("\(option): node \(memoryless) has no memory; nodes with memory: \(machine.topology.withMemory)"))
      return
    }
    plan.policy = MemoryPolicy(mode: mode, flags: flags, nodes: nodes)
    plan.privateNodes = nodes.intersection(machine.privateSet)
    plan.pass("nodes", "\(option) '\(request.nodes ?? "")' is node\(nodes.count == 1 ? "" : "s") \(nodes)")
  }

  func resolveCPUs(_ request: LaunchRequest, _ context: NodeContext, _ plan: inout LaunchPlan) {
    if let text = request.cpuNodes {
      switch NodeSpec.parse(text, in: context) {
      case .failure(let failure):
        plan.fail("cpus", Failure(failure.kind, "--cpunodebind: \(failure.message)"))
      case .success(let nodes):
        // Each node's cpulist is read once.
        let perNode = nodes.map { (node: $0, cpus: machine.topology.cpus(of: $0)) }
        let cpuless = perNode.filter { $0.cpus.isEmpty }.map(\.node)
        // `all`, `!N` and `+N` range over every node, memory-only ones too: those are skipped,
        // as numactl does. A memory-only node named on its own is a mistake worth saying.
        let named = !(text == "all" || text.hasPrefix("!") || text.hasPrefix("+"))
        if !cpuless.isEmpty && (named || cpuless.count == perNode.count) {
          plan.fail(
            "cpus",
            .usage("--cpunodebind: node \(NodeSet(cpuless)) has no CPUs (it is memory-only); nodes with CPUs: \(machine.topology.withCPUs). To place memory there use --membind or --preferred"))
          return
        }
        var cpus = perNode.reduce(CPUSet()) { $0.union($1.cpus) }
        if !request.ignoreCpuset { cpus = cpus.intersection(status.cpusAllowed) }
        if cpus.isEmpty {
          plan.fail("cpus", .system("--cpunodebind: the CPUs of node \(nodes) are all outside this process's allowed CPUs (\(status.cpusAllowed))"))
          return
        }
        plan.cpus = cpus
        plan.pass("cpus", "--cpunodebind '\(text)' is CPUs \(cpus)")
      }
    } else if let text = request.cpus {
      let present = CPUSet(kernelList: FileSystem.readIfPresent(machine.roots.sysfs + "/devices/system/cpu/online") ?? "") ?? status.cpusAllowed
      switch CPUSpec.parse(text, present: present, allowed: status.cpusAllowed, ignoreCpuset: request.ignoreCpuset) {
      case .failure(let failure):
        plan.fail("cpus", Failure(failure.kind, "--physcpubind: \(failure.message)"))
      case .success(let cpus):
        let outside = cpus.subtracting(status.cpusAllowed)
        if !outside.isEmpty && !request.ignoreCpuset {
          plan.fail("cpus", .system("--physcpubind: CPU \(outside) is outside this process's allowed CPUs (\(status.cpusAllowed)), so the kernel would refuse it"))
          return
        }
        plan.cpus = cpus
        plan.pass("cpus", "--physcpubind '\(text)' is CPUs \(cpus)")
      }
    }
  }

  /// What execvp will make of the command: the launch leaves it to execvp, `explain` predicts
  /// its 126 or 127.
  public static func checkCommand(_ command: String, _ plan: inout LaunchPlan) {
    switch CommandLookup.find(command, path: NodeContext.processEnvironment("PATH")) {
    case .found(let path):
      plan.pass("command", "\(command) is \(path)")
    case .notExecutable(let path):
      plan.fail("command", Failure(.notExecutable, "\(command): cannot execute \(path): it is a directory or lacks execute permission"))
    case .notFound:
      plan.fail("command", Failure(.notFound, "\(command): command not found\(command.contains("/") ? "" : " in PATH")"))
    }
  }

  // MARK: - Private-node rules (DESIGN §6)

  func checkPrivateNodes(_ policy: MemoryPolicy, _ request: LaunchRequest, _ plan: inout LaunchPlan) {
    // A set and an array of String, not pairs: each collection type costs a metadata look-up.
    var cgroupNodes = NodeSet()
    var cgroups: [String] = []
    var slurmStep: SlurmStep??
    for id in plan.privateNodes {
      guard let index = machine.privateNodes.firstIndex(where: { $0.id == id }) else { continue }
      let node = machine.privateNodes[index]
      let name = PrivateNodeRules.name(node)
      if let refusal = PrivateNodeRules.declaration(node) {
        plan.fail("declared \(id)", refusal)
        continue
      }
      if let refusal = PrivateNodeRules.existence(node, online: machine.topology.online) {
        plan.fail("exists \(id)", refusal)
        continue
      }
      plan.pass("exists \(id)", "\(name) is online and declared by \(node.kernelPrivate ? "the kernel" : "the registry")")

      let access = Access.decide(node, for: identity, names: names)
      for name in access.unresolved { plan.warnings.append("\(PrivateNodeRules.name(node)): \(name)") }
      if let refusal = PrivateNodeRules.access(node, access) {
        plan.fail("access \(id)", refusal)
        continue
      }
      plan.pass("access \(id)", access.reason)

      if !node.capabilities.contains(.mempolicy) {
        var message = "\(name) does not allow memory policies (no 'mempolicy' capability)"
        if node.capabilities.contains(.demotion) {
          message += "; it is reached by demotion: the kernel moves cold pages there from general nodes, no policy needed"
        } else if node.source == nil && node.kernelBindable == nil {
          message += "; the kernel does not say whether policies may name it (no has_user_memory or mem_features): if its driver allows them, declare it in the registry with Capabilities=migration mempolicy"
        } else {
          message += "; it cannot be named in a policy"
        }
        plan.fail("capability \(id)", .refused(message))
        continue
      }
      if node.kernelBindable == false {
        plan.fail("capability \(id)", .refused("\(name): the registry allows memory policies but the kernel does not (\(machine.topology.kernelInterface.notBindableReason(id, features: node.kernelFeatures))), so set_mempolicy would fail with EINVAL; fix the registry's Capabilities= or the node's driver"))
        continue
      }
      if policy.flags.contains(.numaBalancing) && !node.capabilities.contains(.numaBalancing) {
        plan.fail("capability \(id)", .refused("\(name) does not allow NUMA balancing (no 'numa-balancing' capability); drop --balancing"))
        continue
      }
      plan.pass("capability \(id)", "\(name) allows \(policy.flags.contains(.numaBalancing) ? "memory policies and NUMA balancing" : "memory policies")")

      switch PrivateNodeRules.reserve(node, topology: machine.topology) {
      case .failure(let refusal):
        plan.fail("reserve \(id)", refusal)
        continue
      case .success(let memory?):
        plan.pass("reserve \(id)", "\(Format.bytes(memory.free)) free, reserve \(Format.bytes(node.minFree ?? 0))")
      case .success(nil):
        break
      }

      switch node.backend {
      case .kernel:
        plan.pass("backend \(id)", "kernel: N_MEMORY_PRIVATE keeps it private")
      case .cpuset:
        if slurmStep == nil {
          plan.ownCgroup = ownCgroup()
          slurmStep = plan.ownCgroup.flatMap(SlurmStep.containing)
        }
        if let step = slurmStep ?? nil {
          checkInSlurmStep(step, id, name, &plan)
          continue
        }
        let path = machine.roots.cgroup + "/" + (node.cgroup ?? "")
        cgroupNodes.insert(id)
        if !cgroups.contains(path) { cgroups.append(path) }
        plan.pass("backend \(id)", "cpuset: the launch joins the opt-in cgroup \(node.cgroup ?? "")")
      case .none:
        switch PrivateNodeRules.unfenced(node, allowed: request.allowUnfenced) {
        case .success(let warning):
          plan.pass("backend \(id)", "none: nothing fences it; allowed by --allow-unfenced")
          plan.warnings.append(warning)
        case .failure(let refusal):
          plan.fail("backend \(id)", refusal)
        }
      }
    }
    // cgroups is an array, not a Set: hashing set-up costs start-up time on the launch path.
    if cgroups.count > 1 {
      plan.fail("cgroup", .refused("nodes \(cgroupNodes) have different opt-in cgroups (\(cgroups.sorted().joined(separator: ", "))); a process can be in only one, so name nodes of one cgroup"))
    } else if let path = cgroups.first {
      plan.cgroup = path
      plan.cgroupMount = machine.roots.cgroup
      plan.fenceCgroups = machine.privateNodes.compactMap { node in
        node.backend == .cpuset ? node.cgroup.map { CgroupPath(relative: $0).path } : nil
      }
    }
  }

  /// Slurm owns a step's cgroups: the launch stays there and uses the node only when the
  /// task's cpuset grants it (privnuma's SPANK plugin does that for an allowed launch).
  func checkInSlurmStep(_ step: SlurmStep, _ id: Int, _ name: String, _ plan: inout LaunchPlan) {
    let cgroup = step.task ?? (step.job + "/" + step.step)
    if status.memsAllowed.contains(id) {
      plan.pass("backend \(id)", "cpuset: the Slurm task's cgroup \(cgroup) allows it; the launch stays there")
      return
    }
    plan.fail(
      "backend \(id)",
      .system("\(name) is not in this Slurm task's cpuset (cgroup \(cgroup), mems \(status.memsAllowed)), and privnuma never moves a process out of its Slurm step. privnuma's SPANK plugin (plugstack.conf) grants the node to a task when privnuma is the step's command (srun privnuma ...) and the step's cpuset includes the node; slurmd's log says what it decided"))
  }

  // MARK: - Kernel and cpuset

  func checkKernel(_ policy: MemoryPolicy, _ plan: inout LaunchPlan) {
    let needed = policy.mode.minimumKernel
    let version = KernelVersion(release: kernelRelease)
    let lacking: Bool
    if policy.mode == .weightedInterleave {
      lacking = !machine.topology.hasWeightedInterleave && (version.map { $0 < needed } ?? true)
    } else {
      lacking = version.map { $0 < needed } ?? false
    }
    if lacking {
      plan.fail("kernel", .system("--\(plan.policyOption ?? policy.mode.name) needs \(policy.mode.constantName), which Linux \(needed) added; this kernel is \(kernelRelease). Nothing was run"))
    } else {
      plan.pass("kernel", "\(policy.mode.constantName) is supported by Linux \(kernelRelease)")
    }
  }

  func checkCpuset(_ policy: MemoryPolicy, _ request: LaunchRequest, _ plan: inout LaunchPlan) {
    guard policy.mode.takesNodes, !policy.flags.contains(.relativeNodes) else { return }
    var allowed = status.memsAllowed
    // A launch whose own cgroup lacks the private nodes runs in the opt-in cgroup
    // (Placement): then its mems apply, not the caller's.
    if let cgroup = plan.cgroup, !plan.privateNodes.isSubset(of: allowed) {
      guard let text = FileSystem.readIfPresent(cgroup + "/cpuset.mems.effective"), let mems = NodeSet(kernelList: text) else {
        plan.pass("cpuset", "the opt-in cgroup \(cgroup) is not there yet (systemd makes a slice's cgroup with its first unit); its mems apply once it is")
        return
      }
      allowed = mems
    }
    let outside = policy.nodes.subtracting(allowed)
    if outside.isEmpty {
      plan.pass("cpuset", "nodes \(policy.nodes) are within the cpuset's mems \(allowed)")
      return
    }
    // Only a refusal pays for naming the cgroup.
    var where_ = "this process's cpuset"
    if let cgroup = plan.cgroup {
      where_ = "the opt-in cgroup \(cgroup)"
    } else if let path = plan.ownCgroup ?? ProcessStatus.cgroup(proc: machine.roots.proc) {
      where_ = "this process's cpuset (cgroup \(path))"
    }
    if policy.flags.contains(.staticNodes) && !policy.nodes.intersection(allowed).isEmpty {
      plan.pass("cpuset", "--static keeps node \(outside) for when \(where_) allows it (mems now \(allowed))")
      plan.warnings.append("node \(outside) is outside \(where_) (mems \(allowed)); with --static it is used only once the cpuset allows it")
      return
    }
    plan.fail("cpuset", .system("node \(outside) is outside \(where_), whose cpuset.mems allows only \(allowed); the kernel would drop it from the policy. Run inside a cgroup whose cpuset.mems includes node \(outside)"))
  }

  func adviseOn(_ policy: MemoryPolicy, _ plan: inout LaunchPlan) {
    var kernelPrivate = NodeSet()
    for node in machine.privateNodes where node.backend == .kernel { kernelPrivate.insert(node.id) }
    if policy.mode == .bind, !policy.nodes.isEmpty, policy.nodes.isSubset(of: kernelPrivate) {
      let first = policy.nodes.first!
      plan.advice.append(
        "binding the whole process to only kernel-private node\(policy.nodes.count > 1 ? "s" : "") \(policy.nodes) leaves page cache and shared memory nowhere to go (they cannot use private nodes); prefer --preferred=\(first), which puts anonymous memory there and lets the rest fall back")
    }
  }
}
