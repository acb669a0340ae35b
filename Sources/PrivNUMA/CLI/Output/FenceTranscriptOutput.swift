/// `fence apply` and `fence remove` as the user sees them: the transcript (Core/
/// FenceTranscript) as text, a line per step, or as one JSON document
/// (`privnuma.fence-change/1`) that also carries the failure.
enum FenceTranscriptOutput {
  /// Prints the transcript; the failure, if any, is the command's (stderr and exit status).
  static func render(_ transcript: Fence.Transcript, asJSON: Bool) -> Result<Int32, Failure> {
    Diagnostics.output(text(transcript), json: json(transcript), asJSON: asJSON)
    return transcript.failure.map { .failure($0) } ?? .success(0)
  }

  // MARK: - text

  static func text(_ transcript: Fence.Transcript) -> String {
    var out = transcript.layout.map { $0 + "\n" } ?? ""
    for entry in transcript.entries {
      if let line = line(entry, transcript.command) { out += line + "\n" }
    }
    for note in transcript.notes { out += "note: " + note + "\n" }
    if !transcript.verdict.isEmpty { out += transcript.verdict + "\n" }
    return out
  }

  /// A step as a line of text; nil for a failed one, whose failure is the error message.
  static func line(_ entry: Fence.Entry, _ command: Fence.Transcript.Command) -> String? {
    let planned = entry.outcome == .planned
    if case .failed = entry.outcome { return nil }
    switch (entry.step, entry.outcome) {
    case (.cgroup, .skipped(let why)):
      return "skipped: " + why
    case (.cgroup(let change, let new), _):
      return describe(change, planned: planned, new: new)
    case (.leakPath(let path), .skipped(let why)):
      return "not closed: \(path.problem); \(why)"
    case (.leakPath(let path), _):
      return planned ? "would " + remedy(path) : past(remedy(path))
    case (.dropIn(let path, _, let after?), _):
      guard planned else { return "wrote \(path)" }
      let lines = after.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      return (["would write \(path):"] + lines.map { "    \($0)" }).joined(separator: "\n")
    case (.dropIn(let path, _, nil), _):
      return (planned ? "would remove " : "removed ") + path
    case (.daemonReload, _):
      switch (command, planned) {
      case (.apply, true): return "would run 'systemctl daemon-reload' (systemd applies the drop-ins to every slice)"
      case (.apply, false): return "ran systemctl daemon-reload"
      case (.remove, true): return "would run 'systemctl daemon-reload'"
      case (.remove, false):
        return "ran systemctl daemon-reload: systemd no longer fences any slice (slices running now keep their cpuset.mems until they restart or the machine reboots)"
      }
    case (.stopSlice(let slice, _), .skipped(let why)):
      return "left \(slice) running: \(why)"
    case (.stopSlice(let slice, _), _):
      return planned ? "would stop \(slice): it holds no process" : "stopped \(slice): it held no process"
    }
  }

  /// What a cgroup change did, or with `planned` would do; `new` when the cgroup is one the
  /// run creates, so that its first cpuset.mems has no "was".
  static func describe(_ change: Fence.Change, planned: Bool, new: Bool = false) -> String {
    switch change {
    case .enableCpuset(let path):
      return (planned ? "would enable" : "enabled") + " the cpuset controller for the children of \(path)"
    case .create(let path):
      return (planned ? "would create" : "created") + " cgroup \(path)"
    case .setMems(let path, let from, let to):
      let verb = planned ? "would set" : "set"
      if new { return verb + " cpuset.mems of \(path) to \(to.listDescription)" }
      let was = from.map { $0.isEmpty ? "inherited" : $0.listDescription } ?? "no cpuset controller yet"
      return verb + " cpuset.mems of \(path) to \(to.listDescription) (was \(was))"
    case .move(let pid, let command, let from, let to):
      return (planned ? "would move" : "moved") + " pid \(pid) (\(command)) from \(from) to \(to)"
    }
  }

  /// What closing a leak path writes, as a command: "disable demotion (...)".
  static func remedy(_ path: LeakPath) -> String {
    switch path.remedy {
    case .setAutoOnline(let policy): return "set /sys/devices/system/memory/auto_online_blocks to \(policy)"
    case .disableDemotion: return "disable demotion (/sys/kernel/mm/numa/demotion_enabled = false)"
    case .shrinkHugePages(let size, let count):
      return "shrink node \(path.node ?? -1)'s \(size) kB huge page pool to \(count) (its pages in use)"
    case .fence, .refused: return "leave it"
    }
  }

  /// `set x` → `set x`, `disable x` → `disabled x`, `shrink x` → `shrank x`.
  private static func past(_ phrase: String) -> String {
    if phrase.hasPrefix("disable ") { return "disabled " + phrase.dropFirst(8) }
    if phrase.hasPrefix("shrink ") { return "shrank " + phrase.dropFirst(7) }
    return phrase
  }

