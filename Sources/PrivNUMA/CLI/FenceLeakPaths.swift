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

  /// Closes what can be closed outside the cgroup tree, in order; stops at the first write
  /// that fails. Returns the lines to print and the failure, if any.
  static func closeLeakPaths(_ paths: [LeakPath], sysfs: String, dryRun: Bool) -> (lines: [String], made: Int, failure: Failure?) {
    var lines: [String] = []
    var made = 0
    for path in paths {
      let what: String
      let result: Result<Void, Errno>
      switch path.remedy {
      case .fence:
        continue
      case .refused(let why):
        lines.append("not closed: \(path.problem); \(why)")
        continue
      case .setAutoOnline(let policy):
        what = "set /sys/devices/system/memory/auto_online_blocks to \(policy)"
        result = dryRun ? .success(()) : MemoryBlocks.setAutoOnlinePolicy(policy, sysfs: sysfs)
      case .disableDemotion:
        what = "disable demotion (/sys/kernel/mm/numa/demotion_enabled = false)"
        result = dryRun ? .success(()) : MemoryTiers.setDemotion(false, sysfs: sysfs)
      case .shrinkHugePages(let size, let count):
        let node = path.node ?? -1
        what = "shrink node \(node)'s \(size) kB huge page pool to \(count) (its pages in use)"
        result = dryRun ? .success(()) : HugePagePool.resize(node: node, sizeKiB: size, to: count, sysfs: sysfs)
      }
      switch result {
      case .success:
        made += 1
        lines.append((dryRun ? "would " : "") + (dryRun ? what : past(what)))
      case .failure(let error):
        return (lines, made, .system("cannot \(what): the write failed with \(error); \(path.problem)"))
      }
    }
    return (lines, made, nil)
  }

  /// `set x` → `set x`, `disable x` → `disabled x`, `shrink x` → `shrank x`.
  private static func past(_ phrase: String) -> String {
    if phrase.hasPrefix("disable ") { return "disabled " + phrase.dropFirst(8) }
    if phrase.hasPrefix("shrink ") { return "shrank " + phrase.dropFirst(7) }
    return phrase
  }
}
