/// `privnuma __complete`: what the shell completion scripts ask the installed binary.
///
///     privnuma __complete scripts bash|zsh|fish    the script itself (completions/ holds a copy)
///     privnuma __complete nodes [--registry DIR] [--] [WORD]
///     privnuma __complete node  [--registry DIR] [--] [WORD]
///     privnuma __complete cpunodes [--registry DIR] [--] [WORD]   nodes with CPUs (-N)
///     privnuma __complete cpus [--] [WORD]
///
/// Node words are read when TAB is pressed, not when the script was made, because labels
/// live in the registry and node numbers in sysfs of the machine at hand. Candidates are
/// whole words (`0,cxl0` for `0,c`), one a line; the shell filters them by what is typed.
/// Completion must never disturb the command line, so it prints nothing on stderr and
/// exits 0 even when the machine or the registry cannot be read.
enum Completion {
  static func run(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    guard let what = args.first else {
      return .failure(.usage("usage: privnuma __complete scripts SHELL | nodes | node | cpunodes | cpus [--registry DIR] [--] [WORD]"))
    }
    var rest = args.dropFirst()
    switch what {
    case "scripts":
      guard let shell = rest.first, let script = CompletionScripts.script(for: shell) else {
        return .failure(.usage("'privnuma __complete scripts' needs a shell: \(CompletionScripts.shells.joined(separator: ", "))"))
      }
      Diagnostics.output(script)
      return .success(0)
    case "nodes", "node", "cpunodes", "cpus":
      var registry: String?
      if rest.first == "--registry", rest.count >= 2 {
        registry = rest.dropFirst().first
        rest = rest.dropFirst(2)
      } else if let first = rest.first, first.hasPrefix("--registry=") {
        registry = String(first.dropFirst("--registry=".count))
        rest = rest.dropFirst()
      }
      if rest.first == "--" { rest = rest.dropFirst() }
      let word = rest.first ?? ""
      let candidates: [String]
      if what == "cpus" {
        candidates = cpuCandidates(word, roots: environment.roots)
      } else {
        candidates = nodeCandidates(
          word, machine: machine(environment, registry: registry), single: what == "node", withCPUs: what == "cpunodes")
      }
      Diagnostics.output(candidates.map { $0 + "\n" }.joined())
      return .success(0)
    default:
      return .failure(.usage("'privnuma __complete \(what)': unknown; use scripts, nodes, node, cpunodes or cpus"))
    }
  }

  /// The machine with its registry; without the registry when that cannot be read, so a
  /// broken file costs the labels but not the node numbers.
  static func machine(_ environment: Environment, registry: String?) -> Machine {
    if case .success(let machine) = environment.machine(registry: registry) { return machine }
    let topology = Topology(roots: environment.roots)
    return Machine(roots: environment.roots, topology: topology, declared: [])
  }

  /// Candidates for a NODES word being typed.
  ///
  /// The word is split into a lead that is kept as typed (`!`, `+`, `rank:` and every entry
  /// up to the last comma) and the entry being typed. The first entry may be a node number,
  /// a label, `all` or `private` (the latter only where there are private nodes); later
  /// entries only numbers and labels not yet in the list, since `all` and `private` stand
  /// alone. `single` is for options that take one node (`--preferred`); `withCPUs` for
  /// `--cpunodebind`, which takes only nodes with CPUs (and `all`, which skips the others).
  static func nodeCandidates(_ word: String, machine: Machine, single: Bool = false, withCPUs: Bool = false) -> [String] {
    let nodes = withCPUs ? machine.topology.online.intersection(machine.topology.withCPUs) : machine.topology.online
    let numbers = nodes.map(String.init)
    let labels = machine.privateNodes.filter { !withCPUs || nodes.contains($0.id) }.map(\.label)
    var keywords: [String] = []
    if !single {
      keywords.append("all")
      if !withCPUs && !machine.privateNodes.isEmpty { keywords.append("private") }
    }
    return candidates(word, entries: numbers + labels, keywords: keywords, lists: !single)
  }

  /// Candidates for a CPUS word: online CPU numbers, and `all`.
  static func cpuCandidates(_ word: String, roots: Roots) -> [String] {
    let online = FileSystem.readIfPresent(roots.sysfs + "/devices/system/cpu/online").flatMap { CPUSet(kernelList: $0) }
    return candidates(word, entries: (online ?? CPUSet()).map(String.init), keywords: ["all"], lists: true)
  }

  /// Builds whole-word candidates from the entries a list may hold. In `rank:` lists an
  /// entry may repeat (two ranks on one node); elsewhere a node already listed is not
  /// offered again.
  static func candidates(_ word: String, entries: [String], keywords: [String], lists: Bool) -> [String] {
    var lead = ""
    var body = Substring(word)
    let rank = body.hasPrefix("rank:")
    if rank {
      lead = "rank:"
      body = body.dropFirst(5)
    }
    for prefix in ["!", "+"] where body.hasPrefix(prefix) {
      lead += prefix
      body = body.dropFirst(prefix.count)
    }
    var listed: [Substring] = []
    if lists || rank, let comma = body.lastIndex(of: ",") {
      let head = body[...comma]
      if !rank { listed = head.split(separator: ",") }
      lead += head
      body = body[body.index(after: comma)...]
    }
    var out: [String] = []
    if lead.isEmpty { out += keywords }
    for entry in entries where !listed.contains(Substring(entry)) && !out.contains(entry) {
      out.append(entry)
    }
    return out.map { lead + $0 }.filter { $0.hasPrefix(word) }
  }
}
