/// `privnuma online DEVICE` / `privnuma offline DEVICE`: dax memory (CXL expanders, HBM,
/// soft-reserved memory) given to the page allocator as a private node, fenced before its
/// first block goes online, and taken back.
///
/// Online, in order: the registry must declare the device's target node with a cpuset
/// fence; `fence apply` fences every cgroup ahead of the node and closes the hotplug leak
/// paths (auto-online); the device moves from device_dax to kmem (through the kernel's own
/// private onlining when its dax attributes offer it); each block goes online to
/// ZONE_MOVABLE; `fence apply` again gives the node to its opt-in cgroup; then the fence is
/// verified and no process outside the opt-in cgroups may hold a page there. Any failure
/// after the device left device_dax takes the memory back offline and says what happened.
extension Command {
  static let online = Command(
    name: "online", summary: "put a dax device's memory online as its private node, fenced first (root)",
    synopsis: "DEVICE",
    about: "Gives dax device DEVICE (e.g. dax0.0, see 'privnuma hardware') to the page allocator as its target node, which the registry must declare private with a Cgroup= fence: the fence goes in place first, the memory goes online to ZONE_MOVABLE (kernel allocations stay off it), the node joins its opt-in cgroup, then the fence, the leak paths and every process's pages are checked. If a step fails, the memory goes back offline and the device back to device_dax. Root only.",
    options: [.launch(.registry), .launch(.help)], operands: .values(.text, max: 1),
    examples: ["sudo privnuma online dax0.0"],
    manual: #"""
      (root) Gives the memory of dax device
      .I DEVICE
      (e.g.
      .BR dax0.0 ;
      .B hardware
      lists them) to the page allocator as its target node, which the registry must declare
      private with a
      .B Cgroup=
      fence.
      In this order: the fence goes in place first (as
      .BR "fence apply" :
      every cgroup that would inherit the node gets explicit mems, processes leave the root
      cgroup, auto-onlining is turned off), the device moves from
      .B device_dax
      to
      .BR kmem ,
      each memory block goes online to ZONE_MOVABLE, the node joins its opt-in cgroup, and then
      the fence, the leak paths and every process's pages are checked.
      At no point can a process outside the opt-in cgroup allocate there.
      If a step fails after the device left
      .BR device_dax ,
      its memory goes back offline, the device back to
      .BR device_dax ,
      and the message says what happened.
      Where the kernel offers its own private onlining (dax attributes
      .BR private ,
      .BR user_numa ,
      .BR mm_capabilities ),
      those are written before the device goes to kmem, and a registry entry without
      .B Cgroup=
      is enough: the kernel itself keeps the node private.
      """#,
    run: { Online.run($0, $1, online: true) })

  static let offline = Command(
    name: "offline", summary: "take a dax device's memory offline, back to device_dax (root)",
    synopsis: "DEVICE",
    about: "Takes the memory of dax device DEVICE offline (the kernel migrates its pages to other nodes) and gives the device back to device_dax. A block whose pages cannot move stays online, and so do the blocks offlined before it. Root only.",
    options: [.launch(.registry), .launch(.help)], operands: .values(.text, max: 1),
    examples: ["sudo privnuma offline dax0.0"],
    manual: #"""
      (root) Takes the device's memory offline (the kernel migrates its pages away) and gives
      the device back to
      .BR device_dax .
      A block whose pages cannot move stays online, and so do the blocks offlined before it.
      """#,
    run: { Online.run($0, $1, online: false) })
}

enum Online {
  static func run(_ options: Command.Arguments, _ environment: Environment, online: Bool) -> Result<Int32, Failure> {
    let command = online ? "online" : "offline"
    guard let name = options.operands.first else {
      return .failure(.usage("'privnuma \(command)' needs a dax device, e.g. 'privnuma \(command) dax0.0' ('privnuma hardware' lists them)"))
    }
    environment.reportIgnoredOverrides()
    if environment.identity.uid != 0 {
      return .failure(.system("'privnuma \(command)' changes the machine's memory, so it runs only as root (real uid 0); run 'sudo privnuma \(command) \(name)'"))
    }
    let registry = options.value(.registry)
    return environment.machine(registry: registry).flatMap { machine in
      let inventory = MemoryInventory(sysfs: machine.roots.sysfs)
      guard let device = inventory.device(named: name) else {
        let known = inventory.devices.map(\.dax.name)
        return .failure(.usage("no dax device '\(name)' (\(known.isEmpty ? "this machine has none: is device_dax loaded?" : "devices: " + known.joined(separator: ", "))); 'privnuma hardware' lists them"))
      }
      let reload = { environment.machine(registry: registry) }
      return online ? bringOnline(device, machine, writer: environment.cgroups, systemd: environment.systemd, reload: reload) : takeOffline(device, machine)
    }
  }

  static func say(_ line: String) { Diagnostics.output(line + "\n") }

  // MARK: - online

  static func bringOnline(
    _ device: MemoryInventory.Device, _ machine: Machine, writer: CgroupWriter, systemd: Systemd,
    reload: () -> Result<Machine, Failure>
  ) -> Result<Int32, Failure> {
    let sysfs = machine.roots.sysfs
    let name = device.dax.name
    guard let nodeID = device.dax.targetNode else {
      return .failure(.refused("\(name) has no target node, so its memory would join no known node; privnuma onlines only memory that becomes a node the registry declares"))
    }
    guard let node = machine.privateNode(nodeID) else {
      return .failure(.refused("\(name) becomes node \(nodeID), which the registry does not declare private; declare it first (a file in \(machine.roots.registry) with Id=\(nodeID) and Cgroup=, see privnuma.conf(5)), or online it with daxctl if it is meant to be general memory"))
    }
    if device.state == .systemRAM {
      say("\(name) is already online as node \(nodeID) (\(node.label)); checking its fence")
      return reload().flatMap { verify(node, machine: $0, systemd: systemd) }
    }
    // Where the kernel onlines the device as private itself, the kernel is the fence.
    let privateOnlining = PrivateOnlining(device.dax, capabilities: node.capabilities)
    guard node.backend == .cpuset || node.backend == .kernel || privateOnlining != nil else {
      return .failure(.refused("\(name) becomes node \(nodeID), which the registry declares without a fence (no Cgroup=) and this kernel cannot online as private; add Cgroup= to \(node.source ?? machine.roots.registry) (see privnuma.conf(5))"))
    }
    if node.backend == .cpuset {
      say("fencing node \(nodeID) (\(node.label)) before its memory goes online:")
      if case .failure(let failure) = FenceTranscriptOutput.render(
        Fence.applying(machine, dryRun: false, writer: writer, systemd: systemd), asJSON: false) {
        return .failure(Failure(failure.kind, "nothing was onlined: the fence could not be put in place first: \(failure.message)"))
      }
      let ahead = LeakPaths.inheritingCgroups(
        roots: machine.roots, outside: machine.privateNodes.compactMap { $0.cgroup.map { CgroupPath(relative: $0) } })
      if !ahead.isEmpty {
        return .failure(.system("nothing was onlined: cgroups with processes still inherit every node (\(ahead.joined(separator: ", "))) and would reach node \(nodeID) once online; 'privnuma fence status' says why"))
      }
    }
    if let policy = MemoryBlocks.autoOnlinePolicy(sysfs: sysfs), policy != "offline", privateOnlining == nil {
      return .failure(.system("nothing was onlined: auto_online_blocks is '\(policy)', so the kernel would online \(name)'s memory by itself; 'privnuma fence apply' sets it to offline"))
    }

    // From here on, a failure takes the memory back offline.
    if let privateOnlining {
      say("using the kernel's private onlining: \(privateOnlining.description)")
      for write in privateOnlining.writes {
        if case .failure(let error) = DaxDevices.setAttribute(write.attribute, of: name, to: write.value, sysfs: sysfs) {
          return .failure(.system("nothing was onlined: writing \(write.attribute)=\(write.value) for \(name) failed with \(error)"))
        }
      }
    }
    if case .failure(let error) = DaxDevices.rebind(name, to: "kmem", sysfs: sysfs) {
      let back = rollBack(name, sysfs: sysfs)
      return .failure(.system("cannot give \(name) to kmem: \(error) (is kmem.ko loaded?); \(back)"))
    }
    say("\(name): bound to kmem")
    let blocks = MemoryInventory(sysfs: sysfs).device(named: name)?.blocks ?? []
    if blocks.isEmpty {
      let back = rollBack(name, sysfs: sysfs)
      return .failure(.system("kmem added no memory block for \(name) (its range may be in use); \(back)"))
    }
    for block in blocks {
      if block.online {
        guard block.zones == ["Movable"] else {
          let back = rollBack(name, sysfs: sysfs)
          return .failure(.system("memory\(block.index) of \(name) came online by itself in zone \(block.zones.joined(separator: ",")) (auto-online); \(back)"))
        }
        continue
      }
      if case .failure(let error) = MemoryBlocks.setState("online_movable", block: block.index, sysfs: sysfs) {
        let back = rollBack(name, sysfs: sysfs)
        return .failure(.system("cannot online memory\(block.index) of \(name) to ZONE_MOVABLE: \(error); \(back)"))
      }
    }
    say("\(name): \(blocks.count) memory block\(blocks.count == 1 ? "" : "s") online in ZONE_MOVABLE as node \(nodeID)")
    CgroupTree.awaitRootMems(including: nodeID, mount: machine.roots.cgroup)

    let onlineMachine: Machine
    switch reload() {
    case .failure(let failure):
      let back = rollBack(name, sysfs: sysfs)
      return .failure(Failure(failure.kind, "\(failure.message); \(back)"))
    case .success(let read): onlineMachine = read
    }
    if node.backend == .cpuset {
      say("giving node \(nodeID) to its opt-in cgroup:")
      if case .failure(let failure) = FenceTranscriptOutput.render(
        Fence.applying(onlineMachine, dryRun: false, writer: writer, systemd: systemd), asJSON: false) {
        let back = rollBack(name, sysfs: sysfs)
        return .failure(Failure(failure.kind, "\(failure.message); \(back)"))
      }
    }
    let verdict = verify(node, machine: onlineMachine, systemd: systemd)
    if case .failure(let failure) = verdict {
      let back = rollBack(name, sysfs: sysfs)
      return .failure(Failure(failure.kind, "\(failure.message); \(back)"))
    }
    return verdict
  }

  /// The fence of `node` holds, no leak path is open, and no process outside its opt-in
  /// cgroup has a page there.
  static func verify(_ node: PrivateNode, machine: Machine, systemd: Systemd) -> Result<Int32, Failure> {
    let report = Fence.Report(machine: machine, systemd: systemd)
    guard let state = report.nodes.first(where: { $0.node.id == node.id }) else {
      return .failure(.system("node \(node.id) is not among the private nodes after onlining"))
    }
    if !state.fenced || !state.ready {
      return .failure(.system("node \(node.id) (\(node.label)) is not fenced after onlining: \(state.note)"))
    }
    let open = report.leakPaths.filter { $0.node == node.id || $0.node == nil }
    if let first = open.first {
      return .failure(.system("node \(node.id) (\(node.label)) has an open leak path after onlining: \(first.problem)"))
    }
    switch AuditReport.scan(machine: machine, systemd: systemd) {
    case .failure(let failure):
      return .failure(failure)
    case .success(let audit):
      let strays = audit.violations.filter { $0.node == node.id }
      if !strays.isEmpty {
        let list = strays.prefix(5).map { "\($0.process): \($0.pages) pages" }.joined(separator: "; ")
        return .failure(.system("processes outside the opt-in cgroup hold pages on node \(node.id): \(list)"))
      }
      say("node \(node.id) (\(node.label)) is online and fenced: \(state.note); no process outside it has a page there (\(audit.scanned) processes scanned)")
      return .success(0)
    }
  }

  /// Takes the device's memory offline and gives it back to device_dax; the sentence says
  /// how that ended, for the message of the failure that called it.
  static func rollBack(_ name: String, sysfs: String) -> String {
    switch release(name, sysfs: sysfs) {
    case .success: return "its memory went back offline and \(name) back to device_dax"
    case .failure(let failure): return "taking it back offline failed too: \(failure.message)"
    }
  }

  /// Offlines every online block of the device (last first), then rebinds it to device_dax.
  static func release(_ name: String, sysfs: String) -> Result<Int, Failure> {
    let blocks = MemoryInventory(sysfs: sysfs).device(named: name)?.blocks ?? []
    var offlined: [Int] = []
    for block in blocks.reversed() where block.online {
      if case .failure(let error) = MemoryBlocks.setState("offline", block: block.index, sysfs: sysfs) {
        // Leave the device as it was rather than half offline.
        for index in offlined.reversed() { _ = MemoryBlocks.setState("online_movable", block: index, sysfs: sysfs) }
        return .failure(.system("memory\(block.index) of \(name) cannot go offline (\(error)\(error.rawValue == 16 ? ": pages there cannot be migrated away right now" : "")); it stays online"))
      }
      offlined.append(block.index)
    }
    if case .failure(let error) = DaxDevices.rebind(name, to: "device_dax", sysfs: sysfs) {
      return .failure(.system("\(name)'s memory is offline but it cannot go back to device_dax: \(error)"))
    }
    return .success(offlined.count)
  }

  // MARK: - offline

  static func takeOffline(_ device: MemoryInventory.Device, _ machine: Machine) -> Result<Int32, Failure> {
    let name = device.dax.name
    if device.state == .devdax {
      say("\(name) is not system RAM (device_dax): nothing to take offline")
      return .success(0)
    }
    return release(name, sysfs: machine.roots.sysfs).map { count in
      say("\(name): \(count) memory block\(count == 1 ? "" : "s") offline; back to device_dax\(device.dax.targetNode.map { ", node \($0) has no memory now" } ?? "")")
      return 0
    }
  }
}
