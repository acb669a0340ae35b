extension Command {
  static let help = Command(
    name: "help", summary: "help on a command",
    synopsis: "[COMMAND]",
    about: "The same as privnuma --help, or with a COMMAND, privnuma COMMAND --help.",
    options: [.launch(.help)], operands: .commandName,
    examples: ["privnuma help fence"],
    manual: #"""
      The same as
      .B \-\-help
      or
      .IB COMMAND " \-\-help" \fR.
      """#,
    listed: false,
    run: Help.run)
}

/// `--help` and `privnuma COMMAND --help`, built from the option and command tables so they
/// never drift from the parser. Kept to one screen of 80 columns, with examples: the
/// reference is privnuma(1).
enum Help {
  static let width = 80

  static var usage: String {
    """
    usage: privnuma [OPTIONS] [--] COMMAND [ARGS...]
           privnuma QUERY [--json] [ARGS...]

    """
  }

  /// Two columns, the second wrapped at `width` and aligned.
  static func columns(_ rows: [(String, String)], indent: Int = 2, left given: Int? = nil) -> String {
    let left = given ?? (rows.map(\.0.count).max() ?? 0) + indent + 2
    var out = ""
    for (name, summary) in rows {
      out += wrapped(summary.split(separator: " "), first: String(repeating: " ", count: indent) + Format.padRight(name, left - indent), indent: left)
    }
    return out
  }

  /// Words after `first`, wrapped at `width` onto lines indented by `indent`.
  static func wrapped(_ words: [Substring], first: String, indent left: Int) -> String {
    var out = ""
    var line = first
    var column = line.count
    for word in words {
      if column + 1 + word.count > width && column > left {
        out += line + "\n"
        line = String(repeating: " ", count: left)
        column = left
      } else if column > left {
        line += " "
        column += 1
      }
      line += word
      column += word.count
    }
    return out + line + "\n"
  }

  static func options(_ table: [OptionSpec], left: Int? = nil) -> String {
    columns(table.map { ($0.spelling, $0.summary) }, left: left)
  }

  static var text: String {
    var out = "privnuma \(CLI.version): run a command under a NUMA memory policy. Private memory nodes\n"
      + "(CXL, HBM, compressed RAM) are used only when named, and only by those allowed.\n\n" + usage
    // One column for every group, so the page reads as one table.
    let left = (launchOptions.map(\.spelling.count).max() ?? 0) + 4
    for group in OptionSpec.Group.allCases {
      out += "\n\(group.rawValue):\n" + options(launchOptions.filter { $0.group == group }, left: left)
    }
    let listed = Command.all.filter(\.listed)
    out += "\nQueries and tools (privnuma QUERY --help):\n" + columns(listed.map { ($0.name, $0.summary) }, left: left)
    out += """

      NODES: 0,2-3  cxl0 (a label)  all (general nodes of the cpuset)  private (yours)
             !1 (general nodes but 1)  +0,1 (cpuset-relative)  rank:2,3 (local rank)

      Examples:
        privnuma -m 0 -- ./app              bind memory to node 0
        privnuma -p cxl0 -- ./app           prefer private node cxl0, then general
        privnuma -i all -N 0 ./app          interleave on general nodes, node 0's CPUs
        srun privnuma -p rank:2,3 -- ./app  local rank 0 prefers node 2, rank 1 node 3
        privnuma explain -p cxl0            what a launch would do, and why
        privnuma nodes                      the private nodes and who may use them

      Exit status: the command's own; 1 the system refused; 2 usage error; 3 refused
      by the private-node rules; 126 not executable; 127 not found.
      See privnuma(1) and privnuma.conf(5).

      """
    return out
  }

  /// Words of a usage line; a bracketed group stays whole so a line never breaks inside it.
  static func usageWords(_ usage: String) -> [Substring] {
    var words: [Substring] = []
    var start = usage.startIndex
    var depth = 0
    var index = usage.startIndex
    while index < usage.endIndex {
      let character = usage[index]
      if character == "[" { depth += 1 }
      if character == "]" { depth -= 1 }
      if character == " " && depth == 0 {
        if start < index { words.append(usage[start..<index]) }
        start = usage.index(after: index)
      }
      index = usage.index(after: index)
    }
    if start < usage.endIndex { words.append(usage[start...]) }
    return words
  }

  /// A command's help: usage, what it does, its subcommands, its options, examples.
  static func page(_ command: Command) -> String {
    var out = ""
    let lines = command.subcommands.isEmpty ? [command.usage()] : command.subcommands.map { $0.usage(parent: command) }
    for (index, line) in lines.enumerated() {
      // Continuation lines start under the first word after the command's name.
      let name = (command.subcommands.isEmpty ? 2 : 3)
      let words = usageWords(line)
      let first = (index == 0 ? "usage: " : "       ") + words.prefix(name).joined(separator: " ") + " "
      out += wrapped(Array(words.dropFirst(name)), first: first, indent: first.count)
    }
    out += "\n" + columns([("", command.about)], indent: 0, left: 0)
    if !command.subcommands.isEmpty {
      out += "\n" + columns(command.subcommands.map { ($0.name, $0.about) })
    }
    var table = command.subcommands.isEmpty ? command.options : []
    for sub in command.subcommands {
      for option in sub.options where !table.contains(option) { table.append(option) }
    }
    table.removeAll { $0.key == .help }
    if !table.isEmpty { out += "\nOptions:\n" + options(table) }
    if command.takesLaunchOptions { out += "  and the launch options of privnuma --help\n" }
    if !command.examples.isEmpty {
      out += "\nExample" + (command.examples.count > 1 ? "s" : "") + ":\n" + command.examples.map { "  " + $0 + "\n" }.joined()
    }
    return out
  }

  static func command(_ command: Command) -> Result<Int32, Failure> {
    Diagnostics.output(page(command))
    return .success(0)
  }

  /// `privnuma help [COMMAND]`.
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    if let name = options.operands.first {
      guard let command = Command.named(name), command.listed else {
        let names = Command.all.filter(\.listed).map(\.name)
        return .failure(.usage("no help for '\(name)'; commands: \(names.joined(separator: ", "))"))
      }
      return Help.command(command)
    }
    Diagnostics.output(text)
    return .success(0)
  }
}
