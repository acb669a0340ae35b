/// The common launch, `privnuma -m 0 cmd` or `privnuma -q -m cxl0 cmd`, done from argv's
/// bytes before anything builds `CommandLine.arguments`: one memory policy over node numbers
/// and registry labels, with `-q`, `--allow-unfenced` and `--registry DIR`, an optional `--`,
/// the command. On a machine without private nodes it makes no String, Array or Optional of
/// privnuma's types: their metadata look-ups and the standard library's pages were most of a
/// plain launch's cost. With a registry it reads it as the full path does, with the full
/// path's parser (RegistryIndex), and holds the private nodes named to the full path's rules
/// (QuickLaunchPrivateNodes.swift).
///
/// What it does not take on (any other option or NODES form, a registry file with an error
/// or a registry a privileged read refuses, kernel private-node state, an override, a node
/// the full path would refuse, a systemd scope to start) it leaves to the full path
/// untouched. It prints only the warnings the full path prints for the same launch, where
/// the full path prints them. A step that fails returns, and the full path takes the same
/// steps again and reports the failure. Under privilege (setcap, setuid) it runs the full
/// path's own credential steps at the same points: `reduceAtStart` before anything is read,
/// the registry through `Trust`, `dropAll` before the policy; their failures stop the launch
/// with the full path's message and status.
public enum QuickLaunch {
  /// A launch the quick path can parse.
  struct Request: Equatable {
    var mode: PolicyMode = .default
    /// NODES as given (nil for `-l`), read once the registry's labels are known.
    var nodeList: UnsafePointer<UInt8>?
    var nodes = NodeMask()
    /// `--registry DIR`.
    var registry: UnsafePointer<CChar>?
    var quiet = false
    var allowUnfenced = false
    /// Where the command starts in argv.
    var command = 0
  }

  /// Where the full path reads the machine and the registry without overrides (Roots.system).
  static let nodeDirectory: StaticString = "/sys/devices/system/node"
  static let registry: StaticString = "/etc/privnuma/nodes.d"

  /// Launches when the quick path can; otherwise returns nil, having printed nothing (short
  /// of a policy refused in a race, see launchWithRegistry). A privilege step that fails, or
  /// the exec of a launch that has printed its warnings, is reported as the full path reports
  /// it and its exit status returned: nothing is run and the full path is not tried with
  /// rights half dropped or its warnings said twice.
  public static func run(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
    -> Int32?
  {
    var request = Request()
    guard parse(argc: Int(argc), argv: argv, into: &request) else { return nil }
    let elevated = Privilege.current().elevated
    if elevated {
      // Only root may name another registry then, and the full path says so to anyone else.
      guard request.registry == nil else { return nil }
      // As main.swift does before the full path reads anything; its own call then changes nothing.
      if let failure = ProcessCredentials().reduceAtStart() { return report(failure) }
    }
    // Under privilege, or when named, the registry is read whole (RegistryIndex), held to
    // Trust's rules, and a named directory must exist: not looked into here.
    let loadsRegistry = elevated || request.registry != nil
    let facts = LaunchFacts.read(
      nodeDirectory: cString(nodeDirectory), registry: loadsRegistry ? nil : cString(registry))
    guard !facts.overridden, !facts.privateNodeState, facts.complete else { return nil }
    if loadsRegistry || facts.registryInUse {
      return launchWithRegistry(&request, facts, elevated: elevated, argv: argv)
    }
    guard request.nodeList.map({ parseNodes($0, into: &request.nodes) }) ?? true,
      admits(request, facts)
    else { return nil }
    if elevated, let failure = ProcessCredentials().dropAll() { return report(failure) }
    guard applyPolicy(request) else { return nil }
    SystemKernel.execute(argv: argv + request.command)
    return nil
  }

  /// The policy set and read back, as Launcher.apply does: the kernel trims nodes outside the
  /// cpuset without a word. False when it did not take: the full path then sets it again and
  /// reports why (after Launcher.prepare's drop of every right, which finds nothing left).
  static func applyPolicy(_ request: Request) -> Bool {
    guard request.nodes.setMemoryPolicy(request.mode) else { return false }
    var mode: Int32 = -1
    var kept = NodeMask()
    return NodeMask.memoryPolicy(mode: &mode, nodes: &kept) && mode == request.mode.rawValue
      && kept.contains(request.nodes)
  }

  /// A privilege step failed: said as CLI.main says it; the status to exit with.
  @inline(never)
  static func report(_ failure: Failure) -> Int32 {
    Diagnostics.error(failure.message)
    return failure.exitCode
  }

  /// Options (`-m NODES`, `-mNODES`, `--membind NODES`, `--membind=NODES`, likewise `-p` and
  /// `-i`; `-l`/`--localalloc`; `-q`/`--quiet`, `--allow-unfenced`, `--registry DIR`), each at
  /// most once and exactly one policy; then `--` or a word that is not an option; then the
  /// command.
  static func parse(
    argc: Int, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, into request: inout Request
  ) -> Bool {
    var index = 1
    var endOfOptions = false
    while index < argc, let word = argv[index], word[0] == CChar(dash) {
      let option = bytes(word)
      index += 1
      if option[1] == dash && option[2] == 0 {
        endOfOptions = true
        break
      }
      guard option[1] != 0 else { return false }
      var value: UnsafePointer<UInt8>?
      var mode = PolicyMode.default
      if option[1] == dash {
        var end = 2
        while option[end] != 0 && option[end] != equals { end += 1 }
        if option[end] == equals { value = option + end + 1 }
        let name = option + 2
        if matches(name, end - 2, "quiet") || matches(name, end - 2, "allow-unfenced") {
          guard value == nil else { return false }
          if name[0] == UInt8(ascii: "q") {
            guard !request.quiet else { return false }
            request.quiet = true
          } else {
            guard !request.allowUnfenced else { return false }
            request.allowUnfenced = true
          }
          continue
        }
        if matches(name, end - 2, "registry") {
          guard request.registry == nil else { return false }
          if value == nil {
            guard index < argc, let word = argv[index] else { return false }
            value = bytes(word)
            index += 1
          }
          guard let value, value[0] != 0, value[0] != dash else { return false }
          request.registry = UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self)
          continue
        }
        mode = self.mode(long: name, count: end - 2)
      } else {
        if option[1] == UInt8(ascii: "q") && option[2] == 0 {
          guard !request.quiet else { return false }
          request.quiet = true
          continue
        }
        mode = self.mode(short: option[1])
        if option[2] != 0 { value = option + 2 }
      }
      guard mode != .default, request.mode == .default else { return false }
      request.mode = mode
      if mode.takesNodes {
        if value == nil {
          guard index < argc, let word = argv[index] else { return false }
          value = bytes(word)
          index += 1
        }
        guard let value, value[0] != 0 else { return false }
        request.nodeList = value
      } else if value != nil {
        return false
      }
    }
    guard request.mode != .default, index < argc, let command = argv[index], command[0] != 0,
      endOfOptions || command[0] != CChar(dash)
    else { return false }
    request.command = index
    return true
  }

  /// Whether the full path would make exactly this plan and print nothing: a general node
  /// with memory, online and in the cpuset, on a machine with no private nodes at all.
  static func admits(_ request: Request, _ facts: LaunchFacts) -> Bool {
    guard !facts.overridden, !facts.privateNodeState, facts.complete else { return false }
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
