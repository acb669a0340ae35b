/// What `privnuma migrate` was asked: the process and the NODES words as typed.
struct MigrationRequest: Equatable {
  var pid: Int32
  var to: String
  var from: String?
  var allowUnfenced = false
}

/// What System read of the process to migrate, before anything is decided.
struct MigrationFacts {
  var status: Result<ProcessStatus, Errno>
  /// Its pages per node (numa_maps) before the move.
  var usage: Result<MemoryUsage, Errno>
  /// Its cgroup v2 path, when it could be read.
  var cgroup: String?
  /// The nodes its bind, interleave and weighted-interleave policies name.
  var policyNodes = NodeSet()

  /// numa_maps is read once: the kernel walks every page of the process to write it, a
  /// tenth of a second for 1 GiB in the bench guest.
  static func read(proc: String, pid: Int32) -> MigrationFacts {
    let mappings = Processes.numaMapsBytes(proc: proc, pid: pid).map(NumaMaps.parse)
    var policyNodes = NodeSet()
    for mapping in (try? mappings.get()) ?? [] {
      if let mode = mapping.policy.mode, mode == .bind || mode == .interleave || mode == .weightedInterleave {
        policyNodes = policyNodes.union(mapping.policy.nodes)
      }
    }
    return MigrationFacts(
      status: ProcessStatus.read(proc: proc, pid: pid), usage: mappings.map(MemoryUsage.init),
      cgroup: ProcessStatus.cgroup(proc: proc, pid: pid), policyNodes: policyNodes)
  }
}

/// Holds a migration to the rules (DESIGN §6, for the caller and the process's owner): a pure
/// function of the machine and what was read of the process; it changes nothing.
struct MigrationPlanner {
  var machine: Machine
  var caller: Identity
  var names: NameService
  /// The identity of a uid (NSS in real use; fixed in tests).
  var owner: (UInt32) -> Identity
  /// Whether privnuma runs with privilege it must not lend to the caller.
  var elevated: Bool

  func plan(_ request: MigrationRequest, _ facts: MigrationFacts) -> Result<MigrationPlan, Failure> {
    let proc = machine.roots.proc
    let pid = request.pid
    let status: ProcessStatus
    switch facts.status {
    case .failure(let error):
      if Processes.vanished(error) { return .failure(.system("no process \(pid)")) }
      return .failure(.system("cannot read \(proc)/\(pid)/status: \(error)"))
    case .success(let read): status = read
    }
    guard let uid = status.uid else {
      return .failure(.system("cannot tell who owns process \(pid): no Uid line in \(proc)/\(pid)/status"))
    }
    // named looks the owner's name up when a message needs it.
    let owner = uid == caller.uid ? caller : self.owner(uid)
    let crossUser = uid != caller.uid
    if crossUser && caller.uid != 0 && elevated {
      return .failure(.refused("process \(pid) (\(status.name)) belongs to \(owner.named); only root may migrate another user's process, and privnuma does not lend its installed privilege for it"))
    }

    let before: MemoryUsage
    switch facts.usage {
    case .failure(let error):
      if Processes.vanished(error) { return .failure(.system("no process \(pid)")) }
      if error == .accessDenied || error == .notPermitted {
        return .failure(.system("cannot read the pages of process \(pid) (\(status.name)): \(error); it belongs to \(owner.named), and moving another user's pages needs root (CAP_SYS_NICE)"))
      }
      return .failure(.system("cannot read \(proc)/\(pid)/numa_maps: \(error)"))
    case .success(let usage): before = usage
    }

    let context = machine.nodeContext(memsAllowed: status.memsAllowed, identity: caller, names: names, ignoreCpuset: false)
    let to: NodeSet
    switch NodeSpec.parse(request.to, in: context) {
    case .failure(let failure): return .failure(Failure(failure.kind, "--to: \(failure.message)"))
    case .success(let nodes): to = nodes
    }
    let memoryless = to.subtracting(machine.topology.withMemory).subtracting(machine.privateSet)
    if !memoryless.isEmpty {
      return .failure(.usage("--to: node \(memoryless) has no memory; nodes with memory: \(machine.topology.withMemory)"))
    }

    var plan = MigrationPlan(pid: pid, command: status.name, owner: owner, from: NodeSet(), to: to, before: before, crossUser: crossUser)
    let cgroup = facts.cgroup
    for id in to.intersection(machine.privateSet) {
      guard let node = machine.privateNode(id) else { continue }
      if let failure = check(node, owner: owner, cgroup: cgroup, request: request, plan: &plan) {
        return .failure(failure)
      }
    }
    let outside = to.subtracting(status.memsAllowed)
    if !outside.isEmpty {
      return .failure(.system("--to: node \(outside) is outside the cpuset of process \(pid) (Mems_allowed \(status.memsAllowed)\(cgroup.map { ", cgroup \($0)" } ?? "")); the kernel would refuse or skip it. Move the process into a cgroup whose cpuset.mems includes node \(outside) first"))
    }

    if let text = request.from {
      switch NodeSpec.parse(text, in: context) {
      case .failure(let failure): return .failure(Failure(failure.kind, "--from: \(failure.message)"))
      case .success(let nodes): plan.from = nodes
      }
      for id in plan.from.intersection(machine.privateSet) {
        if let node = machine.privateNode(id), !node.capabilities.contains(.migration) {
          return .failure(.refused("--from: node \(id) (\(node.label)) does not allow migration (no 'migration' capability), so its pages cannot be moved"))
        }
      }
    } else {
      plan.from = before.nodeSet.subtracting(to)
      for id in plan.from.intersection(machine.privateSet) {
        if let node = machine.privateNode(id), !node.capabilities.contains(.migration) {
          plan.from.remove(id)
          plan.warnings.append("pages on node \(id) (\(node.label)) stay there: it does not allow migration")
        }
      }
    }
    // A policy naming other nodes keeps placing new pages there after the move.
    let elsewhere = facts.policyNodes.subtracting(to)
    if !elsewhere.isEmpty && !plan.from.isEmpty {
      plan.warnings.append("process \(pid) has a memory policy naming node \(elsewhere): pages it allocates from now on still go there")
    }
    return .success(plan)
  }

