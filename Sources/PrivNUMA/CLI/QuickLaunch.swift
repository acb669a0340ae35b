/// The common launch, `privnuma -m 0 cmd`, done from argv's bytes before anything builds
/// `CommandLine.arguments`: one memory policy over plain node numbers, an optional `--`, the
/// command. Without privilege it makes no String, Array or Optional of privnuma's types: their
/// metadata look-ups and the standard library's pages were most of a plain launch's cost.
///
/// What it does not take on (any other option or NODES form, a registry with entries or one
/// a privileged read refuses, kernel private-node state, an override, a node the full path
/// would refuse) it leaves to the full path untouched. It prints nothing: whatever is to be
/// said, the full path says. A step that fails returns too; the full path then sets the same
/// policy again and reports the failure. Under privilege (setcap, setuid) it runs the full
/// path's own credential steps at the same points: `reduceAtStart` before anything is read,
/// the registry through `Trust`, `dropAll` before the policy; their failures stop the launch
/// with the full path's message and status.
public enum QuickLaunch {
  /// A launch the quick path can parse.
  struct Request: Equatable {
    var mode: PolicyMode = .default
    var nodes = NodeMask()
    /// Where the command starts in argv.
    var command = 0
  }

  /// Where the full path reads the machine and the registry without overrides (Roots.system).
  static let nodeDirectory: StaticString = "/sys/devices/system/node"
  static let registry: StaticString = "/etc/privnuma/nodes.d"

