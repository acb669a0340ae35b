/// `fence apply`: carries out the plan (Core/FencePlan) under the cgroup mount through the
/// injected `CgroupWriter`, round after round until nothing is left to change, then closes
/// the leak paths and judges the result as `fence status` would.
extension Fence {
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
    environment.reportIgnoredOverrides()
    let transcript = applying(options.value(.registry), dryRun: options.has(.dryRun), environment)
    return FenceTranscriptOutput.render(transcript, asJSON: options.has(.json))
  }

  static func applying(_ registry: String?, dryRun: Bool, _ environment: Environment) -> Transcript {
    var transcript = Transcript(.apply, dryRun: dryRun, roots: environment.roots)
    if !dryRun && environment.identity.uid != 0 {
      transcript.stop(.system("'privnuma fence apply' changes the cgroups of the whole machine, so it runs only as root (real uid 0); run 'sudo privnuma fence apply', or 'privnuma fence apply --dry-run' to see what it would change"))
      return transcript
    }
    let machine: Machine
    switch environment.machine(registry: registry) {
    case .failure(let failure):
      transcript.stop(failure)
      return transcript
    case .success(let loaded): machine = loaded
    }
    // Fencing from half a registry could open a node a broken file protects.
    if let error = machine.registryErrors.first {
      for other in machine.registryErrors.dropFirst() { Diagnostics.error("\(other)") }
      transcript.stop(.usage("\(error); 'fence apply' changes nothing until every registry file reads cleanly"))
      return transcript
    }
    return applying(machine, dryRun: dryRun, writer: environment.cgroups, systemd: environment.systemd)
  }

  static func applying(_ machine: Machine, dryRun: Bool, writer: CgroupWriter, systemd: Systemd) -> Transcript {
    let roots = machine.roots
    var transcript = Transcript(.apply, dryRun: dryRun, roots: roots)
    if !machine.privateNodes.contains(where: { $0.backend == .cpuset }) {
      transcript.verdict = "no private node has backend cpuset (Cgroup= in the registry): nothing to fence"
      return transcript
    }
    if let problem = mountProblem(roots.cgroup, strict: !dryRun, writer: writer) {
      transcript.stop(.system(problem))
      return transcript
    }
    if systemd.owns(cgroupRoot: roots.cgroup) { return systemdApplying(machine, dryRun: dryRun, systemd: systemd) }
    transcript.mechanism = .cgroup
    let allMems = machine.topology.withMemory.intersection(machine.topology.online)
    // New processes may be forked into the root cgroup while others move: look again, a
    // few times, until nothing is left to change. A dry run looks once.
    rounds: for round in 0..<(dryRun ? 1 : 3) {
      let tree = Tree.read(mount: roots.cgroup, proc: roots.proc, allMems: allMems)
      let plan: Plan
      do {
        plan = try Fence.plan(
          machine: machine, tree: tree,
          isKernelThread: { Processes.isKernelThread(proc: roots.proc, pid: $0) },
          command: { Processes.info(proc: roots.proc, pid: $0).command })
      } catch {
        transcript.stop(error)
        return transcript
      }
      if round == 0 { transcript.notes = plan.notes }
      if plan.changes.isEmpty { break }
      for change in plan.changes {
        let step = Step.cgroup(change, new: plan.changes.contains(.create(change.cgroup)))
        let outcome = dryRun ? .planned : execute(change, mount: roots.cgroup, writer: writer)
        transcript.record(step, outcome)
        if case .failed(let failure) = outcome {
          transcript.stop(failure)
          return transcript
        }
      }
    }
    // The cgroups are fenced; now the ways in that are not cgroups.
    closeLeakPaths(LeakPaths.find(machine: machine, facts: .read(machine: machine)), into: &transcript)
    if transcript.failure != nil { return transcript }
    let made = transcript.changes
    let plural = made == 1 ? "" : "s"
    if dryRun {
      transcript.verdict = made == 0
        ? "dry run: nothing would change: every cpuset-backend private node is fenced"
        : "dry run: \(made) change\(plural) would be made; nothing was changed"
      return transcript
    }
    if made == 0 {
      transcript.fenced = true
      transcript.verdict = "nothing to change: every cpuset-backend private node is fenced"
      return transcript
    }
    // Judge the result as `status` would.
    let report = Report(machine: machine, systemd: systemd)
    let open = report.nodes.filter { $0.node.backend == .cpuset && (!$0.fenced || !$0.ready) }
    transcript.fenced = open.isEmpty
    if open.isEmpty {
      transcript.verdict = "fence applied: \(made) change\(plural); every cpuset-backend private node is fenced"
      return transcript
    }
    let names = open.map { "node \($0.node.id) (\($0.node.label))" }.joined(separator: ", ")
    transcript.failure = .system("after \(made) change\(plural) \(names) still not fenced; 'privnuma fence status' names what is left")
    return transcript
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
