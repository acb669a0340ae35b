/// `privnuma stat [PID...]`: pages per node of processes, from /proc/PID/numa_maps.
///
/// With PIDs: those processes. Without: every process that has pages on a private node (the
/// question an administrator of private memory asks first), followed by a summary; a machine
/// without private nodes has nothing to list that way and says so.
///
/// Schema `privnuma.stat/1`:
/// ```
/// { "schema": "privnuma.stat/1",
///   "page_size": 4096,                    // bytes per page in every "pages" figure
///   "scan": false,                        // true when no PID was given
///   "private_nodes": [ { "id": 2, "label": "cxl0", "backend": "cpuset" } ],
///   "processes": [
///     { "pid": 812, "command": "app", "uid": 1001, "user": "alice",
///       "nodes": { "2": { "private": true, "pages": 16400, "anon_pages": 16384,
///                          "file_pages": 16, "huge_pages": 0, "bytes": 67174400,
///                          "anon_bytes": 67108864, "file_bytes": 65536, "huge_bytes": 0 } },
///       "total": { same fields, "private": omitted },
///       "private_pages": 16400 } ],
///   "errors": [ { "pid": 99, "error": "no process 99" } ],
///   "summary": null | { "processes_scanned": 130, "unreadable": 0,
///                       "nodes": { "2": { "processes": 1, "pages": 16400 } } } }
/// ```
/// `nodes` lists only nodes where the process has pages. Pages are counted in the system's
/// base page size, so a 2 MiB huge page counts 512; `huge_pages` is the hugetlbfs part of
/// `pages`. `anon` is memory of the process alone (heap, stack, anonymous and copy-on-write
/// pages); `file` is page cache and shared memory it maps. Shared pages count in every
/// process that maps them, as in numa_maps.
extension Command {
  static let stat = Command(
    name: "stat", summary: "pages per node of processes, private nodes marked",
    synopsis: "[PID...]",
    about: "Memory of processes per node, from /proc/PID/numa_maps: anonymous, file-backed and total, in MiB (--json: pages and bytes). Private nodes are marked with '*' and their label. With PIDs, those processes; without, every process that has pages on a private node, and a summary per private node.",
    options: common, operands: .values(.pid, max: Int.max),
    examples: ["privnuma stat $$", "privnuma stat", "privnuma stat 812 913 --json"],
    manual: #"""
      Memory of processes per node from
      .IR /proc/PID/numa_maps :
      anonymous, file-backed and total; private nodes marked with
      .B *
      and their label.
      With no
      .IR PID ,
      every process that has pages on a private node, and a summary per private node.
      Exit 1 when a
      .I PID
      could not be read.
      """#,
    run: Stat.run)
}

enum Stat {
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    var pids: [Int32] = []
    for operand in options.operands {
      switch Command.parsePID(operand, command: "stat") {
      case .success(let pid): pids.append(pid)
      case .failure(let failure): return .failure(failure)
      }
    }
    // Reading numa_maps needs no privilege: read with the caller's own rights.
    if environment.privilege.elevated, let failure = environment.credentials.dropAll() { return .failure(failure) }
    return environment.machine(registry: options.value(.registry)).flatMap { machine in
      let report: StatReport
      if pids.isEmpty {
        switch StatReport.scan(machine: machine) {
        case .failure(let failure): return .failure(failure)
        case .success(let scanned): report = scanned
        }
      } else {
        report = StatReport(machine: machine, pids: pids)
      }
      Diagnostics.output(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
      for error in report.errors { Diagnostics.error(error.message) }
      return .success(report.errors.isEmpty ? 0 : 1)
    }
  }
}

/// What `stat` found, ready to print as text or JSON.
struct StatReport {
  struct Row {
    var pid: Int32
    var info: Processes.Info
    var user: String?
    var usage: MemoryUsage
  }

  struct ProcessError {
    var pid: Int32
    var message: String
  }

  /// Totals for the summary of a scan.
  struct Summary {
    var scanned = 0
    var unreadable = 0
    var nodes: [Int: (processes: Int, pages: UInt64)] = [:]
  }

  var machine: Machine
  var rows: [Row] = []
  var errors: [ProcessError] = []
  var summary: Summary?
  let pageSize = MemoryUsage.basePageSize

  /// The named processes; each one that cannot be read becomes an error naming it.
  init(machine: Machine, pids: [Int32]) {
    self.machine = machine
    var users: [UInt32: String] = [:]
    let proc = machine.roots.proc
    for pid in pids {
      switch Processes.usage(proc: proc, pid: pid) {
      case .failure(let error):
        errors.append(ProcessError(pid: pid, message: Advice.text(.readNumaMaps, error, ["pid": String(pid)])))
      case .success(let usage):
        let info = Processes.info(proc: proc, pid: pid)
        rows.append(Row(pid: pid, info: info, user: Processes.userName(info.uid, cache: &users), usage: usage))
      }
    }
  }

  /// Every process with pages on a private node; processes that end mid-scan are skipped.
  static func scan(machine: Machine) -> Result<StatReport, Failure> {
    let proc = machine.roots.proc
    let pids: [Int32]
    switch Processes.pids(proc: proc) {
    case .failure(let error): return .failure(.system("cannot list \(proc): \(error)"))
    case .success(let list): pids = list
    }
    var report = StatReport(machine: machine, pids: [])
    var summary = Summary()
    var users: [UInt32: String] = [:]
    let privateSet = machine.privateSet
    var wanted = [Bool](repeating: false, count: (privateSet.last ?? -1) + 1)
    for id in privateSet { wanted[id] = true }
    for pid in pids {
      let bytes: [UInt8]
      switch Processes.numaMapsBytes(proc: proc, pid: pid) {
      case .failure(let error):
        if !Processes.vanished(error) { summary.unreadable += 1 }
        continue
      case .success(let read): bytes = read
      }
      summary.scanned += 1
      if !bytes.withUnsafeBufferPointer({ NumaMaps.hasPages($0, onAnyOf: wanted) }) { continue }
      let usage = MemoryUsage(NumaMaps.parse(bytes))
      let onPrivate = usage.nodes.filter { privateSet.contains($0.node) && $0.memory.total > 0 }
      if onPrivate.isEmpty { continue }
      for entry in onPrivate {
        let pages = entry.memory.total / report.pageSize
        let previous = summary.nodes[entry.node] ?? (0, 0)
        summary.nodes[entry.node] = (previous.processes + 1, previous.pages + pages)
      }
      let info = Processes.info(proc: proc, pid: pid)
      report.rows.append(Row(pid: pid, info: info, user: Processes.userName(info.uid, cache: &users), usage: usage))
    }
    report.summary = summary
    return .success(report)
  }

  /// The node columns: every online node on small machines, else only nodes with pages.
  var columns: [Int] {
    let online = machine.topology.online
    if online.count <= 16 {
      return Array(online.union(NodeSet(rows.flatMap { $0.usage.nodes.map(\.node) })))
    }
    var used = NodeSet()
    for row in rows { used = used.union(row.usage.nodeSet) }
    return Array(used)
  }

  // MARK: - Text

  var text: String {
    let privateSet = machine.privateSet
    if let summary, machine.privateNodes.isEmpty {
      return "no private nodes on this machine, so no process has pages on one (\(summary.scanned) processes scanned); name PIDs to see their pages per node: privnuma stat PID...\n"
    }
    var out = ""
    let columns = columns
    let headers = columns.map { "Node \($0)" + (privateSet.contains($0) ? "*" : "") }
    if rows.count == 1 && summary == nil {
      let row = rows[0]
      out += "Per-node memory of process \(row.pid) (\(row.info.command)) in MiB\n"
      var table = [[""] + headers + ["Total"]]
      // Anon and File add up to Total; the hugetlbfs line is the part of Total in huge pages.
      let parts: [(String, (NodeMemory) -> UInt64)] = [
        ("Anon", { $0.anon }), ("File", { $0.file }), ("Total", { $0.total }), ("(hugetlb)", { $0.huge }),
      ]
      for (name, value) in parts {
        table.append([name] + columns.map { Format.mib(value(row.usage.memory(on: $0))) } + [Format.mib(value(row.usage.total))])
      }
      out += Table.layout(table, leftColumns: 1)
    } else if !rows.isEmpty {
      out += summary == nil
        ? "Per-node process memory in MiB\n"
        : "Processes with pages on a private node, memory per node in MiB\n"
      var table = [["PID", "COMMAND"] + headers + ["Total"]]
      var sums = [UInt64](repeating: 0, count: columns.count)
      var grand: UInt64 = 0
      for row in rows {
        var cells = [String(row.pid), String(row.info.command.prefix(15))]
        for (index, node) in columns.enumerated() {
          let bytes = row.usage.memory(on: node).total
          sums[index] += bytes
          cells.append(Format.mib(bytes))
        }
        grand += row.usage.total.total
        table.append(cells + [Format.mib(row.usage.total.total)])
      }
      if rows.count > 1 {
        table.append(["Total", ""] + sums.map(Format.mib) + [Format.mib(grand)])
      }
      out += Table.layout(table, leftColumns: 2)
    } else if summary != nil {
      out += "no process has pages on a private node\n"
    }
    let marked = machine.privateNodes.filter { columns.contains($0.id) }
    if !marked.isEmpty && !rows.isEmpty {
      out += "* private: " + marked.map { "node \($0.id) \($0.label) (\($0.backend.rawValue))" }.joined(separator: ", ") + "\n"
    }
    if let summary {
      var line = "\(summary.scanned) processes scanned"
      if summary.unreadable > 0 { line += ", \(summary.unreadable) unreadable (permission denied: run as root to see all)" }
      out += line + "\n"
      for node in machine.privateNodes {
        let entry = summary.nodes[node.id] ?? (0, 0)
        out += "node \(node.id) (\(node.label)): \(entry.processes) process\(entry.processes == 1 ? "" : "es"), \(entry.pages) pages (\(Format.bytes(entry.pages * pageSize)))\n"
      }
    }
    return out
  }

  // MARK: - JSON

  func memoryJSON(_ memory: NodeMemory, privateNode: Bool?) -> JSON {
    var members: [(String, JSON)] = []
    if let privateNode { members.append(("private", .bool(privateNode))) }
    members += [
      ("pages", .uint(memory.total / pageSize)),
      ("anon_pages", .uint(memory.anon / pageSize)),
      ("file_pages", .uint(memory.file / pageSize)),
      ("huge_pages", .uint(memory.huge / pageSize)),
      ("bytes", .uint(memory.total)),
      ("anon_bytes", .uint(memory.anon)),
      ("file_bytes", .uint(memory.file)),
      ("huge_bytes", .uint(memory.huge)),
    ]
    return .object(members)
  }

  var json: JSON {
    let privateSet = machine.privateSet
    let processes: [JSON] = rows.map { row in
      let privatePages = row.usage.nodes.filter { privateSet.contains($0.node) }.reduce(UInt64(0)) { $0 + $1.memory.total } / pageSize
      return .object([
        ("pid", .int(Int(row.pid))),
        ("command", .string(row.info.command)),
        ("uid", row.info.uid.map { .uint(UInt64($0)) } ?? .null),
        ("user", row.user.map { .string($0) } ?? .null),
        ("nodes", .object(row.usage.nodes.map { (String($0.node), memoryJSON($0.memory, privateNode: privateSet.contains($0.node))) })),
        ("total", memoryJSON(row.usage.total, privateNode: nil)),
        ("private_pages", .uint(privatePages)),
      ])
    }
    var summaryJSON = JSON.null
    if let summary {
      summaryJSON = .object([
        ("processes_scanned", .int(summary.scanned)),
        ("unreadable", .int(summary.unreadable)),
        (
          "nodes",
          .object(machine.privateNodes.map { node in
            let entry = summary.nodes[node.id] ?? (0, 0)
            return (String(node.id), .object([("processes", .int(entry.processes)), ("pages", .uint(entry.pages))]))
          })
        ),
      ])
    }
    return .object([
      ("schema", .string("privnuma.stat/1")),
      ("page_size", .uint(pageSize)),
      ("scan", .bool(summary != nil)),
      (
        "private_nodes",
        .array(machine.privateNodes.map {
          .object([("id", .int($0.id)), ("label", .string($0.label)), ("backend", .string($0.backend.rawValue))])
        })
      ),
      ("processes", .array(processes)),
      ("errors", .array(errors.map { .object([("pid", .int(Int($0.pid))), ("error", .string($0.message))]) })),
      ("summary", summaryJSON),
    ])
  }
}
