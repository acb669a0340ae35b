/// The command line: which command runs, with what options. `privnuma`'s executable hands
/// its arguments here and exits with the result.
public enum CLI {
  public static let version = "0.1.0"

  /// `privnuma __scope SLICE -- ARGS...`: see `Scope`.
  public static let scopeCommand = Scope.command

  public static func scope(_ arguments: [String]) -> Int32 { Scope.run(arguments) }

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
      Diagnostics.writeAll(.standardError, Help.usage)
      return .failure(.usage("no command or options given; see 'privnuma --help'"))
    }
    // The launch is the hot path: its options go to the hand-written parser at once.
    if first.utf8.first == UInt8(ascii: "-") { return launch(args, environment) }
    let rest = args.dropFirst()
    if let command = Command.named(first) { return command.invoke(rest, environment) }
    switch first {
    case "__complete": return Completion.run(rest, environment)
    case "__generate": return Generated.run(rest)
    case "__slurm-task": return SlurmTask.run(rest)
    default: break
    }
    // Any other first word is a program to run with no options, as with numactl: scripts
    // write `privnuma $NUMA_OPTS ./app` and the variable may be empty.
    return launch(args, environment)
  }
}
