/// The launch, privnuma's default command and its hot path: parse (the hand-written parser
/// of Options.swift) → plan (Core's Planner) → place, drop, apply, verify, exec (Launcher).
extension CLI {
  static func launch(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    let request: LaunchRequest
    do { request = try OptionParser.launchRequest(args) } catch { return .failure(error) }
    if let query = request.query { return runQueryOption(query, request, environment) }
    environment.reportIgnoredOverrides()
    let plan: LaunchPlan
    do { plan = try Launch.makePlan(request, environment, explaining: false) } catch { return .failure(error) }
    Diagnostics.registryWarnings(plan.registryErrors)
    if !request.quiet {
      for warning in plan.warnings { Diagnostics.warning(warning) }
      for advice in plan.advice { Diagnostics.warning(advice) }
    }
    let launcher = Launcher(environment)
    if let shared = plan.shared {
      if let failure = launcher.prepare(plan) { return .failure(failure) }
      return SharedPolicy.run(plan, shared, proc: environment.roots.proc, quiet: request.quiet)
    }
    return .failure(hinted(launcher.launch(plan), command: request.command[0], afterOptions: args.first != request.command[0]))
  }

  /// A command that was not found may be a subcommand in the wrong place (`privnuma -m 0
  /// show`) or a misspelt one (`privnuma shwo`): say so.
  static func hinted(_ failure: Failure, command: String, afterOptions: Bool) -> Failure {
    guard failure.kind == .notFound, !command.contains("/") else { return failure }
    let names = Command.all.filter(\.listed).map(\.name)
    if afterOptions, names.contains(command) {
      let option = command == "show" ? " --show" : command == "hardware" ? " --hardware" : ""
      let fix = option.isEmpty
        ? "run 'privnuma \(command)' on its own"
        : "to see what the options do, end them with\(option) (privnuma -m 0\(option))"
      return Failure(failure.kind, failure.message + "; '\(command)' is a privnuma command only as the first word: \(fix)")
    }
    if !afterOptions, let guess = Registry.closest(to: command, in: names) {
      return Failure(failure.kind, failure.message + "; did you mean 'privnuma \(guess)'?")
    }
    return failure
  }

  /// `-s`, `-H`, `--help`, `--version` given as options.
  static func runQueryOption(_ query: LaunchRequest.Query, _ request: LaunchRequest, _ environment: Environment) -> Result<Int32, Failure> {
    var rest = ArraySlice(request.command)
    if let registry = request.registry { rest = ["--registry", registry] + rest }
    switch query {
    case .show:
      if request.mode != nil || request.cpus != nil || request.cpuNodes != nil {
        // numactl applies options given before --show to itself, then shows the result.
        do {
          let plan = try Launch.makePlan(request, environment, explaining: false)
          let launcher = Launcher(environment)
          if let failure = launcher.prepare(plan) { return .failure(failure) }
        } catch { return .failure(error) }
      }
      return Command.show.invoke(rest, environment)
    case .hardware: return Command.hardware.invoke(rest, environment)
    case .version:
      Diagnostics.output("privnuma \(version)\n")
      return .success(0)
    default:
      Diagnostics.output(Help.text)
      return .success(0)
    }
  }
}

/// Building a launch plan from a request: shared by launching and `explain`.
enum Launch {
  static func makePlan(_ request: LaunchRequest, _ environment: Environment, explaining: Bool = true) throws(Failure) -> LaunchPlan {
    let machine = try environment.loadMachine(registry: request.registry)
    let status = try environment.processStatus()
    // uname only for the modes that newer kernels added.
    let needsRelease = explaining || (request.mode.map { $0.minimumKernel > KernelVersion(3, 8) } ?? false)
    var planner = Planner(
      machine: machine, identity: environment.identity, names: environment.names, status: status,
      kernelRelease: needsRelease ? environment.kernel.release : "unknown")
    planner.explaining = explaining
    var plan = planner.plan(request)
    plan.registryErrors = machine.registryErrors
    if explaining { plan.kernelInterface = machine.topology.kernelInterface }
    // check and explain say what is wrong with the registry; a launch does not pay to look.
    if explaining { plan.warnings = machine.registryWarnings + plan.warnings }
    return plan
  }

  static func plan(_ request: LaunchRequest, _ environment: Environment) -> Result<LaunchPlan, Failure> {
    do { return .success(try makePlan(request, environment)) } catch { return .failure(error) }
  }
}
