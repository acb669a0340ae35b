import Testing

@testable import PrivNUMA

// This process's cgroup is read once per launch: found as bytes in /proc/self/cgroup, kept
// in the plan by the planner, and placed by without a second read.
@Suite struct OwnCgroupTests {
  static func cgroup(_ text: String) -> String? { ProcessStatus.cgroup(in: ArraySlice(text.utf8)) }

  @Test func theUnifiedLineIsFoundAmongV1Lines() {
    #expect(Self.cgroup("0::/user.slice/user-1000.slice/session-4.scope\n") == "/user.slice/user-1000.slice/session-4.scope")
    #expect(Self.cgroup("12:cpuset:/\n1:name=systemd:/init.scope\n0::/init.scope\n") == "/init.scope")
    #expect(Self.cgroup("0::/\n") == "/")
    #expect(Self.cgroup("0::/no/line/feed") == "/no/line/feed")
    #expect(Self.cgroup("0::/caf\u{E9} x\n") == "/caf\u{E9} x")
  }

  @Test func withoutAUnifiedLineThereIsNone() {
    #expect(Self.cgroup("") == nil)
    #expect(Self.cgroup("\n\n") == nil)
    #expect(Self.cgroup("1:name=systemd:/init.scope\n10::/x\n0:/x\n") == nil)
  }

  @Test func theFixturesFileIsRead() {
    #expect(ProcessStatus.cgroup(proc: Fixture.roots("one-node").proc) == "/user.slice/user-1000.slice/session-1.scope")
  }

  @Test func aCpusetLaunchAsksForItsCgroupOnceAndCarriesItToTheLauncher() throws {
    let machine = Fixture.machine(
      "four-node-gaps", declared: [Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0", allowGroups: ["cram"])])
    let status = try ProcessStatus.read(proc: machine.roots.proc).get()
    let request = try OptionParser.parseLaunch(["-m", "cxl0", "app"]).get()
    var planner = Planner(machine: machine, identity: Fixture.alice, names: Fixture.names, status: status, kernelRelease: "6.1.0")
    let asked = Counter()
    planner.ownCgroup = {
      asked.count += 1
      return "/user.slice/user-1000.slice/session-4.scope"
    }
    let plan = planner.plan(request)
    #expect(plan.cgroup != nil)
    #expect(plan.ownCgroup == "/user.slice/user-1000.slice/session-4.scope")
    #expect(asked.count == 1)
  }
}

private final class Counter: @unchecked Sendable {
  var count = 0
}
