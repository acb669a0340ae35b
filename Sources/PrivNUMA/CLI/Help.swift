/// `--help` and `privnuma COMMAND --help`, built from the option tables and the command list
/// so they never drift from the parser. Kept to one screen of 80 columns, with examples:
/// the reference is privnuma(1).
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
      var line = String(repeating: " ", count: indent) + Format.padRight(name, left - indent)
      var column = line.count
      for word in summary.split(separator: " ") {
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
      out += line + "\n"
    }
    return out
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
    out += "\nQueries and tools (privnuma QUERY --help):\n" + columns(CLI.commands.map { ($0.name, $0.summary) }, left: left)
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

  /// The options a query command reads, from the same table its completion uses.
  static func commandOptions(_ name: String) -> String {
    guard let context = CompletionScripts.contexts.first(where: { $0.name == name }) else { return "" }
    let table = context.options.filter { $0.long != "help" }
    return table.isEmpty ? "" : "\nOptions:\n" + options(table)
  }

  /// Words wrapped at `width`.
  static func paragraph(_ text: String) -> String {
    columns([("", text)], indent: 0, left: 0)
  }

  /// A query's help: usage, what it does, its options, examples.
  static func page(_ name: String, usage: String, _ what: String, examples: [String]) -> String {
    "usage: " + usage + "\n\n" + paragraph(what) + commandOptions(name) + "\nExample" + (examples.count > 1 ? "s" : "")
      + ":\n" + examples.map { "  " + $0 + "\n" }.joined()
  }

  static var commandHelp: [String: String] {
    [
      "show": page(
        "show", usage: "privnuma show [--json] [--registry DIR]     (also: privnuma -s)",
        "This process's memory policy and CPU binding, in numactl's layout, with a line for each private node and whether you may use it. Run by privnuma, it shows what the launch applied.",
        examples: ["privnuma show", "privnuma -m 0 privnuma show"]),
      "hardware": page(
        "hardware", usage: "privnuma hardware [--json] [--registry DIR]     (also: privnuma -H)",
        "Nodes, their CPUs, memory size and free, distances and weighted-interleave weights, in the layout of numactl --hardware; private nodes marked with label, backend and capabilities.",
        examples: ["privnuma hardware", "privnuma hardware --json"]),
      "nodes": page(
        "nodes", usage: "privnuma nodes [--json] [--registry DIR]",
        "The private nodes: id, label, kind, backend (kernel, cpuset, none), whether a policy may name them, capabilities, size, free memory, MinFree reserve, and whether you may use each and why.",
        examples: ["privnuma nodes", "privnuma nodes --json"]),
      "check": page(
        "check", usage: "privnuma check NODES [--policy MODE] [-b] [--allow-unfenced] [--json]",
        "Exit 0 when you may use NODES with policy MODE (default bind), else the refusal's exit status (2 usage, 3 private-node rules) and its reason. Nothing is run.",
        examples: ["privnuma check cxl0 --policy preferred && privnuma -p cxl0 -- ./app"]),
      "explain": "usage: privnuma explain [--json] OPTIONS [-- COMMAND [ARGS...]]\n\n"
        + paragraph(
          "The plan of a launch without running it: each check and its verdict, the exact system calls (mode, flags, node mask), the cgroup placement and the advice. Exits as the launch would have before starting the command. OPTIONS are the launch options of privnuma --help.")
        + "\nExamples:\n  privnuma explain -p cxl0 -- ./app\n  privnuma explain --json -i all\n",
      "stat": Inspect.help,
      "audit": Audit.help,
      "migrate": Migrate.help,
      "fence": Fence.help,
    ]
  }

  static func command(_ name: String) -> Result<Int32, Failure> {
    Diagnostics.output(commandHelp[name] ?? text)
    return .success(0)
  }

  /// `privnuma help [COMMAND]`.
  static func run(_ args: ArraySlice<String>) -> Result<Int32, Failure> {
    if let name = args.first {
      guard commandHelp[name] != nil else {
        return .failure(.usage("no help for '\(name)'; commands: \(CLI.commands.map(\.name).joined(separator: ", "))"))
      }
      return command(name)
    }
    Diagnostics.output(text)
    return .success(0)
  }
}
