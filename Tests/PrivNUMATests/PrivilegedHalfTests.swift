import Glibc
import Testing

@testable import PrivNUMA

/// Everything the privileged half did, in order: cgroup writes and credential changes.
final class Journal: @unchecked Sendable {
  var entries: [String] = []
}

/// Credentials that record what was asked of them; `dropFails` makes dropping fail.
struct RecordingCredentials: Credentials {
  let journal: Journal
  var dropFails = false

  func raise(_ capability: Capability) -> Bool {
    journal.entries.append("raise \(capability)")
    return true
  }
  func lower(_ capability: Capability) { journal.entries.append("lower \(capability)") }
  func dropAll() -> Failure? {
    journal.entries.append("drop all")
    return dropFails ? .system("cannot drop capabilities: test; nothing was run") : nil
  }
  func reduceAtStart() -> Failure? {
    journal.entries.append("reduce")
    return nil
  }
  var savedUIDIsRoot: Bool { false }
}

/// A cgroup tree that records each write. `failing` names a write that fails with EACCES;
/// `cgroup2` is what statfs would say of the mount.
struct RecordingCgroups: CgroupWriter {
  let journal: Journal
  let credentials: Credentials
  var failing: String?
  var cgroup2 = true

  func record(_ entry: String) -> Result<Void, Errno> {
    journal.entries.append(entry)
    return entry.hasPrefix(failing ?? "\u{0}") ? .failure(.accessDenied) : .success(())
  }
  func join(_ path: String, own: String?) -> Failure? {
    credentials.with(.dacOverride) {
      if case .failure(let error) = record("join \(path)") {
        return .system("cannot join the opt-in cgroup: writing \(path)/cgroup.procs failed with \(error)")
      }
      return nil
    }
  }
  func isCgroup2(_ directory: String) -> Result<Bool, Errno> { .success(cgroup2) }
  func create(_ directory: String) -> Result<Void, Errno> { record("create \(directory)") }
  func enableCpuset(_ directory: String) -> Result<Void, Errno> { record("+cpuset \(directory)") }
  func setMems(_ directory: String, _ mems: NodeSet) -> Result<Void, Errno> { record("mems \(directory) \(mems)") }
  func move(_ pid: Int32, to directory: String) -> Result<Void, Errno> { record("move \(pid) \(directory)") }
}

/// A kernel that accepts the policy and affinity and records them and the exec.
private final class RecordingKernel: StubKernel, @unchecked Sendable {
  let journal: Journal
  var policy: MemoryPolicy?
  init(_ journal: Journal) { self.journal = journal }
  var release: String { "6.1.0-27-cloud-amd64" }
  func setAffinity(_ cpus: CPUSet) -> Result<Void, Errno> {
    journal.entries.append("affinity \(cpus)")
    return .success(())
  }
  func setMemoryPolicy(_ policy: MemoryPolicy) -> Result<Void, Errno> {
    journal.entries.append("set_mempolicy \(policy.mode.name) \(policy.nodes)")
    self.policy = policy
    return .success(())
  }
  func memoryPolicy() -> Result<MemoryPolicy, Errno> { policy.map { .success($0) } ?? .failure(.invalidArgument) }
  func execute(_ arguments: [String]) -> Errno {
    journal.entries.append("exec \(arguments.joined(separator: " "))")
    return .noSuchFile
  }
}

/// The privileged half of a launch and of `fence apply`, through the `CgroupWriter` and
/// `Credentials` seams: which writes happen, in which order, under which capability, and
/// that nothing after a failed step is applied. The same steps on a real kernel are the VM
/// suite's 50-fence and 51-privilege.
@Suite struct PrivilegedHalfTests {
  fileprivate static func launcher(_ journal: Journal, elevated: Bool, failing: String? = nil, dropFails: Bool = false) -> (Launcher, RecordingKernel) {
    let credentials = RecordingCredentials(journal: journal, dropFails: dropFails)
    let kernel = RecordingKernel(journal)
    let cgroups = RecordingCgroups(journal: journal, credentials: credentials, failing: failing)
    let launcher = Launcher(
      kernel: kernel, privilege: Privilege(elevated: elevated), cgroups: cgroups, credentials: credentials,
      systemd: RecordingSystemd(owns: false))
    return (launcher, kernel)
  }

