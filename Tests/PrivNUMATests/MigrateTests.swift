import Foundation
import Testing

@testable import PrivNUMA

extension MigrationPlanner {
  /// The plan for what the fixture's /proc says of the process, read as `migrate` reads it.
  fileprivate func plan(_ request: MigrationRequest) -> Result<MigrationPlan, Failure> {
    plan(request, MigrationFacts.read(proc: machine.roots.proc, pid: request.pid))
  }
}

/// A kernel that records migrate_pages calls and answers as told; nothing else is used.
private final class MigrationKernel: StubKernel, @unchecked Sendable {
  var calls: [(pid: Int32, from: NodeSet, to: NodeSet)] = []
  var answer: Result<Int, Errno> = .success(0)

  func migratePages(pid: Int32, from: NodeSet, to: NodeSet) -> Result<Int, Errno> {
    calls.append((pid, from, to))
    return answer
  }
  var release: String { "6.1.0-test" }
}

@Suite("migrate")
struct MigrateTests {
  static let root = Identity(uid: 0, gid: 0, groups: [0], userName: "root")
  static let owners: [UInt32: Identity] = [0: root, 1001: Fixture.alice, 1002: Fixture.bob]

  func planner(_ machine: Machine = ProcFixture.cpuset(), caller: Identity = Fixture.alice, elevated: Bool = false) -> MigrationPlanner {
    MigrationPlanner(
      machine: machine, caller: caller, names: Fixture.names,
      owner: { MigrateTests.owners[$0] ?? Identity(uid: $0, gid: $0, groups: [$0], userName: nil) },
      elevated: elevated)
  }

  func request(_ pid: Int32, to: String, from: String? = nil, allowUnfenced: Bool = false) -> MigrationRequest {
    MigrationRequest(pid: pid, to: to, from: from, allowUnfenced: allowUnfenced)
  }

  func failure(_ result: Result<MigrationPlan, Failure>) -> Failure? {
    if case .failure(let failure) = result { return failure }
    return nil
  }

  // MARK: - Command line

  @Test func theWholeCommandLineIsRead() throws {
    func parse(_ args: ArraySlice<String>) throws -> Migrate.Request {
      try Migrate.parse(Command.migrate.parse(args).get()).get()
    }
    let parsed = try parse(["812", "--to", "3", "--from=0", "--json", "--allow-unfenced", "--registry", "/r"])
    #expect(parsed == Migrate.Request(pid: 812, to: "3", from: "0", allowUnfenced: true, json: true, registry: "/r"))
    #expect(try parse(["--to", "1", "812"]).pid == 812)
    #expect(try Command.migrate.parse(["--help"]).get().has(.help))
  }

  @Test(arguments: [
    [], ["812"], ["abc", "--to", "1"], ["0", "--to", "1"], ["812", "913", "--to", "1"],
    ["812", "--to", "1", "--to", "2"], ["812", "--to"], ["812", "--to", "1", "--bogus"],
  ])
  func usageErrorsExitTwo(_ args: [String]) {
    let environment = ProcFixture.environment(ProcFixture.cpuset())
    #expect(ProcFixture.code(Command.migrate.invoke(ArraySlice(args), environment)) == 2)
  }

  @Test(arguments: [["812", "--to", "abc"], ["812", "--to", "9"], ["812", "--to", "0,"], ["812", "--to", "1", "--from", "7"]])
  func badNodesExitTwo(_ args: [String]) {
    let environment = ProcFixture.environment(ProcFixture.cpuset())
    #expect(ProcFixture.code(Command.migrate.invoke(ArraySlice(args), environment)) == 2)
  }

  @Test func aMissingProcessExitsOne() throws {
    let result = planner().plan(request(4444, to: "1"))
    #expect(failure(result) == .system("no process 4444"))
  }

  // MARK: - Rules (exit 3)

  @Test func anotherUsersProcessIsRefusedUnderInstalledPrivilege() throws {
    let refused = try #require(failure(planner(elevated: true).plan(request(900, to: "0"))))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("only root may migrate another user's process"))
    // Root may; so may anyone when privnuma holds no privilege (the kernel decides then).
    #expect(failure(planner(caller: Self.root, elevated: true).plan(request(812, to: "0"))) == nil)
    #expect(failure(planner(caller: Fixture.bob).plan(request(900, to: "0"))) == nil)
  }

  @Test func theOwnerMustBeAllowedOnAPrivateDestination() throws {
    var node = ProcFixture.mem3
    node.allowUsers = ["root"]
    node.allowGroups = ["cram"]
    let refused = try #require(failure(planner(ProcFixture.cpuset([node]), caller: Self.root).plan(request(1234, to: "mem3"))))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("owner may not use it"))
    #expect(refused.message.contains("bob"))
  }

