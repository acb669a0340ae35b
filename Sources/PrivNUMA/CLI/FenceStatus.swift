/// `fence status`: each private node's fence as read from the cgroup tree and proc, as text
/// or JSON (`privnuma.fence/1`); `fence apply` judges its result with the same report.
extension Fence {
  /// A cgroup outside a node's opt-in cgroup that holds processes and can allocate there.
  struct Leak: Equatable, Sendable {
    var cgroup: String
    var mems: NodeSet
    var processes: [NamedProcess]
  }

  /// The opt-in cgroup of a cpuset-backend node as found.
  struct OptIn: Equatable, Sendable {
    var cgroup: String
    var exists: Bool
    /// `cpuset.mems` as configured (empty: inherited); nil without the cpuset controller.
    var mems: NodeSet?
    var effective: NodeSet?
    /// Why a launch could not use it, or nil when it is ready.
    var problem: String?
  }

  /// What `fence status` says about one private node.
  struct NodeState: Sendable {
    var node: PrivateNode
    var online: Bool
    var optIn: OptIn?
    var leaks: [Leak]
    /// No cgroup outside the opt-in one can allocate on it (or the kernel keeps it private).
    var fenced: Bool
    /// Its opt-in cgroup can take launches (always true for other backends).
    var ready: Bool
    /// One line on the backend: how it is kept private, or why it is not.
    var note: String
  }

  /// `fence status`: every private node's fence, read from the cgroup tree and proc.
  struct Report: Sendable {
    var cgroupRoot: String
    var open: NodeSet
    var nodes: [NodeState]
    /// Kernel threads in the root cgroup: they cannot move and are not counted as leaks.
    var kernelThreads: Int
    /// slurmstepd's own cgroups below its scope, which keep the scope's nodes: not counted.
    var slurmDaemons: [FenceLeak] = []
    /// Why the cgroup tree could not be checked at all.
    var unchecked: String?
    /// The registry directory, when it does not exist: then no node is declared, and a
    /// fence that was meant may be missing without a word.
    var missingRegistry: String?
    /// Ways in the cgroup fence does not close (LeakPaths).
    var leakPaths: [LeakPath]
    /// On a systemd host: the fence's drop-ins, each ok or not; nil elsewhere.
    var dropIns: [DropInState]?
    /// Why the drop-ins the registry needs cannot be written (a Cgroup= that is no slice).
    var dropInProblem: String?
    /// The unit directory the drop-ins are in, on a systemd host.
    var unitDirectory = ""
    /// On a systemd host with Slurm: whether its slurmstepd scope is left open for the plugin.
    var slurm: String?

    var configured: Bool { dropInProblem == nil && (dropIns ?? []).allSatisfy { $0.state == "ok" } }
    var allFenced: Bool {
      unchecked == nil && configured && nodes.allSatisfy { $0.fenced && $0.ready } && leakPaths.isEmpty
    }