  /// `own` defaults to the root cgroup of a host without systemd: the launch joins the opt-in cgroup.
  static func plan(cgroup: String?, own: String = "/") -> LaunchPlan {
    var plan = LaunchPlan()
    plan.cgroup = cgroup
    plan.ownCgroup = cgroup == nil ? nil : own
    plan.privateNodes = cgroup == nil ? NodeSet() : NodeSet([2])
    plan.cpus = CPUSet([0])
    plan.policy = MemoryPolicy(mode: .preferred, nodes: NodeSet([2]))
    plan.policyOption = "preferred"
    plan.command = ["app"]
    return plan
  }

  @Test func aPrivilegedLaunchJoinsUnderTheCapabilityThenDropsEverythingBeforeThePolicyAndExec() {
    let journal = Journal()
    let (launcher, _) = Self.launcher(journal, elevated: true)
    let failure = launcher.launch(Self.plan(cgroup: "/sys/fs/cgroup/privnuma.slice/cxl0"))
    #expect(failure.exitCode == 127)
    #expect(journal.entries == [
      "raise dacOverride", "join /sys/fs/cgroup/privnuma.slice/cxl0", "lower dacOverride",
      "drop all", "affinity 0", "set_mempolicy preferred 2", "exec app",
    ])
  }

  @Test func anUnprivilegedLaunchHasNothingToDrop() {
    let journal = Journal()
    let (launcher, _) = Self.launcher(journal, elevated: false)
    _ = launcher.launch(Self.plan(cgroup: nil))
    #expect(journal.entries == ["affinity 0", "set_mempolicy preferred 2", "exec app"])
  }

  @Test func aFailedJoinStopsTheLaunchBeforeAnythingElse() {
    let journal = Journal()
    let (launcher, _) = Self.launcher(journal, elevated: true, failing: "join")
    let failure = launcher.launch(Self.plan(cgroup: "/sys/fs/cgroup/privnuma.slice/cxl0"))
    #expect(failure.kind == .system && failure.message.contains("cgroup.procs"))
    #expect(journal.entries == ["raise dacOverride", "join /sys/fs/cgroup/privnuma.slice/cxl0", "lower dacOverride"])
  }

  @Test func aProcessInACgroupSomeoneElseMadeIsRefusedNotMoved() {
    let journal = Journal()
    let (launcher, _) = Self.launcher(journal, elevated: true)
    let failure = launcher.launch(Self.plan(cgroup: "/sys/fs/cgroup/privnuma.slice/cxl0", own: "/docker/4f2a"))
    #expect(failure.kind == .system)
    #expect(failure.message.contains("/docker/4f2a") && failure.message.contains("nothing was run"))
    #expect(journal.entries.isEmpty, "the launch did something: \(journal.entries)")
  }

  @Test func aLoginLaunchOnASystemdHostGetsAScopeFromSystemd() {
    let journal = Journal()
    var (launcher, _) = Self.launcher(journal, elevated: false)
    let systemd = RecordingSystemd(owns: true)
    launcher.systemd = systemd
    _ = launcher.launch(Self.plan(cgroup: "/sys/fs/cgroup/privnuma.slice/privnuma-cxl0.slice", own: "/user.slice/user-0.slice/session-4.scope"))
    #expect(systemd.calls == ["scope in privnuma-cxl0.slice"])
    #expect(!journal.entries.contains { $0.hasPrefix("join") }, "privnuma moved the process itself: \(journal.entries)")
    #expect(journal.entries.last == "exec app")
  }

  @Test func aServiceOutsideTheOptInSliceIsRefusedNotMoved() {
    let journal = Journal()
    var (launcher, _) = Self.launcher(journal, elevated: false)
    let systemd = RecordingSystemd(owns: true)
    launcher.systemd = systemd
    let failure = launcher.launch(Self.plan(cgroup: "/sys/fs/cgroup/privnuma.slice/privnuma-cxl0.slice", own: "/system.slice/db.service"))
    #expect(failure.message.contains("Slice=privnuma-cxl0.slice"))
    #expect(systemd.calls.isEmpty && journal.entries.isEmpty)
  }

  @Test func aFailedDropStopsTheLaunchBeforeThePolicy() {
    let journal = Journal()
    let (launcher, _) = Self.launcher(journal, elevated: true, dropFails: true)
    let failure = launcher.launch(Self.plan(cgroup: nil))
    #expect(failure.message.contains("nothing was run"))
    #expect(journal.entries == ["drop all"])
  }

  // MARK: - fence apply

  static func apply(_ tree: String, failing: String? = nil, cgroup2: Bool = true) -> (Fence.Transcript, [String]) {
    let journal = Journal()
    let credentials = RecordingCredentials(journal: journal)
    let writer = RecordingCgroups(journal: journal, credentials: credentials, failing: failing, cgroup2: cgroup2)
    let machine = FenceTests.machine(tree)
    let result = Fence.applying(machine, dryRun: false, writer: writer, systemd: RecordingSystemd(owns: false))
    let mount = machine.roots.cgroup
    return (result, journal.entries.map { $0.replacingOccurrences(of: mount, with: "MOUNT") })
  }

  /// A change as the recording writer writes it down.
  static func entry(_ change: Fence.Change) -> String {
    let directory = change.cgroup == "/" ? "MOUNT" : "MOUNT" + change.cgroup
    switch change {
    case .create: return "create \(directory)"
    case .enableCpuset: return "+cpuset \(directory)"
    case .setMems(_, _, let mems): return "mems \(directory) \(mems)"
    case .move(let pid, _, _, _): return "move \(pid) \(directory)"
    }
  }

  @Test func applyWritesThePlanInOrder() throws {
    let (_, writes) = Self.apply("cgroup-unfenced")
    let plan = try FenceTests.plan("cgroup-unfenced")
    #expect(!plan.changes.isEmpty)
    #expect(Array(writes.prefix(plan.changes.count)) == plan.changes.map(Self.entry))
    // Opt-in cgroups exist with their mems before any process is moved or any mems narrowed.
    let created = try #require(writes.firstIndex(of: "create MOUNT/privnuma.slice"))
    let optIn = try #require(writes.firstIndex { $0.hasPrefix("mems MOUNT/privnuma.slice/cxl0 ") })
    let firstMove = try #require(writes.firstIndex { $0.hasPrefix("move ") })
    #expect(created < optIn && optIn < firstMove)
    #expect(writes.contains { $0.hasPrefix("move 1 MOUNT/privnuma-general") })
  }

  @Test func applyStopsAtTheFirstRefusedWrite() {
    let (transcript, writes) = Self.apply("cgroup-unfenced", failing: "mems")
    guard let failure = transcript.failure else {
      Issue.record("apply succeeded although a write failed: \(writes)")
      return
    }
    #expect(failure.message.contains("cpuset.mems"))
    #expect(writes.last?.hasPrefix("mems ") == true)
    #expect(!writes.contains { $0.hasPrefix("move ") }, "processes moved after a failed write: \(writes)")
  }

  @Test func applyWritesNothingWhereTheMountIsNotCgroup2() {
    let (transcript, writes) = Self.apply("cgroup-unfenced", cgroup2: false)
    guard let failure = transcript.failure else {
      Issue.record("apply wrote into a tree that is not cgroup v2")
      return
    }
    #expect(failure.message.contains("not a cgroup v2 file system"))
    #expect(writes.isEmpty)
  }
}
