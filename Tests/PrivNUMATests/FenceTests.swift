import Glibc
import Testing

@testable import PrivNUMA

/// `fence status` and `fence apply`'s plan over fixture cgroup trees. The machine
/// (`cgroup-machine`): nodes 0-1 with CPUs, 2-3 memory-only; processes 1 init, 2 kthreadd and
/// 3 rcu_gp (kernel threads), 100 sh, 200 cron, 300 bash (uid 1002), 400 app (uid 1001),
/// 500 sleep, 600 job, 700 stray. The registry declares node 2 (cxl0) with
/// Cgroup=privnuma.slice/cxl0 and node 3 (cxl1) with Cgroup=privnuma.slice/cxl1.
@Suite struct FenceTests {
  static func roots(_ tree: String) -> Roots {
    let machine = Fixture.directory + "/cgroup-machine"
    return Roots(
      sysfs: machine + "/sys", proc: machine + "/proc", cgroup: Fixture.directory + "/" + tree,
      registry: machine + "/nodes.d")
  }

  static let registry = [
    Fixture.declared(2, "cxl0", cgroup: "privnuma.slice/cxl0", allowGroups: ["cram"]),
    Fixture.declared(3, "cxl1", cgroup: "privnuma.slice/cxl1"),
  ]

  /// `kernelPrivate`: sysfs lists node 2 in has_private_memory (RFC v4).
  static func machine(_ tree: String, declared: [PrivateNode] = registry, kernelPrivate: Bool = false) -> Machine {
    var roots = roots(tree)
    if kernelPrivate { roots.sysfs += "-rfc" }
    return Machine(roots: roots, topology: Topology(roots: roots), declared: declared)
  }

  static func plan(_ tree: String, declared: [PrivateNode] = registry, kernelPrivate: Bool = false) throws(Failure) -> Fence.Plan {
    let machine = machine(tree, declared: declared, kernelPrivate: kernelPrivate)
    let read = Fence.Tree.read(mount: machine.roots.cgroup, proc: machine.roots.proc, allMems: NodeSet(0...3))
    return try Fence.plan(
      machine: machine, tree: read,
      isKernelThread: { Processes.isKernelThread(proc: machine.roots.proc, pid: $0) },
      command: { Processes.info(proc: machine.roots.proc, pid: $0).command })
  }

  func leakPaths(_ state: Fence.NodeState) -> [String] { state.leaks.map(\.cgroup) }

  // MARK: - Reading the tree

  @Test func treeInheritsMemsWithoutTheCpusetController() {
    let tree = Fence.Tree.read(mount: Self.roots("cgroup-unfenced").cgroup, proc: "/nonexistent", allMems: NodeSet(0...3))
    #expect(tree.cgroups.map(\.path) == ["/", "/system.slice", "/user.slice", "/user.slice/user-1002"])
    #expect(tree.root.effective == NodeSet(0...3))
    #expect(tree.root.cpusetForChildren)
    #expect(tree.root.pids == [1, 2, 3, 100])
    #expect(tree.cgroup("/system.slice")?.mems == NodeSet())
    #expect(tree.cgroup("/user.slice")?.mems == NodeSet([0, 2]))
    let user = tree.cgroup("/user.slice/user-1002")
    #expect(user?.mems == nil)
    #expect(user?.effective == NodeSet([0, 2]))
    #expect(tree.children(of: "/").map(\.path) == ["/system.slice", "/user.slice"])
  }

  @Test func pathHelpers() {
    #expect(Fence.parent(of: "/a/b/c") == "/a/b")
    #expect(Fence.parent(of: "/a") == "/")
    #expect(Fence.ancestors(of: "/a/b/c") == ["/a", "/a/b"])
    #expect(Fence.ancestors(of: "/a").isEmpty)
    #expect(Cgroups.plainComponents("/sys/fs/cgroup/privnuma.slice/cxl0") == ["sys", "fs", "cgroup", "privnuma.slice", "cxl0"])
    #expect(Cgroups.plainComponents("/sys/fs/cgroup/../../etc") == nil)
    #expect(Cgroups.plainComponents("/sys/fs/cgroup/./x") == nil)
    #expect(Cgroups.plainComponents("relative/path") == nil)
  }

  // MARK: - status