    /// `systemd`: on a host it owns, the fence is its drop-ins (`FenceSystemd`).
    init(machine: Machine, systemd: Systemd = SystemManager()) {
      let roots = machine.roots
      cgroupRoot = roots.cgroup
      missingRegistry = machine.registryMissing ? roots.registry : nil
      let fenced = NodeSet(machine.privateNodes.filter { $0.backend == .cpuset }.map(\.id))
      open = Fence.rootMems(machine).subtracting(fenced)
      let check = FenceCheck.check(machine: machine, roots: roots)
      unchecked = check.unchecked
      slurmDaemons = check.slurmDaemons
      leakPaths = LeakPaths.find(machine: machine, facts: .read(machine: machine))
      kernelThreads = 0
      let systemdOwned = !fenced.isEmpty && systemd.owns(cgroupRoot: roots.cgroup)
      if systemdOwned {
        unitDirectory = systemd.unitDirectory
        let layout = Fence.slurmLayout(systemd: systemd, roots: roots)
        slurm = Fence.slurmLine(layout, systemd: systemd)
        switch Fence.wantedDropIns(machine, slurm: layout) {
        case .success(let wanted): dropIns = Fence.dropInStates(wanted: wanted, units: systemd.unitDirectory)
        case .failure(let failure): dropInProblem = failure.message
        }
      }
      nodes = []
      if !fenced.isEmpty && unchecked == nil {
        let procs = CgroupTree.processes(roots.cgroup, proc: roots.proc)
        kernelThreads = procs.filter { Processes.isKernelThread(proc: roots.proc, pid: $0) }.count
      }
      var described: [Int32: NamedProcess] = [:]
      var users: [UInt32: String] = [:]
      func process(_ pid: Int32) -> NamedProcess {
        if let known = described[pid] { return known }
        let read = NamedProcess.read(proc: roots.proc, pid: pid, users: &users)
        described[pid] = read
        return read
      }
      for node in machine.privateNodes {
        let online = machine.topology.online.contains(node.id)
        var state = NodeState(node: node, online: online, optIn: nil, leaks: [], fenced: true, ready: true, note: "")
        switch node.backend {
        case .kernel:
          state.note = "fenced by the kernel: N_MEMORY_PRIVATE keeps every allocation that does not name it off the node"
        case .none:
          state.fenced = false
          state.note = "nothing keeps other processes off it; give it Cgroup= in \(node.source ?? "the registry") and run 'privnuma fence apply'"
        case .cpuset:
          let optIn = Fence.optIn(node, roots: roots, open: open, systemd: systemdOwned)
          state.optIn = optIn
          if !online {
            state.note = "declared with Cgroup= but the kernel has no online node \(node.id): nothing can allocate there"
            break
          }
          state.leaks = check.leaks.filter { $0.node == node.id }.map { leak in
            Leak(cgroup: leak.cgroup, mems: leak.mems, processes: leak.pids.map(process))
          }
          state.fenced = check.unchecked == nil && state.leaks.isEmpty
          state.ready = optIn.problem == nil
          if check.unchecked != nil {
            state.note = "cannot tell: the cgroup v2 tree could not be read"
          } else if state.fenced {
            state.note = "only \(optIn.cgroup) and the cgroups below it can allocate there"
          } else {
            let count = state.leaks.reduce(0) { $0 + $1.processes.count }
            let empty = state.leaks.filter(\.processes.isEmpty).count
            state.note = "\(count) process\(count == 1 ? "" : "es") in \(state.leaks.count) other cgroup\(state.leaks.count == 1 ? "" : "s") can allocate there\(empty > 0 ? " (\(empty) of the cgroups empty: drift)" : "")"
          }
        }
        nodes.append(state)
      }
    }

