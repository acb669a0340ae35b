import Foundation
import Testing

@testable import PrivNUMA

// The planner over the fixture machines:
//
//   one-node        node 0 (cpus 0-1); cpuset mems 0
//   four-node-gaps  nodes 0 (cpus 0-1), 1 (cpus 2-3), 4 and 6 memory-only; cpuset mems 0-1,4,6;
//                   weighted-interleave weights in sysfs; no has_private_memory
//   rfc-v4          nodes 0, 1 general; 2 private and bindable (in has_memory); 3 private, not
//                   bindable (has_private_memory only); cpuset mems 0-2
//
// Every check of DESIGN §6, the kernel and cpuset checks, the advice, and the reports built
// from the same machines (hardware, show, nodes).

/// A plan for `words` (launch options; a command is appended) on a fixture machine.
private func plan(
  _ fixture: String, _ words: [String], declared: [PrivateNode] = [], identity: Identity = Fixture.alice,
  kernel: String = "6.18.0", memsAllowed: NodeSet? = nil, machine: Machine? = nil
) throws -> LaunchPlan {
  let machine = machine ?? Fixture.machine(fixture, declared: declared)
  var status = try ProcessStatus.read(proc: machine.roots.proc).get()
  if let memsAllowed { status.memsAllowed = memsAllowed }
  let request = try OptionParser.parseLaunch(ArraySlice(words + ["app"])).get()
  return Planner(machine: machine, identity: identity, names: Fixture.names, status: status, kernelRelease: kernel)
    .plan(request)
}

/// The RFC-v4 registry of the VM scenarios: cxl0 (node 2) for group cram, zram0 (node 3)
/// compressed RAM reached by demotion only.
private func cxl0(
  capabilities: Capabilities = [.migration, .mempolicy], allowGroups: [String]? = ["cram"],
  allowUsers: [String]? = nil, minFree: UInt64? = nil
) -> PrivateNode {
  var node = Fixture.declared(
    2, "cxl0", capabilities: capabilities, allowGroups: allowGroups, allowUsers: allowUsers, minFree: minFree)
  node.kind = "expander"
  return node
}

private func zram0(capabilities: Capabilities = [.migration, .demotion, .reclaim]) -> PrivateNode {
  var node = Fixture.declared(3, "zram0", capabilities: capabilities)
  node.kind = "compressed"
  return node
}

private let rfcRegistry = [cxl0(), zram0()]

private func check(_ plan: LaunchPlan, _ name: String) -> LaunchPlan.Check? {
  plan.checks.first { $0.name == name }
}

private func contains(_ text: String?, _ words: String...) -> Bool {
  guard let text = text?.lowercased() else { return false }
  return words.allSatisfy { text.contains($0.lowercased()) }
}

/// The planner and the reports built from the same fixture machines.
@Suite struct PlannerTests {}

// MARK: - Existence

extension PlannerTests {
  @Suite("Planner: existence")
  struct Existence {
    @Test func aDeclaredNodeTheKernelLacksIsRefusedByLabel() throws {
      let ghost = Fixture.declared(5, "ghost")
      let result = try plan("rfc-v4", ["-p", "ghost"], declared: rfcRegistry + [ghost])
      #expect(result.failure?.kind == .refused)
      #expect(contains(result.failure?.message, "node 5", "ghost", "no such node online", "Id="))
      #expect(check(result, "exists 5")?.passed == false)
    }

    @Test func anUnknownNodeNumberIsAUsageError() throws {
      let result = try plan("rfc-v4", ["-m", "5"], declared: rfcRegistry)
      #expect(result.failure?.kind == .usage)
      #expect(contains(result.failure?.message, "--membind", "node 5 does not exist", "0-3"))
    }

    @Test func aNodeInAGapOfTheNumberingDoesNotExist() throws {
      let result = try plan("four-node-gaps", ["-m", "2"])
      #expect(result.failure?.kind == .usage)
      #expect(contains(result.failure?.message, "node 2 does not exist", "0-1,4,6"))
    }

    @Test func aKernelPrivateNodeWithoutRegistryEntryIsDeclaredByTheKernel() throws {
      let result = try plan("rfc-v4", ["-p", "2"])
      #expect(result.failure == nil)
      #expect(contains(check(result, "exists 2")?.detail, "declared by the kernel"))
    }

    @Test func aRegistryNodeIsDeclaredByTheRegistry() throws {
      let result = try plan("four-node-gaps", ["-p", "cxl0"], declared: [Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0")])
      #expect(result.failure == nil)
      #expect(contains(check(result, "exists 4")?.detail, "declared by the registry"))
    }
  }
}

// MARK: - Access

extension PlannerTests {
  @Suite("Planner: access")
  struct Access {
    @Test func aMemberOfAnAllowedGroupMayUseTheNode() throws {
      let result = try plan("rfc-v4", ["-p", "cxl0"], declared: rfcRegistry, identity: Fixture.alice)
      #expect(result.failure == nil)
      #expect(result.policy == MemoryPolicy(mode: .preferred, nodes: NodeSet([2])))
      #expect(contains(check(result, "access 2")?.detail, "cram"))
    }

    @Test func someoneOutsideTheGroupIsRefusedWithTheRuleAndTheFix() throws {
      let result = try plan("rfc-v4", ["-p", "cxl0"], declared: rfcRegistry, identity: Fixture.bob)
      #expect(result.failure?.kind == .refused)
      #expect(result.failure?.exitCode == 3)
      let message = result.failure?.message
      #expect(contains(message, "node 2", "cxl0", "bob", "AllowGroups=cram"))
      #expect(contains(message, "administrator"))
      #expect(check(result, "access 2")?.passed == false)
    }

    @Test func aSupplementaryGroupCounts() throws {
      let carol = Identity(uid: 1003, gid: 1003, groups: [1003, 2002, 2001], userName: "carol")
      let result = try plan("rfc-v4", ["-p", "2"], declared: rfcRegistry, identity: carol)
      #expect(result.failure == nil)
    }

