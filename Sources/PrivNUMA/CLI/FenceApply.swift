/// `fence apply`: carries out the plan (Core/FencePlan) under the cgroup mount through the
/// injected `CgroupWriter`, round after round until nothing is left to change, then closes
/// the leak paths and judges the result as `fence status` would.
extension Fence {
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
