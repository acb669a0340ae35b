import Foundation
import Testing

@testable import PrivNUMA

@Suite("audit")
struct AuditTests {
  func audit(_ machine: Machine) throws -> AuditReport {
    try AuditReport.scan(machine: machine).get()
  }

  // MARK: - cpuset backend

  @Test func processesOutsideTheOptInCgroupAreViolations() throws {
    let report = try audit(ProcFixture.cpuset())
    #expect(report.scanned == 7)
    #expect(report.complete)
    #expect(report.violations.map(\.process.pid) == [900, 1234])
    let rogue = try #require(report.violations.first)
    #expect(rogue.process.command == "rogue")
    #expect(rogue.process.user == NamedID.user(0, "root"))
    #expect(rogue.node == 3)
    #expect(rogue.pages == 2 + 28 + 257 + 2)
    #expect(rogue.anonPages == rogue.pages)
    #expect(rogue.cgroup == "/")
    #expect(rogue.reason.contains("not in the opt-in cgroup /privnuma.slice/mem3"))
    // A policy naming the node does not opt a process into a cpuset-fenced node.
    let backup = report.violations[1]
    #expect(backup.pages == 16)
    #expect(backup.anonPages == 0)
    #expect(!report.clean)
  }

  @Test func theOptInCgroupAndCgroupsBelowItAreOptedIn() throws {
    let pids = try audit(ProcFixture.cpuset()).violations.map(\.process.pid)
    #expect(!pids.contains(812))
    #expect(!pids.contains(813))
  }

  @Test func cgroupsWithProcessesThatCanReachTheNodeAreLeaks() throws {
    let machine = ProcFixture.cpuset()
    let leaks = FenceCheck.leaks(machine: machine, roots: machine.roots)
    #expect(leaks.map(\.cgroup) == ["/", "/user.slice/user-1002.slice/session-1.scope"])
    // Kernel threads stay in the root cgroup and cannot move: not counted.
    #expect(leaks[0].pids == [900])
    #expect(leaks[0].mems == NodeSet(0...3))
    // No cpuset.mems.effective of its own: it inherits /user.slice's 0-3.
    #expect(leaks[1].pids == [1234])
    #expect(leaks.allSatisfy { $0.node == 3 })
    let report = try audit(machine)
    #expect(report.brokenFences.map { $0.leak?.cgroup } == ["/", "/user.slice/user-1002.slice/session-1.scope"])
    #expect(report.brokenFences[0].reason.contains("the root cgroup holds 1 process"))
  }

  @Test func aFencedMachineWithOnlyKernelThreadsInTheRootIsClean() throws {
    let machine = Fixture.machine("proc-clean", declared: [ProcFixture.mem3])
    let report = try audit(machine)
    #expect(report.violations.isEmpty)
    #expect(report.brokenFences.isEmpty)
    #expect(report.warnings.isEmpty)
    #expect(report.clean)
    #expect(report.text.hasSuffix("clean\n"))
    let environment = ProcFixture.environment(machine)
    #expect(ProcFixture.code(Command.audit.invoke(["--json"], environment)) == 0)
  }

  @Test func exitStatusIsOneWhenAnythingIsFound() {
    let environment = ProcFixture.environment(ProcFixture.cpuset())
    #expect(ProcFixture.code(Command.audit.invoke(["--json"], environment)) == 1)
    #expect(ProcFixture.code(Command.audit.invoke(["extra"], environment)) == 2)
    #expect(ProcFixture.code(Command.audit.invoke(["--bogus"], environment)) == 2)
  }

  /// A process whose numa_maps cannot be read (here a directory: EISDIR even for root, as
  /// EACCES is for a user reading another user's process) makes the audit incomplete: exit 1
  /// although nothing else is wrong, and the text says so.
  @Test func aProcessThatCannotBeReadMakesTheAuditIncomplete() throws {
    let files = FileManager.default
    let base = files.temporaryDirectory.appendingPathComponent("privnuma-audit-\(getpid())").path
    try? files.removeItem(atPath: base)
    try files.copyItem(atPath: Fixture.directory + "/proc-clean", toPath: base)
    defer { try? files.removeItem(atPath: base) }
    let hidden = base + "/proc/4321"
    try files.copyItem(atPath: base + "/proc/812", toPath: hidden)
    try files.removeItem(atPath: hidden + "/numa_maps")
    try files.createDirectory(atPath: hidden + "/numa_maps", withIntermediateDirectories: false)
    let roots = Roots(sysfs: base + "/sys", proc: base + "/proc", cgroup: base + "/cgroup", registry: base + "/nodes.d")
    let machine = Machine(roots: roots, topology: Topology(roots: roots), declared: [ProcFixture.mem3])

    let report = try audit(machine)
    #expect(report.unreadable == [4321])
    #expect(report.violations.isEmpty && report.brokenFences.isEmpty)
    #expect(!report.complete)
    #expect(!report.clean)
    #expect(report.text.contains("incomplete: 1 process could not be read"))
    #expect(ProcFixture.code(Command.audit.invoke([], ProcFixture.environment(machine))) == 1)
    #expect(ProcFixture.code(Command.audit.invoke(["--json"], ProcFixture.environment(machine))) == 1)
  }

