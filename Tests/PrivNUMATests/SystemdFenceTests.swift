import Foundation
import Testing

@testable import PrivNUMA

/// The fence as systemd drop-ins, and where a launch may run (`Placement`). The real systemd
/// applies them in the VM suite's systemd guest (Tests/vm/systemd/scenarios/10-*, 11-*).
@Suite struct SystemdFenceTests {
  @Test func slicePathsNameTheirLastSlice() {
    #expect(SystemdFence.slice(ofCgroup: "privnuma.slice/privnuma-cxl0.slice") == "privnuma-cxl0.slice")
    #expect(SystemdFence.slice(ofCgroup: "cxl.slice") == "cxl.slice")
    #expect(SystemdFence.slice(ofCgroup: "a.slice/a-b.slice/a-b-c.slice") == "a-b-c.slice")
  }

  @Test func pathsSystemdWouldNotMakeAreNoSlices() {
    for path in [
      "privnuma.slice/cxl0", "privnuma.slice/other-cxl0.slice", "privnuma-cxl0.slice",
      "privnuma.slice/privnuma-a-b.slice", "x.service", "", "privnuma.slice/privnuma--x.slice",
    ] {
      #expect(SystemdFence.slice(ofCgroup: path) == nil, "\(path)")
    }
  }

  @Test func dropInsFenceEverySliceAndOpenEachOptInSlice() {
    let files = SystemdFence.dropIns(
      open: NodeSet([0, 1]),
      optIns: [(2, "privnuma.slice/privnuma-cxl0.slice"), (3, "privnuma.slice/privnuma-cxl1.slice")],
      registry: "/etc/privnuma/nodes.d")
    #expect(
      files.map(\.path) == [
        "slice.d/90-privnuma-fence.conf", "init.scope.d/90-privnuma-fence.conf", "mount.d/90-privnuma-fence.conf",
        "swap.d/90-privnuma-fence.conf", "privnuma-cxl0.slice.d/91-privnuma-opt-in.conf",
        "privnuma-cxl1.slice.d/91-privnuma-opt-in.conf", "privnuma.slice.d/91-privnuma-opt-in.conf",
      ])
    func setting(_ path: String) -> String? {
      files.first { $0.path == path }?.contents.split(separator: "\n").first { $0.hasPrefix("AllowedMemoryNodes=") }.map(String.init)
    }
    #expect(setting("slice.d/90-privnuma-fence.conf") == "AllowedMemoryNodes=0-1")
    #expect(setting("init.scope.d/90-privnuma-fence.conf") == "AllowedMemoryNodes=0-1")
    #expect(setting("privnuma-cxl0.slice.d/91-privnuma-opt-in.conf") == "AllowedMemoryNodes=0-2")
    #expect(setting("privnuma-cxl1.slice.d/91-privnuma-opt-in.conf") == "AllowedMemoryNodes=0-1,3")
    #expect(setting("privnuma.slice.d/91-privnuma-opt-in.conf") == "AllowedMemoryNodes=0-3")
    #expect(files.first { $0.directory == "init.scope.d" }?.contents.contains("[Scope]") == true)
    // systemd applies drop-ins in file-name order, the last assignment winning: the opt-in
    // file must sort after the type-wide fence.
    #expect(SystemdFence.fenceFile < SystemdFence.optInFile)
  }

  @Test func aThirdGeneralNodeIsInEveryList() {
    let files = SystemdFence.dropIns(open: NodeSet([0, 1, 4]), optIns: [(2, "p.slice/p-x.slice")], registry: "r")
    #expect(files.allSatisfy { $0.contents.contains("AllowedMemoryNodes=0-1,4") || $0.contents.contains("AllowedMemoryNodes=0-2,4") })
  }

  @Test func onASlurmNodeSystemSliceAndTheStepdScopeStayOpenAndUnitsAreFencedByType() {
    let files = SystemdFence.dropIns(
      open: NodeSet([0, 1]), optIns: [(2, "privnuma.slice/privnuma-cxl0.slice")], registry: "r",
      slurm: SystemdFence.SlurmLayout(scopes: ["slurmstepd.scope", "vm_slurmstepd.scope"]))
    func setting(_ path: String) -> String? {
      files.first { $0.path == path }?.contents.split(separator: "\n").first { $0.hasPrefix("AllowedMemoryNodes=") }.map(String.init)
    }
    #expect(setting("slice.d/90-privnuma-fence.conf") == "AllowedMemoryNodes=0-1")
    for type in ["service", "socket", "scope"] {
      #expect(setting("\(type).d/90-privnuma-fence.conf") == "AllowedMemoryNodes=0-1", "\(type)")
    }
    #expect(files.first { $0.directory == "socket.d" }?.contents.contains("[Socket]") == true)
    #expect(setting("system.slice.d/91-privnuma-slurm.conf") == "AllowedMemoryNodes=0-2")
    #expect(setting("vm_slurmstepd.scope.d/91-privnuma-slurm.conf") == "AllowedMemoryNodes=0-2")
    #expect(setting("slurmstepd.scope.d/91-privnuma-slurm.conf") == "AllowedMemoryNodes=0-2")
    // privnuma's login scopes (privnuma-PID.scope) and services named after their opt-in
    // slice inherit it.
    #expect(setting("privnuma-.scope.d/91-privnuma-slurm.conf") == "AllowedMemoryNodes=")
    #expect(setting("privnuma-cxl0-.service.d/91-privnuma-slurm.conf") == "AllowedMemoryNodes=")
    // Not every privnuma-*.service: a system service so named stays fenced.
    #expect(setting("privnuma-.service.d/91-privnuma-slurm.conf") == nil)
    #expect(setting("privnuma-cxl0.slice.d/91-privnuma-opt-in.conf") == "AllowedMemoryNodes=0-2")
    // The Slurm files must win over the type-wide fence too.
    #expect(SystemdFence.fenceFile < SystemdFence.slurmFile)
    // Without Slurm, nothing of it.
    let plain = SystemdFence.dropIns(open: NodeSet([0, 1]), optIns: [(2, "privnuma.slice/privnuma-cxl0.slice")], registry: "r")
    #expect(!plain.contains { $0.file == SystemdFence.slurmFile || $0.directory == "service.d" })
  }

  @Test func theStepdScopeIsNamedAsSlurmdNamesIt() {
    #expect(
      SystemdFence.SlurmLayout.scopes(hostname: "node7.cluster.example", existing: ["slurmd.service", "cn7_slurmstepd.scope"]).scopes
        == ["cn7_slurmstepd.scope", "node7_slurmstepd.scope", "slurmstepd.scope"])
    #expect(SystemdFence.SlurmLayout.scopes(hostname: "", existing: []).scopes == ["slurmstepd.scope"])
  }

  @Test func plugstackLoadsThePluginOnlyOnAPluginLine() {
    #expect(SystemdFence.SlurmLayout.loadsPlugin("required /usr/local/lib/privnuma/privnuma_spank.so\n"))
    #expect(SystemdFence.SlurmLayout.loadsPlugin("# site plugins\noptional\tprivnuma_spank.so privnuma=/opt/bin/privnuma\n"))
    #expect(!SystemdFence.SlurmLayout.loadsPlugin("# required /usr/local/lib/privnuma/privnuma_spank.so\n"))
    #expect(!SystemdFence.SlurmLayout.loadsPlugin("required /usr/lib/other_spank.so privnuma_spank.so\n"))
    #expect(!SystemdFence.SlurmLayout.loadsPlugin("include /etc/slurm/plugstack.conf.d/*.conf\n"))
  }

  static let optIn = "/privnuma.slice/privnuma-cxl0.slice"

  func decide(own: String?, mems: NodeSet, systemd: Bool) -> Placement {
    Placement.decide(
      optIn: Self.optIn, mount: "/sys/fs/cgroup", nodes: NodeSet([2]), own: own, mems: mems, systemd: systemd,
      fenceCgroups: [Self.optIn, "/privnuma-general"])
  }

  @Test func aLaunchWhoseCgroupAllowsTheNodeStays() {
    #expect(decide(own: Self.optIn + "/job.service", mems: NodeSet([0, 1, 2]), systemd: true) == .stay)
    // A scheduler's step cgroup granted the node: stays in the step.
    #expect(decide(own: "/system.slice/slurmstepd.scope/job_1/step_0/user/task_0", mems: NodeSet([0, 1, 2]), systemd: true) == .stay)
  }

  @Test func aLoginSessionGetsAScopeFromSystemd() {
    #expect(decide(own: "/user.slice/user-1001.slice/session-3.scope", mems: NodeSet([0, 1]), systemd: true) == .scope(slice: "privnuma-cxl0.slice"))
  }

  @Test func aUnitOutsideTheOptInSliceIsRefusedNotMoved() {
    guard case .refuse(let reason) = decide(own: "/system.slice/db.service", mems: NodeSet([0, 1]), systemd: true) else {
      Issue.record("a service's process would be moved")
      return
    }
    #expect(reason.contains("/system.slice/db.service"))
    #expect(reason.contains("Slice=privnuma-cxl0.slice"))
  }

  @Test func withoutSystemdOnlyTheRootAndTheFencesCgroupsJoin() {
    #expect(decide(own: "/", mems: NodeSet([0, 1]), systemd: false) == .join("/sys/fs/cgroup" + Self.optIn))
    #expect(decide(own: "/privnuma-general", mems: NodeSet([0, 1]), systemd: false) == .join("/sys/fs/cgroup" + Self.optIn))
    guard case .refuse(let reason) = decide(own: "/docker/abc", mems: NodeSet([0, 1]), systemd: false) else {
      Issue.record("a container's process would be moved")
      return
    }
    #expect(reason.contains("/docker/abc"))
  }

  @Test func loginSessionsAreSessionScopes() {
    #expect(Placement.isLoginSession("/user.slice/user-1000.slice/session-4.scope"))
    #expect(!Placement.isLoginSession("/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope"))
    #expect(!Placement.isLoginSession("/system.slice/cron.service"))
  }
}

