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

/// An audit's report as text, or as JSON (`privnuma.audit/1`).
extension AuditReport {
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
          String(violation.process.pid), String(violation.process.command.prefix(15)),
          violation.process.user.description, String(violation.node),
          machine.privateNode(violation.node)?.label ?? "", String(violation.pages), violation.reason,
        ])
      }
      out += indent(Table.layout(table, leftColumns: 7))
    }
    if !shared.isEmpty {
      out += "shared page cache: \(shared.count) (file pages an opted-in job brought in; the process's own cgroup cannot allocate there; not violations)\n"
      for entry in shared {
        out += "  \(entry.process): \(entry.pages) file pages on node \(entry.node) (cgroup \(entry.cgroup ?? "?"))\n"
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
          return .object(JSON.members(violation.process) + [
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
          .object(JSON.members(entry.process) + [
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
