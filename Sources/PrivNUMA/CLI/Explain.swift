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
    if let shared = plan.shared {
      switch shared.target {
      case .segment(let keyFile):
        calls.append("shmget(ftok(\"\(keyFile)\", \(shared.projectID))\(shared.huge ? ", SHM_HUGETLB" : "")), shmat()")
      case .file(let path):
        calls.append("open(\"\(path)\", O_RDWR), mmap(MAP_SHARED, offset \(shared.offset))")
      }
      for step in shared.steps {
        switch step {
        case .policy:
          if let policy = plan.policy {
            calls.append("mbind(\(Launcher.describe(policy))\(shared.strict ? ", MPOL_MF_STRICT" : ""))")
          }
        case .touch: calls.append("touch every page")
        case .dump: calls.append("get_mempolicy(MPOL_F_ADDR) for every page")
        case .dumpNodes: calls.append("get_mempolicy(MPOL_F_ADDR|MPOL_F_NODE) for every page")
        }
      }
      return calls
    }
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
    var out = plan.kernelInterface.map { "kernel: \($0.description)\n" } ?? ""
    out += "checks:\n"
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
    let kernel: JSON = plan.kernelInterface.map(Listing.kernelInterfaceJSON) ?? .null
    return .object([
      ("schema", .string("privnuma.explain/1")),
      ("allowed", .bool(plan.failure == nil)),
      ("exit_code", .int(Int(plan.failure?.exitCode ?? 0))),
      ("kernel_interface", kernel),
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

extension Command {
  static let explain = Command(
    name: "explain", summary: "the plan for a launch, without running it",
    synopsis: "[--json] OPTIONS [-- COMMAND [ARGS...]]",
    about: "The plan of a launch without running it: each check and its verdict, the exact system calls (mode, flags, node mask), the cgroup placement and the advice. Exits as the launch would have before starting the command. OPTIONS are the launch options of privnuma --help.",
    options: [.json, .launch(.help)], operands: .command,
    examples: ["privnuma explain -p cxl0 -- ./app", "privnuma explain --json -i all"],
    manual: #"""
      The plan of a launch without running it: every check with its verdict, the exact system
      calls (mode, flags, node mask), the cgroup the process would join, and advice.
      Exits with the status the launch would have had before starting the command.
      """#,
    takesLaunchOptions: true,
    run: Explain.run)
}

enum Explain {
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    var args = options.words
    var asJSON = false
    // --json may come anywhere before the command; the rest are launch options.
    if let index = args.firstIndex(of: "--json"), args[..<index].firstIndex(of: "--") == nil {
      args.remove(at: index)
      asJSON = true
    }
    if args.first == "--help" || args.first == "-h" { return Help.command(.explain) }
    if args.isEmpty {
      return .failure(.usage("'privnuma explain' needs the launch options to explain, e.g. 'privnuma explain -p cxl0 -- ./app'"))
    }
    return OptionParser.parseLaunch(args, requireCommand: false).flatMap { request in
      Launch.plan(request, environment).map { plan in
        var plan = plan
        if plan.failure == nil, let command = plan.command.first { Planner.checkCommand(command, &plan) }
        let report = ExplainReport(plan: plan, request: request)
        Diagnostics.registryWarnings(plan.registryErrors)
        Diagnostics.output(asJSON ? report.json.adding(registryErrors: plan.registryErrors).rendered() + "\n" : report.text)
        return plan.failure?.exitCode ?? 0
      }
    }
  }
}