/// A systemd that records what it is asked (`reload`, `stop UNIT`, `scope in SLICE`)
/// over a fixture unit directory.
final class RecordingSystemd: Systemd, @unchecked Sendable {
  let unitDirectory: String
  let slurmDirectory: String
  let isBooted: Bool
  let ownsTree: Bool
  var calls: [String] = []

  init(owns: Bool, unitDirectory: String = "/nonexistent/systemd/system", slurmDirectory: String = "/nonexistent/slurm") {
    self.unitDirectory = unitDirectory
    self.slurmDirectory = slurmDirectory
    self.isBooted = owns
    self.ownsTree = owns
  }

  func owns(cgroupRoot: String) -> Bool { ownsTree }
  func reload() -> Failure? {
    calls.append("reload")
    return nil
  }
  func stop(_ unit: String) -> Failure? {
    calls.append("stop \(unit)")
    return nil
  }
  func startScope(slice: String, description: String) -> Failure? {
    calls.append("scope in \(slice)")
    return nil
  }
}

/// `fence apply` and `fence remove` on a systemd host, over a scratch unit directory and
/// cgroup tree; the real systemd 252 runs the same in the VM suite's 10-systemd-fence.
@Suite struct SystemdFenceCommandTests {
  static let registry = [
    Fixture.declared(2, "cxl0", cgroup: "privnuma.slice/privnuma-cxl0.slice", allowGroups: ["cram"]),
    Fixture.declared(3, "cxl1", cgroup: "privnuma.slice/privnuma-cxl1.slice"),
  ]

