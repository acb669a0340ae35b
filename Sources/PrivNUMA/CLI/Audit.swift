/// `privnuma audit`: proves that only opted-in processes use private memory.
///
/// One pass over the proc root reads each process's numa_maps once; only a process found
/// holding pages on a private node costs two more small reads (its status and cgroup). The
/// cgroup tree is walked once for the fences. So the cost is linear in processes plus
/// cgroups, whatever the number of nodes.
///
/// Opted in means, per private node and backend:
/// * `cpuset`: the process is in the node's opt-in cgroup or below it, or in a Slurm task
///   cgroup whose own cpuset.mems privnuma's SPANK plugin gave the node;
/// * `kernel`: the mapping holding the pages has a memory policy naming the node (numa_maps
///   shows each mapping's policy, or the process's when the mapping has none), or the
///   process is in the node's opt-in cgroup when the registry gives one;
/// * `none`: nothing counts; any pages there are unfenced use.
/// File pages count as well as anonymous ones: page cache mapped from private memory is
/// private memory in use. One exception keeps audit from crying wolf on the cpuset
/// backend: page cache follows the policy of whoever read the file first, so an opted-in
/// job leaves file pages on its node that other processes then map. File pages of a process
/// whose own cgroup cannot allocate on the node were brought in by someone who could; they
/// are listed as shared page cache, not as a violation. Anonymous pages, and file pages of a
/// process whose cgroup can reach the node, stay violations.
///
/// Schema `privnuma.audit/1`:
/// ```
/// { "schema": "privnuma.audit/1",
///   "clean": false,              // no violation, no broken fence, every process read
///   "complete": true,            // every process's numa_maps could be read
///   "processes_scanned": 130, "unreadable": 0, "page_size": 4096,
///   "private_nodes": [ { "id": 3, "label": "mem3", "backend": "cpuset",
///                        "cgroup": "privnuma.slice/mem3" } ],
///   "violations": [ { "pid": 4321, "command": "sleep", "uid": 0, "user": "root",
///                     "node": 3, "label": "mem3", "backend": "cpuset",
///                     "pages": 295, "anon_pages": 290, "file_pages": 5,
///                     "cgroup": "/", "reason": "not in the opt-in cgroup ..." } ],
///   "shared_file_pages": [ { "pid": 77, "command": "cat", "uid": 1002, "node": 3,
///                            "pages": 12, "cgroup": "/user.slice/..." } ],
///   "broken_fences": [ { "node": 3, "label": "mem3", "backend": "cpuset", "cgroup": "/",
///                        "pids": [1, 113], "mems": [0, 1, 2, 3], "reason": "..." } ],
///   "leak_paths": [ { "kind": "demotion", "node": 3, "problem": "...", "closable": true,
///                     "refusal": null } ],
///   "warnings": [ "..." ] }
/// ```
/// `broken_fences` has one entry per leaking cgroup of a cpuset node (cgroup `/` is the root),
/// and one per node with backend `none` (cgroup null, pids empty).
extension Command {
  static let audit = Command(
    name: "audit", summary: "processes with pages on private nodes they did not opt into; broken fences",
    synopsis: "",
    about: "Scans every process and reports each one holding pages on a private node it did not opt into (cpuset node: not in its opt-in cgroup; kernel node: no memory policy naming it; unfenced node: any use), with pid, command, user, node and pages; then every private node whose fence is broken: cgroups with processes whose cpuset.mems.effective include the node (the root cgroup too), and nodes nothing fences. Run as root to read every process. Exit status: 0 clean, 1 anything found (or some processes could not be read).",
    options: common, operands: .none, examples: ["privnuma audit --json"],
    manual: #"""
      Scans every process and reports each one that holds pages on a private node it did not
      opt into, with pid, command, user, node and pages, then every private node whose fence is
      broken.
      Opted in means: for a
      .B cpuset
      node, being in its opt-in cgroup or below; for a
      .B kernel
      node, a memory policy naming it on the mapping that holds the pages (or being in its
      opt-in cgroup when it has one); for an unfenced node, nothing.
      Exit 0 when the machine is clean, 1 when anything is found or a process could not be
      read.
      Run it as root to read every process.
      """#,
    run: Audit.run)
}

enum Audit {
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    // A read-only scan: it runs with the caller's own rights, never privnuma's.
    if environment.privilege.elevated, let failure = environment.credentials.dropAll() { return .failure(failure) }
    return environment.machine(registry: options.value(.registry)).flatMap { machine in
      AuditReport.scan(machine: machine, systemd: environment.systemd).map { report in
        Diagnostics.output(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
        return report.clean ? 0 : 1
      }
    }
  }
}

/// What an audit found.
struct AuditReport {
  struct Violation: Equatable {
    var pid: Int32
    var command: String
    var uid: UInt32?
    var user: String?
    var node: Int
    var cgroup: String?
    /// Pages not opted into, in base pages.
    var pages: UInt64
    var anonPages: UInt64
    var reason: String
  }

  /// File pages a process outside the opt-in cgroup maps on a cpuset node its own cgroup
  /// cannot allocate on: page cache an opted-in job brought in.
  struct SharedFilePages: Equatable {
    var pid: Int32
    var command: String
    var uid: UInt32?
    var node: Int
    var cgroup: String?
    var pages: UInt64
  }

  /// A private node's fence that does not hold.
  struct BrokenFence: Equatable {
    var node: Int
    /// nil for a node nothing fences (backend none).
    var leak: FenceLeak?
    var reason: String
  }

  var machine: Machine
  var scanned = 0
  var unreadable: [Int32] = []
  var violations: [Violation] = []
  var shared: [SharedFilePages] = []
  var brokenFences: [BrokenFence] = []
  /// Ways in the cgroup fence does not close (demotion, ZONE_NORMAL, hugetlb, hotplug).
  var leakPaths: [LeakPath] = []
  var warnings: [String] = []
  let pageSize = MemoryUsage.basePageSize

  var complete: Bool { unreadable.isEmpty }
  var clean: Bool { violations.isEmpty && brokenFences.isEmpty && leakPaths.isEmpty && complete }

  /// Pages of one process on one private node, split by whether a mapping's policy names it.
  struct Holding {
    var bytes: UInt64 = 0
    var anonBytes: UInt64 = 0
    var policyBytes: UInt64 = 0
    var policyAnonBytes: UInt64 = 0
  }

  /// `systemd` decides whether a missing opt-in cgroup is news: on a systemd host an opt-in
  /// slice's cgroup exists only while a unit runs in it.
  static func scan(machine: Machine, systemd: Systemd = SystemManager()) -> Result<AuditReport, Failure> {
    var report = AuditReport(machine: machine)
    let nodes = machine.privateNodes
    if nodes.isEmpty { return .success(report) }
    let proc = machine.roots.proc
    let pids: [Int32]
    switch Processes.pids(proc: proc) {
    case .failure(let error): return .failure(.system("cannot list processes in \(proc): \(error)"))
    case .success(let list): pids = list
    }
    let privateSet = machine.privateSet
    // Dense index by node id for the inner loop; private node ids are small.
    let maxNode = privateSet.last ?? 0
    var slot = [Int](repeating: -1, count: maxNode + 1)
    for (index, node) in nodes.enumerated() { slot[node.id] = index }
    let wanted = slot.map { $0 >= 0 }
    let optIn: [CgroupPath?] = nodes.map { $0.cgroup.map(CgroupPath.init(relative:)) }
    var users: [UInt32: String] = [:]

    for pid in pids {
      let bytes: [UInt8]
      switch Processes.numaMapsBytes(proc: proc, pid: pid) {
      case .failure(let error):
        if !Processes.vanished(error) { report.unreadable.append(pid) }
        continue
      case .success(let read): bytes = read
      }
      report.scanned += 1
      // Most processes have no page on a private node: a scan without allocation tells.
      if !bytes.withUnsafeBufferPointer({ NumaMaps.hasPages($0, onAnyOf: wanted) }) { continue }
      var holdings = [Holding](repeating: Holding(), count: nodes.count)
      var holds = false
      for mapping in NumaMaps.parse(bytes) {
        for entry in mapping.nodes where entry.node <= maxNode && entry.pages > 0 {
          let index = slot[entry.node]
          if index < 0 { continue }
          let size = entry.pages * mapping.pageSize
          let anon = mapping.anonPages(on: entry.node) * mapping.pageSize
          holdings[index].bytes += size
          holdings[index].anonBytes += anon
          if mapping.policy.names(entry.node) {
            holdings[index].policyBytes += size
            holdings[index].policyAnonBytes += anon
          }
          holds = true
        }
      }
      if !holds { continue }
      let cgroup = ProcessStatus.cgroup(proc: proc, pid: pid)
      var info: Processes.Info?
      for (index, node) in nodes.enumerated() where holdings[index].bytes > 0 {
        let holding = holdings[index]
        let inOptIn =
          optIn[index].map { path in cgroup.map { CgroupPath($0).isWithin(path) } ?? false } ?? false
          || cgroup.map { SlurmStep.grants(node.id, to: $0, cgroupRoot: machine.roots.cgroup) } ?? false
        var bytes = holding.bytes
        var anon = holding.anonBytes
        let reason: String
        switch node.backend {
        case .cpuset:
          if inOptIn { continue }
          if bytes > anon && !reaches(cgroup, node.id, mount: machine.roots.cgroup) {
            if info == nil { info = Processes.info(proc: proc, pid: pid) }
            report.shared.append(SharedFilePages(
              pid: pid, command: info!.command, uid: info!.uid, node: node.id, cgroup: cgroup,
              pages: (bytes - anon) / report.pageSize))
            bytes = anon
            if bytes == 0 { continue }
          }
          reason = "not in the opt-in cgroup \(optIn[index]?.path ?? "?") (it is in \(cgroup ?? "an unknown cgroup"))"
        case .kernel:
          if inOptIn { continue }
          bytes -= holding.policyBytes
          anon -= holding.policyAnonBytes
          if bytes == 0 { continue }
          reason = "no memory policy of the process names node \(node.id)"
        case .none:
          reason = "node \(node.id) is not fenced (backend none): any process may allocate there"
        }
        if info == nil { info = Processes.info(proc: proc, pid: pid) }
        report.violations.append(Violation(
          pid: pid, command: info!.command, uid: info!.uid, user: Processes.userName(info!.uid, cache: &users),
          node: node.id, cgroup: cgroup, pages: bytes / report.pageSize, anonPages: anon / report.pageSize,
          reason: reason))
      }
    }

    let check = FenceCheck.check(machine: machine, roots: machine.roots)
    if let unchecked = check.unchecked { report.warnings.append(unchecked) }
    for missing in check.missingOptIn where !systemd.owns(cgroupRoot: machine.roots.cgroup) {
      report.warnings.append("node \(missing.node): its opt-in cgroup \(missing.cgroup) does not exist; 'privnuma fence apply' creates it")
    }
    for node in nodes {
      if node.backend == .none {
        report.brokenFences.append(BrokenFence(
          node: node.id, leak: nil,
          reason: "node \(node.id) (\(node.label)) has backend none: nothing fences it; give it Cgroup= and run 'privnuma fence apply'"))
      }
      for leak in check.leaks where leak.node == node.id {
        let place = leak.cgroup == "/" ? "the root cgroup" : "cgroup \(leak.cgroup)"
        report.brokenFences.append(BrokenFence(
          node: node.id, leak: leak,
          reason: leak.pids.isEmpty
            ? "\(place) is empty but its cpuset.mems.effective (\(leak.mems)) includes node \(node.id): a process started there could allocate on it"
            : "\(place) holds \(leak.pids.count) process\(leak.pids.count == 1 ? "" : "es") and its cpuset.mems.effective (\(leak.mems)) includes node \(node.id)"))
      }
    }
    report.leakPaths = LeakPaths.find(machine: machine, facts: .read(machine: machine))
    return .success(report)
  }

  /// Whether `cgroup` may allocate on `node`: its nearest `cpuset.mems.effective`. Unknown
  /// counts as yes, so that a file page is never excused on a guess.
  static func reaches(_ cgroup: String?, _ node: Int, mount: String) -> Bool {
    guard let cgroup else { return true }
    var path = CgroupPath(cgroup)
    while true {
      if let mems = CgroupTree.mems(path.directory(under: mount) + "/cpuset.mems.effective") { return mems.contains(node) }
      if path.isRoot { return true }
      path = path.parent
    }
  }

  // MARK: - Text

  var text: String {
    let nodes = machine.privateNodes
    if nodes.isEmpty {
      return "clean: this machine has no private nodes (the kernel lists none and the registry declares none)\n"
    }
    var out = "privnuma audit: \(scanned) processes scanned; private node\(nodes.count == 1 ? "" : "s") "
    out += nodes.map { "\($0.id) \($0.label) (\($0.backend.rawValue))" }.joined(separator: ", ") + "\n"
    if violations.isEmpty {
      out += "violations: none\n"
    } else {
      out += "violations: \(violations.count) (pages on a private node without opting in)\n"
      var table = [["PID", "COMMAND", "USER", "NODE", "LABEL", "PAGES", "WHY"]]
      for violation in violations {
        table.append([
          String(violation.pid), String(violation.command.prefix(15)),
          violation.user ?? violation.uid.map(String.init) ?? "?", String(violation.node),
          machine.privateNode(violation.node)?.label ?? "", String(violation.pages), violation.reason,
        ])
      }
      out += indent(Table.layout(table, leftColumns: 7))
    }
    if !shared.isEmpty {
      out += "shared page cache: \(shared.count) (file pages an opted-in job brought in; the process's own cgroup cannot allocate there; not violations)\n"
      for entry in shared {
        out += "  pid \(entry.pid) \(entry.command): \(entry.pages) file pages on node \(entry.node) (cgroup \(entry.cgroup ?? "?"))\n"
      }
    }
    if brokenFences.isEmpty {
      out += "fences: every private node is fenced\n"
    } else {
      out += "broken fences: \(brokenFences.count)\n"
      for fence in brokenFences {
        var line = "  node \(fence.node): \(fence.reason)"
        if let leak = fence.leak, !leak.pids.isEmpty {
          let shown = leak.pids.prefix(8).map(String.init).joined(separator: " ")
          line += " (pids \(shown)\(leak.pids.count > 8 ? " ..." : ""))"
        }
        out += line + "\n"
      }
    }
    if !leakPaths.isEmpty {
      out += "leak paths: \(leakPaths.count)\n"
      for path in leakPaths { out += Fence.leakText(path) }
    }
    if !unreadable.isEmpty {
      out += "incomplete: \(unreadable.count) process\(unreadable.count == 1 ? "" : "es") could not be read (permission denied); run as root for a full audit\n"
    }
    for warning in warnings { out += "warning: \(warning)\n" }
    out += clean ? "clean\n" : "not clean\n"
    return out
  }

  func indent(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
  }

  // MARK: - JSON

  var json: JSON {
    .object([
      ("schema", .string("privnuma.audit/1")),
      ("clean", .bool(clean)),
      ("complete", .bool(complete)),
      ("processes_scanned", .int(scanned)),
      ("unreadable", .int(unreadable.count)),
      ("page_size", .uint(pageSize)),
      (
        "private_nodes",
        .array(machine.privateNodes.map { node in
          .object([
            ("id", .int(node.id)), ("label", .string(node.label)), ("backend", .string(node.backend.rawValue)),
            ("cgroup", node.cgroup.map { .string($0) } ?? .null),
          ])
        })
      ),
      (
        "violations",
        .array(violations.map { violation in
          let node = machine.privateNode(violation.node)
          return .object([
            ("pid", .int(Int(violation.pid))),
            ("command", .string(violation.command)),
            ("uid", violation.uid.map { .uint(UInt64($0)) } ?? .null),
            ("user", violation.user.map { .string($0) } ?? .null),
            ("node", .int(violation.node)),
            ("label", node.map { .string($0.label) } ?? .null),
            ("backend", node.map { .string($0.backend.rawValue) } ?? .null),
            ("pages", .uint(violation.pages)),
            ("anon_pages", .uint(violation.anonPages)),
            ("file_pages", .uint(violation.pages - violation.anonPages)),
            ("cgroup", violation.cgroup.map { .string($0) } ?? .null),
            ("reason", .string(violation.reason)),
          ])
        })
      ),
      (
        "shared_file_pages",
        .array(shared.map { entry in
          .object([
            ("pid", .int(Int(entry.pid))),
            ("command", .string(entry.command)),
            ("uid", entry.uid.map { .uint(UInt64($0)) } ?? .null),
            ("node", .int(entry.node)),
            ("pages", .uint(entry.pages)),
            ("cgroup", entry.cgroup.map { .string($0) } ?? .null),
          ])
        })
      ),
      (
        "broken_fences",
        .array(brokenFences.map { fence in
          let node = machine.privateNode(fence.node)
          return .object([
            ("node", .int(fence.node)),
            ("label", node.map { .string($0.label) } ?? .null),
            ("backend", node.map { .string($0.backend.rawValue) } ?? .null),
            ("cgroup", fence.leak.map { .string($0.cgroup) } ?? .null),
            ("pids", .array((fence.leak?.pids ?? []).map { .int(Int($0)) })),
            ("mems", fence.leak.map { .nodes($0.mems) } ?? .null),
            ("reason", .string(fence.reason)),
          ])
        })
      ),
      ("leak_paths", .array(leakPaths.map(Fence.leakJSON))),
      ("warnings", .array(warnings.map { .string($0) })),
    ])
  }
}
