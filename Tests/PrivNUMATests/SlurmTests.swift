import Foundation
import Testing

@testable import PrivNUMA

// Slurm's cgroups (DESIGN §11): a launch inside a job step stays there, and what the SPANK
// plugin's `__slurm-task` grants a task. Over the four-node-gaps fixture: general nodes 0
// and 1, node 4 declared private as cxl0 (cpuset backend) for group cram, node 6 general.

private let stepCgroup = "/system.slice/slurmstepd.scope/job_42/step_0"
private let taskCgroup = stepCgroup + "/user/task_1"

private func cxl0() -> PrivateNode {
  Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0", allowGroups: ["cram"])
}

/// The plan for `words` as a process in cgroup `cgroup` with `mems` in its cpuset would make it.
private func plan(_ words: [String], in cgroup: String, mems: NodeSet, identity: Identity = Fixture.alice) throws -> LaunchPlan {
  let machine = Fixture.machine("four-node-gaps", declared: [cxl0()])
  var status = try ProcessStatus.read(proc: machine.roots.proc).get()
  status.memsAllowed = mems
  let request = try OptionParser.parseLaunch(ArraySlice(words + ["app"])).get()
  var planner = Planner(machine: machine, identity: identity, names: Fixture.names, status: status, kernelRelease: "6.1.0")
  planner.ownCgroup = { cgroup }
  return planner.plan(request)
}

@Suite("Slurm") struct SlurmTests {
  @Test func findsTheJobStepAndTaskInACgroupPath() {
    let step = SlurmStep.containing(taskCgroup)
    #expect(step?.job == "/system.slice/slurmstepd.scope/job_42")
    #expect(step?.step == "step_0")
    #expect(step?.task == taskCgroup)

    let batch = SlurmStep.containing("/system.slice/slurmstepd.scope/job_7/step_batch/user/task_0")
    #expect(batch?.step == "step_batch")
    #expect(batch?.task == "/system.slice/slurmstepd.scope/job_7/step_batch/user/task_0")

    // slurmstepd's own cgroup is in the step but not a task's.
    let daemon = SlurmStep.containing(stepCgroup + "/slurm")
    #expect(daemon?.step == "step_0")
    #expect(daemon?.task == nil)
  }

  @Test func otherCgroupsAreNotSlurmSteps() {
    #expect(SlurmStep.containing("/user.slice/user-1001.slice/session-3.scope") == nil)
    #expect(SlurmStep.containing("/privnuma.slice/cxl0") == nil)
    #expect(SlurmStep.containing("/system.slice/job_x/step_0/user/task_0") == nil)
    #expect(SlurmStep.containing("/system.slice/slurmstepd.scope/job_42") == nil)
    #expect(SlurmStep.containing("/system.slice/slurmstepd.scope/job_42/step_") == nil)
  }

  @Test func aLaunchInsideAStepThatGrantsTheNodeStaysThere() throws {
    let result = try plan(["-p", "cxl0"], in: taskCgroup, mems: NodeSet([0, 1, 4]))
    #expect(result.failure == nil)
    #expect(result.cgroup == nil)
    #expect(result.checks.contains { $0.name == "backend 4" && $0.passed && $0.detail.contains(taskCgroup) })
  }

  @Test func aLaunchInsideAStepWithoutTheGrantIsRefusedAndNeverMoved() throws {
    let result = try plan(["-p", "cxl0"], in: taskCgroup, mems: NodeSet([0, 1]))
    #expect(result.failure?.kind == .system)
    #expect(result.cgroup == nil)
    let message = result.failure?.message ?? ""
    #expect(message.contains(taskCgroup))
    #expect(message.contains("SPANK plugin"))
    #expect(message.contains("never moves"))
  }

  @Test func theRulesStillComeFirstInsideAStep() throws {
    let result = try plan(["-p", "cxl0"], in: taskCgroup, mems: NodeSet([0, 1, 4]), identity: Fixture.bob)
    #expect(result.failure?.kind == .refused)
    #expect(result.failure?.message.contains("bob") == true)
  }

