import CPrivNUMA
import Glibc
import Testing

@testable import PrivNUMA

/// The read-only scans (`audit`, `stat`) read every process with the caller's own rights:
/// under privilege they drop every capability before reading, so nothing privnuma was
/// installed with can widen what they see. Each runs in a child (ChildProcess) that holds cap_dac_override
/// and cap_sys_nice permitted, as `setcap ...+p` gives a plain user.
@Suite("read-only commands under privilege")
struct ReadOnlyPrivilegeTests {
  /// Exit 0 when the command left no capability, else the number of the step that failed.
  static func child(_ command: Command) -> Int32 {
    if CPrivNUMA_become_keeping_caps(65534, 65534) != 0 { return 11 }
    if CPrivNUMA_cap_limit(Capability.needed) != 0 { return 12 }
    if CPrivNUMA_cap_permitted(Capability.needed) != 1 { return 13 }
    var environment = ProcFixture.environment(Fixture.machine("proc-clean", declared: [ProcFixture.mem3]))
    environment.privilege = Privilege(elevated: true)
    // Its output goes nowhere: only what it did to this process matters here.
    let null = open("/dev/null", O_WRONLY)
    dup2(null, 1)
    _ = command.invoke(["--json"], environment)
    return CPrivNUMA_cap_none() == 1 ? 0 : 20
  }

  @Test(
    .enabled(if: getuid() == 0, "needs root to become another user with capabilities"),
    arguments: ["audit", "stat"])
  func dropsEveryCapability(name: String) {
    let code = ChildProcess.run(name)
    #expect(code == 0, "privnuma \(name): \(code == 20 ? "capabilities still held after the command ran" : "step \(code) failed in the child")")
  }
}
