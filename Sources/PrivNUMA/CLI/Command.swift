/// A subcommand, declared once. `CLI.run` dispatches through `Command.all`; `--help`, the
/// bash/zsh/fish completions and the COMMANDS section of privnuma(1) are generated from the
/// same declarations, and a test fails when a checked-in generated file is stale
/// (`make generated` rewrites them). The launch itself is not a `Command`: its options are
/// `launchOptions`, read by the hand-written parser on the hot path.
struct Command: Sendable {
  typealias Value = CompletionScripts.Value

  /// What the words after a command's options are.
  enum Operands {
    /// A command to run: its own completion takes over.
    case command
    /// Up to `max` values of a kind.
    case values(Value, max: Int)
    /// One of fixed words (the subcommands).
    case words([String])
    /// The name of a listed command (`help COMMAND`).
    case commandName
    case none
  }

  typealias Run = @Sendable (Arguments, Environment) -> Result<Int32, Failure>

  let name: String
  /// One line for `privnuma --help` and the completions.
  let summary: String
  /// What follows the name in a usage line, without the options every command has
  /// (`--json`, `--registry`, `--help`), which `usage` adds.
  let synopsis: String
  /// What the command does, for `privnuma NAME --help`.
  let about: String
  let options: [OptionSpec]
  let operands: Operands
  let examples: [String]
  /// The body of the command's entry in privnuma(1) COMMANDS, in roff.
  let manual: String
  /// Listed in `privnuma --help` and completed as a first word (`help` is not).
  var listed = true
  /// `fence status`, `fence apply`: each its own options, help and manual entry.
  var subcommands: [Command] = []
  /// Reads the launch options after its own (`explain`): help and completion show them too.
  var takesLaunchOptions = false
  /// Its `--json` document carries the failures of its run (`fence apply`: the steps done
  /// before it stopped belong with the error), so no separate error document is printed.
  var documentsFailures = false
  /// Runs with parsed options; nil for a command with subcommands.
  let run: Run?

  /// Options and operands as given to a command.
  struct Arguments {
    var options: [ParsedOption] = []
    var operands: [String] = []
    /// The words as given, for commands that read launch options (`explain`).
    var words: ArraySlice<String> = []

    func has(_ key: OptionSpec.Key) -> Bool { options.contains { $0.spec.key == key } }
    func value(_ key: OptionSpec.Key) -> String? { options.last { $0.spec.key == key }?.value }
    func values(_ key: OptionSpec.Key) -> [String] { options.filter { $0.spec.key == key }.compactMap(\.value) }
  }

  /// Every command, in the order `--help` and privnuma(1) list them.
  static let all: [Command] = [
    .show, .hardware, .nodes, .check, .explain, .stat, .audit, .migrate, .fence, .online, .offline, .help,
  ]

  static func named(_ name: String) -> Command? { all.first { $0.name == name } }

  /// The options every query has.
  static let common: [OptionSpec] = [.json, .launch(.registry), .launch(.help)]

  /// The usage line: name, synopsis, and the common options this command takes.
  func usage(parent: Command? = nil) -> String {
    var words = (parent.map { [$0.name] } ?? []) + [name]
    if !synopsis.isEmpty { words.append(synopsis) }
    for option in options where option.key == .json || option.key == .registry {
      if !synopsis.includes("--" + option.long) {
        words.append("[--\(option.long)" + (option.value.map { " " + $0 } ?? "") + "]")
      }
    }
    return "privnuma " + words.joined(separator: " ")
  }

  /// The options and operands of `args`, read with this command's option table.
  func parse(_ args: ArraySlice<String>, parent: Command? = nil) -> Result<Arguments, Failure> {
    do {
      let scanned = try OptionParser.scanOptions(args, table: options, stopAtFirstOperand: false)
      return .success(Arguments(options: scanned.options, operands: scanned.rest, words: args))
    } catch {
      // The parser points at the general help, at the end of its message; a command's mistake
      // is explained on its own page. (String.replacing would link the regex engine.)
      let general = "'privnuma --help'"
      guard error.message.hasSuffix(general) else { return .failure(error) }
      let page = "'privnuma " + (parent?.name ?? name) + " --help'"
      return .failure(Failure(error.kind, String(error.message.dropLast(general.count)) + page))
    }
  }

  /// The first operand beyond what the command takes.
  func excessOperand(_ arguments: Arguments) -> String? {
    let most: Int
    switch operands {
    case .values(_, let max): most = max
    case .command, .words: most = Int.max
    case .commandName: most = 1
    case .none: most = 0
    }
    return arguments.operands.count > most ? arguments.operands[most] : nil
  }

  /// Runs the command: subcommand dispatch, option parsing, `--help`, operand count.
  func invoke(_ args: ArraySlice<String>, _ environment: Environment, parent: Command? = nil) -> Result<Int32, Failure> {
    let fullName = (parent.map { $0.name + " " } ?? "") + name
    if !subcommands.isEmpty {
      let choices = subcommands.map { "'privnuma \(name) \($0.name)'" }.joined(separator: " or ")
      guard let word = args.first else {
        return .failure(.usage("'privnuma \(name)' needs a command: \(choices)"))
      }
      if let sub = subcommands.first(where: { $0.name == word }) {
        return sub.invoke(args.dropFirst(), environment, parent: self)
      }
      if word == "--help" || word == "-h" || word == "help" { return Help.command(self) }
      return .failure(.usage("unknown \(name) command '\(word)'; use \(choices)"))
    }
    let page = parent ?? self
    // With --json, a failure is a JSON document too (stderr still says it), so a script
    // reading stdout always gets one.
    let (result, ran) = invokeParsed(args, environment, page: page, fullName: fullName, parent: parent)
    if case .failure(let failure) = result, !(ran && documentsFailures), options.contains(.json),
      args.prefix(while: { $0 != "--" }).contains("--json")
    {
      Diagnostics.output(JSON.object([
        ("schema", .string("privnuma.error/1")), ("command", .string(fullName)),
        ("error", .string(failure.message)), ("exit_code", .int(Int(failure.exitCode))),
      ]).rendered() + "\n")
    }
    return result
  }

  /// The result, and whether it came from the run function (not from parsing or `--help`).
  private func invokeParsed(
    _ args: ArraySlice<String>, _ environment: Environment, page: Command, fullName: String, parent: Command?
  ) -> (Result<Int32, Failure>, ran: Bool) {
    if takesLaunchOptions { return (run!(Arguments(words: args), environment), true) }
    let arguments: Arguments
    switch parse(args, parent: parent) {
    case .failure(let failure): return (.failure(failure), false)
    case .success(let parsed): arguments = parsed
    }
    if arguments.has(.help) { return (Help.command(page), false) }
    if let extra = excessOperand(arguments) {
      return (.failure(.usage("'privnuma \(fullName)' does not take '\(extra)'; see 'privnuma \(page.name) --help'")), false)
    }
    return (run!(arguments, environment), true)
  }

  /// Parses a PID operand: decimal, positive.
  static func parsePID(_ text: String, command: String) -> Result<Int32, Failure> {
    guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
      let pid = Int32(text), pid > 0
    else {
      return .failure(.usage("'\(text)' is not a process id; 'privnuma \(command)' takes decimal PIDs"))
    }
    return .success(pid)
  }
}
