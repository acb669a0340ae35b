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

    var migration: MigrationRequest { MigrationRequest(pid: pid, to: to, from: from, allowUnfenced: allowUnfenced) }
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
      let facts = MigrationFacts.read(proc: machine.roots.proc, pid: request.pid)
      return planner.plan(request.migration, facts).flatMap { plan in
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

extension MigrationPlan {
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
}

/// What a migration did, as text or JSON.
extension MigrationOutcome {
  var text: String {
    var out = "process \(plan.pid) (\(plan.command), \(plan.owner.named)): from node \(plan.from.isEmpty ? "-" : plan.from.listDescription) to node \(plan.to)\n"
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
    ] + JSON.members(plan.owner.named) + [
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
