/// `fence apply` and `fence remove` on a systemd host: the fence is drop-ins systemd applies
/// itself (`SystemdFence`), never cgroup files written behind its back, which systemd would
/// reset at its next reload or unit start.
extension Fence {
  /// One drop-in as found under the unit directory.
  struct InstalledDropIn: Equatable {
    var path: String
    var contents: String
  }

  /// The Slurm node's layout when Slurm's plugstack.conf (or a file in plugstack.conf.d)
  /// loads privnuma's SPANK plugin; nil elsewhere. Without the plugin, Slurm's jobs stay
  /// fenced with `system.slice`: opening the scope would open every job.
  static func slurmLayout(systemd: Systemd, roots: Roots) -> SystemdFence.SlurmLayout? {
    let directory = systemd.slurmDirectory
    var texts = [FileSystem.readIfPresent(directory + "/plugstack.conf") ?? ""]
    if case .success(let entries) = FileSystem.list(directory + "/plugstack.conf.d") {
      texts += entries.filter { $0.hasSuffix(".conf") }.compactMap { FileSystem.readIfPresent(directory + "/plugstack.conf.d/" + $0) }
    }
    guard texts.contains(where: SystemdFence.SlurmLayout.loadsPlugin) else { return nil }
    let hostname = (FileSystem.readIfPresent(roots.proc + "/sys/kernel/hostname") ?? "").split(separator: "\n").first.map(String.init) ?? ""
    let existing = (try? FileSystem.list(roots.cgroup + "/system.slice").get()) ?? []
    return .scopes(hostname: hostname, existing: existing)
  }

  /// What `fence apply --dry-run` and `fence status` say about Slurm on a systemd host.
  static func slurmLine(_ layout: SystemdFence.SlurmLayout?, systemd: Systemd) -> String? {
    if let layout {
      return "slurm: \(systemd.slurmDirectory)/plugstack.conf loads privnuma_spank.so: \((["system.slice"] + layout.scopes).dropLast().joined(separator: ", ")) and \(layout.scopes.last ?? "") keep the private nodes for the plugin to grant per task; every service, socket and scope is fenced by type\n"
    }
    if FileSystem.exists(systemd.slurmDirectory + "/slurm.conf") {
      return "slurm: \(systemd.slurmDirectory)/plugstack.conf does not load privnuma_spank.so: Slurm jobs stay fenced with system.slice (srun privnuma cannot reach a private node); install the plugin and run 'privnuma fence apply' again\n"
    }
    return nil
  }

  /// The drop-ins the registry asks for, or why the registry cannot be fenced this way.
  static func wantedDropIns(_ machine: Machine, slurm: SystemdFence.SlurmLayout? = nil) -> Result<[SystemdFence.DropIn], Failure> {
    let rootMems = rootMems(machine)
    var optIns: [(node: Int, cgroup: String)] = []
    for node in machine.privateNodes where node.backend == .cpuset && rootMems.contains(node.id) {
      let relative = node.cgroup ?? ""
      if SystemdFence.slice(ofCgroup: relative) == nil {
        return .failure(.usage("\(node.source ?? "the registry"): \(SystemdFence.notASlice(relative)); e.g. Cgroup=privnuma.slice/privnuma-\(node.label).slice"))
      }
      optIns.append((node.id, String(CgroupPath(relative: relative).path.dropFirst())))
    }
    if optIns.isEmpty { return .success([]) }
    let open = rootMems.subtracting(NodeSet(optIns.map(\.node)))
    if open.isEmpty {
      return .failure(.usage("every node with memory (\(rootMems)) is a cpuset-backend private node; a fence would leave general processes no memory. Declare only the private nodes in the registry"))
    }
    return .success(SystemdFence.dropIns(open: open, optIns: optIns, registry: machine.roots.registry, slurm: slurm))
  }

  /// privnuma's drop-ins under `units`, found by their file names (no registry needed, so
  /// `remove` works after the registry is gone).
  static func installedDropIns(units: String) -> [InstalledDropIn] {
    DropInFiles(units: units).installed(named: [SystemdFence.fenceFile, SystemdFence.optInFile, SystemdFence.slurmFile]).map {
      InstalledDropIn(path: $0.path, contents: $0.contents)
    }
  }