  @Test func theCallerMustBeAllowedToo() throws {
    var node = ProcFixture.mem3
    node.allowGroups = ["cram"]
    let machine = ProcFixture.cpuset([node])
    let refused = try #require(failure(planner(machine, caller: Fixture.bob).plan(request(812, to: "3"))))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("not allowed"))
    // 'private' names only the nodes the caller may use.
    #expect(failure(planner(machine, caller: Fixture.bob).plan(request(812, to: "private")))?.kind == .refused)
    #expect(failure(planner(machine, caller: Fixture.alice).plan(request(812, to: "private"))) == nil)
  }

  @Test func aDestinationWithoutMigrationIsRefused() throws {
    var node = ProcFixture.mem3
    node.capabilities = [.demotion, .reclaim]
    let refused = try #require(failure(planner(ProcFixture.cpuset([node])).plan(request(812, to: "mem3"))))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("does not allow migration"))
    #expect(refused.message.contains("demotion"))
  }

  @Test func theReserveIsKept() throws {
    var node = ProcFixture.mem3
    node.minFree = 1 << 30
    let refused = try #require(failure(planner(ProcFixture.cpuset([node])).plan(request(812, to: "mem3"))))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("MinFree="))
  }

  @Test func anUnfencedDestinationNeedsAllowUnfenced() throws {
    let machine = ProcFixture.cpuset([Fixture.declared(2, "pmem0"), ProcFixture.mem3])
    let refused = try #require(failure(planner(machine, caller: Self.root).plan(request(1500, to: "pmem0"))))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("--allow-unfenced"))
    let plan = try planner(machine, caller: Self.root).plan(request(1500, to: "pmem0", allowUnfenced: true)).get()
    #expect(plan.to == NodeSet([2]))
    #expect(plan.warnings.contains { $0.contains("not fenced") })
  }

  @Test func aCpusetNodeTakesOnlyProcessesInItsOptInCgroup() throws {
    var node = ProcFixture.mem3
    node.allowUsers = ["root"]
    let refused = try #require(failure(planner(ProcFixture.cpuset([node]), caller: Self.root).plan(request(1500, to: "3"))))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("opt-in cgroup /privnuma.slice/mem3"))
    #expect(refused.message.contains("/system.slice/ssh.service"))
    // 813 is in a cgroup below the opt-in cgroup.
    #expect(failure(planner().plan(request(813, to: "3"))) == nil)
  }

  // MARK: - The kernel's side (exit 1)

  @Test func aGeneralNodeOutsideTheProcessCpusetIsASystemRefusal() throws {
    let refused = try #require(failure(planner().plan(request(813, to: "2"))))
    #expect(refused.kind == .system)
    #expect(refused.message.contains("outside the cpuset of process 813"))
  }

  // MARK: - Source nodes

  @Test func theSourceIsWhereThePagesAreExceptTheDestination() throws {
    let plan = try planner().plan(request(812, to: "3")).get()
    #expect(plan.from == NodeSet([0]))
    #expect(plan.to == NodeSet([3]))
    #expect(plan.crossUser == false)
    #expect(try planner().plan(request(812, to: "0")).get().from == NodeSet([3]))
    #expect(try planner().plan(request(812, to: "all")).get().to == NodeSet([0, 1]))
    #expect(try planner().plan(request(812, to: "1", from: "3")).get().from == NodeSet([3]))
  }

  @Test func aPolicyThatKeepsAllocatingElsewhereIsWarnedAbout() throws {
    let plan = try planner(caller: Self.root).plan(request(900, to: "0")).get()
    #expect(plan.from == NodeSet([1, 3]))
    #expect(plan.warnings.contains { $0.contains("memory policy naming node 3") })
  }

  // MARK: - The decisions alone, over facts as System would read them

  /// Process 812 of the proc-cpuset fixture as read, with `change` applied.
  func facts(_ change: (inout MigrationFacts) -> Void = { _ in }) -> MigrationFacts {
    var facts = MigrationFacts.read(proc: ProcFixture.cpuset().roots.proc, pid: 812)
    change(&facts)
    return facts
  }

  @Test func theFactsOfTheFixtureProcess() throws {
    let read = facts()
    #expect(try read.status.get().uid == 1001)
    #expect(try read.usage.get().nodeSet == NodeSet([0, 3]))
    #expect(read.cgroup == "/privnuma.slice/mem3")
  }

  @Test func aProcessThatVanishedIsNoProcess() {
    let gone = facts { $0.status = .failure(.noSuchProcess) }
    #expect(failure(planner().plan(request(812, to: "3"), gone)) == .system("no process 812"))
    let exited = facts { $0.usage = .failure(.noSuchFile) }
    #expect(failure(planner().plan(request(812, to: "3"), exited)) == .system("no process 812"))
  }

  @Test func unreadablePagesOfAnotherUserSayRootIsNeeded() throws {
    let denied = facts { $0.usage = .failure(.accessDenied) }
    let refused = try #require(failure(planner(caller: Fixture.bob).plan(request(812, to: "3"), denied)))
    #expect(refused.kind == .system)
    #expect(refused.message.contains("needs root (CAP_SYS_NICE)"))
    #expect(refused.message.contains("alice"))
  }