    @Test func thePrimaryGroupCounts() throws {
      let dave = Identity(uid: 1004, gid: 2001, groups: [2001], userName: "dave")
      let result = try plan("rfc-v4", ["-p", "2"], declared: rfcRegistry, identity: dave)
      #expect(result.failure == nil)
    }

    @Test func allowUsersByNameAndByNumber() throws {
      let byName = [cxl0(allowGroups: nil, allowUsers: ["alice"]), zram0()]
      #expect(try plan("rfc-v4", ["-p", "cxl0"], declared: byName, identity: Fixture.alice).failure == nil)
      let refused = try plan("rfc-v4", ["-p", "cxl0"], declared: byName, identity: Fixture.bob)
      #expect(refused.failure?.kind == .refused)
      #expect(contains(refused.failure?.message, "AllowUsers=alice"))

      let byNumber = [cxl0(allowGroups: nil, allowUsers: ["1002"]), zram0()]
      #expect(try plan("rfc-v4", ["-p", "cxl0"], declared: byNumber, identity: Fixture.bob).failure == nil)
      #expect(try plan("rfc-v4", ["-p", "cxl0"], declared: byNumber, identity: Fixture.alice).failure?.kind == .refused)
    }

    @Test func eitherAllowKeySuffices() throws {
      let both = [cxl0(allowGroups: ["hpc"], allowUsers: ["bob"]), zram0()]
      #expect(try plan("rfc-v4", ["-p", "cxl0"], declared: both, identity: Fixture.bob).failure == nil)
      let hpc = Identity(uid: 1005, gid: 1005, groups: [1005, 2002], userName: "erin")
      #expect(try plan("rfc-v4", ["-p", "cxl0"], declared: both, identity: hpc).failure == nil)
      let refused = try plan("rfc-v4", ["-p", "cxl0"], declared: both, identity: Fixture.alice)
      #expect(refused.failure?.kind == .refused)
      #expect(contains(refused.failure?.message, "AllowUsers=bob", "AllowGroups=hpc"))
    }

    @Test func noAllowKeyMeansEveryone() throws {
      let open = [cxl0(allowGroups: nil), zram0()]
      #expect(try plan("rfc-v4", ["-p", "cxl0"], declared: open, identity: Fixture.bob).failure == nil)
    }

    @Test func anUnresolvableGroupAllowsNobodyButDoesNotCrash() throws {
      let unknown = [cxl0(allowGroups: ["no-such-group"]), zram0()]
      let names = NameService(userID: { _ in nil }, groupID: { _ in nil })
      let machine = Fixture.machine("rfc-v4", declared: unknown)
      let status = try ProcessStatus.read(proc: machine.roots.proc).get()
      let request = try OptionParser.parseLaunch(["-p", "cxl0", "app"]).get()
      let result = Planner(machine: machine, identity: Fixture.alice, names: names, status: status, kernelRelease: "6.18.0")
        .plan(request)
      #expect(result.failure?.kind == .refused)
    }

    @Test func aNodeTheCallerMayNotUseIsNeverPartOfPrivate() throws {
      // bob may not use cxl0 (group cram); `private` must not hand it to him.
      let result = try plan("rfc-v4", ["-P", "private"], declared: rfcRegistry, identity: Fixture.bob)
      #expect(result.failure?.kind == .refused)
      #expect(result.policy?.nodes.contains(2) != true)
    }
  }
}

// MARK: - Capabilities

extension PlannerTests {
  @Suite("Planner: capabilities")
  struct CapabilityRules {
    @Test func aNodeWithoutMempolicyIsRefusedAndDemotionIsNamed() throws {
      for words in [["-m", "3"], ["-p", "zram0"], ["-i", "0,3"], ["-P", "2-3"], ["-w", "zram0"]] {
        let result = try plan("rfc-v4", words, declared: rfcRegistry)
        #expect(result.failure?.kind == .refused, "\(words)")
        #expect(contains(result.failure?.message, "node 3", "zram0", "mempolicy", "demotion"), "\(words)")
        #expect(check(result, "capability 3")?.passed == false, "\(words)")
      }
    }

    @Test func aNodeWithNeitherMempolicyNorDemotionCannotBeNamed() throws {
      let result = try plan("rfc-v4", ["-m", "3"], declared: [cxl0(), zram0(capabilities: [.migration, .reclaim])])
      #expect(result.failure?.kind == .refused)
      #expect(contains(result.failure?.message, "mempolicy", "cannot be named"))
    }

    @Test func aKernelOnlyNodeThatIsNotBindableIsRefused() throws {
      let result = try plan("rfc-v4", ["-m", "3"])
      #expect(result.failure?.kind == .refused)
      #expect(contains(result.failure?.message, "node 3", "node3", "mempolicy"))
    }

    @Test func balancingNeedsTheNumaBalancingCapability() throws {
      let refused = try plan("rfc-v4", ["-b", "-m", "cxl0"], declared: rfcRegistry)
      #expect(refused.failure?.kind == .refused)
      #expect(contains(refused.failure?.message, "cxl0", "numa-balancing", "--balancing"))

      let allowed = try plan(
        "rfc-v4", ["-b", "-m", "cxl0"],
        declared: [cxl0(capabilities: [.migration, .mempolicy, .numaBalancing]), zram0()])
      #expect(allowed.failure == nil)
      #expect(allowed.policy?.flags == [.numaBalancing])
      #expect(contains(check(allowed, "capability 2")?.detail, "NUMA balancing"))
    }

    @Test func balancingOnGeneralNodesNeedsNoCapability() throws {
      let result = try plan("rfc-v4", ["-b", "-m", "0-1"], declared: rfcRegistry)
      #expect(result.failure == nil)
    }