  @Test func outsideSlurmTheLaunchStillJoinsTheOptInCgroup() throws {
    let result = try plan(["-p", "cxl0"], in: "/user.slice/user-1001.slice/session-3.scope", mems: NodeSet([0, 1, 4]))
    #expect(result.cgroup?.hasSuffix("/privnuma.slice/cxl0") == true)
  }

  @Test func aTaskThatIsNotALaunchGetsTheGeneralNodes() {
    let grant = SlurmGrant.decide(stepMems: NodeSet([0, 1, 4, 6]), privateSet: NodeSet([4]), plan: nil, notLaunch: "not privnuma")
    #expect(grant.mems == NodeSet([0, 1, 6]))
    #expect(grant.reason == "not privnuma")
  }

  @Test func anAllowedLaunchGetsItsPrivateNodeAndNoOther() throws {
    let machine = Fixture.machine("four-node-gaps", declared: [cxl0(), Fixture.declared(6, "cxl1", cgroup: "privnuma.slice/cxl1")])
    let allowed = try plan(["-p", "cxl0"], in: taskCgroup, mems: NodeSet([0, 1, 4, 6]))
    let grant = SlurmGrant.decide(stepMems: NodeSet([0, 1, 4, 6]), privateSet: machine.privateSet, plan: allowed, notLaunch: "")
    #expect(grant.mems == NodeSet([0, 1, 4]))
    #expect(grant.reason.contains("node 4"))
  }

  @Test func aRefusedLaunchIsFencedWithTheRefusalAsReason() throws {
    let refused = try plan(["-p", "cxl0"], in: taskCgroup, mems: NodeSet([0, 1, 4]), identity: Fixture.bob)
    let grant = SlurmGrant.decide(stepMems: NodeSet([0, 1, 4]), privateSet: NodeSet([4]), plan: refused, notLaunch: "")
    #expect(grant.mems == NodeSet([0, 1]))
    #expect(grant.reason.contains("refused"))
    #expect(grant.reason.contains("bob"))
  }

  @Test func aStepWithoutThePrivateNodeCannotGrantIt() throws {
    let allowed = try plan(["-p", "cxl0"], in: taskCgroup, mems: NodeSet([0, 1, 4]))
    let grant = SlurmGrant.decide(stepMems: NodeSet([0, 1]), privateSet: NodeSet([4]), plan: allowed, notLaunch: "")
    #expect(grant.mems == NodeSet([0, 1]))
    #expect(grant.reason.contains("slurmstepd scope"))
  }

  @Test func onlyAPrivnumaLaunchWithoutItsOwnRegistryIsConsidered() {
    let machine = Fixture.machine("four-node-gaps", declared: [cxl0()])
    func consider(_ argv: [String]) -> (plan: LaunchPlan?, why: String) {
      SlurmTask.launchPlan(argv, machine: machine, identity: Fixture.alice, names: Fixture.names, pid: 1, cgroup: taskCgroup, stepMems: NodeSet([0, 1, 4]))
    }
    #expect(consider(["numactl", "-m", "4", "app"]).plan == nil)
    #expect(consider([]).plan == nil)
    #expect(consider(["privnuma", "--registry", "/home/alice/reg", "-p", "cxl0", "app"]).why.contains("--registry"))
    #expect(consider(["privnuma", "--hardware"]).plan == nil)
    #expect(consider(["privnuma", "-x"]).plan == nil)
    #expect(consider(["/usr/local/bin/privnuma", "-p", "cxl0", "--", "app"]).plan?.privateNodes == NodeSet([4]))
  }
}

// MARK: - What audit and fence status make of a granted task