  /// What `status` says about the drop-ins: each wanted one ok, missing or changed; stale
  /// ones (left from an older registry) too.
  struct DropInState: Equatable, Sendable {
    var path: String
    /// `ok`, `missing`, `changed` or `stale`.
    var state: String
  }

  static func dropInStates(wanted: [SystemdFence.DropIn], units: String) -> [DropInState] {
    let installed = installedDropIns(units: units)
    var states: [DropInState] = wanted.map { dropIn in
      let path = units + "/" + dropIn.path
      guard let found = installed.first(where: { $0.path == path }) else { return DropInState(path: path, state: "missing") }
      return DropInState(path: path, state: found.contents == dropIn.contents ? "ok" : "changed")
    }
    for found in installed where !wanted.contains(where: { units + "/" + $0.path == found.path }) {
      states.append(DropInState(path: found.path, state: "stale"))
    }
    return states
  }

  static func systemdApplying(_ machine: Machine, dryRun: Bool, systemd: Systemd) -> Transcript {
    var transcript = Transcript(.apply, dryRun: dryRun, roots: machine.roots)
    transcript.mechanism = .systemd
    let units = systemd.unitDirectory
    let slurm = slurmLayout(systemd: systemd, roots: machine.roots)
    transcript.layout = slurmLine(slurm, systemd: systemd)?.trimmingWhitespace()
    let wanted: [SystemdFence.DropIn]
    switch wantedDropIns(machine, slurm: slurm) {
    case .failure(let failure):
      transcript.stop(failure)
      return transcript
    case .success(let files): wanted = files
    }
    if wanted.isEmpty {
      transcript.verdict = "no private node with backend cpuset is online: nothing to fence"
      return transcript
    }
    let installed = installedDropIns(units: units)
    func found(_ path: String) -> String? { installed.first { $0.path == path }?.contents }
    let writes = wanted.filter { found(units + "/" + $0.path) != $0.contents }
    let removals = installed.filter { file in !wanted.contains { units + "/" + $0.path == file.path } }
    let steps = writes.map { Step.dropIn(path: units + "/" + $0.path, before: found(units + "/" + $0.path), after: $0.contents) }
      + removals.map { Step.dropIn(path: $0.path, before: $0.contents, after: nil) }
    let drifted = !Report(machine: machine, systemd: systemd).allFenced
    if steps.isEmpty && !drifted {
      transcript.fenced = dryRun ? nil : true
      transcript.verdict = (dryRun ? "dry run: nothing would change" : "nothing to change")
        + ": the systemd configuration fences every cpuset-backend private node"
      return transcript
    }
    if dryRun {
      for step in steps { transcript.record(step, .planned) }
      transcript.record(.daemonReload, .planned)
      let files = steps.count
      transcript.verdict = "dry run: \(files) file\(files == 1 ? "" : "s") would change; nothing was changed"
      return transcript
    }
    let files = DropInFiles(units: units)
    // Every file is staged before any is renamed into place: all of them or none.
    if let failure = files.writeAll(writes.map { ($0.directory, $0.file, $0.contents) }) {
      transcript.stop(failure)
      return transcript
    }
    for step in steps.prefix(writes.count) { transcript.record(step, .done) }
    for step in steps.dropFirst(writes.count) {
      guard case .dropIn(let path, _, _) = step else { continue }
      if let failure = files.remove(path) {
        transcript.record(step, .failed(failure))
        transcript.stop(failure)
        return transcript
      }
      transcript.record(step, .done)
    }
    if let failure = systemd.reload() {
      transcript.record(.daemonReload, .failed(failure))
      transcript.stop(failure)
      return transcript
    }
    transcript.record(.daemonReload, .done)
    transcript.fenced = Report(machine: machine, systemd: systemd).allFenced
    if transcript.fenced == true {
      transcript.verdict = "fence applied as systemd configuration: every cpuset-backend private node is fenced"
    } else {
      transcript.failure = .system("the drop-ins are in place but the fence is not complete; 'privnuma fence status' names what is left")
    }
    return transcript
  }

