import Foundation
import Testing

@testable import PrivNUMA

/// `fence apply --json` and `fence remove --json`: the transcript the commands build over the
/// injected seams (CgroupWriter, Systemd), and its one document, which says what the text says.
@Suite struct FenceTranscriptTests {
  static func document(_ transcript: Fence.Transcript) throws -> [String: Any] {
    let text = FenceTranscriptOutput.json(transcript).rendered()
    return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  static func steps(_ document: [String: Any]) -> [[String: Any]] { document["steps"] as? [[String: Any]] ?? [] }

  static func apply(dryRun: Bool, failing: String? = nil) -> (Fence.Transcript, [String]) {
    let journal = Journal()
    let writer = RecordingCgroups(journal: journal, credentials: RecordingCredentials(journal: journal), failing: failing)
    let transcript = Fence.applying(
      FenceTests.machine("cgroup-unfenced"), dryRun: dryRun, writer: writer, systemd: RecordingSystemd(owns: false))
    return (transcript, journal.entries.filter { !$0.hasPrefix("raise") && !$0.hasPrefix("lower") })
  }

  @Test func aDryRunPlansEveryChangeAndWritesNothing() throws {
    let (transcript, writes) = Self.apply(dryRun: true)
    #expect(writes.isEmpty, "a dry run wrote: \(writes)")
    let plan = try FenceTests.plan("cgroup-unfenced")
    let document = try Self.document(transcript)
    #expect(document["schema"] as? String == "privnuma.fence-change/1" && document["command"] as? String == "fence apply")
    #expect(document["dry_run"] as? Bool == true)
    #expect(document["mechanism"] as? String == "cgroup")
    #expect(document["error"] is NSNull)
    let steps = Self.steps(document)
    #expect(steps.count >= plan.changes.count)
    #expect(steps.allSatisfy { $0["outcome"] as? String == "planned" })
    #expect(document["changes"] as? Int == steps.count)
    // The opt-in cgroup: created, then its first mems with no "before".
    let optIn = try #require(steps.first { $0["action"] as? String == "set-mems" && $0["cgroup"] as? String == "/privnuma.slice/cxl0" })
    #expect(optIn["was"] as? String == "new" && optIn["before"] is NSNull)
    #expect(optIn["after"] as? [Int] == [0, 1, 2])
    #expect(optIn["file"] as? String == FenceTests.roots("cgroup-unfenced").cgroup + "/privnuma.slice/cxl0/cpuset.mems")
    // A cgroup narrowed: what it had before and after.
    let narrowed = try #require(steps.first { $0["action"] as? String == "set-mems" && $0["cgroup"] as? String == "/system.slice" })
    #expect(narrowed["was"] as? String == "inherited" && narrowed["after"] as? [Int] == [0, 1])
    let move = try #require(steps.first { $0["action"] as? String == "move" && $0["pid"] as? Int == 1 })
    #expect(move["command"] as? String == "init" && move["from"] as? String == "/" && move["to"] as? String == "/privnuma-general")
    #expect((document["verdict"] as? String)?.hasPrefix("dry run: \(steps.count) changes would be made") == true)
  }

  @Test func theTextHasALinePerStepAndTheVerdict() {
    let (transcript, _) = Self.apply(dryRun: true)
    let lines = FenceTranscriptOutput.text(transcript).split(separator: "\n").map(String.init)
    #expect(lines.filter { $0.hasPrefix("would ") }.count == transcript.entries.count)
    #expect(lines.contains("would create cgroup /privnuma.slice/cxl0"))
    #expect(lines.last == transcript.verdict)
  }

  @Test func anApplyRecordsEachWriteAsDone() throws {
    let (transcript, writes) = Self.apply(dryRun: false)
    let document = try Self.document(transcript)
    let steps = Self.steps(document)
    #expect(document["dry_run"] as? Bool == false)
    let cgroupSteps = steps.filter { ($0["action"] as? String).map(["create-cgroup", "enable-cpuset", "set-mems", "move"].contains) == true }
    #expect(cgroupSteps.count == writes.count)
    #expect(cgroupSteps.allSatisfy { $0["outcome"] as? String == "done" })
  }

  @Test func aFailedWriteIsInTheDocumentWithTheStepsBeforeIt() throws {
    let (transcript, writes) = Self.apply(dryRun: false, failing: "mems")
    let document = try Self.document(transcript)
    let steps = Self.steps(document)
    let failed = try #require(steps.last)
    #expect(failed["outcome"] as? String == "failed" && failed["action"] as? String == "set-mems")
    #expect((failed["reason"] as? String)?.contains("cpuset.mems") == true)
    #expect(steps.dropLast().allSatisfy { $0["outcome"] as? String == "done" })
    #expect(steps.count == writes.count)
    let error = try #require(document["error"] as? [String: Any])
    #expect(error["exit_code"] as? Int == 1)
    #expect((error["message"] as? String)?.contains("cpuset.mems") == true)
    // The same exit status as the text: the failure is the command's.
    #expect(FenceTranscriptOutput.render(transcript, asJSON: true) == .failure(transcript.failure!))
    // The text leaves the failed step to the error message.
    #expect(!FenceTranscriptOutput.text(transcript).contains("cpuset.mems of /privnuma.slice/cxl0 to"))
  }

  @Test func aRefusalIsADocumentWithNoSteps() throws {
    var environment = Environment(
      roots: FenceTests.roots("cgroup-unfenced"), privilege: Privilege(elevated: false), identity: Fixture.bob,
      names: Fixture.names, kernel: SystemKernel())
    environment.ignoredOverrides = []
    let transcript = Fence.applying(nil, dryRun: false, environment)
    let document = try Self.document(transcript)
    #expect(Self.steps(document).isEmpty)
    let error = try #require(document["error"] as? [String: Any])
    #expect(error["exit_code"] as? Int == 1 && (error["message"] as? String)?.contains("only as root") == true)
    guard case .failure(let failure) = Command.fence.invoke(["apply", "--json"], environment) else {
      Issue.record("bob applied the fence with --json")
      return
    }
    #expect(failure.exitCode == 1)
  }

  @Test func onASystemdHostTheDropInsAreStepsWithTheirContents() throws {
    try SystemdFenceCommandTests().scratch { directory in
      let systemd = RecordingSystemd(owns: true, unitDirectory: directory)
      let machine = FenceTests.machine("cgroup-unfenced", declared: SystemdFenceCommandTests.registry)
      let planned = try Self.document(Fence.systemdApplying(machine, dryRun: true, systemd: systemd))
      #expect(planned["mechanism"] as? String == "systemd")
      let plannedSteps = Self.steps(planned)
      let fence = try #require(plannedSteps.first { ($0["file"] as? String) == directory + "/slice.d/90-privnuma-fence.conf" })
      #expect(fence["action"] as? String == "write-drop-in" && fence["before"] is NSNull)
      #expect((fence["after"] as? String)?.contains("AllowedMemoryNodes=0-1\n") == true)
      #expect(plannedSteps.last?["action"] as? String == "daemon-reload")
      #expect(systemd.calls.isEmpty)

      let applied = Fence.systemdApplying(machine, dryRun: false, systemd: systemd)
      let document = try Self.document(applied)
      let steps = Self.steps(document)
      #expect(steps.count == plannedSteps.count)
      #expect(steps.allSatisfy { $0["outcome"] as? String == "done" })
      #expect(systemd.calls == ["reload"])
      #expect(FenceTranscriptOutput.text(applied).contains("wrote \(directory)/slice.d/90-privnuma-fence.conf\n"))
    }
  }

  @Test func removeListsTheFilesItRemovesAndTheSlicesItStops() throws {
    try SystemdFenceCommandTests().scratch { directory in
      let units = directory + "/units"
      let cgroup = directory + "/cgroup"
      for path in ["slice.d/90-privnuma-fence.conf", "privnuma-cxl0.slice.d/91-privnuma-opt-in.conf", "privnuma-cxl1.slice.d/91-privnuma-opt-in.conf"] {
        try SystemdFenceCommandTests().write("[Slice]\n", units + "/" + path)
      }
      try SystemdFenceCommandTests().write("populated 0\n", cgroup + "/privnuma.slice/privnuma-cxl0.slice/cgroup.events")
      try SystemdFenceCommandTests().write("populated 1\n", cgroup + "/privnuma.slice/privnuma-cxl1.slice/cgroup.events")
      try SystemdFenceCommandTests().write("42\n", cgroup + "/privnuma.slice/privnuma-cxl1.slice/job.service/cgroup.procs")
      let systemd = RecordingSystemd(owns: true, unitDirectory: units)
      let environment = SystemdFenceCommandTests.root(cgroup: cgroup, systemd: systemd)
      let document = try Self.document(Fence.removing(dryRun: false, environment))
      #expect(document["schema"] as? String == "privnuma.fence-change/1" && document["command"] as? String == "fence remove")
      let steps = Self.steps(document)
      #expect(steps.filter { $0["action"] as? String == "remove-drop-in" && $0["before"] as? String == "[Slice]\n" }.count == 3)
      let stopped = try #require(steps.first { $0["unit"] as? String == "privnuma-cxl0.slice" })
      #expect(stopped["outcome"] as? String == "done" && stopped["processes"] as? Int == 0)
      let left = try #require(steps.first { $0["unit"] as? String == "privnuma-cxl1.slice" })
      #expect(left["outcome"] as? String == "skipped" && left["processes"] as? Int == 1)
      #expect(systemd.calls == ["reload", "stop privnuma-cxl0.slice"])
    }
  }
}
