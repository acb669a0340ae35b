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
    name: "stat", summary: "memory per node of processes and of the system (numastat)",
    synopsis: "[PID|PATTERN...] [--pid PID|PATTERN] [--meminfo] [--counters] [--compact] [--sort | --sort-node NODE] [--skip-zero] [--interval SECONDS [--count N]]",
    about: "Memory per node, as numastat shows it; private nodes are marked '*' with their label. PIDs or -p: those processes, from /proc/PID/numa_maps (anonymous, file-backed and total, in MiB; a PATTERN picks every process whose name or command line contains it). -m: per-node meminfo. -n: the kernel's allocation counters (numa_hit, numa_miss, numa_foreign, interleave_hit, local_node, other_node). None of these: every process with pages on a private node, and a summary per private node. -c compact, -s sort rows by total, -z hide all-zero rows and columns. --interval: what changed every SECONDS, --count times (default: until interrupted).",
    options: common + [.pid, .meminfo, .counters, .compact, .sort, .sortNode, .skipZero, .interval, .count],
    operands: .values(.pid, max: Int.max),
    examples: ["privnuma stat $$", "privnuma stat -p app -c", "privnuma stat -m -z", "privnuma stat -n --interval 1 --count 5"],
    manual: #"""
      Memory per node, as
      .BR numastat (8)
      shows it; private nodes are marked with
      .B *
      and named under each table.
      With
      .I PID
      operands or
      .BR \-p / \-\-pid ,
      those processes, from
      .IR /proc/PID/numa_maps :
      anonymous, file-backed and total; a
      .I PATTERN
      (anything that is not a number) picks every process whose name or command line
      contains it, as numastat does.
      .BR \-m / \-\-meminfo
      shows each node's
      .I meminfo
      in MiB,
      .BR \-n / \-\-counters
      the kernel's allocation counters from
      .IR nodeN/numastat .
      With none of these, every process that has pages on a private node, and a summary per
      private node.
      .BR \-c / \-\-compact
      prints whole numbers in narrow columns,
      .BR \-s / \-\-sort
      sorts rows by their total
      .RB ( \-\-sort\-node
      by one node's column),
      .BR \-z / \-\-skip\-zero
      hides rows and columns that are all zero.
      .B \-\-interval
      prints, every
      .IR SECONDS ,
      what changed since the previous sample (with
      .BR \-\-json ,
      one document per line),
      .B \-\-count
      times or until interrupted: watching a job fill a private node.
      Exit 1 when a
      .I PID
      could not be read.
      """#,
    run: Stat.run)
}

enum Stat {
  /// numastat's spellings into a request: operands and -p are PIDs or patterns.
  static func request(_ options: Command.Arguments) -> Result<StatRequest, Failure> {
    var request = StatRequest()
    for word in options.values(.pid) + options.operands {
      if word.isEmpty { return .failure(.usage("an empty PID or pattern; give a process id or part of its command line")) }
      if word.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
        switch Command.parsePID(word, command: "stat") {
        case .success(let pid): request.pids.append(pid)
        case .failure(let failure): return .failure(failure)
        }
      } else {
        request.patterns.append(word)
      }
    }
    request.json = options.has(.json)
    request.registry = options.value(.registry)
    request.meminfo = options.has(.meminfo)
    request.counters = options.has(.counters)
    request.layout.compact = options.has(.compact)
    request.layout.skipZero = options.has(.skipZero)
    if options.has(.sort) { request.layout.sortBy = -1 }
    if let text = options.value(.sortNode) {
      guard let node = Int(text), node >= 0 else { return .failure(.usage("--sort-node '\(text)' is not a node number")) }
      request.layout.sortBy = node
    }
    if let text = options.value(.interval) {
      guard let seconds = Double(text), seconds > 0, seconds <= 86400 else {
        return .failure(.usage("--interval '\(text)' is not a number of seconds; e.g. --interval 2 or 0.5"))
      }
      request.interval = seconds
    }
    if let text = options.value(.count) {
      guard let count = Int(text), count > 0 else { return .failure(.usage("--count '\(text)' is not a positive number of samples")) }
      guard request.interval != nil else { return .failure(.usage("--count needs --interval SECONDS; see 'privnuma stat --help'")) }
      request.count = count
    }
    return .success(request)
  }

  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    let request: StatRequest
    switch Stat.request(options) {
    case .failure(let failure): return .failure(failure)
    case .success(let parsed): request = parsed
    }
    // Reading numa_maps needs no privilege: read with the caller's own rights.
    if environment.privilege.elevated, let failure = environment.credentials.dropAll() { return .failure(failure) }
    // numastat's tables, or processes named by pattern, laid out differently or watched.
    if request.meminfo || request.counters || !request.patterns.isEmpty || request.interval != nil
      || request.layout != NodeTable.Layout()
    {
      return NumaStat.run(request, environment)
    }
    return environment.machine(registry: request.registry).flatMap { machine in
      let report: StatReport
      if request.pids.isEmpty {
        switch StatReport.scan(machine: machine) {
        case .failure(let failure): return .failure(failure)
        case .success(let scanned): report = scanned
        }
      } else {
        report = StatReport(machine: machine, pids: request.pids)
      }
      Diagnostics.output(report.text, json: report.json, asJSON: request.json, machine: machine)
      for error in report.errors { Diagnostics.error(error.message) }
      return .success(report.errors.isEmpty ? 0 : 1)
    }
  }
}

/// What `stat` found, as text or JSON.
extension StatReport {
  // MARK: - Text

  /// The processes as a numastat table: one process split into Anon, File, Total and the
  /// hugetlb part; several, one row each with a Total row.
  var table: NodeTable {
    let columns = columns
    if rows.count == 1 && summary == nil {
      let row = rows[0]
      // Anon and File add up to Total; the hugetlb line is the part of Total in huge pages.
      let parts: [(String, (NodeMemory) -> UInt64)] = [
        ("Anon", { $0.anon }), ("File", { $0.file }), ("Total", { $0.total }), ("(hugetlb)", { $0.huge }),
      ]
      return NodeTable(
        title: "Per-node memory of process \(row.process.pid) (\(row.process.command)) in MiB", nodes: columns,
        rows: parts.map { name, value in
          NodeTable.Row(name: name, values: columns.map { Int64(value(row.usage.memory(on: $0))) })
        })
    }
    return NodeTable(
      title: summary == nil ? "Per-node process memory in MiB" : "Processes with pages on a private node, memory per node in MiB",
      nodes: columns,
      rows: rows.map { row in
        NodeTable.Row(name: "\(row.process.pid) (\(row.process.command.prefix(15)))", values: columns.map { Int64(row.usage.memory(on: $0).total) })
      }, totalRow: true)
  }

  var text: String {
    if let summary, machine.privateNodes.isEmpty {
      return "no private nodes on this machine, so no process has pages on one (\(summary.scanned) processes scanned); name PIDs to see their pages per node: privnuma stat PID...\n"
    }
    var out = ""
    if !rows.isEmpty {
      out += table.rendered(NodeTable.Layout(), privateNodes: machine.privateNodes)
    } else if summary != nil {
      out += "no process has pages on a private node\n"
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
      return .object(JSON.members(row.process) + [
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