  @Test func aMissingOptInCgroupIsAWarning() throws {
    var node = ProcFixture.mem3
    node.cgroup = "privnuma.slice/gone"
    let report = try audit(ProcFixture.cpuset([node]))
    #expect(report.warnings.contains { $0.contains("/privnuma.slice/gone does not exist") })
    // Then nobody is opted in: 812 and 813 are violations too.
    #expect(report.violations.map(\.process.pid) == [812, 813, 900, 1234])
  }

  @Test func withoutCgroupV2TheFencesAreNotChecked() throws {
    let machine = ProcFixture.cpuset()
    var roots = machine.roots
    roots.cgroup = machine.roots.sysfs
    let check = FenceCheck.check(machine: machine, roots: roots)
    #expect(check.leaks.isEmpty)
    #expect(check.unchecked?.contains("not a cgroup v2 mount") == true)
  }

  // MARK: - kernel backend

  @Test func kernelNodesAreOptedIntoByAPolicyNamingThem() throws {
    let machine = Fixture.machine("proc-kernel")
    #expect(machine.privateNodes.map(\.backend) == [.kernel])
    let report = try audit(machine)
    // leaky: 50 pages under the default policy; its interleave:0-2 mapping's 100 pages on
    // node 2 are opted in. db (prefer:2), weighted interleave, prefer (many) and
    // bind=static are all opted in.
    #expect(report.violations.map(\.process.pid) == [701])
    #expect(report.violations.first?.pages == 50)
    #expect(report.violations.first?.reason == "no memory policy of the process names node 2")
    #expect(report.brokenFences.isEmpty)
    #expect(report.clean == false)
  }

  @Test func aKernelNodeWithAnOptInCgroupAcceptsItsMembers() throws {
    var node = PrivateNode(id: 2, label: "hbm0", capabilities: [.migration, .mempolicy], kernelPrivate: false, kernelBindable: nil)
    node.cgroup = "user.slice"
    let report = try audit(Fixture.machine("proc-kernel", declared: [node]))
    #expect(report.violations.isEmpty)
  }

  // MARK: - no backend

  @Test func anUnfencedNodeReportsEveryUseAndTheNodeItself() throws {
    let unfenced = Fixture.declared(2, "pmem0")
    let report = try audit(ProcFixture.cpuset([unfenced, ProcFixture.mem3]))
    let onTwo = report.violations.filter { $0.node == 2 }
    #expect(onTwo.map(\.process.pid) == [1500])
    #expect(onTwo.first?.pages == 20)
    #expect(onTwo.first?.reason.contains("not fenced") == true)
    let fence = try #require(report.brokenFences.first { $0.node == 2 })
    #expect(fence.leak == nil)
    #expect(fence.reason.contains("backend none"))
  }

  // MARK: - output

  @Test func noPrivateNodesIsClean() throws {
    let report = try audit(ProcFixture.cpuset([]))
    #expect(report.clean)
    #expect(report.scanned == 0)
    #expect(report.text.contains("no private nodes"))
  }

  @Test func jsonHasTheDocumentedFields() throws {
    let json = try audit(ProcFixture.cpuset()).json.rendered()
    let object = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(object["schema"] as? String == "privnuma.audit/1")
    #expect(object["clean"] as? Bool == false)
    #expect(object["complete"] as? Bool == true)
    #expect(object["processes_scanned"] as? Int == 7)
    let violations = try #require(object["violations"] as? [[String: Any]])
    #expect(violations.count == 2)
    #expect(violations[0]["pid"] as? Int == 900)
    #expect(violations[0]["label"] as? String == "mem3")
    #expect(violations[0]["user"] as? String == "root")
    #expect(violations[1]["file_pages"] as? Int == 16)
    let fences = try #require(object["broken_fences"] as? [[String: Any]])
    #expect(fences.map { $0["cgroup"] as? String } == ["/", "/user.slice/user-1002.slice/session-1.scope"])
    #expect(fences[0]["pids"] as? [Int] == [900])
    #expect(fences[0]["mems"] as? [Int] == [0, 1, 2, 3])
  }

  @Test func textNamesProcessNodeAndReason() throws {
    let text = try audit(ProcFixture.cpuset()).text
    #expect(text.contains("violations: 2"))
    #expect(text.contains("900"))
    #expect(text.contains("rogue"))
    #expect(text.contains("mem3"))
    #expect(text.contains("broken fences: 2"))
    #expect(text.hasSuffix("not clean\n"))
  }

  @Test func cgroupPathsAreComparedByComponent() {
    #expect(CgroupPath(relative: "privnuma.slice/mem3/").path == "/privnuma.slice/mem3")
    #expect(CgroupPath("/privnuma.slice/mem3").isWithin("/privnuma.slice/mem3"))
    #expect(CgroupPath("/privnuma.slice/mem3/job1").isWithin("/privnuma.slice/mem3"))
    #expect(!CgroupPath("/privnuma.slice/mem30").isWithin("/privnuma.slice/mem3"))
    #expect(!CgroupPath("/").isWithin("/privnuma.slice/mem3"))
  }
}
