import Foundation
import Testing

@testable import PrivNUMA

/// The cpuset machine of the inspect, audit and migrate tests: node 3 is private, fenced by
/// the opt-in cgroup privnuma.slice/mem3 (see Fixtures/proc-cpuset).
enum ProcFixture {
  static let mem3 = Fixture.declared(3, "mem3", cgroup: "privnuma.slice/mem3")

  static func cpuset(_ declared: [PrivateNode] = [mem3]) -> Machine {
    Fixture.machine("proc-cpuset", declared: declared)
  }

  static func environment(_ machine: Machine, identity: Identity = Fixture.alice) -> Environment {
    Environment(
      roots: machine.roots, privilege: Privilege(elevated: false), identity: identity, names: Fixture.names,
      kernel: SystemKernel())
  }

  static func code(_ result: Result<Int32, Failure>) -> Int32 {
    switch result {
    case .success(let code): return code
    case .failure(let failure): return failure.exitCode
    }
  }
}

@Suite("stat")
struct InspectTests {
  let page: UInt64 = 4096

  @Test func processesAreListedInNumericOrder() throws {
    let pids = try Processes.pids(proc: Fixture.directory + "/proc-cpuset/proc").get()
    #expect(pids == [1, 2, 812, 813, 900, 1234, 1500])
  }

  @Test func kernelThreadsAreToldApartByTheirFlags() {
    let proc = Fixture.directory + "/proc-cpuset/proc"
    #expect(Processes.isKernelThread(proc: proc, pid: 2))
    #expect(!Processes.isKernelThread(proc: proc, pid: 1))
    #expect(!Processes.isKernelThread(proc: proc, pid: 4444))
  }

  @Test func oneProcessByNodeSplitIntoAnonFileAndHuge() throws {
    let report = StatReport(machine: ProcFixture.cpuset(), pids: [812])
    try #require(report.rows.count == 1 && report.errors.isEmpty)
    let row = report.rows[0]
    #expect(row.process.pid == 812 && row.process.command == "app" && row.process.user.id == 1001)
    #expect(row.usage.memory(on: 3).anon / page == 33 + 4096 + 4 * 512)
    #expect(row.usage.memory(on: 3).file / page == 1 + 2 * 512)
    #expect(row.usage.memory(on: 3).huge / page == 6 * 512)
    #expect(row.usage.memory(on: 0).total / page == 254)
    let text = report.text
    #expect(text.contains("Node 3*"))
    #expect(!text.contains("Node 0*"))
    #expect(text.contains("* private: node 3 mem3 (cpuset)"))
    // 6177 pages of 4 KiB.
    #expect(text.contains("24.13"))
  }

  @Test func jsonCountsPagesAndBytes() throws {
    let json = StatReport(machine: ProcFixture.cpuset(), pids: [812]).json.rendered()
    let object = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(object["schema"] as? String == "privnuma.stat/1")
    #expect(object["page_size"] as? Int == 4096)
    #expect(object["scan"] as? Bool == false)
    let process = try #require((object["processes"] as? [[String: Any]])?.first)
    #expect(process["pid"] as? Int == 812)
    #expect(process["command"] as? String == "app")
    #expect(process["uid"] as? Int == 1001)
    let node3 = try #require((process["nodes"] as? [String: Any])?["3"] as? [String: Any])
    #expect(node3["private"] as? Bool == true)
    #expect(node3["pages"] as? Int == 7202)
    #expect(node3["anon_pages"] as? Int == 6177)
    #expect(node3["file_pages"] as? Int == 1025)
    #expect(node3["huge_pages"] as? Int == 3072)
    #expect(node3["bytes"] as? Int == 7202 * 4096)
    #expect((process["nodes"] as? [String: Any])?["1"] == nil)
    #expect(process["private_pages"] as? Int == 7202)
    let total = try #require(process["total"] as? [String: Any])
    #expect(total["pages"] as? Int == 7202 + 254)
    #expect(total["private"] == nil)
  }