  @Test func unfencedMachineNamesEveryCgroupAndProcess() {
    let report = Fence.Report(machine: Self.machine("cgroup-unfenced"))
    #expect(!report.allFenced)
    #expect(report.open == NodeSet([0, 1]))
    #expect(report.kernelThreads == 2)
    let node2 = report.nodes[0]
    #expect(node2.node.id == 2)
    #expect(!node2.fenced)
    #expect(!node2.ready)
    #expect(node2.optIn?.exists == false)
    #expect(leakPaths(node2) == ["/", "/system.slice", "/user.slice/user-1002"])
    // The root cgroup's processes are leaks, its kernel threads are not.
    #expect(node2.leaks[0].processes.map(\.pid) == [1, 100])
    #expect(node2.leaks[0].processes.map(\.command) == ["init", "sh"])
    #expect(node2.leaks[0].mems == NodeSet(0...3))
    #expect(node2.leaks[2].processes.map(\.pid) == [300] && node2.leaks[2].processes.first?.user.id == 1002)
    #expect(node2.leaks[0].processes.first?.user == NamedID.user(0, "root"))
    // user.slice keeps node 3 out already, so bash reaches node 2 only.
    #expect(leakPaths(report.nodes[1]) == ["/", "/system.slice"])

    let text = report.text
    #expect(text.contains("node 2 (cxl0): NOT FENCED"))
    #expect(text.contains("opt-in cgroup /privnuma.slice/cxl0: missing (launches on node 2 fail until 'privnuma fence apply' creates it)"))
    #expect(text.contains("  backend cpuset: 4 processes in 3 other cgroups can allocate there\n"))
    #expect(text.contains("reachable from / (effective mems 0-3, the root cgroup):"))
    #expect(text.contains("pid 1 init, root (uid 0)\n"))
    #expect(text.contains("pid 300 bash, \(node2.leaks[2].processes[0].user)\n"))
    #expect(text.contains("2 kernel threads stay in the root cgroup"))
    #expect(text.contains("run 'privnuma fence apply' as root"))
  }

