/// The leak paths of `LeakPaths` as `fence status`, `fence apply` and `audit` show and
/// close them.
extension Fence {
  static func leakText(_ path: LeakPath) -> String {
    var out = "  leak path \(path.kind.rawValue): \(path.problem)\n"
    switch path.remedy {
    case .refused(let why): out += "    not closed by 'fence apply': \(why)\n"
    case .fence: break
    default: out += "    'privnuma fence apply' closes it\n"
    }
    return out
  }

  /// Schema of one entry of `leak_paths` (privnuma.fence/1, privnuma.audit/1):
  /// `{ "kind": "demotion", "node": 2, "problem": "...", "closable": true, "refusal": null }`.
  static func leakJSON(_ path: LeakPath) -> JSON {
    var refusal: JSON = .null
    if case .refused(let why) = path.remedy { refusal = .string(why) }
    return .object([
      ("kind", .string(path.kind.rawValue)),
      ("node", path.node.map { .int($0) } ?? .null),
      ("problem", .string(path.problem)),
      ("closable", .bool(refusal == .null)),
      ("refusal", refusal),
    ])
  }

  /// Closes what can be closed outside the cgroup tree, in order, into `transcript`; stops
  /// at the first write that fails. A dry run only plans.
  static func closeLeakPaths(_ paths: [LeakPath], into transcript: inout Transcript) {
    let sysfs = transcript.sysfs
    for path in paths {
      let write: () -> Result<Void, Errno>
      switch path.remedy {
      case .fence:
        continue
      case .refused(let why):
        transcript.record(.leakPath(path), .skipped(why))
        continue
      case .setAutoOnline(let policy):
        write = { MemoryBlocks.setAutoOnlinePolicy(policy, sysfs: sysfs) }
      case .disableDemotion:
        write = { MemoryTiers.setDemotion(false, sysfs: sysfs) }
      case .shrinkHugePages(let size, let count):
        let node = path.node ?? -1
        write = { HugePagePool.resize(node: node, sizeKiB: size, to: count, sysfs: sysfs) }
      }
      if transcript.dryRun {
        transcript.record(.leakPath(path), .planned)
        continue
      }
      if case .failure(let error) = write() {
        let failure = Failure.system("cannot \(FenceTranscriptOutput.remedy(path)): the write failed with \(error); \(path.problem)")
        transcript.record(.leakPath(path), .failed(failure))
        transcript.stop(failure)
        return
      }
      transcript.record(.leakPath(path), .done)
    }
  }
}