  /// Launches when the quick path can; otherwise returns nil, having printed nothing. A
  /// privilege step that fails is reported as the full path reports it, and its exit status
  /// returned: nothing is run and the full path is not tried with rights half dropped.
  public static func run(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
    -> Int32?
  {
    var request = Request()
    guard parse(argc: Int(argc), argv: argv, into: &request) else { return nil }
    let facts: LaunchFacts
    if Privilege.current().elevated {
      // As main.swift does before the full path reads anything; its own call then changes nothing.
      if let failure = ProcessCredentials().reduceAtStart() { return report(failure) }
      facts = privilegedFacts()
    } else {
      facts = LaunchFacts.read(
        nodeDirectory: cString(nodeDirectory), registry: cString(registry), trust: nil)
    }
    guard admits(request, facts) else { return nil }
    // Launcher.prepare's order: every right dropped, then the policy. A fallback from here on
    // finds nothing left to drop, as the full path would after its own drop.
    if facts.elevated, let failure = ProcessCredentials().dropAll() { return report(failure) }
    guard request.nodes.setMemoryPolicy(request.mode) else { return nil }
    // The kernel trims nodes outside the cpuset without a word: read back, as Launcher.apply does.
    var mode: Int32 = -1
    var kept = NodeMask()
    guard NodeMask.memoryPolicy(mode: &mode, nodes: &kept), mode == request.mode.rawValue,
      kept.contains(request.nodes)
    else { return nil }
    SystemKernel.execute(argv: argv + request.command)
    return nil
  }

  /// The facts as the full path reads them under privilege, the registry through Trust. Out
  /// of line, and no `Trust?` built in `run`: destroying one looks up its metadata, a third
  /// of the unprivileged launch's instructions, and its code would sit among that launch's.
  @inline(never)
  static func privilegedFacts() -> LaunchFacts {
    LaunchFacts.read(
      nodeDirectory: cString(nodeDirectory), registry: cString(registry), trust: Trust())
  }

  /// A privilege step failed: said as CLI.main says it; the status to exit with.
  @inline(never)
  static func report(_ failure: Failure) -> Int32 {
    Diagnostics.error(failure.message)
    return failure.exitCode
  }

  /// `-m NODES`, `-mNODES`, `--membind NODES` or `--membind=NODES` (likewise `-p` and `-i`),
  /// or `-l`/`--localalloc`; then `--` or a word that is not an option; then the command.
  static func parse(
    argc: Int, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, into request: inout Request
  ) -> Bool {
    guard argc > 2, let first = argv[1] else { return false }
    let option = bytes(first)
    guard option[0] == dash, option[1] != 0 else { return false }
    var index = 2
    var value: UnsafePointer<UInt8>?
    let mode: PolicyMode
    if option[1] == dash {
      var end = 2
      while option[end] != 0 && option[end] != equals { end += 1 }
      mode = self.mode(long: option + 2, count: end - 2)
      if option[end] == equals { value = option + end + 1 }
    } else {
      mode = self.mode(short: option[1])
      if option[2] != 0 { value = option + 2 }
    }
    guard mode != .default else { return false }
    if mode.takesNodes {
      if value == nil {
        guard index < argc, let word = argv[index] else { return false }
        value = bytes(word)
        index += 1
      }
      guard let value, parseNodes(value, into: &request.nodes) else { return false }
    } else if value != nil {
      return false
    }
    guard index < argc, let next = argv[index] else { return false }
    let word = bytes(next)
    if word[0] == dash {
      guard word[1] == dash, word[2] == 0 else { return false }
      index += 1
    }
    guard index < argc, let command = argv[index], command[0] != 0 else { return false }
    request.mode = mode
    request.command = index
    return true
  }

  /// Whether the full path would make exactly this plan and print nothing: a general node
  /// with memory, online and in the cpuset, on a machine with no private nodes at all.
  static func admits(_ request: Request, _ facts: LaunchFacts) -> Bool {
    guard !facts.overridden, !facts.registryInUse, !facts.privateNodeState, facts.complete else {
      return false
    }
    guard request.mode.takesNodes else { return true }
    let nodes = request.nodes
    if request.mode == .preferred && nodes.count != 1 { return false }
    return facts.online.contains(nodes) && facts.withMemory.contains(nodes)
      && facts.memsAllowed.contains(nodes)
  }

  /// The policy of a one-letter option, `.default` for any other letter. A test holds these
  /// spellings to launchOptions.
  static func mode(short letter: UInt8) -> PolicyMode {
    switch letter {
    case UInt8(ascii: "m"): return .bind
    case UInt8(ascii: "p"): return .preferred
    case UInt8(ascii: "i"): return .interleave
    case UInt8(ascii: "l"): return .local
    default: return .default
    }
  }

  /// The policy of a long option's exact name (no abbreviations), `.default` for any other.
  static func mode(long name: UnsafePointer<UInt8>, count: Int) -> PolicyMode {
    if matches(name, count, "membind") { return .bind }
    if matches(name, count, "preferred") { return .preferred }
    if matches(name, count, "interleave") { return .interleave }
    if matches(name, count, "localalloc") { return .local }
    return .default
  }

  /// Node numbers and ranges (`0`, `0,2-3`), decimal without a leading zero, below 64, in
  /// the kernel's list format without its line feed; false for any other form (labels, `all`,
  /// `!`, `+`, hex, `same`), which the full path reads.
  static func parseNodes(_ text: UnsafePointer<UInt8>, into nodes: inout NodeMask) -> Bool {
    var count = 0
    while text[count] != 0 { count += 1 }
    guard count > 0, text[count - 1] != UInt8(ascii: "\n") else { return false }
    return NodeMask.parse(kernelList: text, count: count, into: &nodes)
  }

  static func matches(_ bytes: UnsafePointer<UInt8>, _ count: Int, _ word: StaticString) -> Bool {
    guard count == word.utf8CodeUnitCount else { return false }
    let expected = word.utf8Start
    for index in 0..<count where bytes[index] != expected[index] { return false }
    return true
  }

  static func cString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
  }

  static func bytes(_ word: UnsafeMutablePointer<CChar>) -> UnsafePointer<UInt8> {
    UnsafeRawPointer(word).assumingMemoryBound(to: UInt8.self)
  }

  static let dash = UInt8(ascii: "-")
  static let equals = UInt8(ascii: "=")
}
