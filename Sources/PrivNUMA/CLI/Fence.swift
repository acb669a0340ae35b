/// `privnuma fence status|apply`: the cgroup cpuset fence that keeps `cpuset`-backend private
/// nodes private on kernels without N_MEMORY_PRIVATE (DESIGN §1, §3).
///
/// A fence has two halves. Each private node has an opt-in cgroup whose `cpuset.mems` is the
/// open nodes plus that node; every other cgroup that holds processes has effective mems
/// without it. On cgroup v2 the root cgroup's mems cannot be narrowed (they are every node),
/// so `apply` moves processes left in the root cgroup to `/privnuma-general`.
///
/// "Open nodes" are the nodes with memory that no cpuset fence holds: the general nodes, plus
/// any kernel-backend or unfenced private node, which every cgroup keeps so that those still
/// work as their own backend says.
extension Command {
  static let fence = Command(
    name: "fence", summary: "the cpuset fence of each private node: status, apply or remove (root)",
    synopsis: "status|apply|remove",
    about: "The cgroup cpuset fence that keeps cpuset-backend private nodes private: its state, or setting it up.",
    options: [], operands: .words(["status", "apply", "remove"]),
    examples: ["privnuma fence status --json", "sudo privnuma fence apply --dry-run && sudo privnuma fence apply"],
    manual: "",
    subcommands: [
      Command(
        name: "status", summary: "whether each private node is fenced",
        synopsis: "",
        about: "For each private node: its backend; for the cpuset backend, its opt-in cgroup (exists? cpuset.mems holds the open nodes and the node?) and every cgroup and process outside it that can still allocate there, including processes left in the root cgroup. Exit 0 when every private node is fenced, 1 when one is not.",
        options: common, operands: .none, examples: [],
        manual: #"""
        For each private node, its backend; for a
        .B cpuset
        node, its opt-in cgroup (does it exist, does its
        .I cpuset.mems
        hold the open nodes and the node) and every cgroup and process outside it that can still
        allocate there, including processes left in the root cgroup.
        Exit 0 when every private node is fenced, 1 when one is not.
        """#,
        run: Fence.status),
      Command(
        name: "apply", summary: "create the opt-in cgroups and narrow the others (root)",
        synopsis: "[--dry-run]",
        about: "(root) Creates each opt-in cgroup under the cgroup v2 mount with cpuset.mems = open nodes + the node, narrows every other cgroup's cpuset.mems so that only the opt-in cgroups reach private nodes, and moves processes out of the root cgroup into \(Fence.generalCgroup). Idempotent; prints each change. --dry-run prints what it would change and changes nothing (any user may run it). Where systemd is PID 1 the fence is systemd configuration instead: drop-ins under /etc/systemd/system (slice.d/, init.scope.d/, mount.d/ and swap.d/ keep every slice and unit outside one on the open nodes; each opt-in slice, named by Cgroup= as privnuma.slice/privnuma-LABEL.slice, adds its node), then daemon-reload; nothing is moved, and systemd applies it to every slice, now, after reloads and after reboots. --dry-run shows the files.",
        options: [.launch(.registry), .launch(.help), .dryRun], operands: .none, examples: [],
        manual: #"""
        (root) Creates each opt-in cgroup under the cgroup v2 mount with
        .I cpuset.mems
        = open nodes + its node, narrows every other cgroup that holds processes so its effective
        mems exclude the fenced nodes, and moves processes left in the root cgroup (whose mems
        cannot be narrowed) to
        .IR /privnuma\-general .
        Idempotent; prints each change.
        .BR \-n ", " \-\-dry\-run
        prints what it would change and changes nothing.
        .I Open nodes
        are the general nodes plus kernel-backend and unfenced private nodes.
        .IP
        Where systemd is PID 1 the fence is systemd configuration instead: drop-ins under
        .I /etc/systemd/system
        .RI ( slice.d/ ,
        .IR init.scope.d/ ,
        .I mount.d/
        and
        .I swap.d/
        .B 90\-privnuma\-fence.conf
        set
        .B AllowedMemoryNodes=
        to the open nodes for every slice and for the units outside any slice; each opt-in slice,
        which
        .B Cgroup=
        names as
        .IR privnuma.slice/privnuma\-LABEL.slice ,
        gets
        .B 91\-privnuma\-opt\-in.conf
        adding its node), then
        .BR "systemctl daemon\-reload" .
        Nothing is moved; systemd applies the fence to every slice, now, after reloads and after
        reboots.
        .B \-\-dry\-run
        shows the files.
        """#,
        run: Fence.apply),
      Command(
        name: "remove", summary: "delete the fence's systemd drop-ins and reload systemd (root)",
        synopsis: "[--dry-run]",
        about: "(root) Where systemd is PID 1: deletes every drop-in 'fence apply' wrote under /etc/systemd/system, runs daemon-reload, so the private nodes are open to every slice again, and stops the opt-in slices that hold no process (naming those that still do). Slices running now keep their cpuset.mems until they restart. Needs no registry; exit 0 when there is nothing to remove. --dry-run lists the files and slices.",
        options: [.launch(.help), .dryRun], operands: .none, examples: [],
        manual: #"""
        (root) Where systemd is PID 1: deletes every drop-in
        .B fence apply
        wrote under
        .I /etc/systemd/system
        and runs
        .BR "systemctl daemon\-reload" ,
        so the private nodes are open to every slice again, and stops each opt-in slice that
        holds no process (it names those that still do; they stay until their units end).
        Slices running now keep their
        .I cpuset.mems
        until they restart or the machine reboots.
        Needs no registry; exit 0 when there is nothing to remove.
        .BR \-n ", " \-\-dry\-run
        lists the files and slices.
        """#,
        run: Fence.remove),
    ],
    run: nil)
}

enum Fence {
  /// Where `apply` moves processes that sit in the root cgroup or in an opt-in cgroup's
  /// ancestor, where their mems would reach private nodes.
  static let generalCgroup = "/privnuma-general"

  // MARK: - status

  static func status(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.reportIgnoredOverrides()
    return environment.machine(registry: options.value(.registry)).map { machine in
      let report = Report(machine: machine, systemd: environment.systemd)
      Diagnostics.output(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
      return report.allFenced ? 0 : 1
    }
  }

  /// A process named in a report.
  struct Process: Equatable, Sendable {
    var pid: Int32
    var command: String
    var uid: UInt32?

    static func read(proc: String, pid: Int32) -> Process {
      let info = Processes.info(proc: proc, pid: pid)
      return Process(pid: pid, command: info.command, uid: info.uid)
    }
  }

  /// A cgroup outside a node's opt-in cgroup that holds processes and can allocate there.
  struct Leak: Equatable, Sendable {
    var cgroup: String
    var mems: NodeSet
    var processes: [Process]
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
      leakPaths = LeakPaths.find(machine: machine, facts: .read(machine: machine))
      kernelThreads = 0
      let systemdOwned = !fenced.isEmpty && systemd.owns(cgroupRoot: roots.cgroup)
      if systemdOwned {
        unitDirectory = systemd.unitDirectory
        switch Fence.wantedDropIns(machine) {
        case .success(let wanted): dropIns = Fence.dropInStates(wanted: wanted, units: systemd.unitDirectory)
        case .failure(let failure): dropInProblem = failure.message
        }
      }
      nodes = []
      if !fenced.isEmpty && unchecked == nil {
        let procs = CgroupTree.processes(roots.cgroup, proc: roots.proc)
        kernelThreads = procs.filter { Processes.isKernelThread(proc: roots.proc, pid: $0) }.count
      }
      var described: [Int32: Process] = [:]
      func process(_ pid: Int32) -> Process {
        if let known = described[pid] { return known }
        let read = Process.read(proc: roots.proc, pid: pid)
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
            out += "    pid \(process.pid) \(process.command)\(process.uid.map { " (uid \($0))" } ?? "")\n"
          }
        }
      }
      for path in leakPaths { out += Fence.leakText(path) }
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
                            leak.processes.map { process in
                              .object([
                                ("pid", .int(Int(process.pid))),
                                ("command", .string(process.command)),
                                ("uid", process.uid.map { .int(Int($0)) } ?? .null),
                              ])
                            })
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

// MARK: - The cgroup tree and apply's plan

extension Fence {
  /// One cgroup as `apply` needs it.
  struct Cgroup: Equatable, Sendable {
    /// From the mount: `/` for the root, `/privnuma.slice/cxl0`.
    var path: String
    /// `cpuset.mems` as configured (empty: inherits); nil when it has no cpuset controller.
    var mems: NodeSet?
    /// `cpuset.mems.effective`, or its parent's without a cpuset controller.
    var effective: NodeSet
    /// Whether `cgroup.subtree_control` enables cpuset for its children.
    var cpusetForChildren: Bool
    /// `cgroup.procs`, kernel threads included.
    var pids: [Int32]
  }

  /// The cgroup v2 hierarchy, parents before children.
  struct Tree: Sendable {
    var cgroups: [Cgroup]
    private var index: [String: Int] = [:]

    init(_ cgroups: [Cgroup]) {
      self.cgroups = cgroups
      for (position, cgroup) in cgroups.enumerated() { index[cgroup.path] = position }
    }

    var root: Cgroup { cgroups[0] }

    func cgroup(_ path: String) -> Cgroup? { index[path].map { cgroups[$0] } }

    func children(of path: String) -> [Cgroup] {
      cgroups.filter { $0.path != "/" && Fence.parent(of: $0.path) == path }
    }

    /// Reads the tree under `mount`; the root's mems fall back to `allMems` when the
    /// cpuset controller is not available at all.
    static func read(mount: String, proc: String, allMems: NodeSet) -> Tree {
      var cgroups: [Cgroup] = []
      CgroupTree.walk(mount: mount, rootMems: allMems) { path, directory, effective in
        let mems = Fence.readMems(directory + "/cpuset.mems")
        let control = FileSystem.readIfPresent(directory + "/cgroup.subtree_control") ?? ""
        let cpuset = control.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("cpuset")
        let pids = CgroupTree.processes(directory, proc: proc)
        cgroups.append(Cgroup(path: path.path, mems: mems, effective: effective, cpusetForChildren: cpuset, pids: pids))
      }
      return Tree(cgroups)
    }
  }

  /// `/a/b` → `/a`; `/a` → `/`.
  static func parent(of path: String) -> String { CgroupPath(path).parent.path }

  /// Every proper ancestor of a path except the root, nearest last: `/a/b/c` → `/a`, `/a/b`.
  static func ancestors(of path: String) -> [String] { CgroupPath(path).ancestors.map(\.path) }

  /// One change `apply` makes, in the order it makes them.
  enum Change: Equatable, Sendable {
    /// `+cpuset` into the cgroup's `cgroup.subtree_control`.
    case enableCpuset(String)
    case create(String)
    case setMems(String, from: NodeSet?, to: NodeSet)
    case move(pid: Int32, command: String, from: String, to: String)

    var cgroup: String {
      switch self {
      case .enableCpuset(let path), .create(let path), .setMems(let path, _, _): return path
      case .move(_, _, _, let to): return to
      }
    }

    /// What was done, or with `planned`, what would be; `new` when the cgroup is one this
    /// run creates, so that its first cpuset.mems has no "was".
    func describe(planned: Bool, new: Bool = false) -> String {
      switch self {
      case .enableCpuset(let path):
        return (planned ? "would enable" : "enabled") + " the cpuset controller for the children of \(path)"
      case .create(let path):
        return (planned ? "would create" : "created") + " cgroup \(path)"
      case .setMems(let path, let from, let to):
        let verb = planned ? "would set" : "set"
        if new { return verb + " cpuset.mems of \(path) to \(to.listDescription)" }
        let was = from.map { $0.isEmpty ? "inherited" : $0.listDescription } ?? "no cpuset controller yet"
        return verb + " cpuset.mems of \(path) to \(to.listDescription) (was \(was))"
      case .move(let pid, let command, let from, let to):
        return (planned ? "would move" : "moved") + " pid \(pid) (\(command)) from \(from) to \(to)"
      }
    }
  }

  /// The changes that fence every cpuset-backend private node, and notes on what stays.
  struct Plan: Equatable, Sendable {
    var changes: [Change] = []
    var notes: [String] = []
  }

  /// Computes `apply`'s changes from the tree as read, writing nothing, so that a dry run, a
  /// test and the real run agree.
  ///
  /// - The opt-in cgroups and their ancestors get cpuset.mems = open nodes + the private
  ///   nodes at or below them (created first, cpuset enabled along the way).
  /// - Every other child of the root or of such an ancestor whose effective mems would reach
  ///   a fenced node gets its own cpuset.mems without them (what it had minus the fenced
  ///   nodes, or the open nodes when that leaves nothing). Its descendants follow, since a
  ///   child's effective mems never exceed its parent's.
  /// - Processes in the root cgroup, or in an ancestor that reaches nodes not its own, move
  ///   to `/privnuma-general`; kernel threads cannot, and are only counted.
  static func plan(
    machine: Machine, tree: Tree, isKernelThread: (Int32) -> Bool, command: (Int32) -> String
  ) throws(Failure) -> Plan {
    var plan = Plan()
    let rootMems = tree.root.effective
    var fenced = NodeSet()
    // Declared nodes whose memory is not online yet: fenced ahead of it (below).
    var pending = NodeSet()
    var optedAt: [String: NodeSet] = [:]
    for node in machine.privateNodes {
      switch node.backend {
      case .kernel:
        continue
      case .none:
        plan.notes.append("node \(node.id) (\(node.label)) has backend none: give it Cgroup= in \(node.source ?? "the registry") to fence it")
        continue
      case .cpuset:
        break
      }
      let relative = node.cgroup ?? ""
      // The registry parser refuses these already; a privileged writer checks again.
      if let problem = Registry.cgroupProblem(relative) {
        throw .usage("\(node.source ?? "the registry"): \(problem)")
      }
      let path = CgroupPath(relative: relative).path
      if CgroupPath(path).isWithin(CgroupPath(generalCgroup)) {
        throw .usage("\(node.source ?? "the registry"): Cgroup=\(relative) is where 'fence apply' puts general processes; choose another opt-in cgroup, e.g. privnuma.slice/\(node.label)")
      }
      guard rootMems.contains(node.id) else {
        // A cgroup that inherits its mems gains a node the moment its memory comes online
        // (dax/kmem, hotplug), so every such cgroup gets explicit mems now; the opt-in
        // cgroup gets the node once it has memory (apply again, or `privnuma online`).
        plan.notes.append("node \(node.id) (\(node.label)) has no memory online yet: fenced ahead of it; its opt-in cgroup gets it once it is online")
        pending.insert(node.id)
        if optedAt[path] == nil { optedAt[path] = NodeSet() }
        continue
      }
      fenced.insert(node.id)
      optedAt[path, default: NodeSet()].insert(node.id)
    }
    if fenced.isEmpty && pending.isEmpty { return plan }
    let open = rootMems.subtracting(fenced)
    if open.isEmpty {
      throw .usage("every node with memory (\(rootMems)) is a cpuset-backend private node; a fence would leave general processes no memory. Declare only the private nodes in the registry")
    }

    // Nodes at or below each opt-in cgroup and each ancestor of one.
    var beneath: [String: NodeSet] = [:]
    var hasOptInBelow: Set<String> = []
    for (path, nodes) in optedAt {
      beneath[path, default: NodeSet()] = beneath[path, default: NodeSet()].union(nodes)
      for ancestor in ancestors(of: path) {
        beneath[ancestor, default: NodeSet()] = beneath[ancestor, default: NodeSet()].union(nodes)
        hasOptInBelow.insert(ancestor)
      }
    }
    let inside = beneath.keys.sorted(by: FileSystem.byteOrder)

    if !tree.root.cpusetForChildren { plan.changes.append(.enableCpuset("/")) }
    for path in inside {
      let existing = tree.cgroup(path)
      if existing == nil { plan.changes.append(.create(path)) }
      let wanted = open.union(beneath[path]!)
      if existing?.mems != wanted { plan.changes.append(.setMems(path, from: existing?.mems, to: wanted)) }
      if hasOptInBelow.contains(path) && !(existing?.cpusetForChildren ?? false) {
        plan.changes.append(.enableCpuset(path))
      }
    }

    // Every other cgroup next to the opt-in paths: keep the fenced nodes out.
    for parent in ["/"] + inside.filter({ hasOptInBelow.contains($0) }) {
      let parentMems = parent == "/" ? rootMems : open.union(beneath[parent]!)
      for child in tree.children(of: parent) where beneath[child.path] == nil {
        let configured = child.mems ?? NodeSet()
        var reach = configured.intersection(parentMems)
        if reach.isEmpty { reach = parentMems }
        let widens = !pending.isEmpty && configured.isEmpty
        guard !reach.intersection(fenced).isEmpty || widens else { continue }
        var wanted = configured.subtracting(fenced)
        if wanted.intersection(parentMems).isEmpty { wanted = open }
        plan.changes.append(.setMems(child.path, from: child.mems, to: wanted))
      }
    }

    // Processes where no cpuset.mems can keep them off: the root, and ancestors of opt-ins.
    var moves: [Change] = []
    var kernelThreads = 0
    for path in ["/"] + inside {
      guard let cgroup = tree.cgroup(path), !cgroup.pids.isEmpty else { continue }
      let reach = path == "/" ? fenced.union(pending) : open.union(beneath[path]!).intersection(fenced)
      if reach.subtracting(optedAt[path] ?? NodeSet()).isEmpty { continue }
      for pid in cgroup.pids {
        if isKernelThread(pid) {
          kernelThreads += 1
          continue
        }
        moves.append(.move(pid: pid, command: command(pid), from: path, to: generalCgroup))
      }
    }
    if !moves.isEmpty && tree.cgroup(generalCgroup) == nil {
      plan.changes.append(.create(generalCgroup))
      plan.changes.append(.setMems(generalCgroup, from: nil, to: open))
    }
    plan.changes += moves
    if kernelThreads > 0 {
      plan.notes.append("\(kernelThreads) kernel thread\(kernelThreads == 1 ? " stays" : "s stay") in the root cgroup: the kernel does not let \(kernelThreads == 1 ? "it" : "them") move, and kernel threads allocate no user memory")
    }
    return plan
  }

  /// How carrying out one change ended.
  enum Outcome: Equatable {
    case done
    /// Not done, and not an error: the process exited, or the kernel keeps it where it is.
    case skipped(String)
    case failed(Failure)
  }

  /// Carries out one change under the cgroup mount.
  static func execute(_ change: Change, mount: String, writer: CgroupWriter = CgroupFS()) -> Outcome {
    let path = change.cgroup
    // Defense in depth: every path comes from the tree as read or from the validated
    // registry, but nothing is written outside the mount whatever happens.
    guard Cgroups.plainComponents(path) != nil else {
      return .failed(.refused("refusing to write under cgroup '\(path)': it is not a plain path under \(mount)"))
    }
    let directory = path == "/" ? mount : mount + path
    if case .create = change, case .failure(let error) = writer.create(directory) {
      return .failed(.system("cannot create cgroup \(path): mkdir \(directory) failed with \(error)"))
    }
    switch change {
    case .create:
      return .done
    case .enableCpuset:
      let file = directory + "/cgroup.subtree_control"
      if case .failure(let error) = writer.enableCpuset(directory) {
        if error == .notDirectory { return notADirectory(directory) }
        let hint = Advice.text(.enableCpuset, error)
        return .failed(.system("cannot enable the cpuset controller for the children of \(path): writing +cpuset to \(file) failed with \(error); \(hint)"))
      }
      return .done
    case .setMems(_, _, let mems):
      let file = directory + "/cpuset.mems"
      if case .failure(let error) = writer.setMems(directory, mems) {
        if error == .notDirectory { return notADirectory(directory) }
        let hint = Advice.text(.setMems, error, ["mems": "\(mems)", "parent": parent(of: path)])
        return .failed(.system("cannot set cpuset.mems of \(path) to \(mems): writing \(file) failed with \(error); \(hint)"))
      }
      return .done
    case .move(let pid, let command, let from, _):
      if case .failure(let error) = writer.move(pid, to: directory) {
        switch error {
        case .notDirectory:
          return notADirectory(directory)
        case .noSuchProcess:
          return .skipped("pid \(pid) (\(command)) exited before it was moved")
        case .invalidArgument:
          return .skipped("pid \(pid) (\(command)) stays in \(from): the kernel does not let it move (EINVAL; a kernel thread)")
        default:
          return .failed(.system("cannot move pid \(pid) (\(command)) from \(from) to \(path): writing its pid to \(directory)/cgroup.procs failed with \(error)"))
        }
      }
      return .done
    }
  }

  static func notADirectory(_ directory: String) -> Outcome {
    .failed(.refused("refusing to write under \(directory): it is not a directory (or is a symbolic link)"))
  }

  // MARK: - apply

  static func apply(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    let dryRun = options.has(.dryRun)
    environment.reportIgnoredOverrides()
    if !dryRun && environment.identity.uid != 0 {
      return .failure(.system("'privnuma fence apply' changes the cgroups of the whole machine, so it runs only as root (real uid 0); run 'sudo privnuma fence apply', or 'privnuma fence apply --dry-run' to see what it would change"))
    }
    return environment.machine(registry: options.value(.registry)).flatMap { machine in
      // Fencing from half a registry could open a node a broken file protects.
      if let error = machine.registryErrors.first {
        for other in machine.registryErrors.dropFirst() { Diagnostics.error("\(other)") }
        return .failure(.usage("\(error); 'fence apply' changes nothing until every registry file reads cleanly"))
      }
      return applying(machine, dryRun: dryRun, writer: environment.cgroups, systemd: environment.systemd)
    }
  }

  static func applying(_ machine: Machine, dryRun: Bool, writer: CgroupWriter, systemd: Systemd) -> Result<Int32, Failure> {
    let roots = machine.roots
    if !machine.privateNodes.contains(where: { $0.backend == .cpuset }) {
      Diagnostics.output("no private node has backend cpuset (Cgroup= in the registry): nothing to fence\n")
      return .success(0)
    }
    if let problem = mountProblem(roots.cgroup, strict: !dryRun, writer: writer) { return .failure(.system(problem)) }
    if systemd.owns(cgroupRoot: roots.cgroup) { return systemdApplying(machine, dryRun: dryRun, systemd: systemd) }
    let allMems = machine.topology.withMemory.intersection(machine.topology.online)
    var made = 0
    var notes: [String] = []
    var stopped: Failure?
    // New processes may be forked into the root cgroup while others move: look again, a
    // few times, until nothing is left to change.
    rounds: for round in 0..<3 {
      let tree = Tree.read(mount: roots.cgroup, proc: roots.proc, allMems: allMems)
      let plan: Plan
      do {
        plan = try Fence.plan(
          machine: machine, tree: tree,
          isKernelThread: { Processes.isKernelThread(proc: roots.proc, pid: $0) },
          command: { Process.read(proc: roots.proc, pid: $0).command })
      } catch { return .failure(error) }
      if round == 0 { notes = plan.notes }
      if plan.changes.isEmpty { break }
      if dryRun {
        var out = ""
        for change in plan.changes {
          out += change.describe(planned: true, new: plan.changes.contains(.create(change.cgroup))) + "\n"
        }
        let closing = closeLeakPaths(
          LeakPaths.find(machine: machine, facts: .read(machine: machine)), sysfs: roots.sysfs, dryRun: true)
        for line in closing.lines { out += line + "\n" }
        for note in notes { out += "note: " + note + "\n" }
        let count = plan.changes.count + closing.made
        out += "dry run: \(count) change\(count == 1 ? "" : "s") would be made; nothing was changed\n"
        Diagnostics.output(out)
        return .success(0)
      }
      for change in plan.changes {
        switch execute(change, mount: roots.cgroup, writer: writer) {
        case .done:
          made += 1
          Diagnostics.output(change.describe(planned: false, new: plan.changes.contains(.create(change.cgroup))) + "\n")
        case .skipped(let why):
          Diagnostics.output("skipped: " + why + "\n")
        case .failed(let failure):
          stopped = failure
          break rounds
        }
      }
    }
    if stopped == nil {
      // The cgroups are fenced; now the ways in that are not cgroups.
      let closing = closeLeakPaths(
        LeakPaths.find(machine: machine, facts: .read(machine: machine)), sysfs: roots.sysfs, dryRun: dryRun)
      for line in closing.lines { Diagnostics.output(line + "\n") }
      made += closing.made
      stopped = closing.failure
      if dryRun && closing.made > 0 {
        Diagnostics.output("dry run: \(closing.made) change\(closing.made == 1 ? "" : "s") would be made; nothing was changed\n")
        return .success(0)
      }
    }
    var out = ""
    for note in notes { out += "note: " + note + "\n" }
    if let stopped {
      Diagnostics.output(out)
      return .failure(Failure(stopped.kind, stopped.message + (made > 0 ? " (after \(made) change\(made == 1 ? "" : "s"), listed above)" : "")))
    }
    if made == 0 {
      out += dryRun
        ? "dry run: nothing would change: every cpuset-backend private node is fenced\n"
        : "nothing to change: every cpuset-backend private node is fenced\n"
      Diagnostics.output(out)
      return .success(0)
    }
    // Judge the result as `status` would.
    let report = Report(machine: machine, systemd: systemd)
    let cpuset = report.nodes.filter { $0.node.backend == .cpuset }
    let open = cpuset.filter { !$0.fenced || !$0.ready }
    if open.isEmpty {
      out += "fence applied: \(made) change\(made == 1 ? "" : "s"); every cpuset-backend private node is fenced\n"
      Diagnostics.output(out)
      return .success(0)
    }
    Diagnostics.output(out)
    let names = open.map { "node \($0.node.id) (\($0.node.label))" }.joined(separator: ", ")
    return .failure(.system("after \(made) change\(made == 1 ? "" : "s") \(names) still not fenced; 'privnuma fence status' names what is left"))
  }

  /// Why `path` is not a cgroup v2 mount privnuma may change, or nil. `strict` asks the
  /// file system itself (statfs); otherwise `cgroup.controllers` is enough (dry runs over
  /// copies of a tree).
  static func mountProblem(_ path: String, strict: Bool, writer: CgroupWriter) -> String? {
    guard FileSystem.exists(path + "/cgroup.controllers") else {
      return "\(path) is not a cgroup v2 mount (no cgroup.controllers); mount cgroup2 there (mount -t cgroup2 none \(path))"
    }
    guard strict else { return nil }
    switch writer.isCgroup2(path) {
    case .failure(let error): return "cannot check \(path): fstatfs failed with \(error)"
    case .success(true): return nil
    case .success(false):
      return "\(path) is not a cgroup v2 file system; mount cgroup2 there (mount -t cgroup2 none \(path))"
    }
  }
}
