/// The command line: which command runs, with what options. `privnuma`'s executable hands
/// its arguments here and exits with the result.
public enum CLI {
  public static let version = "0.1.0"

  /// Runs privnuma; returns the exit status (a launch that succeeds does not return).
  public static func main(_ arguments: [String], environment: Environment = .current()) -> Int32 {
    let args = arguments.dropFirst()
    let result = run(args, environment)
    switch result {
    case .success(let code): return code
    case .failure(let failure):
      Diagnostics.error(failure.message)
      return failure.exitCode
    }
  }

  static func run(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    guard let first = args.first else {
      Diagnostics.writeAll(2, Help.usage)
      return .failure(.usage("no command or options given; see 'privnuma --help'"))
    }
    // The launch is the hot path: its options go to the hand-written parser at once.
    if first.utf8.first == UInt8(ascii: "-") { return launch(args, environment) }
    let rest = args.dropFirst()
    if let command = Command.named(first) { return command.invoke(rest, environment) }
    switch first {
    case "__complete": return Completion.run(rest, environment)
    case "__generate": return Generated.run(rest)
    default:
      return .failure(.usage("unknown command '\(first)'; to run a program, put options first (privnuma -m 0 \(first)) or use 'privnuma -- \(first)'"))
    }
  }

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
    let launcher = Launcher(kernel: environment.kernel, privilege: environment.privilege)
    return .failure(launcher.launch(plan))
  }

  /// `-s`, `-H`, `--help`, `--version` given as options.
  static func runQueryOption(_ query: OptionSpec.Key, _ request: LaunchRequest, _ environment: Environment) -> Result<Int32, Failure> {
    var rest = ArraySlice(request.command)
    if let registry = request.registry { rest = ["--registry", registry] + rest }
    switch query {
    case .show:
      if request.mode != nil || request.cpus != nil || request.cpuNodes != nil {
        // numactl applies options given before --show to itself, then shows the result.
        do {
          let plan = try Launch.makePlan(request, environment, explaining: false)
          let launcher = Launcher(kernel: environment.kernel, privilege: environment.privilege)
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
    return plan
  }

  static func plan(_ request: LaunchRequest, _ environment: Environment) -> Result<LaunchPlan, Failure> {
    do { return .success(try makePlan(request, environment)) } catch { return .failure(error) }
  }
}
