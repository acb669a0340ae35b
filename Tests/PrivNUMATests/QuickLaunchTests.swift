import Foundation
import Testing

@testable import PrivNUMA

// The quick launch against the full path: whenever it would launch, the full parser and
// planner make the same policy with nothing to say; what it must leave to the full path, it
// does. Its option spellings, override names, state-file names and paths are held to the
// full path's own declarations, so the two cannot drift apart.

/// argv as the kernel hands it: `privnuma`, the words, a null.
private func withArgv<T>(
  _ words: [String], _ body: (Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T
) -> T {
  var argv: [UnsafeMutablePointer<CChar>?] = (["privnuma"] + words).map { strdup($0) } + [nil]
  defer { for word in argv { free(word) } }
  return argv.withUnsafeMutableBufferPointer { body(words.count + 1, $0.baseAddress!) }
}

/// What the quick launch decides for `words`: the launch, or nil for "not mine".
private func quick(_ words: [String], _ facts: LaunchFacts) -> QuickLaunch.Request? {
  withArgv(words) { argc, argv in
    var request = QuickLaunch.Request()
    guard QuickLaunch.parse(argc: argc, argv: argv, into: &request),
      QuickLaunch.admits(request, facts)
    else { return nil }
    return request
  }
}

/// The quick launch's policy for a long option name.
private func longMode(_ name: String) -> PolicyMode {
  (Array(name.utf8) + [0]).withUnsafeBufferPointer {
    QuickLaunch.mode(long: $0.baseAddress!, count: name.utf8.count)
  }
}

private func nodes(_ mask: NodeMask) -> NodeSet {
  NodeSet((0..<64).filter { mask.bits & (1 << UInt64($0)) != 0 })
}

private func mask(_ ids: [Int]) -> NodeMask {
  NodeMask(bits: ids.reduce(0) { $0 | 1 << UInt64($1) })
}

/// The facts of a fixture machine as the quick launch reads them, the cpuset's mems given.
private func facts(_ fixture: String, mems: [Int]? = nil) -> LaunchFacts {
  let roots = Fixture.roots(fixture)
  var facts = LaunchFacts.read(nodeDirectory: roots.nodeDirectory, registry: roots.registry, trust: nil)
  facts.memsAllowed = mems.map(mask) ?? facts.online
  return facts
}

/// The kernel of a fixture launch: the cpuset's mems and this affinity.
private struct CpusetKernel: StubKernel {
  var mems: NodeSet
  func allowedMemoryNodes() -> Result<NodeSet, Errno> { .success(mems) }
  func affinity() -> Result<CPUSet, Errno> { .success(CPUSet([0, 1])) }
  var release: String { "6.18.0" }
}

/// The full path's request and plan for `words` on a fixture machine (Launch.makePlan, as a
/// launch makes it), or nil when the parser refuses the words.
private func full(_ words: [String], _ fixture: String, mems: NodeSet) throws -> (
  LaunchRequest, LaunchPlan
)? {
  guard let request = try? OptionParser.launchRequest(ArraySlice(words)) else { return nil }
  var roots = Fixture.roots(fixture)
  // The system's /proc: the cpuset then comes from the kernel, as on a real launch.
  roots.proc = Roots.system.proc
  let environment = Environment(
    roots: roots, privilege: Privilege(elevated: false), identity: Fixture.alice,
    names: Fixture.names,
    kernel: CpusetKernel(mems: mems))
  return (request, try Launch.makePlan(request, environment, explaining: false))
}

@Suite("Quick launch: the same launch as the full path, or none")
struct QuickLaunchTests {
  static let fixtures = [
    "one-node", "four-node-gaps", "cgroup-machine", "dax-online", "dax-devdax", "proc-clean",
    "proc-kernel", "rfc-v4",
    "rfc-public", "rfc-common", "rfc-fallback",
  ]

  /// Every way to write a launch option with NODES, and a few options that are not policies.
  static let valueOptions = [
    "-m", "-p", "-i", "-P", "-w", "-N", "-C", "-c", "--membind", "--mem", "--preferred",
    "--interleave",
  ]
  static let nodeWords = [
    "0", "1", "2", "3", "4", "6", "0,1", "0-1", "1-3", "0-3", "3-1", "0,4", "1,1", "0-0", "00",
    "01", "08", "0x1", "all",
    "!0", "+0", "same", "0,", ",0", "0-", "-0", "", "63", "64", "100", "cxl0", "node0", "private",
    "rank:0", " 0",
  ]

  static var optionWords: [[String]] {
    var words: [[String]] = []
    for option in valueOptions {
      for node in nodeWords {
        words.append([option, node])
        words.append(option.hasPrefix("--") ? [option + "=" + node] : [option + node])
      }
    }
    words += [
      ["-l"], ["--localalloc"], ["--local"], ["--localalloc=0"], ["-lq"], ["-q", "-m", "0"],
      ["-m", "0", "-q"],
      ["-b", "-m", "0"], ["--static", "-m", "0"], ["-m", "0", "-l"], ["-m", "0", "-i", "0"],
      ["-a", "-m", "0"],
      ["--registry", "/nonexistent", "-m", "0"], ["-s"], ["-H"], ["--allow-unfenced", "-m", "0"],
      ["-x", "0"],
    ]
    return words
  }

  static let tails: [[String]] = [
    ["app"], ["--", "app"], ["--", "-x"], [], ["--"], [""], ["--", ""], ["-", "app"],
    ["-x", "app"],
    ["--", "--", "app"], ["show", "-m", "0"], ["app", "-m", "0"],
  ]

  @Test func whenTheQuickLaunchLaunchesTheFullPathPlansTheSameLaunchSilently() throws {
    var launched = 0
    for fixture in Self.fixtures {
      let online = Array(nodes(facts(fixture).online))
      for mems in [online, [0]] {
        let facts = facts(fixture, mems: mems)
        for options in Self.optionWords {
          for tail
            in (options == ["-m", "0"] || options == ["-l"]
            ? Self.tails : [["app"], ["--", "app"]])
          {
            let words = options + tail
            guard let request = quick(words, facts) else { continue }
            launched += 1
            let context = "\(fixture), mems \(mems): privnuma \(words.joined(separator: " "))"
            guard let (parsed, plan) = try full(words, fixture, mems: NodeSet(mems)) else {
              Issue.record("\(context): the quick launch launches what the parser refuses")
              continue
            }
            #expect(
              parsed.query == nil && parsed.shared == nil && parsed.registry == nil, "\(context)")
            #expect(
              plan.failure == nil, "\(context): the full path fails: \(plan.failure?.message ?? "")"
            )
            #expect(
              plan.warnings.isEmpty && plan.advice.isEmpty && plan.registryErrors.isEmpty,
              "\(context)")
            #expect(plan.cpus == nil && plan.cgroup == nil && plan.shared == nil, "\(context)")
            let expected = MemoryPolicy(
              mode: request.mode, flags: [],
              nodes: request.mode.takesNodes ? nodes(request.nodes) : NodeSet())
            #expect(
              plan.policy == expected, "\(context): full path \(String(describing: plan.policy))")
            #expect(plan.command == Array(words[(request.command - 1)...]), "\(context)")
          }
        }
      }
    }
    // A quick launch that never launched would pass everything above.
    #expect(launched > 300, "the quick launch took only \(launched) launches")
  }

  @Test(arguments: [
    (
      ["-m", "0", "app"], "one-node", QuickLaunch.Request(mode: .bind, nodes: mask([0]), command: 3)
    ),
    (
      ["-m0", "--", "app"], "one-node",
      QuickLaunch.Request(mode: .bind, nodes: mask([0]), command: 3)
    ),
    (
      ["--membind=0-1,4", "app", "-m", "1"], "four-node-gaps",
      QuickLaunch.Request(mode: .bind, nodes: mask([0, 1, 4]), command: 2)
    ),
    (
      ["--preferred", "3", "--", "-x"], "cgroup-machine",
      QuickLaunch.Request(mode: .preferred, nodes: mask([3]), command: 4)
    ),
    (
      ["-i", "0-3", "app"], "dax-online",
      QuickLaunch.Request(mode: .interleave, nodes: mask([0, 1, 2, 3]), command: 3)
    ),
    (
      ["-l", "app"], "dax-devdax", QuickLaunch.Request(mode: .local, nodes: NodeMask(), command: 2)
    ),
    (
      ["--localalloc", "--", "app"], "one-node",
      QuickLaunch.Request(mode: .local, nodes: NodeMask(), command: 3)
    ),
  ])
  func plainLaunchesAreTakenOn(
    _ words: [String], _ fixture: String, _ expected: QuickLaunch.Request
  ) {
    #expect(quick(words, facts(fixture)) == expected)
  }

  @Test(arguments: [
    // NODES forms other than numbers and ranges, and numbers numactl reads otherwise.
    ["-m", "all", "app"], ["-m", "!0", "app"], ["-m", "+0", "app"], ["-m", "same", "app"],
    ["-m", "0x0", "app"],
    ["-m", "00", "app"], ["-m", "node0", "app"], ["-m", "0,", "app"], ["-m", "64", "app"],
    // Other options, abbreviations, clusters, two policies, values where none is taken.
    ["-q", "-m", "0", "app"], ["-m", "0", "-q", "app"], ["--mem=0", "app"], ["-lq", "app"],
    ["--localalloc=0", "app"],
    ["-N", "0", "app"], ["-P", "0", "app"], ["-w", "0", "app"], ["-m", "0", "-i", "0", "app"],
    ["-s"],
    // No command, an empty one, an operand that looks like an option.
    ["-m", "0"], ["-m", "0", "--"], ["-m", "0", ""], ["-m", "0", "--", ""],
    ["-m", "0", "-", "app"], ["-m"], ["app"],
    // Nodes the full path refuses: missing, two for --preferred.
    ["-m", "1", "app"], ["-p", "0,0-0,1", "app"],
  ])
  func otherCommandLinesAreLeftToTheFullPath(_ words: [String]) {
    #expect(quick(words, facts("one-node")) == nil)
  }

  @Test func nodesTheFullPathRefusesAreLeftToIt() {
    let machine = facts("cgroup-machine", mems: [0, 1])
    #expect(quick(["-m", "0-1", "app"], machine) != nil)
    #expect(quick(["-m", "2", "app"], machine) == nil, "outside the cpuset's mems")
    #expect(quick(["-p", "0,1", "app"], machine) == nil, "two nodes for --preferred")
    var memoryless = machine
    memoryless.withMemory = mask([0])
    #expect(quick(["-i", "0-1", "app"], memoryless) == nil, "node 1 has no memory")
    #expect(quick(["-l", "app"], memoryless) != nil)
  }

  @Test func machinesWithPrivateNodesOrOverridesAreLeftToTheFullPath() {
    #expect(facts("proc-clean").registryInUse, "a registry with a declaration")
    #expect(
      facts("rfc-v4").privateNodeState && facts("proc-kernel").privateNodeState
        && facts("rfc-public").privateNodeState)
    for fixture in [
      "proc-clean", "rfc-v4", "proc-kernel", "rfc-public", "rfc-common", "rfc-fallback",
    ] {
      #expect(quick(["-m", "0", "app"], facts(fixture)) == nil, "\(fixture)")
      #expect(quick(["-l", "app"], facts(fixture)) == nil, "\(fixture)")
    }
    var plain = facts("one-node")
    #expect(plain.complete && !plain.registryInUse && !plain.privateNodeState)
    for change in [\LaunchFacts.overridden, \.registryInUse, \.privateNodeState] {
      var changed = plain
      changed[keyPath: change] = true
      #expect(quick(["-l", "app"], changed) == nil)
    }
    var elevated = plain
    elevated.elevated = true
    #expect(quick(["-l", "app"], elevated) != nil, "privilege is dropped, not refused")
    plain.complete = false
    #expect(quick(["-l", "app"], plain) == nil)
  }

  // MARK: - Held to the full path's declarations

  /// The parser's policy for a launch option, or nil when it is no policy option.
  private func parsedMode(_ words: [String]) -> PolicyMode? {
    (try? OptionParser.launchRequest(ArraySlice(words + ["app"])))?.mode
  }

  @Test func theOptionSpellingsAreTheCommandTables() {
    var taken = 0
    for spec in launchOptions {
      let short = spec.shortByte.map { QuickLaunch.mode(short: $0) } ?? .default
      let long = longMode(spec.long)
      let full =
        spec.value == nil ? parsedMode(["--" + spec.long]) : parsedMode(["--" + spec.long, "0"])
      // Every policy the quick launch takes on, by both spellings of the table.
      if let full, [PolicyMode.bind, .preferred, .interleave, .local].contains(full) {
        #expect(short == full && long == full, "--\(spec.long)")
        taken += 1
      } else {
        #expect(
          short == .default && long == .default,
          "--\(spec.long) is no option the quick launch may take")
      }
    }
    #expect(taken == 4)
    // No letter the table does not give that policy.
    for letter in UInt8(0x21)...UInt8(0x7E) where QuickLaunch.mode(short: letter) != .default {
      let spec = launchOptions.first { $0.shortByte == letter }
      #expect(
        spec != nil && longMode(spec!.long) == QuickLaunch.mode(short: letter),
        "-\(Character(Unicode.Scalar(letter)))")
    }
  }

  @Test func theOverridesAreTheEnvironmentsOverrides() {
    func overridden(_ entries: [String]) -> Bool {
      var block: [UnsafeMutablePointer<CChar>?] = entries.map { strdup($0) } + [nil]
      defer { for entry in block { free(entry) } }
      return block.withUnsafeBufferPointer { LaunchFacts.overridden(in: $0.baseAddress!) }
    }
    for name in Environment.overrideVariables {
      #expect(overridden(["PATH=/bin", name + "=/tmp/x"]), "\(name)")
      #expect(overridden([name + "="]), "\(name), set empty")
    }
    #expect(
      !overridden([
        "PATH=/bin", "PRIVNUMA_BIN=/tmp/privnuma", "PRIVNUMA_SYSFSX=1", "XPRIVNUMA_SYSFS=1",
      ]))
  }

  @Test func everyPrivateNodeStateFileIsSeen() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "quick-\(getpid())"
    ).path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try "0-1\n".write(toFile: directory + "/online", atomically: true, encoding: .utf8)
    try "0-1\n".write(toFile: directory + "/has_memory", atomically: true, encoding: .utf8)
    let plain = LaunchFacts.read(nodeDirectory: directory, registry: directory + "/absent", trust: nil)
    #expect(plain.complete && !plain.privateNodeState && plain.online == mask([0, 1]))
    for name in NodeStateFiles.names {
      try "1\n".write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
      #expect(
        LaunchFacts.read(nodeDirectory: directory, registry: directory + "/absent", trust: nil)
          .privateNodeState, "\(name)")
      try FileManager.default.removeItem(atPath: directory + "/" + name)
    }
  }

  @Test func aRegistryWithAnyEntryIsInUse() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "quick-registry-\(getpid())"
    ).path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let sysfs = Fixture.roots("one-node").nodeDirectory
    func inUse(_ registry: String) -> Bool {
      LaunchFacts.read(nodeDirectory: sysfs, registry: registry, trust: nil).registryInUse
    }
    #expect(!inUse(directory + "/absent"))
    #expect(!inUse(directory), "empty")
    try "".write(toFile: directory + "/README", atomically: true, encoding: .utf8)
    #expect(inUse(directory), "an entry")
    #expect(inUse(directory + "/README"), "not a directory")
  }

  // MARK: - Under privilege

  /// The one-node machine's facts as a privileged launch reads them: `registry` through
  /// `tree`'s Trust, as the full path opens it under privilege.
  private func privileged(_ tree: TrustTests.Tree, registry: String? = nil) -> LaunchFacts {
    let sysfs = Fixture.roots("one-node").nodeDirectory
    var facts = LaunchFacts.read(
      nodeDirectory: sysfs, registry: registry ?? tree.registry, trust: tree.trust)
    facts.memsAllowed = facts.online
    return facts
  }

  @Test func aPrivilegedLaunchIsTakenWhenTheTrustedRegistryIsMissingOrEmpty() throws {
    let tree = try TrustTests.Tree()
    defer { tree.remove() }
    try FileManager.default.removeItem(atPath: tree.registry + "/50-cxl0.conf")
    for registry in [tree.registry, tree.top + "/etc/absent.d", tree.top + "/absent/nodes.d"] {
      let facts = privileged(tree, registry: registry)
      #expect(facts.elevated && !facts.registryInUse && facts.complete, "\(registry)")
      #expect(
        quick(["-m", "0", "app"], facts)
          == QuickLaunch.Request(mode: .bind, nodes: mask([0]), command: 3), "\(registry)")
      // The full path reads the same registry under privilege and finds nothing to say.
      let contents = try Registry.load(directory: registry, trust: tree.trust).get()
      #expect(contents.nodes.isEmpty && contents.errors.isEmpty, "\(registry)")
    }
    var overridden = privileged(tree)
    overridden.overridden = true
    #expect(quick(["-m", "0", "app"], overridden) == nil, "the full path notes an ignored override")
  }

  /// Each way the privileged rules refuse an empty registry, and a registry with entries: the
  /// quick launch leaves them to the full path, which refuses the first kind (exit 3) or
  /// reads the declaration. Without privilege the refused registries are merely empty, so a
  /// quick launch that ignored Trust would launch here.
  @Test(arguments: [
    "a declaration", "a file", "a group-writable parent", "a symbolic link", "another owner",
    "a user namespace", "FUSE",
  ])
  func aPrivilegedLaunchLeavesToTheFullPath(_ registryWith: String) throws {
    var tree = try TrustTests.Tree()
    defer { tree.remove() }
    if registryWith != "a declaration" {
      try FileManager.default.removeItem(atPath: tree.registry + "/50-cxl0.conf")
    }
    switch registryWith {
    case "a file":
      try "".write(toFile: tree.registry + "/README", atomically: false, encoding: .utf8)
    case "a group-writable parent": chmod(tree.top + "/etc", 0o775)
    case "a symbolic link":
      rename(tree.registry, tree.top + "/etc/real.d")
      symlink(tree.top + "/etc/real.d", tree.registry)
    case "another owner": tree.trust.owner = getuid() + 1
    case "a user namespace": tree.trust.initialUserNamespace = { false }
    case "FUSE": tree.trust.fileSystemType = { _ in Trust.fuseMagic }
    default: break
    }
    let facts = privileged(tree)
    #expect(facts.elevated && facts.registryInUse)
    #expect(quick(["-m", "0", "app"], facts) == nil)
    #expect(quick(["-l", "app"], facts) == nil)
    let full = Registry.load(directory: tree.registry, trust: tree.trust)
    switch registryWith {
    case "a declaration": #expect(try full.get().nodes.map(\.id) == [2])
    case "a file": #expect(try full.get().nodes.isEmpty)
    default:
      guard case .failure(let failure) = full else {
        Issue.record("the full path reads the registry: \(full)")
        return
      }
      #expect(failure.kind == .refused, "\(failure)")
      let unprivileged = LaunchFacts.read(
        nodeDirectory: Fixture.roots("one-node").nodeDirectory, registry: tree.registry,
        trust: nil)
      #expect(!unprivileged.registryInUse, "the same registry is empty without privilege")
    }
  }

  @Test func thePathsAreTheSystemRoots() {
    #expect(QuickLaunch.nodeDirectory.description == Roots.system.nodeDirectory)
    #expect(QuickLaunch.registry.description == Roots.system.registry)
  }

  @Test(arguments: [
    "0", "0\n", "0-3\n", "0-1,4,6\n", "\n", "", "63\n", "64\n", "0-64\n", "1-0\n", "0,\n", " 0\n",
    "0x1\n", "2,0\n",
  ])
  func nodeListsReadAsTheFullPathReadsThemOrNotAtAll(_ text: String) {
    var read = NodeMask(bits: 1 << 63)
    let parsed = (Array(text.utf8) + [0]).withUnsafeBufferPointer {
      NodeMask.parse(kernelList: $0.baseAddress!, count: text.utf8.count, into: &read)
    }
    if parsed {
      #expect(NodeSet(kernelList: text) == nodes(read), "\(text.debugDescription)")
    } else {
      #expect(read == NodeMask(bits: 1 << 63), "a refused list leaves the mask alone")
    }
  }
}
