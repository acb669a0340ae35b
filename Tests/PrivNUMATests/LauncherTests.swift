import CPrivNUMA
import Glibc
import Testing

@testable import PrivNUMA

/// A kernel whose cpuset changes between the planner's check and set_mempolicy: it accepts
/// any policy, keeps only the nodes of `mems` (what Linux does to a policy whose nodes leave
/// the cpuset, without an error) and records whether the command was executed.
private final class CpusetRaceKernel: StubKernel, @unchecked Sendable {
  let mems: NodeSet
  /// The mode the kernel reports back, when it differs from the one set.
  let reportedMode: PolicyMode?
  var applied: MemoryPolicy?
  var executed: [String]?

  init(mems: NodeSet, reportedMode: PolicyMode? = nil) {
    self.mems = mems
    self.reportedMode = reportedMode
  }

  var release: String { "6.1.0-27-cloud-amd64" }

  func setMemoryPolicy(_ policy: MemoryPolicy) -> Result<Void, Errno> {
    var kept = policy
    if !policy.flags.contains(.staticNodes) { kept.nodes = policy.nodes.intersection(mems) }
    if let reportedMode { kept.mode = reportedMode }
    applied = kept
    return .success(())
  }

  func memoryPolicy() -> Result<MemoryPolicy, Errno> {
    applied.map { .success($0) } ?? .failure(.invalidArgument)
  }

  func execute(_ arguments: [String]) -> Errno {
    executed = arguments
    // What execvp says for a command it cannot find: the launch then reports exit 127.
    return .noSuchFile
  }
}

private func plan(_ mode: PolicyMode, _ nodes: [Int], option: String) -> LaunchPlan {
  var plan = LaunchPlan()
  plan.policy = MemoryPolicy(mode: mode, nodes: NodeSet(nodes))
  plan.policyOption = option
  plan.command = ["workload", "64"]
  return plan
}

private func launch(_ plan: LaunchPlan, on kernel: CpusetRaceKernel) -> Failure {
  Launcher(kernel: kernel, privilege: Privilege(elevated: false)).launch(plan)
}

/// The launcher's read-back (DESIGN: a trimmed node mask is refused, never exec'd). The planner
/// refuses every trim it can foresee, so only a cpuset that changes in between reaches it.
@Suite("Launcher policy read-back")
struct LauncherTests {
  @Test func aBindTrimmedByTheCpusetIsRefusedAndNothingRuns() {
    let kernel = CpusetRaceKernel(mems: NodeSet([0, 1]))
    let failure = launch(plan(.bind, [1, 2], option: "membind"), on: kernel)
    #expect(kernel.executed == nil, "the command ran with a trimmed policy")
    #expect(failure.kind == .system)
    #expect(failure.message.hasPrefix("--membind: the kernel dropped node 2 from the policy (kept 1)"))
    #expect(failure.message.contains("Nothing was run"))
  }

  @Test func anInterleaveTrimmedByTheCpusetIsRefused() {
    let kernel = CpusetRaceKernel(mems: NodeSet([0, 2]))
    let failure = launch(plan(.interleave, [0, 1, 2, 3], option: "interleave"), on: kernel)
    #expect(kernel.executed == nil)
    #expect(failure.kind == .system)
    #expect(failure.message.hasPrefix("--interleave: the kernel dropped node 1,3 from the policy (kept 0,2)"))
  }

  @Test func aPreferredManyTrimmedByTheCpusetIsRefused() {
    let kernel = CpusetRaceKernel(mems: NodeSet([0]))
    let failure = launch(plan(.preferredMany, [0, 3], option: "preferred-many"), on: kernel)
    #expect(kernel.executed == nil)
    #expect(failure.message.contains("dropped node 3"))
  }

  @Test func aPolicyOfAnotherModeIsRefused() {
    let kernel = CpusetRaceKernel(mems: NodeSet([0, 1, 2, 3]), reportedMode: .interleave)
    let failure = launch(plan(.weightedInterleave, [0, 1], option: "weighted-interleave"), on: kernel)
    #expect(kernel.executed == nil)
    #expect(failure.kind == .system)
    #expect(failure.message == "--weighted-interleave: the kernel reports policy interleave instead of weighted-interleave; nothing was run")
  }

  @Test func aPolicyThatCannotBeReadBackIsRefused() {
    struct Mute: StubKernel {
      var release: String { "6.1.0" }
      func setMemoryPolicy(_ policy: MemoryPolicy) -> Result<Void, Errno> { .success(()) }
    }
    let failure = Launcher(kernel: Mute(), privilege: Privilege(elevated: false)).prepare(plan(.bind, [0], option: "membind"))
    #expect(failure?.kind == .system)
    #expect(failure?.message.contains("get_mempolicy failed") == true)
  }

  /// The counterpart: the same kernel with every node in the cpuset lets the command run, so
  /// the refusals above come from the read-back and not from this test's kernel.
  @Test func anIntactPolicyIsExecuted() {
    let kernel = CpusetRaceKernel(mems: NodeSet([0, 1, 2, 3]))
    let failure = launch(plan(.bind, [1, 2], option: "membind"), on: kernel)
    #expect(kernel.executed == ["workload", "64"])
    #expect(kernel.applied == MemoryPolicy(mode: .bind, nodes: NodeSet([1, 2])))
    #expect(failure.exitCode == 127)
  }

  /// `privnuma -m 1-2 --show` applies the policy to itself the same way: refused too.
  @Test func showAfterOptionsAlsoReadsBack() {
    let kernel = CpusetRaceKernel(mems: NodeSet([1]))
    let failure = Launcher(kernel: kernel, privilege: Privilege(elevated: false)).prepare(plan(.bind, [1, 2], option: "membind"))
    #expect(failure?.message.contains("dropped node 2") == true)
  }
}

/// A kernel that notes, at the moment of exec, whether the process still held a capability.
private final class ExecWitness: StubKernel, @unchecked Sendable {
  var capabilitiesAtExec: Int32 = -1
  var release: String { "6.1.0" }
  func execute(_ arguments: [String]) -> Errno {
    capabilitiesAtExec = CPrivNUMA_cap_none() == 1 ? 0 : 1
    return .noSuchFile
  }
}

/// Under privilege the launcher drops every capability and returns to the real ids before it
/// looks the command up and runs it (DESIGN §8), whatever exec itself would do.
@Suite("Launcher privilege")
struct LauncherPrivilegeTests {
  /// In a child (ChildProcess) holding cap_dac_override and cap_sys_nice permitted (setcap ...+p): 0 when the
  /// command was exec'd with no capability, else the failed step.
  static func child() -> Int32 {
    if CPrivNUMA_become_keeping_caps(65534, 65534) != 0 { return 11 }
    if CPrivNUMA_cap_limit(Capability.needed) != 0 { return 12 }
    if CPrivNUMA_cap_permitted(Capability.needed) != 1 { return 13 }
    let kernel = ExecWitness()
    var plan = LaunchPlan()
    plan.command = ["true"]
    _ = Launcher(kernel: kernel, privilege: Privilege(elevated: true)).launch(plan)
    if kernel.capabilitiesAtExec == -1 { return 14 }
    return kernel.capabilitiesAtExec == 0 ? 0 : 20
  }

  @Test(.enabled(if: getuid() == 0, "needs root to become another user with capabilities"))
  func theCommandIsExecutedWithoutAnyCapability() {
    let code = ChildProcess.run("launcher")
    #expect(code == 0, code == 20 ? "the command was exec'd with capabilities held" : "step \(code) failed in the child")
  }
}