    @Test func theRegistryCannotOverruleAKernelThatRefusesPolicies() throws {
      // The registry says node 3 takes memory policies; the kernel does not list it in has_memory.
      let result = try plan("rfc-v4", ["-p", "zram0"], declared: [cxl0(), zram0(capabilities: [.migration, .mempolicy])])
      #expect(result.failure?.kind == .refused)
      #expect(result.failure?.exitCode == 3)
      #expect(contains(result.failure?.message, "node 3", "kernel", "has_memory", "EINVAL"))
    }
  }
}

// MARK: - Reserve and backend

extension PlannerTests {
  @Suite("Planner: reserve and backend")
  struct ReserveAndBackend {
    // rfc-v4 node 2 has 16000000 kB free (about 15.3 GiB).
    @Test func freeMemoryBelowMinFreeIsRefused() throws {
      let result = try plan("rfc-v4", ["-p", "cxl0"], declared: [cxl0(minFree: 16 << 30), zram0()])
      #expect(result.failure?.kind == .refused)
      #expect(contains(result.failure?.message, "cxl0", "MinFree", "16 GiB", "15.3 GiB"))
      #expect(check(result, "reserve 2")?.passed == false)
    }

    @Test func freeMemoryAboveMinFreePasses() throws {
      let result = try plan("rfc-v4", ["-p", "cxl0"], declared: [cxl0(minFree: 1 << 30), zram0()])
      #expect(result.failure == nil)
      #expect(check(result, "reserve 2")?.passed == true)
    }

    @Test func freeMemoryExactlyAtMinFreePasses() throws {
      let result = try plan("rfc-v4", ["-p", "cxl0"], declared: [cxl0(minFree: 16_000_000 * 1024), zram0()])
      #expect(result.failure == nil)
    }

    @Test func anUnfencedNodeIsRefusedUnlessAllowed() throws {
      // four-node-gaps has no has_private_memory: a registry node without Cgroup= has backend none.
      let declared = [Fixture.declared(4, "cxl0")]
      let refused = try plan("four-node-gaps", ["-m", "cxl0"], declared: declared)
      #expect(refused.failure?.kind == .refused)
      #expect(contains(refused.failure?.message, "cxl0", "not fenced", "--allow-unfenced"))
      #expect(check(refused, "backend 4")?.passed == false)

      let allowed = try plan("four-node-gaps", ["--allow-unfenced", "-m", "cxl0"], declared: declared)
      #expect(allowed.failure == nil)
      #expect(allowed.warnings.contains { contains($0, "not fenced") })
      #expect(allowed.cgroup == nil)
    }

