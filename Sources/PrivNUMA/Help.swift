/// `--help` text, built from the option table so it never drifts from the parser.
enum Help {
  static let usage = """
    usage: privnuma [OPTIONS] [--] COMMAND [ARGS...]
           privnuma show|hardware|nodes|check|explain [--json] ...

    """

  static var text: String {
    var out = """
      privnuma \(CLI.version): run a command under a NUMA memory policy, with private memory nodes
      (CXL, HBM, compressed RAM) used only when named and only by those allowed.

      """ + usage
    for group in OptionSpec.Group.allCases {
      out += "\n\(group.rawValue):\n"
      for option in launchOptions where option.group == group {
        out += "  " + Format.padRight(option.spelling, 36) + " " + option.summary + "\n"
      }
    }
    out += "\nCommands:\n"
    for command in CLI.commands { out += "  " + Format.padRight(command.name, 36) + " " + command.summary + "\n" }
    out += """

      NODES: 0,2-3 | a registry label (cxl0) | all (general nodes in the cpuset) | private
             | !NODES (general nodes except) | +N (relative to the cpuset) | rank:2,3 (by local rank)

      Examples:
        privnuma -m 0 -- ./app                 bind memory to node 0
        privnuma --preferred=cxl0 -- ./app     prefer a private node, fall back to general memory
        privnuma -i all -N 0 ./app             interleave over general nodes, run on node 0's CPUs
        privnuma explain -p cxl0               show what a launch would do and why
        privnuma nodes                          list private nodes and who may use them

      Exit status: the command's own; 1 the system refused; 2 usage error; 3 refused by the
      private-node rules; 126 not executable; 127 not found.

      """
    return out
  }

  static let commandHelp: [String: String] = [
    "show": "usage: privnuma show [--json]\n\nThis process's memory policy and CPU binding in numactl's layout, plus private-node lines.\nExample: privnuma -m 0 privnuma show\n",
    "hardware": "usage: privnuma hardware [--json] [--registry DIR]\n\nNodes, CPUs, memory size and free, distances and interleave weights; private nodes marked.\nExample: privnuma hardware --json\n",
    "nodes": "usage: privnuma nodes [--json] [--registry DIR]\n\nThe private nodes: label, kind, backend, capabilities, size, free, reserve, and whether you\nmay use each and why.\nExample: privnuma nodes --json\n",
    "check": "usage: privnuma check NODES [--policy MODE] [--balancing] [--json] [--registry DIR]\n\nExit 0 if you may use NODES with MODE (default bind), else the refusal's exit code and reason.\nExample: privnuma check cxl0 --policy preferred && privnuma -p cxl0 -- ./app\n",
    "explain": "usage: privnuma explain [--json] OPTIONS [-- COMMAND]\n\nThe plan of a launch without running it: each check and its verdict, the exact system calls,\nthe cgroup placement and advice. Exits as the launch would have before running the command.\nExample: privnuma explain -m cxl0 -- ./app\n",
  ]

  static func command(_ name: String) -> Result<Int32, Failure> {
    Diagnostics.output(commandHelp[name] ?? text)
    return .success(0)
  }

  static func run(_ args: ArraySlice<String>) -> Result<Int32, Failure> {
    if let name = args.first {
      guard commandHelp[name] != nil else { return .failure(.usage("no help for '\(name)'; commands: \(CLI.commands.map(\.name).joined(separator: ", "))")) }
      return command(name)
    }
    Diagnostics.output(text)
    return .success(0)
  }
}