  /// A scratch directory, removed after `body`.
  func scratch(_ body: (String) throws -> Void) throws {
    var template = Array("/tmp/privnuma-systemd-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    let directory = try #require(made.map { String(cString: $0) })
    defer { _ = system("rm -rf '\(directory)'") }
    try body(directory)
  }

  /// Root on a systemd host whose cgroup tree is `cgroup` (nothing else is read).
  static func root(cgroup: String, systemd: Systemd) -> Environment {
    var environment = Environment(
      roots: Roots(sysfs: "/nonexistent", proc: "/nonexistent", cgroup: cgroup, registry: "/nonexistent"),
      privilege: Privilege(elevated: false), identity: MigrateTests.root, names: Fixture.names, kernel: SystemKernel(),
      systemd: systemd)
    environment.ignoredOverrides = []
    return environment
  }

  func write(_ text: String, _ path: String) throws {
    _ = system("mkdir -p '\(String(path[..<path.lastIndex(of: "/")!]))'")
    try text.write(toFile: path, atomically: false, encoding: .utf8)
  }

  @Test func slicesHaveTheCgroupsSystemdGivesThem() {
    #expect(SystemdFence.cgroup(ofSlice: "privnuma-cxl0.slice") == "/privnuma.slice/privnuma-cxl0.slice")
    #expect(SystemdFence.cgroup(ofSlice: "privnuma.slice") == "/privnuma.slice")
    #expect(SystemdFence.optInSlice(ofDropIn: "/etc/systemd/system/privnuma-cxl0.slice.d/91-privnuma-opt-in.conf") == "privnuma-cxl0.slice")
    #expect(SystemdFence.optInSlice(ofDropIn: "/etc/systemd/system/slice.d/90-privnuma-fence.conf") == nil)
    #expect(Fence.optInSlices([
      "/u/privnuma.slice.d/91-privnuma-opt-in.conf", "/u/privnuma-cxl1.slice.d/91-privnuma-opt-in.conf",
      "/u/privnuma-cxl0.slice.d/91-privnuma-opt-in.conf",
    ]) == ["privnuma-cxl0.slice", "privnuma-cxl1.slice", "privnuma.slice"])
  }

  @Test func applyWritesTheDropInsThenReloads() throws {
    try scratch { directory in
      let systemd = RecordingSystemd(owns: true, unitDirectory: directory)
      let machine = FenceTests.machine("cgroup-unfenced", declared: Self.registry)
      _ = Fence.systemdApplying(machine, dryRun: true, systemd: systemd)
      #expect(Fence.installedDropIns(units: directory).isEmpty, "the dry run wrote files")
      #expect(systemd.calls.isEmpty)

      _ = Fence.systemdApplying(machine, dryRun: false, systemd: systemd)
      let installed = Fence.installedDropIns(units: directory)
      #expect(installed.map { String($0.path.dropFirst(directory.count + 1)) }.sorted() == [
        "init.scope.d/90-privnuma-fence.conf", "mount.d/90-privnuma-fence.conf",
        "privnuma-cxl0.slice.d/91-privnuma-opt-in.conf", "privnuma-cxl1.slice.d/91-privnuma-opt-in.conf",
        "privnuma.slice.d/91-privnuma-opt-in.conf", "slice.d/90-privnuma-fence.conf", "swap.d/90-privnuma-fence.conf",
      ])
      #expect(installed.first { $0.path.hasSuffix("/slice.d/90-privnuma-fence.conf") }?.contents.contains("AllowedMemoryNodes=0-1\n") == true)
      #expect(systemd.calls == ["reload"])
      let wanted = try Fence.wantedDropIns(machine).get()
      #expect(Fence.dropInStates(wanted: wanted, units: directory).allSatisfy { $0.state == "ok" })
      // No temporary file is left next to them.
      #expect(FileSystem.list(directory + "/slice.d").map { $0 == ["90-privnuma-fence.conf"] } == .success(true))
    }
  }

  @Test func onASlurmNodeWithThePluginApplyOpensTheStepdScopeAndRemoveTakesItAll() throws {
    try scratch { directory in
      let units = directory + "/units"
      _ = system("mkdir -p '\(units)'")
      try write("include /etc/slurm/plugstack.conf.d/*.conf\n", directory + "/slurm/plugstack.conf")
      let systemd = RecordingSystemd(owns: true, unitDirectory: units, slurmDirectory: directory + "/slurm")
      let machine = FenceTests.machine("cgroup-unfenced", declared: Self.registry)
      #expect(Fence.slurmLayout(systemd: systemd, roots: machine.roots) == nil, "a plugstack.conf without the plugin opened Slurm")
      #expect(Fence.slurmLine(nil, systemd: systemd) == nil, "no slurm.conf, yet a Slurm line")
      try write("ClusterName=c\n", directory + "/slurm/slurm.conf")
      #expect(Fence.slurmLine(nil, systemd: systemd)?.contains("does not load privnuma_spank.so") == true)
      try write("required /usr/local/lib/privnuma/privnuma_spank.so\n", directory + "/slurm/plugstack.conf.d/privnuma.conf")
      let layout = try #require(Fence.slurmLayout(systemd: systemd, roots: machine.roots))
      #expect(layout.scopes.contains("slurmstepd.scope"))
      #expect(Fence.slurmLine(layout, systemd: systemd)?.contains("system.slice and slurmstepd.scope keep the private nodes") == true)

      _ = Fence.systemdApplying(machine, dryRun: false, systemd: systemd)
      let installed = Fence.installedDropIns(units: units).map { String($0.path.dropFirst(units.count + 1)) }
      for path in [
        "system.slice.d/91-privnuma-slurm.conf", "slurmstepd.scope.d/91-privnuma-slurm.conf",
        "service.d/90-privnuma-fence.conf", "scope.d/90-privnuma-fence.conf", "socket.d/90-privnuma-fence.conf",
        "privnuma-.scope.d/91-privnuma-slurm.conf", "slice.d/90-privnuma-fence.conf",
      ] {
        #expect(installed.contains(path), "\(path)")
      }
      let wanted = try Fence.wantedDropIns(machine, slurm: layout).get()
      #expect(Fence.dropInStates(wanted: wanted, units: units).allSatisfy { $0.state == "ok" })
      // fence status --json carries the same layout line as apply's document.
      let status = Fence.Report(machine: machine, systemd: systemd).json.rendered(pretty: false)
      #expect(status.contains(#""layout":"slurm: \#(directory)/slurm/plugstack.conf loads privnuma_spank.so: system.slice"#), "\(status)")
      #expect(status.contains(#""systemd_problem":null"#))
      // Slurm's files are no opt-in slices: remove never stops system.slice.
      #expect(Fence.optInSlices(installed).allSatisfy { $0.hasPrefix("privnuma") })

      let environment = Environment(
        roots: Roots(sysfs: "/nonexistent", proc: "/nonexistent", cgroup: directory + "/cgroup", registry: "/nonexistent"),
        privilege: Privilege(elevated: false), identity: MigrateTests.root, names: Fixture.names, kernel: SystemKernel(),
        systemd: systemd)
      #expect(Command.fence.invoke(["remove"], environment) == .success(0))
      #expect(Fence.installedDropIns(units: units).isEmpty)
    }
  }

  @Test func aCgroupThatIsNoSliceIsRefusedBeforeAnythingIsWritten() throws {
    try scratch { directory in
      let systemd = RecordingSystemd(owns: true, unitDirectory: directory)
      let machine = FenceTests.machine("cgroup-unfenced")
      guard let failure = Fence.systemdApplying(machine, dryRun: false, systemd: systemd).failure else {
        Issue.record("Cgroup=privnuma.slice/cxl0 was fenced as a slice")
        return
      }
      #expect(failure.kind == .usage && failure.message.contains("privnuma.slice/privnuma-cxl0.slice"))
      #expect(Fence.installedDropIns(units: directory).isEmpty && systemd.calls.isEmpty)
      // fence status --json says why, beside fenced: false.
      let status = Fence.Report(machine: machine, systemd: systemd).json.rendered(pretty: false)
      let problem = status.split(separator: #""systemd_problem":"#).last?.prefix(while: { $0 != "\n" }) ?? ""
      #expect(problem.hasPrefix("\"") && problem.contains("privnuma.slice/privnuma-cxl0.slice"), "\(status)")
      #expect(status.contains(#""fenced":false"#))
    }
  }

  @Test func removeDeletesTheDropInsAndStopsOnlyEmptiedOptInSlices() throws {
    try scratch { directory in
      let units = directory + "/units"
      let cgroup = directory + "/cgroup"
      for path in [
        "slice.d/90-privnuma-fence.conf", "init.scope.d/90-privnuma-fence.conf",
        "privnuma-cxl0.slice.d/91-privnuma-opt-in.conf", "privnuma-cxl1.slice.d/91-privnuma-opt-in.conf",
        "privnuma.slice.d/91-privnuma-opt-in.conf", "other.slice.d/50-admin.conf",
      ] {
        try write("[Slice]\n", units + "/" + path)
      }
      // cxl0's slice ran a unit that ended; cxl1's runs one (pid 42); the parent holds it.
      try write("populated 0\nfrozen 0\n", cgroup + "/privnuma.slice/privnuma-cxl0.slice/cgroup.events")
      try write("populated 1\nfrozen 0\n", cgroup + "/privnuma.slice/privnuma-cxl1.slice/cgroup.events")
      try write("42\n", cgroup + "/privnuma.slice/privnuma-cxl1.slice/job.service/cgroup.procs")
      try write("populated 1\nfrozen 0\n", cgroup + "/privnuma.slice/cgroup.events")
      let systemd = RecordingSystemd(owns: true, unitDirectory: units)
      let environment = Self.root(cgroup: cgroup, systemd: systemd)

      #expect(Command.fence.invoke(["remove", "--dry-run"], environment) == .success(0))
      #expect(Fence.installedDropIns(units: units).count == 5 && systemd.calls.isEmpty)

      #expect(Command.fence.invoke(["remove"], environment) == .success(0))
      #expect(Fence.installedDropIns(units: units).isEmpty)
      #expect(FileSystem.exists(units + "/other.slice.d/50-admin.conf"), "an administrator's drop-in was removed")
      #expect(!FileSystem.exists(units + "/slice.d"), "the emptied drop-in directory stayed")
      #expect(systemd.calls == ["reload", "stop privnuma-cxl0.slice"])
      #expect(Fence.sliceState("privnuma-cxl1.slice", cgroupRoot: cgroup, proc: "/nonexistent") == .holding(1))

      // Nothing left: exit 0 and no reload.
      #expect(Command.fence.invoke(["remove"], environment) == .success(0))
      #expect(systemd.calls == ["reload", "stop privnuma-cxl0.slice"])
    }
  }

  @Test func removeRefusesNonRoot() {
    let environment = Environment(
      roots: FenceTests.roots("cgroup-unfenced"), privilege: Privilege(elevated: false), identity: Fixture.bob,
      names: Fixture.names, kernel: SystemKernel(), systemd: RecordingSystemd(owns: true))
    guard case .failure(let failure) = Command.fence.invoke(["remove"], environment) else {
      Issue.record("bob may remove the fence")
      return
    }
    #expect(failure.message.contains("only as root"))
  }
}
