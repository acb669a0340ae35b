/// `privnuma explain`: a launch plan in words, with every check, the exact system calls and
/// the advice, so a refusal can be understood before anything runs.
struct ExplainReport {
  var plan: LaunchPlan
  var request: LaunchRequest

  /// The system calls a launch would make, in order.
  var syscalls: [String] {
    var calls: [String] = []
    if let cgroup = plan.cgroup { calls.append("write(\"\(cgroup)/cgroup.procs\", <pid>)") }
    if let cpus = plan.cpus { calls.append("sched_setaffinity(0, CPUs \(cpus))") }
    if let policy = plan.policy {
      calls.append("set_mempolicy(\(Launcher.describe(policy)))")
      calls.append("get_mempolicy() to verify the kernel kept \(policy.mode.takesNodes ? "nodes \(policy.nodes)" : "the mode")")
    }
    if let command = plan.command.first { calls.append("execvp(\"\(command)\", \(plan.command.count) argument\(plan.command.count == 1 ? "" : "s"))") }
    return calls
  }

  var verdict: String {
    if let failure = plan.failure { return "refused (exit \(failure.exitCode)): \(failure.message)" }
    return plan.command.isEmpty ? "allowed" : "allowed: would run \(plan.command.joined(separator: " "))"
  }

  var text: String {
    var out = "checks:\n"
    for check in plan.checks {
      out += "  \(check.passed ? "ok  " : "FAIL") \(Format.padRight(check.name, 14)) \(check.detail)\n"
    }
    if plan.failure == nil {
      out += "syscalls:\n"
      for call in syscalls { out += "  \(call)\n" }
      out += "cgroup: \(plan.cgroup.map { "join \($0)" } ?? "stay in the current cgroup")\n"
    }
    if !plan.warnings.isEmpty || !plan.advice.isEmpty {
      out += "advice:\n"
      for line in plan.warnings + plan.advice { out += "  \(line)\n" }
    }
    out += "verdict: \(verdict)\n"
    return out
  }

  var checksJSON: JSON {
    .array(plan.checks.map { .object([("name", .string($0.name)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })
  }

  /// Schema `privnuma.explain/1`.
  var json: JSON {
    .object([
      ("schema", .string("privnuma.explain/1")),
      ("allowed", .bool(plan.failure == nil)),
      ("exit_code", .int(Int(plan.failure?.exitCode ?? 0))),
      ("checks", checksJSON),
      (
        "policy",
        plan.policy.map { policy in
          .object([
            ("mode", .string(policy.mode.name)), ("constant", .string(policy.mode.constantName)),
            ("flags", .array(policy.flags.constantNames.map { .string($0) })),
            ("flags_value", .int(Int(policy.flags.rawValue))), ("nodes", .nodes(policy.nodes)),
            ("nodemask", .string(Format.hexMask(policy.nodes))),
          ])
        } ?? .null
      ),
      ("cpus", plan.cpus.map { .nodes($0) } ?? .null),
      ("cgroup", plan.cgroup.map { .string($0) } ?? .null),
      ("syscalls", .array(plan.failure == nil ? syscalls.map { .string($0) } : [])),
      ("advice", .array((plan.warnings + plan.advice).map { .string($0) })),
      ("command", .array(plan.command.map { .string($0) })),
      ("error", plan.failure.map { .string($0.message) } ?? .null),
    ])
  }

  /// Schema `privnuma.check/1`.
  var checkJSON: JSON {
    .object([
      ("schema", .string("privnuma.check/1")),
      ("allowed", .bool(plan.failure == nil)),
      ("exit_code", .int(Int(plan.failure?.exitCode ?? 0))),
      ("policy", .string(plan.policy?.mode.name ?? request.mode?.name ?? "bind")),
      ("nodes", plan.policy.map { .nodes($0.nodes) } ?? .null),
      ("checks", checksJSON),
      ("reason", plan.failure.map { .string($0.message) } ?? .null),
    ])
  }
}

extension Format {
  /// A node mask as the kernel's hex words, e.g. `0x5`.
  static func hexMask(_ set: IDSet) -> String {
    var words = set.words
    while words.count > 1 && words.last == 0 { words.removeLast() }
    if words.isEmpty { return "0x0" }
    var text = "0x" + String(words.last!, radix: 16)
    for word in words.dropLast().reversed() {
      let hex = String(word, radix: 16)
      text += String(repeating: "0", count: 16 - hex.count) + hex
    }
    return text
  }
}