  @Test func aMissingProcessIsAnErrorNamingIt() {
    let report = StatReport(machine: ProcFixture.cpuset(), pids: [4444, 1])
    #expect(report.rows.map(\.process.pid) == [1])
    #expect(report.errors.map(\.message) == ["no process 4444"])
    #expect(report.json.rendered().contains("\"error\": \"no process 4444\""))
  }

  @Test func permissionDeniedSaysWhose() {
    let message = Advice.text(.readNumaMaps, .accessDenied, ["pid": "77"])
    #expect(message.contains("process 77"))
    #expect(message.contains("permission denied"))
    #expect(message.contains("another user"))
  }

  @Test func withoutPIDsEveryHolderOfPrivatePagesIsListed() throws {
    let report = try StatReport.scan(machine: ProcFixture.cpuset()).get()
    #expect(report.rows.map(\.process.pid) == [812, 813, 900, 1234])
    let summary = try #require(report.summary)
    #expect(summary.scanned == 7)
    #expect(summary.unreadable == 0)
    #expect(summary.nodes[3]?.processes == 4)
    #expect(summary.nodes[3]?.pages == 7202 + 1000 + 289 + 16)
    #expect(report.text.contains("node 3 (mem3): 4 processes, 8507 pages"))
    #expect(report.json.rendered().contains("\"processes_scanned\": 7"))
  }

  @Test func withoutPrivateNodesAScanSaysSo() throws {
    let report = try StatReport.scan(machine: ProcFixture.cpuset([])).get()
    #expect(report.rows.isEmpty)
    #expect(report.text.contains("no private nodes"))
  }

  @Test func severalProcessesMakeOneRowEachAndATotal() {
    let text = StatReport(machine: ProcFixture.cpuset(), pids: [812, 1500]).text
    let lines = text.split(separator: "\n")
    #expect(lines.contains { $0.hasPrefix("812 ") && $0.contains("app") })
    #expect(lines.contains { $0.hasPrefix("1500") && $0.contains("sshd") })
    #expect(lines.contains { $0.hasPrefix("Total") })
  }

  @Test func largeMachinesShowOnlyNodesWithPages() {
    let report = StatReport(machine: ProcFixture.cpuset(), pids: [812])
    // Four nodes: all shown.
    #expect(report.columns == [0, 1, 2, 3])
  }

  @Test func userNamesComeFromThePasswdFileOnce() throws {
    let file = NSTemporaryDirectory() + "passwd-\(getpid())"
    try "root:x:0:0:root:/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\nbroken line\n"
      .write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    var cache: [UInt32: String] = [:]
    #expect(Processes.userName(1001, cache: &cache, passwd: file) == "alice")
    #expect(Processes.userName(0, cache: &cache, passwd: file) == "root")
    #expect(Processes.userName(4242, cache: &cache, passwd: file) == nil)
    #expect(Processes.userName(nil, cache: &cache, passwd: file) == nil)
  }

  @Test func mebibytesHaveTwoDecimals() {
    let table = NodeTable(title: "", nodes: [], rows: [])
    #expect(table.shown(0, 2) == "0.00")
    #expect(table.shown(1 << 20, 2) == "1.00")
    #expect(table.shown(6177 * 4096, 2) == "24.13")
    #expect(table.shown(5 << 19, 2) == "2.50")
    #expect(table.shown(-(5 << 19), 2) == "-2.50")
    #expect(table.shown(5 << 19, 0) == "3")
  }

  @Test(arguments: [["abc"], ["12x"], ["0"], ["1", "-5"]])
  func badPIDsAreUsageErrors(_ args: [String]) {
    let machine = ProcFixture.cpuset()
    #expect(ProcFixture.code(Command.stat.invoke(ArraySlice(args), ProcFixture.environment(machine))) == 2)
  }

  @Test func exitStatusIsOneWhenAProcessIsMissing() {
    let machine = ProcFixture.cpuset()
    #expect(ProcFixture.code(Command.stat.invoke(["4444", "--json"], ProcFixture.environment(machine))) == 1)
    #expect(ProcFixture.code(Command.stat.invoke(["812", "--json"], ProcFixture.environment(machine))) == 0)
  }
}