    var text: String {
      let missing = missingRegistry.map { "note: the registry \($0) does not exist: no node is declared there\n" } ?? ""
      if nodes.isEmpty {
        return missing + "no private nodes: the kernel lists none and the registry declares none; nothing to fence\n"
      }
      var out: String
      if let unchecked {
        out = "warning (unchecked): \(unchecked)\n"
      } else {
        out = "cgroup v2 at \(cgroupRoot); nodes open to every cgroup: \(open.isEmpty ? "none" : open.listDescription)\n"
      }
      if let dropInProblem {
        out += "systemd: the fence cannot be systemd configuration: \(dropInProblem)\n"
      }
      if let dropIns {
        let bad = dropIns.filter { $0.state != "ok" }
        out += "systemd: the fence is configuration in \(unitDirectory): \(bad.isEmpty ? "every drop-in in place" : "\(bad.count) of \(dropIns.count) drop-ins not as 'fence apply' writes them")\n"
        for dropIn in dropIns { out += "  \(dropIn.state == "ok" ? "ok" : dropIn.state.uppercased()) \(dropIn.path)\n" }
      }
      if let slurm { out += slurm }
      for state in nodes {
        let node = state.node
        let verdict: String
        if node.backend == .cpuset && state.online {
          verdict = !state.fenced ? "NOT FENCED" : state.ready ? "fenced" : "fenced, opt-in cgroup NOT READY"
        } else {
          verdict = state.fenced ? "fenced" : "NOT FENCED"
        }
        out += "node \(node.id) (\(node.label)): \(verdict)\n"
        out += "  \(node.backend == .none ? "warning: " : "")backend \(node.backend.rawValue): \(state.note)\n"
        if let optIn = state.optIn {
          out += "  opt-in cgroup \(optIn.cgroup): "
          if !optIn.exists && optIn.problem == nil {
            out += "not started yet (systemd makes it with its first unit)"
          } else if !optIn.exists {
            out += "missing"
          } else {
            out += "cpuset.mems \(Fence.describe(optIn.mems))"
            if let effective = optIn.effective { out += ", effective \(effective.listDescription)" }
          }
          out += optIn.problem.map { " (\($0))" } ?? ", ready"
          out += "\n"
        }
        for leak in state.leaks {
          let root = leak.cgroup == "/" ? ", the root cgroup" : ""
          out += "  reachable from \(leak.cgroup) (effective mems \(leak.mems.listDescription)\(root))\(leak.processes.isEmpty ? ": empty, drift (a process started there could allocate on the node)" : ":")\n"
          for process in leak.processes {
            out += "    \(process)\n"
          }
        }
      }
      for path in leakPaths { out += Fence.leakText(path) }
      for daemon in slurmDaemons {
        let held = daemon.pids.isEmpty ? "" : " (pid \(daemon.pids.map(String.init).joined(separator: ", ")))"
        out += "note: \(daemon.cgroup) is slurmstepd's own cgroup\(held): it keeps the scope's nodes \(daemon.mems.listDescription), which the SPANK plugin grants per task; Slurm's daemon, no task runs there: not counted\n"
      }
      if kernelThreads > 0 {
        out += "note: \(kernelThreads) kernel thread\(kernelThreads == 1 ? " stays" : "s stay") in the root cgroup; they cannot be moved and are not counted\n"
      }
      if unchecked != nil {
        out += "not checked: mount cgroup v2 at \(cgroupRoot) (the cpuset fence needs it), then run 'privnuma fence apply' as root\n"
      } else if !allFenced {
        var open = nodes.filter { !$0.fenced || !$0.ready }.map { "node \($0.node.id) (\($0.node.label))" }
        open += leakPaths.map { "leak path \($0.kind.rawValue)" }
        if open.isEmpty {
          open = nodes.filter { $0.node.backend == .cpuset }.map { "node \($0.node.id) (\($0.node.label)), whose drop-ins are not in place" }
        }
        out += "not fenced: \(open.joined(separator: ", ")); run 'privnuma fence apply' as root ('--dry-run' shows the changes first)\n"
      }
      return out + missing
    }