    @Test func aCpusetNodeJoinsItsOptInCgroup() throws {
      let machine = Fixture.machine("four-node-gaps", declared: [Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0")])
      let result = try plan("four-node-gaps", ["-m", "cxl0"], machine: machine)
      #expect(result.failure == nil)
      #expect(result.cgroup == machine.roots.cgroup + "/privnuma.slice/cxl0")
      #expect(contains(check(result, "backend 4")?.detail, "privnuma.slice/cxl0"))
      // A kernel-private node needs no cgroup.
      #expect(try plan("rfc-v4", ["-p", "cxl0"], declared: rfcRegistry).cgroup == nil)
      // General nodes alone stay where they are.
      #expect(try plan("four-node-gaps", ["-m", "0"], machine: machine).cgroup == nil)
    }

    @Test func nodesOfTwoDifferentCgroupsCannotBeCombined() throws {
      let declared = [
        Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0"), Fixture.declared(6, "cxl1", cgroup: "privnuma.slice/cxl1"),
      ]
      let result = try plan("four-node-gaps", ["-i", "cxl0,cxl1"], declared: declared)
      #expect(result.failure?.kind == .refused)
      #expect(contains(result.failure?.message, "different opt-in cgroups", "privnuma.slice/cxl0", "privnuma.slice/cxl1"))

      let shared = [
        Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl"), Fixture.declared(6, "cxl1", cgroup: "privnuma.slice/cxl"),
      ]
      let together = try plan("four-node-gaps", ["-i", "cxl0,cxl1"], declared: shared)
      #expect(together.failure == nil)
      #expect(together.cgroup?.hasSuffix("/privnuma.slice/cxl") == true)
    }

    @Test func theOptInCgroupsMemsDecideTheCpusetCheck() throws {
      let cgroupRoot = FileManager.default.temporaryDirectory.appendingPathComponent("privnuma-planner-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
      defer { try? FileManager.default.removeItem(atPath: cgroupRoot) }
      let slice = cgroupRoot + "/privnuma.slice/cxl0"
      try FileManager.default.createDirectory(atPath: slice, withIntermediateDirectories: true)
      let fixtureRoots = Fixture.roots("four-node-gaps")
      let roots = Roots(sysfs: fixtureRoots.sysfs, proc: fixtureRoots.proc, cgroup: cgroupRoot, registry: fixtureRoots.registry)
      let machine = Machine(
        roots: roots, topology: Topology(roots: roots),
        declared: [Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0")])

      // The caller's cpuset leaves node 4 out, the opt-in cgroup includes it: allowed.
      try "0-1,4\n".write(toFile: slice + "/cpuset.mems.effective", atomically: true, encoding: .utf8)
      let allowed = try plan("four-node-gaps", ["-m", "cxl0"], memsAllowed: NodeSet([0, 1]), machine: machine)
      #expect(allowed.failure == nil)
      #expect(allowed.cgroup == slice)

      // The opt-in cgroup itself leaves node 4 out (and so does the caller's cpuset, or the
      // launch would stay where it is): refused before anything runs, naming it.
      try "0-1\n".write(toFile: slice + "/cpuset.mems.effective", atomically: true, encoding: .utf8)
      let refused = try plan("four-node-gaps", ["-m", "cxl0"], memsAllowed: NodeSet([0, 1]), machine: machine)
      #expect(refused.failure?.kind == .system)
      #expect(contains(refused.failure?.message, "node 4", "opt-in cgroup", slice))
    }
  }
}

// MARK: - Kernel version and cpuset

extension PlannerTests {
  @Suite("Planner: kernel and cpuset")
  struct KernelAndCpuset {
    @Test func weightedInterleaveOnAnOldKernelNamesTheVersionNeeded() throws {
      let result = try plan("rfc-v4", ["-w", "0-1"], kernel: "6.1.0-27-cloud-amd64")
      #expect(result.failure?.kind == .system)
      #expect(result.failure?.exitCode == 1)
      #expect(contains(result.failure?.message, "--weighted-interleave", "6.9", "6.1.0-27-cloud-amd64"))
      #expect(check(result, "kernel")?.passed == false)
    }

    @Test func weightedInterleaveOnANewKernelPasses() throws {
      #expect(try plan("rfc-v4", ["-w", "0-1"], kernel: "6.9.0").failure == nil)
      #expect(try plan("one-node", ["-w", "0"], kernel: "6.18.44-fc").failure == nil)
    }

    @Test func weightedInterleaveIsDetectedFromSysfsWhereTheKernelHasIt() throws {
      // four-node-gaps has /sys/kernel/mm/mempolicy/weighted_interleave: a backport counts.
      #expect(try plan("four-node-gaps", ["-w", "0-1"], kernel: "6.1.0-27-cloud-amd64").failure == nil)
    }

    @Test func preferredManyOnAnOldKernelNamesTheVersionNeeded() throws {
      let result = try plan("four-node-gaps", ["-P", "0-1"], kernel: "5.10.0-30-amd64")
      #expect(result.failure?.kind == .system)
      #expect(contains(result.failure?.message, "--preferred-many", "5.15", "5.10.0-30-amd64"))
      #expect(try plan("four-node-gaps", ["-P", "0-1"], kernel: "5.15.0").failure == nil)
    }

    @Test func olderModesPassOnOldKernels() throws {
      for words in [["-m", "0"], ["-p", "0"], ["-i", "0-1"], ["-l"]] {
        #expect(try plan("four-node-gaps", words, kernel: "5.10.0").failure == nil, "\(words)")
      }
    }

    @Test func aNodeOutsideTheCpusetIsRefusedNamingTheCpuset() throws {
      let result = try plan("four-node-gaps", ["-m", "4"], memsAllowed: NodeSet([0, 1]))
      #expect(result.failure?.kind == .system)
      #expect(result.failure?.exitCode == 1)
      let message = result.failure?.message
      #expect(contains(message, "node 4", "cpuset", "0-1"))
      #expect(contains(message, "/user.slice/user-1000.slice/session-1.scope"))
      #expect(check(result, "cpuset")?.passed == false)
    }

    @Test func nodesInsideTheCpusetPass() throws {
      let result = try plan("four-node-gaps", ["-i", "0,4,6"])
      #expect(result.failure == nil)
      #expect(check(result, "cpuset")?.passed == true)
    }

    @Test func staticKeepsANodeOutsideTheCpusetWithAWarning() throws {
      let result = try plan("four-node-gaps", ["--static", "-m", "1,4"], memsAllowed: NodeSet([0, 1]))
      #expect(result.failure == nil)
      #expect(result.policy?.flags == [.staticNodes])
      #expect(result.warnings.contains { contains($0, "node 4", "--static") })
      // With none of its nodes in the cpuset, --static cannot help.
      #expect(try plan("four-node-gaps", ["--static", "-m", "4"], memsAllowed: NodeSet([0, 1])).failure?.kind == .system)
    }

    @Test func relativeNodesAreNotHeldToTheCpusetByNumber() throws {
      let result = try plan("four-node-gaps", ["--relative", "-m", "4"], memsAllowed: NodeSet([0, 1]))
      #expect(result.failure == nil)
      #expect(result.policy?.flags == [.relativeNodes])
    }
  }
}

// MARK: - NODES and CPUs

extension PlannerTests {
  @Suite("Planner: nodes and CPUs")
  struct NodesAndCPUs {
    @Test func preferredTakesOneNode() throws {
      let result = try plan("four-node-gaps", ["-p", "0,1"])
      #expect(result.failure?.kind == .usage)
      #expect(contains(result.failure?.message, "--preferred", "0,1", "--preferred-many"))
    }

    @Test func cpunodebindOnAMemoryOnlyNodeIsAUsageError() throws {
      for (fixture, node) in [("four-node-gaps", "4"), ("rfc-v4", "2")] {
        let result = try plan(fixture, ["-N", node])
        #expect(result.failure?.kind == .usage, "\(fixture)")
        #expect(contains(result.failure?.message, "--cpunodebind", "node \(node)", "no CPUs", "--membind"), "\(fixture)")
      }
    }

    @Test func cpunodebindResolvesTheCPUsOfTheNodes() throws {
      let result = try plan("four-node-gaps", ["-N", "1", "-m", "4"])
      #expect(result.failure == nil)
      #expect(result.cpus == CPUSet([2, 3]))
    }

    @Test func physcpubindChecksCPUsExist() throws {
      let result = try plan("four-node-gaps", ["-C", "999"])
      #expect(result.failure?.kind == .usage)
      #expect(contains(result.failure?.message, "--physcpubind", "999"))
      #expect(try plan("four-node-gaps", ["-C", "1-2"]).cpus == CPUSet([1, 2]))
    }

    @Test func allNeverIncludesAPrivateNode() throws {
      for identity in [Fixture.alice, Fixture.bob] {
        for words in [["-i", "all"], ["-a", "-i", "all"], ["-m", "all"], ["-w", "all"], ["-P", "all"]] {
          let result = try plan("rfc-v4", words, declared: rfcRegistry, identity: identity)
          #expect(result.failure == nil, "\(words)")
          #expect(result.policy?.nodes == NodeSet([0, 1]), "\(words)")
          #expect(result.privateNodes.isEmpty, "\(words)")
        }
      }
      // The same without a registry: the kernel's private nodes alone.
      #expect(try plan("rfc-v4", ["-i", "all"]).policy?.nodes == NodeSet([0, 1]))
    }

    @Test func allFollowsTheCpusetUnlessAllIsGiven() throws {
      #expect(try plan("four-node-gaps", ["-i", "all"], memsAllowed: NodeSet([0, 1, 4])).policy?.nodes == NodeSet([0, 1, 4]))
      let all = try plan("four-node-gaps", ["-a", "-i", "all"], memsAllowed: NodeSet([0, 1, 4, 6]))
      #expect(all.policy?.nodes == NodeSet([0, 1, 4, 6]))
    }

    @Test func inversionCoversGeneralNodesOnly() throws {
      let result = try plan("rfc-v4", ["-i", "!0"], declared: rfcRegistry)
      #expect(result.policy?.nodes == NodeSet([1]))
    }

    @Test func privateMeansThePrivateNodesTheCallerMayUse() throws {
      // zram0 takes no memory policy, so `private` cannot sensibly include it.
      let alice = try plan("rfc-v4", ["-P", "private"], declared: rfcRegistry, identity: Fixture.alice)
      #expect(alice.failure == nil, "\(alice.failure?.message ?? "")")
      #expect(alice.policy?.nodes == NodeSet([2]))
    }

    @Test func privateWithNothingUsableIsRefused() throws {
      let onlyCxl = [cxl0()]
      let result = try plan("rfc-v4", ["-P", "private"], declared: onlyCxl, identity: Fixture.bob)
      #expect(result.failure != nil)
      #expect(result.policy?.nodes.contains(2) != true)
    }

    @Test func aLabelNamesItsNode() throws {
      let result = try plan("rfc-v4", ["-P", "0,cxl0"], declared: rfcRegistry)
      #expect(result.failure == nil)
      #expect(result.policy?.nodes == NodeSet([0, 2]))
      #expect(result.privateNodes == NodeSet([2]))
    }

    @Test func anUnlabelledKernelPrivateNodeIsNamedNodeN() throws {
      let result = try plan("rfc-v4", ["-p", "node2"])
      #expect(result.failure == nil)
      #expect(result.policy?.nodes == NodeSet([2]))
    }

    @Test func twoPoliciesAreAUsageErrorBeforePlanning() {
      #expect(throws: Failure.self) { try OptionParser.launchRequest(["-m", "0", "-i", "0", "app"]) }
    }
  }
}

// MARK: - Advice

extension PlannerTests {
  @Suite("Planner: advice")
  struct Advice {
    @Test func bindingAWholeProcessToOnlyAKernelPrivateNodeAdvisesPreferred() throws {
      let result = try plan("rfc-v4", ["-m", "cxl0"], declared: rfcRegistry)
      #expect(result.failure == nil)
      #expect(result.advice.count == 1)
      #expect(contains(result.advice.first, "node 2", "page cache", "--preferred=2"))
    }

    @Test func noAdviceWhenGeneralMemoryIsInTheMaskOrThePolicyPrefers() throws {
      for words in [["-m", "0,2"], ["-p", "cxl0"], ["-P", "cxl0"], ["-i", "0-2"], ["-m", "0-1"]] {
        let result = try plan("rfc-v4", words, declared: rfcRegistry)
        #expect(result.failure == nil, "\(words)")
        #expect(result.advice.isEmpty, "\(words)")
      }
    }

    @Test func noAdviceForACpusetFencedNode() throws {
      let result = try plan("four-node-gaps", ["-m", "cxl0"], declared: [Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0")])
      #expect(result.failure == nil)
      #expect(result.advice.isEmpty)
    }

    @Test func aRefusedPlanCarriesNoAdvice() throws {
      let result = try plan("rfc-v4", ["-m", "cxl0"], declared: rfcRegistry, identity: Fixture.bob)
      #expect(result.failure != nil)
      #expect(result.advice.isEmpty)
    }
  }
}

// MARK: - Merging the registry with the kernel

extension PlannerTests {
  @Suite("Machine.merge")
  struct MachineMerge {
    @Test func unlabelledKernelPrivateNodesAreNamedNodeN() {
      let machine = Fixture.machine("rfc-v4")
      #expect(machine.privateNodes.map(\.id) == [2, 3])
      #expect(machine.privateNodes.map(\.label) == ["node2", "node3"])
      let (two, three) = (machine.privateNodes[0], machine.privateNodes[1])
      #expect(two.kernelPrivate && three.kernelPrivate)
      #expect(two.backend == .kernel && three.backend == .kernel)
      #expect(two.bindable && two.capabilities.contains(.mempolicy))
      #expect(!three.bindable && three.capabilities.isEmpty)
      #expect(two.source == nil)
      #expect(two.disagreements.isEmpty && three.disagreements.isEmpty)
      #expect(machine.generalNodes == NodeSet([0, 1]))
      #expect(machine.labels.map(\.label) == ["node2", "node3"])
    }

    @Test func registryEntriesTakeOverLabelsAndCapabilities() {
      let machine = Fixture.machine("rfc-v4", declared: rfcRegistry)
      #expect(machine.privateNodes.map(\.label) == ["cxl0", "zram0"])
      let zram = machine.privateNode(3)
      #expect(zram?.kernelPrivate == true)
      #expect(zram?.kernelBindable == false)
      #expect(zram?.bindable == false)
      #expect(zram?.kind == "compressed")
      #expect(zram?.disagreements.isEmpty == true)
      #expect(machine.privateNode(2)?.kernelBindable == true)
      #expect(machine.privateNode(2)?.allowGroups == ["cram"])
    }

    @Test func aRegistryThatAllowsPoliciesTheKernelRefusesIsADisagreement() {
      let machine = Fixture.machine("rfc-v4", declared: [zram0(capabilities: [.migration, .mempolicy])])
      let node = machine.privateNode(3)
      #expect(node?.bindable == false)
      #expect(node?.disagreements.count == 1)
      #expect(contains(node?.disagreements.first, "allows memory policies but the kernel does not", "has_memory"))
      #expect(contains(node?.disagreements.first, "50-zram0.conf"))
    }

    @Test func aRegistryNodeTheKernelLacksIsADisagreement() {
      let machine = Fixture.machine("rfc-v4", declared: [Fixture.declared(7, "ghost")])
      let ghost = machine.privateNode(7)
      #expect(ghost?.kernelBindable == false)
      #expect(ghost?.bindable == false)
      #expect(ghost?.disagreements.contains { contains($0, "no online node 7") } == true)
      // The kernel's own private nodes are still there, with their default labels.
      #expect(machine.privateNodes.map(\.id) == [2, 3, 7])
      #expect(machine.privateNode(2)?.label == "node2")
    }

    @Test func aRegistryNodeOnAKernelWithoutPrivateNodes() {
      let machine = Fixture.machine("four-node-gaps", declared: [Fixture.declared(4, "cxl0", cgroup: "privnuma.slice/cxl0")])
      #expect(machine.topology.kernelPrivate == nil)
      let node = machine.privateNode(4)
      #expect(node?.kernelPrivate == false)
      #expect(node?.kernelBindable == true)
      #expect(node?.backend == .cpuset)
      #expect(machine.generalNodes == NodeSet([0, 1, 6]))
    }

    @Test func aMachineWithoutPrivateNodes() {
      let machine = Fixture.machine("one-node")
      #expect(machine.privateNodes.isEmpty)
      #expect(machine.generalNodes == NodeSet([0]))
    }
  }
}

// MARK: - Reports

/// A kernel that answers from fixed values, for `show`.
private struct MockKernel: StubKernel {
  var policy: MemoryPolicy = MemoryPolicy(mode: .default)
  var next: Int = 0
  var mems: NodeSet = NodeSet([0, 1, 2, 3])
  var cpus: CPUSet = CPUSet([0, 1, 2, 3])
  var release: String = "6.18.0"

  func memoryPolicy() -> Result<MemoryPolicy, Errno> { .success(policy) }
  func nextInterleaveNode() -> Result<Int, Errno> { .success(next) }
  func allowedMemoryNodes() -> Result<NodeSet, Errno> { .success(mems) }
  func affinity() -> Result<CPUSet, Errno> { .success(cpus) }
}

private func lines(_ text: String) -> [String] {
  text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
}

private func parseJSON(_ json: JSON) throws -> [String: Any] {
  let data = Data(json.rendered().utf8)
  return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

extension PlannerTests {
  @Suite("Reports over fixtures")
  struct Reports {
    @Test func hardwareTextInNumactlLayout() {
      let text = HardwareReport(machine: Fixture.machine("four-node-gaps")).text
      let expected = """
        available: 4 nodes (0-1,4,6)
        node 0 cpus: 0 1
        node 0 size: 8192 MB
        node 0 free: 6144 MB
        node 1 cpus: 2 3
        node 1 size: 8192 MB
        node 1 free: 7168 MB
        node 4 cpus:
        node 4 size: 4096 MB
        node 4 free: 4096 MB
        node 6 cpus:
        node 6 size: 2048 MB
        node 6 free: 1953 MB
        node distances:
        node   0   1   4   6 
          0:  10  21  30  40 
          1:  21  10  30  40 
          4:  30  30  10  50 
          6:  40  40  50  10 
        weighted interleave weights: 0:3 1:3 4:1 6:1

        """
      #expect(text == expected)
    }

    @Test func distanceRowsParseAsTheKernelWritesThem() {
      #expect(Topology.distanceRow(Array("10 21 255 1000\n".utf8)) == [10, 21, 255, 1000])
      #expect(Topology.distanceRow(Array("10  21".utf8)) == [10, 21])
      #expect(Topology.distanceRow([]) == [])
      // A value past 16 bits ends the row: what follows is shown as absent, never wrapped.
      #expect(Topology.distanceRow(Array("10 70000 20\n".utf8)) == [10])
      // Two digits then a separator are taken in one step; every other shape one digit at a time.
      #expect(Topology.distanceRow(Array("10 21 99\n".utf8)) == [10, 21, 99])
      #expect(Topology.distanceRow(Array("10 21".utf8)) == [10, 21])
      #expect(Topology.distanceRow(Array("7 10 100 20 5\n".utf8)) == [7, 10, 100, 20, 5])
      #expect(Topology.distanceRow(Array(" 10\n\n21 ".utf8)) == [10, 21])
      #expect(Topology.distanceRow(Array("10 99999\n".utf8)) == [10])
    }

    @Test func hardwareTextPadsWideAndMissingDistances() {
      var report = HardwareReport(machine: Fixture.machine("four-node-gaps"))
      report.nodes[3].id = 1000
      report.nodes[0].distances = [10, 1234]
      let table = lines(report.distanceTable)
      #expect(table[1] == "node   0   1   4 1000 ")
      #expect(table[2] == "  0:  10 1234   -   - ")
      #expect(table[5] == "1000:  40  40  50  10 ")
    }

    @Test func hardwareTextOfOneNode() {
      let text = lines(HardwareReport(machine: Fixture.machine("one-node")).text)
      #expect(text.prefix(4) == ["available: 1 nodes (0)", "node 0 cpus: 0 1", "node 0 size: 5210 MB", "node 0 free: 3908 MB"])
      #expect(text.contains("node distances:"))
      #expect(!text.contains { $0.hasPrefix("weighted interleave") })
    }

    @Test func hardwareMarksPrivateNodes() {
      let text = lines(HardwareReport(machine: Fixture.machine("rfc-v4", declared: rfcRegistry)).text)
      #expect(text.contains("node 2 private: cxl0 backend=kernel kind=expander capabilities=migration,mempolicy"))
      #expect(text.contains("node 3 private: zram0 backend=kernel kind=compressed capabilities=migration,demotion,reclaim (not bindable)"))
      #expect(!text.contains { $0.hasPrefix("node 0 private") || $0.hasPrefix("node 1 private") })
      // The private line follows the node's own lines.
      let free = text.firstIndex(of: "node 2 free: 15625 MB")
      #expect(free != nil && text[free! + 1].hasPrefix("node 2 private:"))
    }

    @Test func hardwareWarnsOfDisagreementsAndUnfencedNodes() {
      let text = HardwareReport(machine: Fixture.machine("rfc-v4", declared: [zram0(capabilities: [.migration, .mempolicy])])).text
      #expect(text.contains("warning: node 3:"))
      #expect(contains(text, "kernel does not"))
      let unfenced = HardwareReport(machine: Fixture.machine("four-node-gaps", declared: [Fixture.declared(4, "cxl0")])).text
      #expect(unfenced.contains("node 4 private: cxl0 backend=none capabilities=migration,mempolicy WARNING: not fenced"))
    }

    @Test func hardwareJSON() throws {
      let object = try parseJSON(HardwareReport(machine: Fixture.machine("rfc-v4", declared: rfcRegistry)).json)
      #expect(object["schema"] as? String == "privnuma.hardware/1")
      #expect(object["available"] as? [Int] == [0, 1, 2, 3])
      let nodes = try #require(object["nodes"] as? [[String: Any]])
      #expect(nodes.map { $0["id"] as? Int } == [0, 1, 2, 3])
      for node in nodes {
        for key in ["id", "cpus", "memory_total", "memory_free", "distances", "interleave_weight", "private"] {
          #expect(node.keys.contains(key), "node \(node["id"] ?? "?") lacks \(key)")
        }
      }
      #expect(nodes[0]["cpus"] as? [Int] == [0, 1])
      #expect(nodes[2]["cpus"] as? [Int] == [])
      #expect(nodes[0]["memory_total"] as? Int == 8_388_608 * 1024)
      #expect(nodes[3]["memory_free"] as? Int == 4_100_000 * 1024)
      #expect(nodes[2]["distances"] as? [String: Int] == ["0": 30, "1": 30, "2": 10, "3": 50])
      #expect(nodes[0]["private"] is NSNull)
      let two = try #require(nodes[2]["private"] as? [String: Any])
      #expect(two["label"] as? String == "cxl0")
      #expect(two["backend"] as? String == "kernel")
      #expect(two["bindable"] as? Bool == true)
      #expect(two["capabilities"] as? [String] == ["migration", "mempolicy"])
      let three = try #require(nodes[3]["private"] as? [String: Any])
      #expect(three["bindable"] as? Bool == false)
      #expect(three["kind"] as? String == "compressed")
    }

    @Test func hardwareJSONWeights() throws {
      let object = try parseJSON(HardwareReport(machine: Fixture.machine("four-node-gaps")).json)
      let nodes = try #require(object["nodes"] as? [[String: Any]])
      #expect(nodes.map { $0["interleave_weight"] as? Int } == [3, 3, 1, 1])
      let one = try parseJSON(HardwareReport(machine: Fixture.machine("one-node")).json)
      #expect((one["nodes"] as? [[String: Any]])?.first?["interleave_weight"] is NSNull)
    }

    private func show(
      _ policy: MemoryPolicy, next: Int = 0, cpus: CPUSet = CPUSet([0, 1]), identity: Identity = Fixture.alice
    ) throws -> ShowReport {
      let kernel = MockKernel(policy: policy, next: next, mems: NodeSet([0, 1, 2]), cpus: cpus)
      return try ShowReport.read(
        machine: Fixture.machine("rfc-v4", declared: rfcRegistry), kernel: kernel, identity: identity, names: Fixture.names
      ).get()
    }

    @Test func showBind() throws {
      let text = lines(try show(MemoryPolicy(mode: .bind, nodes: NodeSet([0, 2]))).text)
      #expect(text.contains("policy: bind"))
      #expect(text.contains("preferred node: 0"))
      #expect(text.contains("physcpubind: 0 1 "))
      #expect(text.contains("cpubind: 0 "))
      #expect(text.contains("nodebind: 0 "))
      #expect(text.contains("membind: 0 2 "))
      // numactl prints the policy's mask as "preferred" whatever the mode.
      #expect(text.contains("preferred: 0 2 "))
      #expect(!text.contains { $0.hasPrefix("policy flags") || $0.hasPrefix("interleavemask") })
    }

    @Test func showDefaultUsesTheCpusetForMembind() throws {
      let text = lines(try show(MemoryPolicy(mode: .default), cpus: CPUSet([0, 1, 2, 3])).text)
      #expect(text.contains("policy: default"))
      #expect(text.contains("preferred node: current"))
      #expect(text.contains("membind: 0 1 2 "))
      #expect(text.contains("cpubind: 0 1 "))
    }

    @Test func showLocalHasAWellFormedLine() throws {
      let text = lines(try show(MemoryPolicy(mode: .local)).text)
      #expect(text.first == "policy: local")
      #expect(text.contains("preferred node: current"))
    }

    @Test func showInterleaveWithFlagsAndNextNode() throws {
      let text = lines(try show(MemoryPolicy(mode: .interleave, flags: [.staticNodes], nodes: NodeSet([0, 1])), next: 1).text)
      #expect(text.contains("policy: interleave"))
      #expect(text.contains("policy flags: static"))
      #expect(text.contains("preferred node: 1 (interleave next)"))
      #expect(text.contains("interleavemask: 0 1 "))
      #expect(text.contains("interleavenode: 1"))
      #expect(text.contains("preferred: 0 1 "))
    }

    @Test func showPreferredMany() throws {
      let text = lines(try show(MemoryPolicy(mode: .preferredMany, nodes: NodeSet([1, 2]))).text)
      #expect(text.contains("policy: preferred-many"))
      #expect(text.contains("preferred: 1 2 "))
    }

    @Test func showListsPrivateNodesAndTheCallersAccess() throws {
      let alice = lines(try show(MemoryPolicy(mode: .default)).text)
      #expect(alice.contains { $0.hasPrefix("private node 2: cxl0 backend=kernel") && $0.hasSuffix(" allowed") })
      #expect(alice.contains { $0.hasPrefix("private node 3: zram0") && $0.contains("(not bindable)") })
      let bob = lines(try show(MemoryPolicy(mode: .default), identity: Fixture.bob).text)
      #expect(bob.contains { $0.hasPrefix("private node 2: cxl0") && $0.hasSuffix(" not allowed") })
    }

    @Test func showJSON() throws {
      let report = try show(MemoryPolicy(mode: .bind, flags: [.numaBalancing], nodes: NodeSet([2])), identity: Fixture.bob)
      let object = try parseJSON(report.json)
      #expect(object["schema"] as? String == "privnuma.show/1")
      let policy = try #require(object["policy"] as? [String: Any])
      #expect(policy["mode"] as? String == "bind")
      #expect(policy["flags"] as? [String] == ["balancing"])
      #expect(policy["nodes"] as? [Int] == [2])
      #expect(object["preferred_node"] as? Int == 2)
      #expect(object["membind"] as? [Int] == [2])
      #expect(object["mems_allowed"] as? [Int] == [0, 1, 2])
      #expect(object["physcpubind"] as? [Int] == [0, 1])
      let privateNodes = try #require(object["private_nodes"] as? [[String: Any]])
      #expect(privateNodes.map { $0["label"] as? String } == ["cxl0", "zram0"])
      #expect(privateNodes.map { $0["allowed"] as? Bool } == [false, true])
    }

    @Test func showFailsCleanlyWhenTheKernelRefuses() {
      struct Refusing: StubKernel {
        var release: String { "6.18.0" }
      }
      let result = ShowReport.read(machine: Fixture.machine("one-node"), kernel: Refusing(), identity: Fixture.alice, names: Fixture.names)
      guard case .failure(let failure) = result else {
        Issue.record("show should fail when get_mempolicy fails")
        return
      }
      #expect(failure.kind == .system)
      #expect(contains(failure.message, "get_mempolicy"))
    }

    @Test func nodesListingText() {
      let machine = Fixture.machine("rfc-v4", declared: rfcRegistry)
      let alice = lines(NodesListing(machine: machine, identity: Fixture.alice, names: Fixture.names).text)
      #expect(alice.first?.split(separator: " ").map(String.init) == [
        "ID", "LABEL", "KIND", "BACKEND", "BINDABLE", "CAPABILITIES", "SIZE", "FREE", "RESERVE", "YOU",
      ])
      let two = alice.first { $0.hasPrefix("2 ") }?.split(separator: " ").map(String.init) ?? []
      #expect(Array(two.prefix(6)) == ["2", "cxl0", "expander", "kernel", "yes", "migration,mempolicy"])
      #expect(alice.first { $0.hasPrefix("2 ") }?.contains("allowed: member of group cram (gid 2001), which AllowGroups lists") == true)
      let three = alice.first { $0.hasPrefix("3 ") }?.split(separator: " ").map(String.init) ?? []
      #expect(Array(three.prefix(6)) == ["3", "zram0", "compressed", "kernel", "no", "migration,demotion,reclaim"])

      let bob = NodesListing(machine: machine, identity: Fixture.bob, names: Fixture.names).text
      #expect(lines(bob).first { $0.hasPrefix("2 ") }?.contains("denied: bob (uid 1002) is not allowed (AllowGroups=cram)") == true)
    }

    @Test func nodesListingSizesAndReserve() {
      let machine = Fixture.machine("rfc-v4", declared: [cxl0(minFree: 256 << 20), zram0()])
      let row = lines(NodesListing(machine: machine, identity: Fixture.alice, names: Fixture.names).text).first { $0.hasPrefix("2 ") } ?? ""
      #expect(row.contains("16 GiB"))
      #expect(row.contains("15.3 GiB"))
      #expect(row.contains("256 MiB"))
    }

    @Test func nodesListingWithoutPrivateNodes() {
      let text = NodesListing(machine: Fixture.machine("one-node"), identity: Fixture.alice, names: Fixture.names).text
      #expect(text.hasPrefix("no private nodes"))
    }

    @Test func nodesListingWarnsOfUnfencedNodesAndDisagreements() {
      let unfenced = NodesListing(
        machine: Fixture.machine("four-node-gaps", declared: [Fixture.declared(4, "cxl0")]), identity: Fixture.alice,
        names: Fixture.names
      ).text
      #expect(unfenced.contains("warning: node 4 (cxl0) is not fenced"))
      let disagreeing = NodesListing(
        machine: Fixture.machine("rfc-v4", declared: [Fixture.declared(7, "ghost")]), identity: Fixture.alice,
        names: Fixture.names
      ).text
      #expect(disagreeing.contains("warning: node 7 (ghost):"))
      #expect(disagreeing.contains("no online node 7"))
    }

    @Test func nodesListingJSON() throws {
      let machine = Fixture.machine("rfc-v4", declared: [cxl0(minFree: 256 << 20), zram0()])
      let object = try parseJSON(NodesListing(machine: machine, identity: Fixture.bob, names: Fixture.names).json)
      #expect(object["schema"] as? String == "privnuma.nodes/1")
      let nodes = try #require(object["nodes"] as? [[String: Any]])
      #expect(nodes.count == 2)
      let keys = [
        "id", "label", "kind", "description", "backend", "bindable", "kernel_private", "capabilities", "cgroup",
        "memory_total", "memory_free", "min_free", "source", "allowed", "reason", "disagreements",
      ]
      for node in nodes {
        for key in keys { #expect(node.keys.contains(key), "lacks \(key)") }
      }
      #expect(nodes[0]["id"] as? Int == 2)
      #expect(nodes[0]["label"] as? String == "cxl0")
      #expect(nodes[0]["bindable"] as? Bool == true)
      #expect(nodes[0]["allowed"] as? Bool == false)
      #expect(contains(nodes[0]["reason"] as? String, "AllowGroups=cram"))
      #expect(nodes[0]["min_free"] as? Int == 256 << 20)
      #expect(nodes[0]["memory_total"] as? Int == 16_777_216 * 1024)
      #expect(nodes[0]["backend"] as? String == "kernel")
      #expect(nodes[1]["id"] as? Int == 3)
      #expect(nodes[1]["bindable"] as? Bool == false)
      #expect(nodes[1]["allowed"] as? Bool == true)
      #expect(nodes[1]["capabilities"] as? [String] == ["migration", "demotion", "reclaim"])
      #expect(nodes[1]["min_free"] is NSNull)
    }
  }
}
