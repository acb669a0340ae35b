/// What an audit found: every process's pages on private nodes held to the node's fence
/// (opt-in cgroup, a policy naming a kernel node), the fences that do not hold and the leak
/// paths. It scans as it reads (one numa_maps at a time, through System), so that a machine
/// with many processes is never held in memory; `privnuma audit` renders it (CLI/Audit).
struct AuditReport {
  struct Violation: Equatable {
    var process: NamedProcess
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
    var process: NamedProcess
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
    let reader: NumaMapsReader
    switch Processes.pids(proc: proc).flatMap({ list in NumaMapsReader.open(proc: proc).map { (list, $0) } }) {
    case .failure(let error): return .failure(.system("cannot list processes in \(proc): \(error)"))
    case .success(let (list, opened)):
      pids = list
      reader = opened
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
      let bytes: UnsafeBufferPointer<UInt8>
      switch reader.read(pid: pid) {
      case .failure(let error):
        if !Processes.vanished(error) { report.unreadable.append(pid) }
        continue
      case .success(let read): bytes = read
      }
      report.scanned += 1
      // Most processes have no page on a private node: a scan without allocation tells.
      if !NumaMaps.hasPages(bytes, onAnyOf: wanted) { continue }
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
      var named: NamedProcess?
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
            if named == nil { named = NamedProcess.read(proc: proc, pid: pid, users: &users) }
            report.shared.append(SharedFilePages(
              process: named!, node: node.id, cgroup: cgroup,
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
        if named == nil { named = NamedProcess.read(proc: proc, pid: pid, users: &users) }
        report.violations.append(Violation(
          process: named!, node: node.id, cgroup: cgroup, pages: bytes / report.pageSize, anonPages: anon / report.pageSize,
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
}
