import Foundation
import Testing

@testable import PrivNUMA

/// The same user is named the same way in every command: `alice (uid 1001)` in text (a group
/// `cram (gid 2001)`), and in every JSON document the members `user` and `uid` together.
/// Each command's report over the fixtures, side by side.
@Suite struct UserNamingTests {
  /// Every command's text and document that names a user; `expected` is the form each must hold.
  struct Said {
    var command: String
    var text: String
    var json: JSON?
    var expected: [String]
  }

  static let root = NamedID.user(0, "root").description

  func said() throws -> [Said] {
    var said: [Said] = []
    // nodes, check, explain and a launch refusal: the access rule's reason.
    let rfc = [
      Fixture.declared(2, "cxl0", allowGroups: ["cram"]), Fixture.declared(3, "hbm0", allowUsers: ["alice"]),
    ]
    let rfcMachine = Fixture.machine("rfc-v4", declared: rfc)
    for identity in [Fixture.alice, Fixture.bob] {
      let nodes = NodesListing(machine: rfcMachine, identity: identity, names: Fixture.names)
      let expected = identity == Fixture.alice
        ? ["member of group cram (gid 2001)", "alice (uid 1001) is listed in AllowUsers"]
        : ["bob (uid 1002) is not allowed (AllowGroups=cram)", "bob (uid 1002) is not allowed (AllowUsers=alice)"]
      said.append(Said(command: "nodes as \(identity.named)", text: nodes.text, json: nodes.json, expected: expected))
    }
    let status = try ProcessStatus.read(proc: rfcMachine.roots.proc).get()
    let planner = Planner(machine: rfcMachine, identity: Fixture.bob, names: Fixture.names, status: status, kernelRelease: "6.18.0")
    let request = try OptionParser.parseLaunch(["-p", "cxl0", "app"]).get()
    let plan = planner.plan(request)
    let refusal = try #require(plan.failure)
    said.append(Said(command: "launch and check refusal", text: refusal.message, json: nil, expected: ["bob (uid 1002) is not allowed"]))
    let explain = ExplainReport(plan: plan, request: request)
    said.append(Said(command: "explain", text: explain.text, json: explain.json, expected: ["bob (uid 1002) is not allowed"]))

    // fence status: the processes that reach a private node.
    let fence = Fence.Report(machine: FenceTests.machine("cgroup-unfenced"))
    said.append(Said(command: "fence status", text: fence.text, json: fence.json, expected: ["pid 1 init, \(Self.root)"]))

    // audit and stat: the processes with pages on a private node.
    let audit = try AuditReport.scan(machine: ProcFixture.cpuset()).get()
    said.append(Said(command: "audit", text: audit.text, json: audit.json, expected: [Self.root]))
    let stat = try StatReport.scan(machine: ProcFixture.cpuset()).get()
    // numastat's layout names no user: only the document does.
    said.append(Said(command: "stat", text: "", json: stat.json, expected: []))

    // migrate: the process's owner.
    let migrate = try MigrationPlanner(
      machine: ProcFixture.cpuset(), caller: Fixture.alice, names: Fixture.names,
      owner: { MigrateTests.owners[$0] ?? Identity(uid: $0, gid: $0, groups: [$0], userName: nil) }, elevated: false
    ).plan(MigrationRequest(pid: 812, to: "3", from: nil, allowUnfenced: false), MigrationFacts.read(proc: ProcFixture.cpuset().roots.proc, pid: 812)).get()
    let outcome = try migrate.execute(kernel: StubbornKernel(), privileged: { $0() }, after: { .success(migrate.before) }).get()
    said.append(Said(command: "migrate", text: outcome.text, json: outcome.json, expected: ["alice (uid 1001)"]))
    return said
  }

  @Test func everyCommandNamesAUserInTheOneForm() throws {
    for entry in try said() {
      for form in entry.expected {
        #expect(entry.text.contains(form), "\(entry.command) does not say '\(form)':\n\(entry.text)")
      }
      // A uid in parentheses follows the user's name, never a command (`pid 300 bash (uid 1002)`).
      for line in entry.text.split(separator: "\n").map(String.init) {
        #expect(
          line.range(of: #"pid [0-9]+ [^ ,]+ \(uid"#, options: .regularExpression) == nil,
          "\(entry.command): '\(line)' puts a command where the user's name belongs")
      }
    }
  }

  @Test func everyDocumentHasUserAndUidTogether() throws {
    var checked = 0
    for entry in try said() {
      guard let json = entry.json else { continue }
      let object = try JSONSerialization.jsonObject(with: Data(json.rendered().utf8))
      var owners = 0
      Self.walk(object) { members in
        let keys = Set(members.keys)
        if keys.contains("uid") || keys.contains("user") {
          owners += 1
          #expect(keys.contains("uid") && keys.contains("user"), "\(entry.command): an object with \(keys.sorted()) names a user by half")
        }
        #expect(keys.contains("gid") == keys.contains("group"), "\(entry.command): an object with \(keys.sorted()) names a group by half")
      }
      if ["fence status", "audit", "stat", "migrate"].contains(entry.command) {
        #expect(owners > 0, "\(entry.command)'s document names no user")
        checked += 1
      }
    }
    #expect(checked == 4)
  }

  @Test func theFormsThemselves() {
    #expect(NamedID.user(1001, "alice").description == "alice (uid 1001)")
    #expect(NamedID.user(4242, nil).description == "uid 4242")
    #expect(NamedID.user(4242, "").description == "uid 4242")
    #expect(NamedID.group(2001, "cram").description == "cram (gid 2001)")
    #expect(JSON.object(JSON.members(NamedID.user(4242, nil))).rendered(pretty: false) == #"{"user":null,"uid":4242}"#)
    #expect(JSON.object(JSON.members(NamedID.group(2001, "cram"))).rendered(pretty: false) == #"{"group":"cram","gid":2001}"#)
  }

  /// Calls `body` with every object in a parsed document.
  static func walk(_ value: Any, _ body: ([String: Any]) -> Void) {
    if let object = value as? [String: Any] {
      body(object)
      for member in object.values { walk(member, body) }
    } else if let array = value as? [Any] {
      for item in array { walk(item, body) }
    }
  }
}

/// A kernel whose migrate_pages moves nothing: `migrate`'s report without a real move.
private final class StubbornKernel: StubKernel, @unchecked Sendable {
  func migratePages(pid: Int32, from: NodeSet, to: NodeSet) -> Result<Int, Errno> { .success(0) }
  var release: String { "6.1.0-test" }
}