  // MARK: - remove

  static func remove(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.reportIgnoredOverrides()
    let transcript = removing(dryRun: options.has(.dryRun), environment)
    return FenceTranscriptOutput.render(transcript, asJSON: options.has(.json))
  }

  static func removing(dryRun: Bool, _ environment: Environment) -> Transcript {
    var transcript = Transcript(.remove, dryRun: dryRun, roots: environment.roots)
    let systemd = environment.systemd
    if !dryRun && environment.identity.uid != 0 {
      transcript.stop(.system("'privnuma fence remove' changes the systemd configuration of the whole machine, so it runs only as root (real uid 0); run 'sudo privnuma fence remove', or 'privnuma fence remove --dry-run' to see what it would change"))
      return transcript
    }
    guard systemd.isBooted else {
      transcript.verdict = "nothing to remove: this host does not run systemd, so the fence is cgroup state that 'fence apply' wrote and that ends at the next boot"
      return transcript
    }
    transcript.mechanism = .systemd
    let units = systemd.unitDirectory
    let installed = installedDropIns(units: units)
    if installed.isEmpty {
      transcript.verdict = "nothing to remove: no privnuma drop-ins under \(units)"
      return transcript
    }
    let files = DropInFiles(units: units)
    for file in installed {
      let step = Step.dropIn(path: file.path, before: file.contents, after: nil)
      if dryRun {
        transcript.record(step, .planned)
      } else if let failure = files.remove(file.path) {
        transcript.record(step, .failed(failure))
        transcript.stop(failure)
        return transcript
      } else {
        transcript.record(step, .done)
      }
    }
    if dryRun {
      transcript.record(.daemonReload, .planned)
    } else if let failure = systemd.reload() {
      transcript.record(.daemonReload, .failed(failure))
      transcript.stop(failure)
      return transcript
    } else {
      transcript.record(.daemonReload, .done)
    }
    for slice in optInSlices(installed.map(\.path)) {
      switch sliceState(slice, cgroupRoot: environment.roots.cgroup, proc: environment.roots.proc) {
      case .inactive:
        continue
      case .empty:
        let step = Step.stopSlice(slice, processes: 0)
        if dryRun {
          transcript.record(step, .planned)
        } else if let failure = systemd.stop(slice) {
          transcript.record(step, .failed(failure))
          transcript.stop(failure)
          return transcript
        } else {
          transcript.record(step, .done)
        }
      case .holding(let count):
        transcript.record(.stopSlice(slice, processes: count), .skipped("\(count) process\(count == 1 ? "" : "es") in it or below it; it keeps its cpuset.mems until they end ('systemctl stop \(slice)' ends them)"))
      }
    }
    transcript.verdict = dryRun ? "dry run: nothing was changed" : ""
    return transcript
  }

  /// The opt-in slices named by `paths` (their `91-…` drop-ins), innermost first, so that a
  /// slice is stopped before the slice it sits in.
  static func optInSlices(_ paths: [String]) -> [String] {
    let slices = paths.compactMap(SystemdFence.optInSlice(ofDropIn:))
    return slices.sorted { ($0.split(separator: "-").count, $1) > ($1.split(separator: "-").count, $0) }
  }

  /// An opt-in slice as `remove` finds it after the reload.
  enum SliceState: Equatable {
    /// systemd has no cgroup for it: not active, nothing to stop.
    case inactive
    /// Active, but no process in it or below it (`cgroup.events`: `populated 0`).
    case empty
    /// Processes in it or below it.
    case holding(Int)
  }

  static func sliceState(_ slice: String, cgroupRoot: String, proc: String) -> SliceState {
    let directory = SystemdFence.cgroup(ofSlice: slice).directory(under: cgroupRoot)
    guard let events = FileSystem.readIfPresent(directory + "/cgroup.events") else { return .inactive }
    if events.split(separator: "\n").contains("populated 0") { return .empty }
    var count = 0
    CgroupTree.walk(mount: directory, rootMems: NodeSet()) { _, cgroup, _ in
      count += CgroupTree.processes(cgroup, proc: proc).count
    }
    return .holding(count)
  }
}