extension SlurmTests {
  /// A cgroup tree with one Slurm step: task_0 as Slurm made it, task_1 granted node 4 by the
  /// plugin; each holds one process and can reach node 4 through the step's mems.
  private func slurmTree() throws -> (root: String, machine: Machine) {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("privnuma-slurm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    let user = root + stepCgroup + "/user"
    for (task, mems) in [("task_0", ""), ("task_1", "0-1,4")] {
      try FileManager.default.createDirectory(atPath: user + "/" + task, withIntermediateDirectories: true)
      try "\(mems)\n".write(toFile: user + "/" + task + "/cpuset.mems", atomically: true, encoding: .utf8)
      try "0-1,4\n".write(toFile: user + "/" + task + "/cpuset.mems.effective", atomically: true, encoding: .utf8)
      try "\(task == "task_0" ? 4100 : 4101)\n".write(toFile: user + "/" + task + "/cgroup.procs", atomically: true, encoding: .utf8)
    }
    try FileManager.default.createDirectory(atPath: root + "/privnuma.slice/cxl0", withIntermediateDirectories: true)
    try "cpuset memory\n".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
    let fixture = Fixture.roots("four-node-gaps")
    let roots = Roots(sysfs: fixture.sysfs, proc: fixture.proc, cgroup: root, registry: fixture.registry)
    return (root, Machine(roots: roots, topology: Topology(roots: roots), declared: [cxl0()]))
  }

  @Test func onlyTheTaskCgroupsOwnMemsCountAsAGrant() throws {
    let (root, _) = try slurmTree()
    defer { try? FileManager.default.removeItem(atPath: root) }
    #expect(SlurmStep.grants(4, to: stepCgroup + "/user/task_1", cgroupRoot: root))
    #expect(SlurmStep.grants(4, to: stepCgroup + "/user/task_1/sub", cgroupRoot: root))
    #expect(!SlurmStep.grants(4, to: stepCgroup + "/user/task_0", cgroupRoot: root))
    #expect(!SlurmStep.grants(4, to: stepCgroup + "/slurm", cgroupRoot: root))
    #expect(!SlurmStep.grants(4, to: "/user.slice/user-1001.slice", cgroupRoot: root))
  }

  @Test func theFenceCheckCountsAGrantedTaskAsOptedInAndAnUngrantedOneAsALeak() throws {
    let (root, machine) = try slurmTree()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let leaks = FenceCheck.check(machine: machine, roots: machine.roots).leaks
    #expect(leaks.map(\.cgroup) == [stepCgroup + "/user/task_0"])
    #expect(leaks.first?.node == 4)
  }

  @Test func slurmstepdsOwnCgroupIsNamedApartAndNotCountedAsALeak() throws {
    let (root, machine) = try slurmTree()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let daemon = root + "/system.slice/vm_slurmstepd.scope/system"
    try FileManager.default.createDirectory(atPath: daemon, withIntermediateDirectories: true)
    try "0-1,4\n".write(toFile: root + "/system.slice/vm_slurmstepd.scope/cpuset.mems.effective", atomically: true, encoding: .utf8)
    try "4200\n".write(toFile: daemon + "/cgroup.procs", atomically: true, encoding: .utf8)
    let check = FenceCheck.check(machine: machine, roots: machine.roots)
    #expect(check.slurmDaemons.map(\.cgroup) == ["/system.slice/vm_slurmstepd.scope/system"])
    #expect(check.slurmDaemons.first?.pids == [4200])
    #expect(!check.leaks.contains { $0.cgroup.hasSuffix("/system") })
    // fence status --json names it too, apart from the leaks.
    let json = Fence.Report(machine: machine).json.rendered(pretty: false)
    #expect(
      json.contains(
        #""slurm_daemons":[{"cgroup":"/system.slice/vm_slurmstepd.scope/system","mems_effective":[0,1,4],"pids":[4200]}]"#),
      "\(json)")
    // Only that one cgroup: a service or a task elsewhere in the scope's slice is judged as any.
    #expect(SlurmStep.isDaemonCgroup("/system.slice/slurmstepd.scope/system"))
    #expect(!SlurmStep.isDaemonCgroup("/system.slice/cron.service/system"))
    #expect(!SlurmStep.isDaemonCgroup("/system.slice/vm_slurmstepd.scope/job_1/system"))
    #expect(!SlurmStep.isDaemonCgroup("/system.slice/vm_slurmstepd.scope"))
  }
}
