/// `privnuma migrate PID --to NODES [--from NODES]`: moves a running process's pages with
/// migrate_pages(2), under the launch rules (DESIGN §6) applied to the caller and to the
/// process's owner, and reports what moved from numa_maps read before and after.
///
/// Schema `privnuma.migrate/1`:
/// ```
/// { "schema": "privnuma.migrate/1",
///   "pid": 812, "command": "app", "uid": 1001, "user": "alice",
///   "from": [2], "to": [1], "page_size": 4096,
///   "before": { "1": 3, "2": 16400 },   // pages per node (nodes with pages)
///   "after": { "1": 16403 },
///   "moved_pages": 16400,               // pages that left the source nodes
///   "not_moved_pages": 0,               // what migrate_pages reported it could not move
///   "remaining_on_source": 0,           // pages still on the source nodes afterwards
///   "warnings": [] }
/// ```
extension Command {
  static let migrate = Command(
    name: "migrate", summary: "move a running process's pages to other nodes",
    synopsis: "PID --to NODES [--from NODES] [--allow-unfenced]",
    about: "Moves the pages of process PID from the nodes --from (default: every node where it has pages, except the destination) to NODES, with migrate_pages(2). A private destination must allow migration, keep its MinFree= reserve, be fenced (or --allow-unfenced), and both you and the process's owner must be allowed on it; for a cpuset-fenced node the process must already be in its opt-in cgroup. Another user's process needs root. Reports pages per node before and after, pages moved and pages that could not move.",
    options: common + [.to, .from, .launch(.allowUnfenced)], operands: .values(.pid, max: Int.max),
    examples: ["privnuma migrate 812 --to cxl0", "privnuma migrate 812 --from 2 --to 0-1 --json"],
    manual: #"""
      Moves the pages of process
      .I PID
      from the nodes
      .B \-\-from
      (default: every node where it has pages, except the destination) to
      .IR NODES ,
      with
      .BR migrate_pages (2).
      The launch rules apply: a private destination must have the
      .B migration
      capability, keep its reserve and be fenced, and both the caller and the process's owner
      must be allowed on it; for a cpuset-fenced node the process must already be in its opt-in
      cgroup.
      Another user's process needs root: privnuma does not lend its installed privilege for
      it.
      Reports pages per node before and after, pages moved and pages that could not move.
      """#,
    run: Migrate.run)
}

enum Migrate {
  struct Request: Equatable {
    var pid: Int32
    var to: String
    var from: String?
    var allowUnfenced = false
    var json = false
    var registry: String?
  }

  static func parse(_ options: Command.Arguments) -> Result<Request, Failure> {
    let toNodes = options.values(.to)
    let fromNodes = options.values(.from)
    if toNodes.count > 1 { return .failure(.usage("--to given twice; give the destination once")) }
    if fromNodes.count > 1 { return .failure(.usage("--from given twice; give the source nodes once")) }
    guard let operand = options.operands.first else {
      return .failure(.usage("'privnuma migrate' needs a PID, e.g. 'privnuma migrate 812 --to 1'"))
    }
    if options.operands.count > 1 {
      return .failure(.usage("'privnuma migrate' takes one PID, but '\(options.operands[1])' follows '\(operand)'"))
    }
    guard let to = toNodes.first else {
      return .failure(.usage("'privnuma migrate \(operand)' needs --to NODES, the destination"))
    }
    return Command.parsePID(operand, command: "migrate").map { pid in
      Request(
        pid: pid, to: to, from: fromNodes.first, allowUnfenced: options.has(.allowUnfenced), json: options.has(.json),
        registry: options.value(.registry))
    }
  }

  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    let request: Request
    switch parse(options) {
    case .failure(let failure): return .failure(failure)
    case .success(let parsed): request = parsed
    }
    environment.reportIgnoredOverrides()
    return environment.machine(registry: request.registry).flatMap { machine in
      let planner = MigrationPlanner(
        machine: machine, caller: environment.identity, names: environment.names,
        owner: { Identity.of(uid: $0) }, elevated: environment.privilege.elevated)
      return planner.plan(request).flatMap { plan in
        let proc = machine.roots.proc
        let result = plan.execute(
          kernel: environment.kernel,
          privileged: { body in environment.credentials.with(.sysNice, body) },
          after: { Processes.usage(proc: proc, pid: plan.pid) })
        return result.map { outcome in
          for warning in plan.warnings + outcome.warnings { Diagnostics.warning(warning) }
          Diagnostics.output(outcome.text, json: outcome.json, asJSON: request.json, machine: machine)
          return 0
        }
      }
    }
  }
}

/// Holds a migration to the rules; reads the machine and the process, changes nothing.
struct MigrationPlanner {
  var machine: Machine
  var caller: Identity
  var names: NameService
  /// The identity of a uid (NSS in real use; fixed in tests).
  var owner: (UInt32) -> Identity
  /// Whether privnuma runs with privilege it must not lend to the caller.
  var elevated: Bool

  func plan(_ request: Migrate.Request) -> Result<MigrationPlan, Failure> {
    let proc = machine.roots.proc
    let pid = request.pid
    let status: ProcessStatus
    switch ProcessStatus.read(proc: proc, pid: pid) {
    case .failure(let error):
      if Processes.vanished(error) { return .failure(.system("no process \(pid)")) }
      return .failure(.system("cannot read \(proc)/\(pid)/status: \(error)"))
    case .success(let read): status = read
    }
    guard let uid = status.uid else {
      return .failure(.system("cannot tell who owns process \(pid): no Uid line in \(proc)/\(pid)/status"))
    }
    // displayName looks the owner's name up when a message needs it.
    let owner = uid == caller.uid ? caller : self.owner(uid)
    let crossUser = uid != caller.uid
    if crossUser && caller.uid != 0 && elevated {
      return .failure(.refused("process \(pid) (\(status.name)) belongs to \(owner.displayName); only root may migrate another user's process, and privnuma does not lend its installed privilege for it"))
    }

    let before: MemoryUsage
    switch Processes.usage(proc: proc, pid: pid) {
    case .failure(let error):
      if Processes.vanished(error) { return .failure(.system("no process \(pid)")) }
      if error == .accessDenied || error == .notPermitted {
        return .failure(.system("cannot read the pages of process \(pid) (\(status.name)): \(error); it belongs to \(owner.displayName), and moving another user's pages needs root (CAP_SYS_NICE)"))
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
    let cgroup = ProcessStatus.cgroup(proc: proc, pid: pid)
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
    var policyNodes = NodeSet()
    for mapping in (try? Processes.numaMapsBytes(proc: proc, pid: pid).get()).map(NumaMaps.parse) ?? [] {
      if let mode = mapping.policy.mode, mode == .bind || mode == .interleave || mode == .weightedInterleave {
        policyNodes = policyNodes.union(mapping.policy.nodes)
      }
    }
    let elsewhere = policyNodes.subtracting(to)
    if !elsewhere.isEmpty && !plan.from.isEmpty {
      plan.warnings.append("process \(pid) has a memory policy naming node \(elsewhere): pages it allocates from now on still go there")
    }
    return .success(plan)
  }

  /// DESIGN §6 for a private destination, for the caller and the process's owner.
  func check(_ node: PrivateNode, owner: Identity, cgroup: String?, request: Migrate.Request, plan: inout MigrationPlan) -> Failure? {
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

  /// Calls migrate_pages, then reads the pages again. `privileged` wraps the call when the
  /// process is another user's; `after` reads the process's memory once the call returns.
  func execute(
    kernel: Kernel, privileged: (() -> Result<Int, Errno>) -> Result<Int, Errno>,
    after: () -> Result<MemoryUsage, Errno>
  ) -> Result<MigrationOutcome, Failure> {
    var outcome = MigrationOutcome(plan: self)
    if from.isEmpty {
      outcome.after = before
      outcome.warnings.append("nothing to move: process \(pid) has no pages outside node \(to)")
      return .success(outcome)
    }
    let call = { kernel.migratePages(pid: pid, from: from, to: to) }
    switch crossUser ? privileged(call) : call() {
    case .failure(let error): return .failure(failure(error))
    case .success(let notMoved): outcome.notMoved = UInt64(max(notMoved, 0))
    }
    switch after() {
    case .success(let usage): outcome.after = usage
    case .failure(let error):
      outcome.warnings.append("cannot read the pages of process \(pid) after the move: \(Advice.text(.readNumaMaps, error, ["pid": String(pid)]))")
    }
    return .success(outcome)
  }

  /// A failed migrate_pages, with what its errno means here.
  func failure(_ error: Errno) -> Failure {
    let values = ["pid": String(pid), "from": "\(from)", "to": "\(to)", "owner": owner.displayName]
    let advice = Advice.text(crossUser ? .migratePagesOfAnotherUser : .migratePages, error, values)
    return .system("migrate_pages(\(pid), from \(from), to \(to)) failed with \(error): \(advice)")
  }
}

/// What a migration did, as text or JSON.
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

  var text: String {
    var out = "process \(plan.pid) (\(plan.command), \(plan.owner.displayName)): from node \(plan.from.isEmpty ? "-" : plan.from.listDescription) to node \(plan.to)\n"
    let nodes = plan.before.nodeSet.union(after.nodeSet).union(plan.to)
    var table = [["NODE", "BEFORE", "AFTER"]]
    for node in nodes {
      let mark = plan.to.contains(node) ? " (to)" : plan.from.contains(node) ? " (from)" : ""
      table.append([String(node) + mark, String(pages(plan.before, node)), String(pages(after, node))])
    }
    out += Table.layout(table, leftColumns: 1)
    out += "moved \(moved) pages (\(Format.bytes(moved * pageSize))); \(notMoved) could not be moved"
    if remaining > 0 { out += "; \(remaining) remain on the source nodes" }
    return out + "\n"
  }

  func pagesJSON(_ usage: MemoryUsage) -> JSON {
    .object(usage.nodes.map { (String($0.node), .uint($0.memory.total / pageSize)) })
  }

  var json: JSON {
    .object([
      ("schema", .string("privnuma.migrate/1")),
      ("pid", .int(Int(plan.pid))),
      ("command", .string(plan.command)),
      ("uid", .uint(UInt64(plan.owner.uid))),
      ("user", plan.owner.userName.map { .string($0) } ?? .null),
      ("from", .nodes(plan.from)),
      ("to", .nodes(plan.to)),
      ("page_size", .uint(pageSize)),
      ("before", pagesJSON(plan.before)),
      ("after", pagesJSON(after)),
      ("moved_pages", .uint(moved)),
      ("not_moved_pages", .uint(notMoved)),
      ("remaining_on_source", .uint(remaining)),
      ("warnings", .array((plan.warnings + warnings).map { .string($0) })),
    ])
  }
}