    /// Schema `privnuma.fence/1`:
    /// ```
    /// { "schema": "privnuma.fence/1",
    ///   "cgroup_root": "/sys/fs/cgroup",
    ///   "open_nodes": [0, 1],          // nodes every cgroup keeps
    ///   "fenced": true,                // every node fenced and every opt-in cgroup ready
    ///   "unchecked": null,             // or why the cgroup tree could not be read
    ///   "kernel_threads": 52,          // in the root cgroup, not counted
    ///   "leak_paths": [ { "kind": "demotion", "node": 2, "problem": "...",
    ///                     "closable": true, "refusal": null } ],
    ///   "systemd_drop_ins": [ { "path": "...", "state": "ok" } ],   // null off systemd
    ///   "systemd_problem": null,       // or why the registry cannot be fenced by drop-ins
    ///   "layout": null,                // or the line saying how a Slurm node is fenced
    ///   "slurm_daemons": [ { "cgroup": "/system.slice/slurmstepd.scope/system",
    ///                        "mems_effective": [0, 1, 2], "pids": [812] } ],
    ///   "nodes": [
    ///     { "id": 2, "label": "cxl0", "backend": "cpuset", "online": true,
    ///       "fenced": true, "ready": true, "note": "...",
    ///       "opt_in": { "cgroup": "/privnuma.slice/cxl0", "exists": true,
    ///                   "mems": [0, 1, 2], "mems_effective": [0, 1, 2], "problem": null },
    ///       "leaks": [ { "cgroup": "/", "mems_effective": [0, 1, 2, 3],
    ///                    "processes": [ { "pid": 1, "command": "init", "uid": 0 } ] } ] } ] }
    /// ```
    /// `opt_in` is null for other backends; `mems` is [] when inherited, null without the
    /// cpuset controller.
    var json: JSON {
      .object([
        ("schema", .string("privnuma.fence/1")),
        ("cgroup_root", .string(cgroupRoot)),
        ("open_nodes", .nodes(open)),
        ("fenced", .bool(allFenced)),
        ("unchecked", unchecked.map { .string($0) } ?? .null),
        ("kernel_threads", .int(kernelThreads)),
        ("registry_missing", missingRegistry.map { .string($0) } ?? .null),
        ("leak_paths", .array(leakPaths.map(Fence.leakJSON))),
        (
          "systemd_drop_ins",
          dropIns.map { list in
            .array(list.map { .object([("path", .string($0.path)), ("state", .string($0.state))]) })
          } ?? .null
        ),
        ("systemd_problem", dropInProblem.map { .string($0) } ?? .null),
        ("layout", slurm.map { .string($0.trimmingWhitespace()) } ?? .null),
        (
          "slurm_daemons",
          .array(
            slurmDaemons.map { daemon in
              .object([
                ("cgroup", .string(daemon.cgroup)), ("mems_effective", .nodes(daemon.mems)),
                ("pids", .array(daemon.pids.map { .int(Int($0)) })),
              ])
            })
        ),
        (
          "nodes",
          .array(
            nodes.map { state in
              .object([
                ("id", .int(state.node.id)),
                ("label", .string(state.node.label)),
                ("backend", .string(state.node.backend.rawValue)),
                ("online", .bool(state.online)),
                ("fenced", .bool(state.fenced)),
                ("ready", .bool(state.ready)),
                ("note", .string(state.note)),
                (
                  "opt_in",
                  state.optIn.map { optIn in
                    .object([
                      ("cgroup", .string(optIn.cgroup)),
                      ("exists", .bool(optIn.exists)),
                      ("mems", optIn.mems.map { .nodes($0) } ?? .null),
                      ("mems_effective", optIn.effective.map { .nodes($0) } ?? .null),
                      ("problem", optIn.problem.map { .string($0) } ?? .null),
                    ])
                  } ?? .null
                ),
                (
                  "leaks",
                  .array(
                    state.leaks.map { leak in
                      .object([
                        ("cgroup", .string(leak.cgroup)),
                        ("mems_effective", .nodes(leak.mems)),
                        (
                          "processes",
                          .array(
                            leak.processes.map { .object(JSON.members($0)) })
                        ),
                      ])
                    })
                ),
              ])
            })
        ),
      ])
    }
  }

  /// The root cgroup's effective mems: every node with memory on cgroup v2.
  static func rootMems(_ machine: Machine) -> NodeSet {
    if let bytes = FileSystem.bytesIfPresent(machine.roots.cgroup + "/cpuset.mems.effective"),
      let mems = NodeSet(kernelList: bytes[...]), !mems.isEmpty
    {
      return mems
    }
    return machine.topology.withMemory.intersection(machine.topology.online)
  }

  static func optIn(_ node: PrivateNode, roots: Roots, open: NodeSet, systemd: Bool = false) -> OptIn {
    let cgroup = CgroupPath(relative: node.cgroup ?? "")
    let path = cgroup.path
    let directory = cgroup.directory(under: roots.cgroup)
    var optIn = OptIn(cgroup: path, exists: FileSystem.isDirectory(directory))
    // systemd makes a slice's cgroup when its first unit starts; its drop-in is what counts.
    if !optIn.exists && systemd { return optIn }
    guard optIn.exists else {
      optIn.problem = "launches on node \(node.id) fail until 'privnuma fence apply' creates it"
      return optIn
    }
    optIn.mems = readMems(directory + "/cpuset.mems")
    optIn.effective = readMems(directory + "/cpuset.mems.effective")
    guard let effective = optIn.effective else {
      optIn.problem = "no cpuset controller: its parent's cgroup.subtree_control lacks cpuset"
      return optIn
    }
    if !effective.contains(node.id) {
      optIn.problem = "its effective mems lack node \(node.id), so launches there cannot use it"
    } else if !open.isSubset(of: effective) {
      optIn.problem = "its effective mems lack open node \(open.subtracting(effective)), which page cache and the rest of a launched program need"
    }
    return optIn
  }

  static func readMems(_ path: String) -> NodeSet? { CgroupTree.mems(path) }

  /// `0-2`, `inherited` for an empty `cpuset.mems`, `none` without the cpuset controller.
  static func describe(_ mems: NodeSet?) -> String {
    guard let mems else { return "none (no cpuset controller)" }
    return mems.isEmpty ? "inherited" : mems.listDescription
  }
}
