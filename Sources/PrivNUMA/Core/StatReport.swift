/// What `stat` found: the named processes' pages per node, or every process with pages on
/// a private node and a summary per node. It scans as it reads (one numa_maps at a time,
/// through System); `privnuma stat` renders it (CLI/Stat).
struct StatReport {
  struct Row {
    var process: NamedProcess
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
        rows.append(Row(process: NamedProcess.read(proc: proc, pid: pid, users: &users), usage: usage))
      }
    }
  }

  /// Every process with pages on a private node; processes that end mid-scan are skipped.
  static func scan(machine: Machine) -> Result<StatReport, Failure> {
    let proc = machine.roots.proc
    let pids: [Int32]
    let reader: NumaMapsReader
    switch Processes.pids(proc: proc).flatMap({ list in NumaMapsReader.open(proc: proc).map { (list, $0) } }) {
    case .failure(let error): return .failure(.system("cannot list \(proc): \(error)"))
    case .success(let (list, opened)):
      pids = list
      reader = opened
    }
    var report = StatReport(machine: machine, pids: [])
    var summary = Summary()
    var users: [UInt32: String] = [:]
    let privateSet = machine.privateSet
    var wanted = [Bool](repeating: false, count: (privateSet.last ?? -1) + 1)
    for id in privateSet { wanted[id] = true }
    for pid in pids {
      let bytes: UnsafeBufferPointer<UInt8>
      switch reader.read(pid: pid) {
      case .failure(let error):
        if !Processes.vanished(error) { summary.unreadable += 1 }
        continue
      case .success(let read): bytes = read
      }
      summary.scanned += 1
      if !NumaMaps.hasPages(bytes, onAnyOf: wanted) { continue }
      let usage = MemoryUsage(NumaMaps.parse(bytes))
      let onPrivate = usage.nodes.filter { privateSet.contains($0.node) && $0.memory.total > 0 }
      if onPrivate.isEmpty { continue }
      for entry in onPrivate {
        let pages = entry.memory.total / report.pageSize
        let previous = summary.nodes[entry.node] ?? (0, 0)
        summary.nodes[entry.node] = (previous.processes + 1, previous.pages + pages)
      }
      report.rows.append(Row(process: NamedProcess.read(proc: proc, pid: pid, users: &users), usage: usage))
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
}
