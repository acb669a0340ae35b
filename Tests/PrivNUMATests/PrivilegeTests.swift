import CPrivNUMA
import Glibc
import Testing

@testable import PrivNUMA

/// Capabilities and the cgroup join (DESIGN §8). The end-to-end proof, a setcap binary whose
/// child shows no capability, is the VM suite's 51-privilege; these check the pieces.
@Suite struct PrivilegeTests {
  // MARK: - Joining a cgroup

  @Test func joinRefusesPathsThatLeaveTheMount() {
    for path in ["/sys/fs/cgroup/../../etc", "/sys/fs/cgroup/./x", "relative/cgroup"] {
      let failure = CgroupFS().join(path, own: nil)
      #expect(failure?.kind == .refused, "\(path)")
      #expect(failure?.message.contains("Cgroup=") == true)
    }
  }

  @Test func joinWritesOnlyIntoCgroupV2() throws {
    // A directory with a cgroup.procs file that is not a cgroup: nothing is written.
    var template = Array("/tmp/privnuma-join-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    let directory = String(cString: try #require(made))
    defer { _ = system("rm -rf '\(directory)'") }
    let procs = directory + "/cgroup.procs"
    let fd = open(procs, O_WRONLY | O_CREAT, 0o644)
    close(fd)
    let failure = CgroupFS().join(directory, own: nil)
    #expect(failure?.kind == .refused)
    #expect(failure?.message.contains("not on a cgroup v2 file system") == true)
    #expect(FileSystem.readIfPresent(procs) == "")
  }

  @Test func joinSaysWhenTheCgroupIsMissing() {
    let failure = CgroupFS().join("/tmp/privnuma-no-such-cgroup/cxl0", own: nil)
    #expect(failure?.kind == .system)
    #expect(failure?.message.contains("does not exist; run 'privnuma fence apply' as root") == true)
  }

  @Test func joinDoesNotFollowSymbolicLinks() {
    let link = "/tmp/privnuma-join-link-\(getpid())"
    _ = symlink("/sys/fs/cgroup", link)
    defer { unlink(link) }
    let failure = CgroupFS().join(link, own: nil)
    #expect(failure?.kind == .refused)
    #expect(failure?.message.contains("symbolic link") == true)
  }

  @Test func aProcessInsideTheOptInCgroupStays() {
    let mount = "/sys/fs/cgroup"
    let isMount = { (path: String) in path == mount }
    let target = "/sys/fs/cgroup/privnuma.slice/cxl0"
    #expect(Cgroups.isWithin(target, own: "/privnuma.slice/cxl0", isMount: isMount))
    #expect(Cgroups.isWithin(target + "/", own: "/privnuma.slice/cxl0", isMount: isMount))
    #expect(Cgroups.isWithin(target, own: "/privnuma.slice/cxl0/run-1.scope", isMount: isMount))
    #expect(!Cgroups.isWithin(target, own: "/privnuma-general", isMount: isMount))
    #expect(!Cgroups.isWithin(target, own: "/privnuma.slice", isMount: isMount))
    #expect(!Cgroups.isWithin(target, own: "/", isMount: isMount))
    // A cgroup named like the opt-in one elsewhere in the tree is not it.
    #expect(!Cgroups.isWithin(target, own: "/cxl0", isMount: isMount))
    #expect(!Cgroups.isWithin(target, own: "/privnuma.slice/cxl0x", isMount: isMount))
  }

  // MARK: - Capabilities

  @Test func anUnprivilegedProcessHasNothingToReduce() {
    // The test process is not setuid and has no file capabilities: nothing changes.
    #expect(!Privilege.current().elevated)
    let before = CPrivNUMA_cap_effective(Capability.needed)
    ProcessCredentials().reduceAtStart()
    #expect(CPrivNUMA_cap_effective(Capability.needed) == before)
  }

  @Test func rootKeepsItsEffectiveCapabilities() {
    // Root has them effective already: `with` must not lower them afterwards.
    guard CPrivNUMA_cap_effective(Capability.dacOverride.rawValue) == 1 else { return }
    let inside = ProcessCredentials().with(.dacOverride) { CPrivNUMA_cap_effective(Capability.dacOverride.rawValue) }
    #expect(inside == 1)
    #expect(CPrivNUMA_cap_effective(Capability.dacOverride.rawValue) == 1)
  }

  /// In a child process (ChildProcess), becomes a user that holds cap_dac_override and cap_sys_nice in
  /// the permitted set only (what `setcap ...+p` gives), then checks each step. Exit 0 on
  /// success, else the number of the step that failed.
  static func permittedOnlyChild() -> Int32 {
    if CPrivNUMA_become_keeping_caps(65534, 65534) != 0 { return 11 }
    if getuid() != 65534 || geteuid() != 65534 { return 10 }
    if CPrivNUMA_cap_limit(Capability.needed) != 0 { return 12 }
    let dac = Capability.dacOverride
    if CPrivNUMA_cap_permitted(Capability.needed) != 1 { return 13 }
    if CPrivNUMA_cap_effective(dac.rawValue) != 0 { return 14 }
    // Raised only inside `with`, lowered after.
    let inside = ProcessCredentials().with(.dacOverride) { CPrivNUMA_cap_effective(dac.rawValue) }
    if inside != 1 { return 15 }
    if CPrivNUMA_cap_effective(dac.rawValue) != 0 { return 16 }
    if ProcessCredentials().dropAll() != nil { return 17 }
    if CPrivNUMA_cap_none() != 1 { return 18 }
    // Nothing can come back once dropped.
    if CPrivNUMA_cap_raise(dac.rawValue) == 0 { return 19 }
    return 0
  }

  @Test(.enabled(if: getuid() == 0, "needs root to become another user with capabilities"))
  func dropAllLeavesNoCapability() {
    let code = ChildProcess.run("drop-all")
    #expect(code == 0, "step \(code) failed in the child")
  }
}
