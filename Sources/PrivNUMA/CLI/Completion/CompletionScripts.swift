/// The bash, zsh and fish completion scripts, generated from the tables the parser itself
/// reads (`launchOptions`, the command table `Command.all`, the policy modes),
/// so a new option is completed the day it is parsed. `make generated` writes them to
/// completions/, and a test fails when the checked-in copies differ from this output.
///
/// The three scripts share one model, here: a *context* is the launch itself or a
/// subcommand; each has options (with the kind of value they take) and operands (NODES,
/// PIDs, fixed words, or a command to run, whose own completion takes over after its first
/// word). bash and zsh also share the shell functions that read the line (ShellHelpers);
/// each shell's own part is in BashCompletion, ZshCompletion and FishCompletion.
enum CompletionScripts {
  static let shells = ["bash", "zsh", "fish"]

  static func script(for shell: String) -> String? {
    switch shell {
    case "bash": return bash
    case "zsh": return zsh
    case "fish": return fish
    default: return nil
    }
  }

  // MARK: - The model

  /// What an option's value or a command's operands complete to. `nodes`, `node` and
  /// `cpus` are asked of privnuma when TAB is pressed (`privnuma __complete nodes`).
  enum Value: String {
    case nodes, node, cpus, dir, file, mode, pid, text
    /// Nodes with CPUs, for `-N`/`-c`: a memory-only node there is a usage error.
    case cpunodes
  }

  static func value(of option: OptionSpec) -> Value? {
    guard let name = option.value else { return nil }
    if option.key == .cpunodebind || option.key == .cpubind { return .cpunodes }
    switch name {
    case "NODES": return .nodes
    case "NODE": return .node
    case "CPUS": return .cpus
    case "DIR": return .dir
    case "FILE": return .file
    case "MODE": return .mode
    case "PID": return .pid
    default: return .text
    }
  }

  struct Context {
    var name: String
    var options: [OptionSpec]
    var operands: Command.Operands
  }

  /// Policy modes `check --policy` takes: those with nodes.
  static var modes: [String] { PolicyMode.allCases.filter(\.takesNodes).map(\.name) }

  /// Launch options that end the launch and hand the rest of the line to a query
  /// (`-H --json` is `hardware --json`); `end` means nothing more is read.
  static func switchTarget(_ option: OptionSpec) -> String? {
    guard queryOptions.contains(option.key) else { return nil }
    return option.key == .show || option.key == .hardware ? option.long : "end"
  }

  /// The launch, then every command of the table; a subcommand is a context of its own
  /// (`fence-status`), entered by its word, so each is offered only its own options.
  static var contexts: [Context] {
    var list = [Context(name: "launch", options: launchOptions, operands: .command)]
    for command in Command.all {
      var options = command.options
      if command.takesLaunchOptions {
        options.insert(contentsOf: launchOptions.filter { switchTarget($0) == nil }, at: options.count - 1)
      }
      list.append(Context(name: command.name, options: options, operands: command.operands))
      for sub in command.subcommands {
        list.append(Context(name: subcontext(command, sub), options: sub.options, operands: sub.operands))
      }
    }
    return list
  }

  static func subcontext(_ command: Command, _ sub: Command) -> String { command.name + "-" + sub.name }

  /// `COMMAND:WORD` patterns of the subcommand words, for the scripts' switch into them.
  static var subcommandPatterns: [String] {
    Command.all.flatMap { command in command.subcommands.map { command.name + ":" + $0.name } }
  }

  /// `NAME=KIND` for each spelling of each option of a context: KIND empty for a flag, a
  /// `Value` for an option with a value, `>CONTEXT` for a switch to another context.
  static func table(_ context: Context) -> [String] {
    var entries: [String] = []
    for option in context.options {
      let kind = switchTarget(option).map { context.name == "launch" ? ">" + $0 : ">end" } ?? value(of: option)?.rawValue ?? ""
      entries.append("--\(option.long)=\(kind)")
      if let short = option.short { entries.append("-\(short)=\(kind)") }
    }
    return entries
  }

  static func operandWord(_ operands: Command.Operands) -> String {
    switch operands {
    case .command: return "command"
    case .values(let value, _): return value.rawValue
    case .words(let words): return "words:" + words.joined(separator: ",")
    case .commandName: return "words:" + commandNames.joined(separator: ",")
    case .none: return ""
    }
  }

  /// The commands `help COMMAND` takes: those `--help` lists.
  static var commandNames: [String] { Command.all.filter(\.listed).map(\.name) }

  /// The commands offered as a first word: every one, `help` too.
  static var firstWords: [Command] { Command.all }

  /// Contexts that share a table, grouped so the scripts list each table once.
  static func grouped<T: Equatable>(_ key: (Context) -> T) -> [(names: [String], key: T)] {
    var groups: [(names: [String], key: T)] = []
    for context in contexts {
      let value = key(context)
      if let index = groups.firstIndex(where: { $0.key == value }) {
        groups[index].names.append(context.name)
      } else {
        groups.append(([context.name], value))
      }
    }
    return groups
  }

  static func singleQuoted(_ text: String) -> String {
    "'" + text.replacingAll("'", with: "'\\''") + "'"
  }

  static func fishQuoted(_ text: String) -> String {
    "'" + text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'") + "'"
  }

  static func header(_ shell: String) -> String {
    """
    # Generated by 'privnuma __generate \(shell)' from privnuma's command table; do not
    # edit: run 'make generated' after changing an option or a command. Node numbers, registry
    # labels, 'all' and 'private' are asked of the installed privnuma when TAB is pressed
    # ('privnuma __complete nodes'); after the command's first word, that command's own
    # completion takes over.
    """
  }
}

extension String {
  /// Replaces every `target` character; Foundation-free.
  func replacingAll(_ target: Character, with replacement: String) -> String {
    var out = ""
    for character in self {
      if character == target { out += replacement } else { out.append(character) }
    }
    return out
  }
}