  // MARK: - JSON

  /// privnuma.fence-change/1 (privnuma(1), JSON OUTPUT), for `apply` and `remove` alike.
  static func json(_ transcript: Fence.Transcript) -> JSON {
    var error: JSON = .null
    if let failure = transcript.failure {
      error = .object([("message", .string(failure.message)), ("exit_code", .int(Int(failure.exitCode)))])
    }
    return .object([
      ("schema", .string("privnuma.fence-change/1")),
      ("command", .string("fence " + transcript.command.rawValue)),
      ("dry_run", .bool(transcript.dryRun)),
      ("mechanism", transcript.mechanism.map { .string($0.rawValue) } ?? .null),
      ("layout", transcript.layout.map { .string($0) } ?? .null),
      ("steps", .array(transcript.entries.map { step($0, transcript) })),
      ("notes", .array(transcript.notes.map { .string($0) })),
      ("changes", .int(transcript.changes)),
      ("fenced", transcript.fenced.map { .bool($0) } ?? .null),
      ("verdict", transcript.verdict.isEmpty ? .null : .string(transcript.verdict)),
      ("error", error),
    ])
  }

  static func step(_ entry: Fence.Entry, _ transcript: Fence.Transcript) -> JSON {
    var members: [(String, JSON)]
    switch entry.step {
    case .cgroup(let change, let new):
      members = cgroupMembers(change, new: new, mount: transcript.cgroupRoot)
    case .leakPath(let path):
      members = leakMembers(path, sysfs: transcript.sysfs)
    case .dropIn(let path, let before, let after):
      members = [
        ("action", .string(after == nil ? "remove-drop-in" : "write-drop-in")), ("file", .string(path)),
        ("before", before.map { .string($0) } ?? .null), ("after", after.map { .string($0) } ?? .null),
      ]
    case .daemonReload:
      members = [("action", .string("daemon-reload"))]
    case .stopSlice(let slice, let processes):
      members = [("action", .string("stop-slice")), ("unit", .string(slice)), ("processes", .int(processes))]
    }
    let outcome: String
    var reason: JSON = .null
    switch entry.outcome {
    case .planned: outcome = "planned"
    case .done: outcome = "done"
    case .skipped(let why):
      outcome = "skipped"
      reason = .string(why)
    case .failed(let failure):
      outcome = "failed"
      reason = .string(failure.message)
    }
    return .object(members + [("outcome", .string(outcome)), ("reason", reason)])
  }

  static func cgroupMembers(_ change: Fence.Change, new: Bool, mount: String) -> [(String, JSON)] {
    let directory = change.cgroup == "/" ? mount : mount + change.cgroup
    switch change {
    case .create(let path):
      return [("action", .string("create-cgroup")), ("cgroup", .string(path)), ("file", .string(directory))]
    case .enableCpuset(let path):
      return [
        ("action", .string("enable-cpuset")), ("cgroup", .string(path)),
        ("file", .string(directory + "/cgroup.subtree_control")), ("after", .string("+cpuset")),
      ]
    case .setMems(let path, let from, let to):
      let was = new ? "new" : from.map { $0.isEmpty ? "inherited" : "set" } ?? "no-cpuset-controller"
      return [
        ("action", .string("set-mems")), ("cgroup", .string(path)), ("file", .string(directory + "/cpuset.mems")),
        ("was", .string(was)), ("before", was == "set" ? from.map { .nodes($0) } ?? .null : .null),
        ("after", .nodes(to)),
      ]
    case .move(let pid, let command, let from, let to):
      return [
        ("action", .string("move")), ("pid", .int(Int(pid))), ("command", .string(command)),
        ("from", .string(from)), ("to", .string(to)), ("file", .string(directory + "/cgroup.procs")),
      ]
    }
  }

  static func leakMembers(_ path: LeakPath, sysfs: String) -> [(String, JSON)] {
    let action: String
    var file: JSON = .null
    var after: JSON = .null
    switch path.remedy {
    case .setAutoOnline(let policy):
      action = "set-auto-online"
      file = .string(MemoryBlocks.directory(sysfs) + "/auto_online_blocks")
      after = .string(policy)
    case .disableDemotion:
      action = "disable-demotion"
      file = .string(MemoryTiers.demotionFile(sysfs))
      after = .string("false")
    case .shrinkHugePages(let size, let count):
      action = "shrink-huge-pages"
      file = .string(sysfs + "/devices/system/node/node\(path.node ?? -1)/hugepages/hugepages-\(size)kB/nr_hugepages")
      after = .int(count)
    case .fence, .refused:
      action = "leave-open"
    }
    return [
      ("action", .string(action)), ("kind", .string(path.kind.rawValue)), ("node", path.node.map { .int($0) } ?? .null),
      ("problem", .string(path.problem)), ("file", file), ("after", after),
    ]
  }
}
