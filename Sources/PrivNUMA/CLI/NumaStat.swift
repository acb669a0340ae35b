/// `privnuma stat` with numastat's habits: `-p PID|PATTERN`, `-m` (per-node meminfo),
/// `-n` (the kernel's allocation counters), `-c`, `-s[NODE]`, `-z`, and `--interval SECONDS
/// [--count N]`, which prints what changed between samples (a job filling a private node).
struct StatRequest: Equatable {
  var pids: [Int32] = []
  /// `-p PATTERN` and non-numeric operands: processes whose name or command line contains it.
  var patterns: [String] = []
  var meminfo = false
  var counters = false
  var layout = NodeTable.Layout()
  var json = false
  var interval: Double?
  var count: Int?
  var registry: String?

  /// Whether it names processes (else: the system tables, or the private-node scan).
  var namesProcesses: Bool { !pids.isEmpty || !patterns.isEmpty }
}

enum NumaStat {
  static func run(_ request: StatRequest, _ environment: Environment) -> Result<Int32, Failure> {
    let machine: Machine
    switch environment.machine(registry: request.registry) {
    case .failure(let failure): return .failure(failure)
    case .success(let loaded): machine = loaded
    }
    var pids = request.pids
    var notes: [String] = []
    for pattern in request.patterns {
      let found = Processes.matching(pattern, proc: machine.roots.proc)
      if found.isEmpty { notes.append("no process name or command line contains '\(pattern)'") }
      pids += found
    }
    pids = Array(Set(pids)).sorted()
    if request.namesProcesses && pids.isEmpty {
      return .failure(.usage(notes.joined(separator: "; ") + "; see 'ps' for what runs"))
    }
    guard let interval = request.interval else {
      let sample = Sample.take(request, machine: machine, pids: pids)
      emit(sample, request, machine, header: nil)
      for error in sample.errors { Diagnostics.error(error) }
      return .success(sample.errors.isEmpty ? 0 : 1)
    }
    // Interval mode: what changed between samples, `count` times (until interrupted without it).
    var previous = Sample.take(request, machine: machine, pids: pids)
    var shown = 0
    while request.count.map({ shown < $0 }) ?? true {
      Clock.sleep(seconds: interval)
      let next = Sample.take(request, machine: machine, pids: pids)
      shown += 1
      emit(next.minus(previous), request, machine, header: "change in the last \(interval == interval.rounded() ? String(Int(interval)) : String(interval)) s (sample \(shown))")
      for error in next.errors where !previous.errors.contains(error) { Diagnostics.error(error) }
      previous = next
    }
    return .success(0)
  }

  static func emit(_ sample: Sample, _ request: StatRequest, _ machine: Machine, header: String?) {
    if request.json {
      var members: [(String, JSON)] = [("schema", .string("privnuma.numastat/1"))]
      if let header { members.append(("interval", .string(header))) }
      members.append(("tables", .array(sample.tables.map { $0.json(request.layout, privateNodes: machine.privateNodes) })))
      members.append(("errors", .array(sample.errors.map { .string($0) })))
      // One document per sample, on one line in interval mode so a stream of them parses line by line.
      Diagnostics.output(JSON.object(members).rendered(pretty: header == nil) + "\n")
      return
    }
    var out = header.map { "== \($0)\n" } ?? ""
    out += sample.tables.map { $0.rendered(request.layout, privateNodes: machine.privateNodes) }.joined(separator: "\n")
    Diagnostics.output(out)
  }

  /// The tables of one moment.
  struct Sample {
    var tables: [NodeTable]
    var errors: [String]

    static func take(_ request: StatRequest, machine: Machine, pids: [Int32]) -> Sample {
      var tables: [NodeTable] = []
      var errors: [String] = []
      let nodes = Array(machine.topology.online)
      let sysfs = machine.roots.sysfs
      if request.counters || (!request.meminfo && !request.namesProcesses) {
        var rows = NodeStatistics.counterNames.map { NodeTable.Row(name: $0, values: []) }
        for node in nodes {
          let values = NodeStatistics.counters(of: node, sysfs: sysfs)
          if values == nil { errors.append("cannot read \(sysfs)/devices/system/node/node\(node)/numastat") }
          for index in rows.indices { rows[index].values.append(Int64(values?[rows[index].name] ?? 0)) }
        }
        tables.append(NodeTable(
          title: "Per-node allocation counters (pages; nodeN/numastat):", nodes: nodes, rows: rows, unit: "pages", divisor: 1))
      }
      if request.meminfo {
        let huge = NodeStatistics.hugePageSize(proc: machine.roots.proc) ?? 2 << 20
        let perNode = nodes.map { NodeStatistics.meminfo(of: $0, sysfs: sysfs, hugePageSize: huge) }
        for (node, values) in zip(nodes, perNode) where values == nil {
          errors.append("cannot read \(sysfs)/devices/system/node/node\(node)/meminfo")
        }
        let rows = NodeStatistics.meminfoNames.compactMap { name -> NodeTable.Row? in
          guard perNode.contains(where: { $0?[name] != nil }) else { return nil }
          return NodeTable.Row(name: name, values: perNode.map { Int64($0?[name] ?? 0) })
        }
        tables.append(NodeTable(title: "Per-node system memory usage (in MiB):", nodes: nodes, rows: rows))
      }
      if request.namesProcesses {
        let report = StatReport(machine: machine, pids: pids)
        tables.append(report.table)
        errors += report.errors.map(\.message)
      }
      return Sample(tables: tables, errors: errors)
    }

    /// Value by value, the change since `earlier` (rows and columns matched by name and node).
    func minus(_ earlier: Sample) -> Sample {
      var result = self
      for (tableIndex, table) in tables.enumerated() {
        guard let before = earlier.tables.first(where: { $0.title == table.title }) else { continue }
        for (rowIndex, row) in table.rows.enumerated() {
          let old = before.rows.first { $0.name == row.name }
          for (column, node) in table.nodes.enumerated() {
            let oldValue = old.flatMap { old in before.nodes.firstIndex(of: node).map { old.values[$0] } } ?? 0
            result.tables[tableIndex].rows[rowIndex].values[column] = row.values[column] - oldValue
          }
        }
      }
      return result
    }
  }
}