  @Test func fencedMachineIsClean() {
    let report = Fence.Report(machine: Self.machine("cgroup-fenced"))
    #expect(report.allFenced)
    for state in report.nodes {
      #expect(state.fenced && state.ready, "node \(state.node.id)")
      #expect(state.leaks.isEmpty)
    }
    #expect(report.nodes[0].optIn == Fence.OptIn(
      cgroup: "/privnuma.slice/cxl0", exists: true, mems: NodeSet([0, 1, 2]), effective: NodeSet([0, 1, 2]), problem: nil))
    #expect(report.text.contains("node 2 (cxl0): fenced\n"))
    #expect(report.text.contains("opt-in cgroup /privnuma.slice/cxl1: cpuset.mems 0-1,3, effective 0-1,3, ready"))
    #expect(!report.text.contains("NOT"))
  }

  @Test func aCgroupCreatedLaterIsALeak() {
    let report = Fence.Report(machine: Self.machine("cgroup-rogue"))
    #expect(!report.allFenced)
    #expect(leakPaths(report.nodes[0]) == ["/privnuma.slice", "/privnuma.slice/batch", "/rogue"])
    #expect(report.nodes[0].leaks[2].processes.map(\.pid) == [500])
    #expect(leakPaths(report.nodes[1]) == ["/privnuma.slice", "/privnuma.slice/batch", "/rogue"])
  }

  @Test func otherBackendsSayHowTheyAreKeptPrivate() {
    let kernel = Fixture.declared(2, "hbm0")
    let unfenced = Fixture.declared(3, "loose")
    let report = Fence.Report(machine: Self.machine("cgroup-fenced", declared: [kernel, unfenced], kernelPrivate: true))
    #expect(report.nodes.count == 2)
    let hbm = report.nodes.first { $0.node.id == 2 }!
    let loose = report.nodes.first { $0.node.id == 3 }!
    #expect(hbm.fenced && hbm.optIn == nil)
    #expect(hbm.note.contains("fenced by the kernel"))
    #expect(!loose.fenced)
    #expect(loose.note.contains("nothing keeps other processes off it"))
    #expect(report.text.contains("warning: backend none: nothing keeps other processes off it"))
    #expect(!report.allFenced)
    #expect(report.text.contains("node 3 (loose): NOT FENCED"))
  }

  @Test func noPrivateNodesNothingToFence() {
    let report = Fence.Report(machine: Self.machine("cgroup-unfenced", declared: []))
    #expect(report.allFenced)
    #expect(report.text.contains("nothing to fence"))
  }

  @Test func optInWithoutTheNodeIsNotReady() {
    // cxl1's opt-in cgroup exists, but user.slice is no opt-in: declare it as node 3's.
    var odd = Fixture.declared(3, "cxl1", cgroup: "user.slice")
    odd.source = "50-cxl1.conf"
    let report = Fence.Report(machine: Self.machine("cgroup-fenced", declared: [Self.registry[0], odd]))
    let node3 = report.nodes[1]
    #expect(!node3.ready)
    #expect(node3.optIn?.problem?.contains("lack node 3") == true)
    #expect(!report.allFenced)
  }

  @Test func jsonSchema() {
    let json = Fence.Report(machine: Self.machine("cgroup-unfenced")).json.rendered()
    #expect(json.contains("\"schema\": \"privnuma.fence/1\""))
    #expect(json.contains("\"open_nodes\": [0, 1]"))
    #expect(json.contains("\"fenced\": false"))
    #expect(json.contains("\"kernel_threads\": 2"))
    #expect(json.contains("\"cgroup\": \"/privnuma.slice/cxl0\""))
    #expect(json.contains("\"exists\": false"))
    #expect(json.contains("\"command\": \"bash\""))
    #expect(json.contains("\"uid\": 1002"))
    let fenced = Fence.Report(machine: Self.machine("cgroup-fenced")).json.rendered()
    #expect(fenced.contains("\"mems_effective\": [0, 1, 2]"))
    #expect(fenced.contains("\"leaks\": []"))
  }

  // MARK: - apply's plan

  @Test func planForAnUnfencedMachine() throws {
    let plan = try Self.plan("cgroup-unfenced")
    #expect(plan.changes == [
      .create("/privnuma.slice"),
      .setMems("/privnuma.slice", from: nil, to: NodeSet(0...3)),
      .enableCpuset("/privnuma.slice"),
      .create("/privnuma.slice/cxl0"),
      .setMems("/privnuma.slice/cxl0", from: nil, to: NodeSet([0, 1, 2])),
      .create("/privnuma.slice/cxl1"),
      .setMems("/privnuma.slice/cxl1", from: nil, to: NodeSet([0, 1, 3])),
      .setMems("/system.slice", from: NodeSet(), to: NodeSet([0, 1])),
      // An administrator's narrower choice is kept, less the private nodes.
      .setMems("/user.slice", from: NodeSet([0, 2]), to: NodeSet([0])),
      .create("/privnuma-general"),
      .setMems("/privnuma-general", from: nil, to: NodeSet([0, 1])),
      .move(pid: 1, command: "init", from: "/", to: "/privnuma-general"),
      .move(pid: 100, command: "sh", from: "/", to: "/privnuma-general"),
    ])
    #expect(plan.notes == ["2 kernel threads stay in the root cgroup: the kernel does not let them move, and kernel threads allocate no user memory"])
  }

  @Test func planForAFencedMachineIsEmpty() throws {
    let plan = try Self.plan("cgroup-fenced")
    #expect(plan.changes.isEmpty)
  }

  @Test func planFixesLeaksAddedLater() throws {
    let plan = try Self.plan("cgroup-rogue")
    #expect(plan.changes == [
      .setMems("/rogue", from: NodeSet(), to: NodeSet([0, 1])),
      .setMems("/privnuma.slice/batch", from: NodeSet(), to: NodeSet([0, 1])),
      .move(pid: 700, command: "stray", from: "/privnuma.slice", to: "/privnuma-general"),
    ])
  }

  @Test func planEnablesTheCpusetControllerFirst() throws {
    let plan = try Self.plan("cgroup-nocpuset")
    #expect(plan.changes.first == .enableCpuset("/"))
    #expect(plan.changes.contains(.setMems("/system.slice", from: nil, to: NodeSet([0, 1]))))
    #expect(plan.changes.last == .move(pid: 1, command: "init", from: "/", to: "/privnuma-general"))
    #expect(plan.notes.first?.hasPrefix("1 kernel thread stays") == true)
  }

  @Test func planLeavesOtherBackendsAlone() throws {
    // The kernel keeps node 2 private although the registry gives it a Cgroup= too.
    let kernel = Fixture.declared(2, "hbm0", cgroup: "privnuma.slice/hbm0")
    let plan = try Self.plan("cgroup-unfenced", declared: [kernel, Fixture.declared(3, "loose")], kernelPrivate: true)
    #expect(plan.changes.isEmpty)
    #expect(plan.notes.contains { $0.contains("node 3 (loose) has backend none") })
  }

  @Test func planRechecksCgroupPaths() {
    // The registry parser refuses these; a node built another way is still checked.
    for bad in ["../../etc", "privnuma.slice/../../x", "/abs", "a//b"] {
      #expect(throws: Failure.self, "\(bad)") {
        try Self.plan("cgroup-unfenced", declared: [Fixture.declared(2, "cxl0", cgroup: bad)])
      }
    }
    do {
      _ = try Self.plan("cgroup-unfenced", declared: [Fixture.declared(2, "cxl0", cgroup: "privnuma-general")])
      Issue.record("Cgroup=privnuma-general was accepted")
    } catch {
      #expect(error.kind == .usage)
      #expect(error.message.contains("where 'fence apply' puts general processes"))
    }
  }

  @Test func planRefusesToFenceEveryNode() {
    let all = (0...3).map { Fixture.declared($0, "n\($0)x", cgroup: "privnuma.slice/n\($0)") }
    #expect(throws: Failure.self) { try Self.plan("cgroup-unfenced", declared: all) }
  }

  @Test func changesSayWhatTheyDo() {
    #expect(FenceTranscriptOutput.describe(.setMems("/system.slice", from: NodeSet(), to: NodeSet([0, 1])), planned: false)
      == "set cpuset.mems of /system.slice to 0-1 (was inherited)")
    #expect(FenceTranscriptOutput.describe(.setMems("/privnuma.slice", from: nil, to: NodeSet(0...3)), planned: true, new: true)
      == "would set cpuset.mems of /privnuma.slice to 0-3")
    #expect(FenceTranscriptOutput.describe(.create("/privnuma.slice"), planned: true) == "would create cgroup /privnuma.slice")
    #expect(FenceTranscriptOutput.describe(.move(pid: 7, command: "sh", from: "/", to: "/privnuma-general"), planned: false)
      == "moved pid 7 (sh) from / to /privnuma-general")
    #expect(FenceTranscriptOutput.describe(.enableCpuset("/"), planned: true) == "would enable the cpuset controller for the children of /")
  }

  // MARK: - Carrying out changes

  /// A scratch copy of a fixture tree, removed by the caller.
  static func scratch(_ tree: String) -> String {
    var template = Array("/tmp/privnuma-fence-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    let directory = String(cString: made!)
    _ = system("cp -r '\(Fixture.directory)/\(tree)/.' '\(directory)/'")
    return directory
  }

  @Test func executorWritesControlFiles() {
    let mount = Self.scratch("cgroup-unfenced")
    defer { _ = system("rm -rf '\(mount)'") }
    #expect(Fence.execute(.setMems("/system.slice", from: NodeSet(), to: NodeSet([0, 1])), mount: mount) == .done)
    // Plain files keep what was there after the write; cgroup files take the write whole.
    #expect(FileSystem.readIfPresent(mount + "/system.slice/cpuset.mems")?.hasPrefix("0-1\n") == true)
    #expect(Fence.execute(.enableCpuset("/"), mount: mount) == .done)
    #expect(FileSystem.readIfPresent(mount + "/cgroup.subtree_control")?.hasPrefix("+cpuset\n") == true)
    #expect(Fence.execute(.create("/privnuma.slice"), mount: mount) == .done)
    #expect(FileSystem.isDirectory(mount + "/privnuma.slice"))
    // Idempotent: the directory exists already.
    #expect(Fence.execute(.create("/privnuma.slice"), mount: mount) == .done)
    #expect(Fence.execute(.move(pid: 1, command: "init", from: "/", to: "/system.slice"), mount: mount) == .done)
    #expect(FileSystem.readIfPresent(mount + "/system.slice/cgroup.procs")?.hasPrefix("1\n") == true)
  }

  @Test func executorStaysUnderTheMount() {
    let mount = Self.scratch("cgroup-unfenced")
    defer { _ = system("rm -rf '\(mount)'") }
    let escape = Fence.execute(.setMems("/../outside", from: nil, to: NodeSet([0])), mount: mount)
    guard case .failed(let failure) = escape else {
      Issue.record("a path with '..' was written: \(escape)")
      return
    }
    #expect(failure.kind == .refused)
    // A symbolic link inside the tree is not followed either.
    _ = symlink("/tmp", mount + "/link")
    guard case .failed = Fence.execute(.setMems("/link", from: nil, to: NodeSet([0])), mount: mount) else {
      Issue.record("wrote through a symbolic link")
      return
    }
    // A missing cgroup is a failure that names the file.
    guard case .failed(let missing) = Fence.execute(.setMems("/nothere", from: nil, to: NodeSet([0])), mount: mount) else {
      Issue.record("wrote into a cgroup that does not exist")
      return
    }
    #expect(missing.message.contains("/nothere"))
  }

  @Test func applyRefusesNonRoot() {
    var environment = Environment(
      roots: Self.roots("cgroup-unfenced"), privilege: Privilege(elevated: false), identity: Fixture.bob,
      names: Fixture.names, kernel: SystemKernel())
    environment.ignoredOverrides = []
    guard case .failure(let failure) = Command.fence.invoke(["apply"], environment) else {
      Issue.record("bob may apply the fence")
      return
    }
    #expect(failure.kind == .system)
    #expect(failure.message.contains("only as root"))
    #expect(failure.message.contains("--dry-run"))
  }

  @Test func usageErrors() {
    let environment = Environment(
      roots: Self.roots("cgroup-unfenced"), privilege: Privilege(elevated: false), identity: Fixture.bob,
      names: Fixture.names, kernel: SystemKernel())
    for args in [[], ["stop"], ["status", "extra"], ["apply", "--pid"], ["remove", "--registry", "x"], ["status", "--dry-run"]] as [[String]] {
      guard case .failure(let failure) = Command.fence.invoke(ArraySlice(args), environment) else {
        Issue.record("\(args) was accepted")
        continue
      }
      #expect(failure.kind == .usage, "\(args)")
    }
  }
}