  /// DESIGN §6 for a private destination, for the caller and the process's owner.
  func check(_ node: PrivateNode, owner: Identity, cgroup: String?, request: MigrationRequest, plan: inout MigrationPlan) -> Failure? {
    let name = PrivateNodeRules.name(node)
    if let refusal = PrivateNodeRules.declaration(node) { return refusal }
    if let refusal = PrivateNodeRules.existence(node, online: machine.topology.online) { return refusal }
    if let refusal = PrivateNodeRules.access(node, Access.decide(node, for: caller, names: names)) { return refusal }
    if owner.uid != caller.uid {
      let ownerAccess = Access.decide(node, for: owner, names: names)
      if !ownerAccess.allowed {
        return .refused("\(name): the process's owner may not use it: \(ownerAccess.reason); its pages may not be moved there")
      }
    }
    if !node.capabilities.contains(.migration) {
      return .refused("\(name) does not allow migration (no 'migration' capability): pages cannot be moved there\(node.capabilities.contains(.demotion) ? "; it is reached by demotion" : "")")
    }
    if case .failure(let refusal) = PrivateNodeRules.reserve(node, topology: machine.topology) { return refusal }
    switch node.backend {
    case .kernel:
      break
    case .cpuset:
      let path = CgroupPath(relative: node.cgroup ?? "")
      if !(cgroup.map { CgroupPath($0).isWithin(path) } ?? false) {
        return .refused("\(name) is fenced by the opt-in cgroup \(path), and process \(plan.pid) is not in it (it is in \(cgroup ?? "an unknown cgroup")); start it with 'privnuma' on that node, or move it into \(path) first")
      }
    case .none:
      switch PrivateNodeRules.unfenced(node, allowed: request.allowUnfenced) {
      case .success(let warning): plan.warnings.append(warning)
      case .failure(let refusal): return refusal
      }
    }
    return nil
  }
}

/// A checked migration, ready to run.
struct MigrationPlan {
  var pid: Int32
  var command: String
  var owner: Identity
  var from: NodeSet
  var to: NodeSet
  var before: MemoryUsage
  /// The caller is not the owner: the call runs with CAP_SYS_NICE raised when permitted.
  var crossUser: Bool
  var warnings: [String] = []

  /// A failed migrate_pages, with what its errno means here.
  func failure(_ error: Errno) -> Failure {
    let values = ["pid": String(pid), "from": "\(from)", "to": "\(to)", "owner": owner.named.description]
    let advice = Advice.text(crossUser ? .migratePagesOfAnotherUser : .migratePages, error, values)
    return .system("migrate_pages(\(pid), from \(from), to \(to)) failed with \(error): \(advice)")
  }
}

/// What a migration did: pages per node before and after, and the counts reported.
struct MigrationOutcome {
  var plan: MigrationPlan
  var after = MemoryUsage()
  var notMoved: UInt64 = 0
  var warnings: [String] = []
  let pageSize = MemoryUsage.basePageSize

  func pages(_ usage: MemoryUsage, _ node: Int) -> UInt64 { usage.memory(on: node).total / pageSize }

  /// Pages that left the source nodes.
  var moved: UInt64 {
    plan.from.reduce(0) { sum, node in
      let was = pages(plan.before, node)
      let now = pages(after, node)
      return sum + (was > now ? was - now : 0)
    }
  }

  var remaining: UInt64 { plan.from.reduce(0) { $0 + pages(after, $1) } }
}