  @Test func aStatusWithoutUidIsNotGuessed() throws {
    let anonymous = facts { $0.status = $0.status.map { var status = $0; status.uid = nil; return status } }
    let refused = try #require(failure(planner().plan(request(812, to: "3"), anonymous)))
    #expect(refused.message.contains("cannot tell who owns process 812"))
  }

  @Test func anUnknownCgroupIsNotTheOptInCgroup() throws {
    let unknown = facts { $0.cgroup = nil }
    let refused = try #require(failure(planner().plan(request(812, to: "3"), unknown)))
    #expect(refused.kind == .refused)
    #expect(refused.message.contains("it is in an unknown cgroup"))
  }

  @Test func thePolicyWarningFollowsThePolicyNodesRead() throws {
    #expect(try planner().plan(request(812, to: "3"), facts()).get().warnings.isEmpty)
    let bound = facts { $0.policyNodes = NodeSet([1]) }
    let plan = try planner().plan(request(812, to: "3"), bound).get()
    #expect(plan.warnings.contains { $0.contains("memory policy naming node 1") })
    // Nothing moves, so nothing to warn about.
    #expect(try planner().plan(request(812, to: "0,3"), bound).get().warnings.isEmpty)
  }

  // MARK: - Running it

  @Test func migratePagesIsCalledAndTheMoveIsCounted() throws {
    let plan = try planner().plan(request(812, to: "3")).get()
    let kernel = MigrationKernel()
    kernel.answer = .success(5)
    var privileged = false
    var after = plan.before
    after.nodes = [(0, NodeMemory(anon: 20 * 4096)), (3, plan.before.memory(on: 3) + NodeMemory(file: 234 * 4096))]
    let outcome = try plan.execute(
      kernel: kernel, privileged: { privileged = true; return $0() }, after: { .success(after) }
    ).get()
    #expect(kernel.calls.count == 1)
    #expect(kernel.calls.first?.pid == 812)
    #expect(kernel.calls.first?.from == NodeSet([0]))
    #expect(kernel.calls.first?.to == NodeSet([3]))
    #expect(privileged == false)
    #expect(outcome.moved == 254 - 20)
    #expect(outcome.notMoved == 5)
    #expect(outcome.remaining == 20)
    #expect(outcome.text.contains("moved 234 pages"))
    #expect(outcome.text.contains("5 could not be moved"))
    let object = try #require(JSONSerialization.jsonObject(with: Data(outcome.json.rendered().utf8)) as? [String: Any])
    #expect(object["schema"] as? String == "privnuma.migrate/1")
    #expect(object["moved_pages"] as? Int == 234)
    #expect(object["not_moved_pages"] as? Int == 5)
    #expect(object["from"] as? [Int] == [0])
    #expect(object["to"] as? [Int] == [3])
    #expect((object["before"] as? [String: Int])?["0"] == 254)
    #expect((object["after"] as? [String: Int])?["0"] == 20)
  }

  @Test func anotherUsersProcessIsMigratedWithPrivilegeRaised() throws {
    let plan = try planner(caller: Self.root).plan(request(812, to: "3")).get()
    #expect(plan.crossUser)
    let kernel = MigrationKernel()
    var privileged = false
    _ = plan.execute(kernel: kernel, privileged: { privileged = true; return $0() }, after: { .success(plan.before) })
    #expect(privileged)
    #expect(kernel.calls.count == 1)
  }

  @Test func nothingToMoveMakesNoCall() throws {
    let plan = try planner().plan(request(812, to: "0,3")).get()
    #expect(plan.from.isEmpty)
    let kernel = MigrationKernel()
    let outcome = try plan.execute(kernel: kernel, privileged: { $0() }, after: { .success(plan.before) }).get()
    #expect(kernel.calls.isEmpty)
    #expect(outcome.warnings.contains { $0.contains("nothing to move") })
  }

  @Test(arguments: [
    (Errno.noSuchProcess, "no longer exists"), (.notPermitted, "CAP_SYS_NICE"), (.noDevice, "no migration support"),
    (.invalidArgument, "outside the process's cpuset"), (.accessDenied, "outside the process's cpuset"),
  ])
  func kernelErrorsAreExplained(_ error: Errno, _ words: String) throws {
    let plan = try planner(caller: Self.root).plan(request(812, to: "3")).get()
    let kernel = MigrationKernel()
    kernel.answer = .failure(error)
    let result = plan.execute(kernel: kernel, privileged: { $0() }, after: { .success(plan.before) })
    guard case .failure(let failure) = result else {
      Issue.record("expected a failure for \(error)")
      return
    }
    #expect(failure.kind == .system)
    #expect(failure.message.contains(error.name))
    #expect(failure.message.contains(words))
  }
}
