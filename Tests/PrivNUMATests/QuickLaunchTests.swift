import Foundation
import Testing

@testable import PrivNUMA

// The quick launch against the full path: whenever it would launch, the full parser and
// planner make the same policy with nothing to say; what it must leave to the full path, it
// does. Its option spellings, override names, state-file names and paths are held to the
// full path's own declarations, so the two cannot drift apart.

/// A fresh directory under the temporary directory, for one test.
private func scratch(_ name: String) throws -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())")
    .path
  try? FileManager.default.removeItem(atPath: path)
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// argv as the kernel hands it: `privnuma`, the words, a null.
private func withArgv<T>(
  _ words: [String], _ body: (Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T
) -> T {
  var argv: [UnsafeMutablePointer<CChar>?] = (["privnuma"] + words).map { strdup($0) } + [nil]
  defer { for word in argv { free(word) } }
  return argv.withUnsafeMutableBufferPointer { body(words.count + 1, $0.baseAddress!) }
}

/// What the quick launch decides for `words` on fixture `machine`: the launch, or nil for
/// "not mine". As QuickLaunch.run does, it reads the registry (`--registry` or the machine's)
/// when it is named or in use; `registry` stands for the nodes read (under privilege, say).
/// Private nodes are decided as for alice, in cgroup `own` of the tree at `cgroups` (systemd
/// owns no fixture tree); the rest of the decision comes back in `admission`, and the
/// warnings it says (unless `-q`) in `warnings`.
private func quick(
  _ words: [String], _ facts: LaunchFacts, machine: String = "one-node",
  registry: RegistryIndex? = nil, own: String? = "/", cgroups: String? = nil,
  admission: UnsafeMutablePointer<QuickLaunch.Admission>? = nil,
  warnings: UnsafeMutablePointer<[String]>? = nil
) -> QuickLaunch.Request? {
  withArgv(words) { argc, argv in
    var request = QuickLaunch.Request()
    guard QuickLaunch.parse(argc: argc, argv: argv, into: &request) else { return nil }
    let directory = request.registry.map { String(cString: $0) } ?? Fixture.roots(machine).registry
    var declared = registry
    if declared == nil && (request.registry != nil || facts.registryInUse) {
      declared = QuickLaunch.declaredNodes(
        directory: directory, named: request.registry != nil, trust: nil)
      guard declared != nil else { return nil }
    }
    if let declared {
      let lookups = QuickLaunch.Lookups(
        node: { declared.node($0, in: directory) },
        access: { Access.decide($0, for: Fixture.alice, names: Fixture.names) },
        freeMemory: {
          QuickLaunch.freeMemory(of: $0, in: Fixture.roots(machine).nodeDirectory)
        },
        ownCgroup: { own }, cgroupMount: cgroups ?? Fixture.roots(machine).cgroup,
        systemdOwnsMount: { false }, effectiveMems: { QuickLaunch.effectiveMems(of: $0) })
      guard let found = QuickLaunch.admits(&request, facts, declared: declared, lookups) else {
        return nil
      }
      admission?.pointee = found
      warnings?.pointee = QuickLaunch.unfencedWarnings(found, declared: declared, lookups)
    } else {
      guard request.nodeList.map({ QuickLaunch.parseNodes($0, into: &request.nodes) }) ?? true,
        QuickLaunch.admits(request, facts)
      else { return nil }
    }
    // The words' own pointers: compared by what they say.
    request.nodeList = nil
    request.registry = nil
    return request
  }
}

/// The quick launch's policy for a long option name.
private func longMode(_ name: String) -> PolicyMode {
  (Array(name.utf8) + [0]).withUnsafeBufferPointer {
    QuickLaunch.mode(long: $0.baseAddress!, count: name.utf8.count)
  }
}

private func mask(_ ids: [Int]) -> NodeMask {
  NodeMask(bits: ids.reduce(0) { $0 | 1 << UInt64($1) })
}

/// The facts of a fixture machine as the quick launch reads them, the cpuset's mems given.
private func facts(_ fixture: String, mems: [Int]? = nil) -> LaunchFacts {
  let roots = Fixture.roots(fixture)
  var facts = LaunchFacts.read(nodeDirectory: roots.nodeDirectory, registry: roots.registry)
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
private func full(
  _ words: [String], _ fixture: String, mems: NodeSet, own: String? = nil, cgroups: String? = nil
) throws -> (LaunchRequest, LaunchPlan)? {
  guard let request = try? OptionParser.launchRequest(ArraySlice(words)) else { return nil }
  var roots = Fixture.roots(fixture)
  // The system's /proc: the cpuset then comes from the kernel, as on a real launch. With
  // `own`, a /proc of this process in that cgroup with those mems.
  roots.proc = Roots.system.proc
  if let own {
    roots.proc = try scratch("quick-proc")
    try FileManager.default.createDirectory(
      atPath: roots.proc + "/self", withIntermediateDirectories: true)
    try "0::\(own)\n".write(toFile: roots.proc + "/self/cgroup", atomically: false, encoding: .utf8)
    try "Name:\tapp\nCpus_allowed_list:\t0-1\nMems_allowed_list:\t\(mems)\n".write(
      toFile: roots.proc + "/self/status", atomically: false, encoding: .utf8)
  }
  if let cgroups { roots.cgroup = cgroups }
  let environment = Environment(
    roots: roots, privilege: Privilege(elevated: false), identity: Fixture.alice,
    names: Fixture.names,
    kernel: CpusetKernel(mems: mems))
  return (request, try Launch.makePlan(request, environment, explaining: false))
}

/// A quick launch's policy and command, for parameterized tests.
struct Taken: Equatable, Sendable {
  var mode: PolicyMode
  var nodes: NodeMask
  var command: Int

  init(mode: PolicyMode, nodes: NodeMask, command: Int) {
    self.mode = mode
    self.nodes = nodes
    self.command = command
  }

  init(_ request: QuickLaunch.Request) {
    self.init(mode: request.mode, nodes: request.nodes, command: request.command)
  }
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

  /// Holds a quick launch of `words` to the full path's plan: nil when the quick launch does
  /// not launch; otherwise the private nodes it named, after recording every difference.
  /// `own` and `cgroups` place the launch (see `quick`); without them the test's own cgroup.
  private func compare(
    _ words: [String], _ fixture: String, mems: [Int], _ facts: LaunchFacts,
    own: String? = nil, cgroups: String? = nil
  ) throws -> NodeSet? {
    var admission = QuickLaunch.Admission()
    var warnings: [String] = []
    guard
      let request = quick(
        words, facts, machine: fixture, own: own ?? ProcessStatus.cgroup(proc: Roots.system.proc),
        cgroups: cgroups, admission: &admission, warnings: &warnings)
    else { return nil }
    let context =
      "\(fixture), mems \(mems), in \(own ?? "this cgroup"): privnuma \(words.joined(separator: " "))"
    guard
      let (parsed, plan) = try? full(
        words, fixture, mems: NodeSet(mems), own: own, cgroups: cgroups)
    else {
      Issue.record("\(context): the quick launch launches what the full path refuses")
      return NodeSet()
    }
    #expect(parsed.query == nil && parsed.shared == nil, "\(context)")
    #expect(
      plan.failure == nil, "\(context): the full path fails: \(plan.failure?.message ?? "")")
    // The warnings the quick launch says (unless -q): the full path's, in its order.
    #expect(plan.warnings == warnings, "\(context)")
    #expect(plan.advice.isEmpty && plan.registryErrors.isEmpty, "\(context)")
    #expect(plan.cpus == nil && plan.shared == nil, "\(context)")
    if let cgroup = plan.cgroup {
      // Where the launcher runs it (Launcher.place): where the quick launch runs it.
      let placement = Placement.decide(
        optIn: CgroupPath(String(cgroup.dropFirst(plan.cgroupMount.count))).path,
        mount: plan.cgroupMount, nodes: plan.privateNodes, own: plan.ownCgroup,
        mems: NodeSet(mems), systemd: false, fenceCgroups: plan.fenceCgroups + [Fence.generalCgroup]
      )
      #expect(
        placement == (admission.join.isEmpty ? .stay : .join(admission.join)),
        "\(context): \(placement)")
      #expect(admission.join.isEmpty || admission.own == plan.ownCgroup, "\(context)")
    } else {
      #expect(admission.join.isEmpty, "\(context)")
    }
    let expected = MemoryPolicy(
      mode: request.mode, flags: [],
      nodes: request.mode.takesNodes ? request.nodes.nodeSet : NodeSet())
    #expect(plan.policy == expected, "\(context): full path \(String(describing: plan.policy))")
    #expect(plan.command == Array(words[(request.command - 1)...]), "\(context)")
    return plan.privateNodes
  }

  @Test func whenTheQuickLaunchLaunchesTheFullPathPlansTheSameLaunchSilently() throws {
    var launched = 0
    for fixture in Self.fixtures {
      let online = Array(facts(fixture).online.nodeSet)
      for mems in [online, [0]] {
        let facts = facts(fixture, mems: mems)
        for options in Self.optionWords {
          for tail
            in (options == ["-m", "0"] || options == ["-l"]
            ? Self.tails : [["app"], ["--", "app"]])
          {
            if try compare(options + tail, fixture, mems: mems, facts) != nil { launched += 1 }
          }
        }
      }
    }
    // A quick launch that never launched would pass everything above.
    #expect(launched > 300, "the quick launch took only \(launched) launches")
  }

  /// Registry files for four-node-gaps (nodes 0, 1, 4 and 6, with 4 GiB free on node 4 and
  /// about 1.9 GiB on node 6), each a way the planner allows or refuses a node.
  static let registryFiles = [
    "unfenced": "[Node]\nId=4\nLabel=cxl0\n",
    "fenced": "[Node]\nId=6\nLabel=hbm0\nCgroup=privnuma.slice/hbm0\nAllowGroups=cram\n",
    "no-policy": "[Node]\nId=1\nLabel=slow\nCapabilities=migration\n",
    "not-alice": "[Node]\nId=6\nLabel=hbm0\nCgroup=privnuma.slice/hbm0\nAllowUsers=bob\n",
    "reserved": "[Node]\nId=4\nLabel=cxl0\nMinFree=5G\nAllowUsers=1001\n",
    "reserve-met": "[Node]\nId=6\nMinFree=1900M\nCgroup=privnuma.slice/hbm0\n",
    "unresolved": "[Node]\nId=4\nLabel=cxl0\nAllowGroups=nosuch cram\n",
    "second-cgroup": "[Node]\nId=1\nLabel=other\nCgroup=privnuma.slice/other\n",
    "broken": "[Node]\nId=6\nLabel=Bad\n",
    "offline": "[Node]\nId=9\nLabel=gone\n",
  ]
  static let registries = [
    ["unfenced"], ["unfenced", "fenced"], ["unfenced", "fenced", "second-cgroup"],
    ["no-policy", "reserved"], ["not-alice"], ["unresolved", "reserve-met"],
    ["unfenced", "broken"], ["offline", "unfenced"], ["fenced", "second-cgroup"],
  ]

  @Test func withARegistryTheQuickLaunchHoldsPrivateNodesToTheFullPathsRules() throws {
    let top = try scratch("quick-private")
    defer { try? FileManager.default.removeItem(atPath: top) }
    var launched = 0
    var unfencedLaunches = 0
    var fencedLaunches = 0
    let nodeWords = [
      "0", "1", "4", "6", "4,6", "0-1", "cxl0", "hbm0", "cxl0,hbm0", "cxl0,0", "slow", "other",
      "gone", "node4", "node6", "hbm0,other", "cxl0,", "all", "private", "Cxl0", "9", "cxl0-1",
    ]
    for (index, files) in Self.registries.enumerated() {
      let directory = top + "/\(index).d"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      for name in files {
        try Self.registryFiles[name]!.write(
          toFile: directory + "/50-\(name).conf", atomically: false, encoding: .utf8)
      }
      for mems in [[0, 1, 4, 6], [0, 1, 4], [0, 1]] {
        let facts = facts("four-node-gaps", mems: mems)
        for prefix in [
          [], ["-q"], ["--allow-unfenced"], ["-q", "--allow-unfenced"],
          ["--allow-unfenced", "--quiet"],
        ] {
          var policies = [["-l"]]
          for word in nodeWords {
            policies += [["-m", word], ["-p", word], ["--interleave=" + word]]
          }
          for policy in policies {
            let words = ["--registry", directory] + prefix + policy + ["app"]
            guard let named = try compare(words, "four-node-gaps", mems: mems, facts) else {
              continue
            }
            launched += 1
            if named.contains(4) && prefix.contains("--allow-unfenced") { unfencedLaunches += 1 }
            if named.contains(6) { fencedLaunches += 1 }
          }
        }
      }
    }
    // Each kind of private node was launched on, so a quick launch that refused them all, or
    // took none, fails here.
    #expect(
      launched > 500 && unfencedLaunches > 50 && fencedLaunches > 20,
      "\(launched) launches, \(unfencedLaunches) unfenced, \(fencedLaunches) fenced")
  }

  /// The fenced machine of the cgroup fixtures: nodes 0-3, the opt-in cgroups
  /// privnuma.slice/cxl0 and cxl1 (cgroup-fenced), launched from cgroups a fence made, the
  /// root, a service's, a login session's and a Slurm task's, with or without the nodes.
  @Test func aLaunchJoinsTheOptInCgroupWhereTheFullPathJoinsIt() throws {
    let directory = try scratch("quick-join")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "[Node]\nId=2\nLabel=cxl0\nAllowGroups=cram\nCgroup=privnuma.slice/cxl0\n".write(
      toFile: directory + "/50-cxl0.conf", atomically: false, encoding: .utf8)
    try "[Node]\nId=3\nLabel=cxl1\nAllowUsers=root\nCgroup=privnuma.slice/cxl1\n".write(
      toFile: directory + "/60-cxl1.conf", atomically: false, encoding: .utf8)
    let cgroups = Fixture.directory + "/cgroup-fenced"
    var joins = 0
    var stays = 0
    for own in [
      "/", "/privnuma-general", "/privnuma.slice/cxl0", "/system.slice/app.service",
      "/user.slice/user-1001.slice/session-4.scope", "/rogue",
      "/system.slice/slurmstepd.scope/job_7/step_0/user/task_0",
    ] {
      for mems in [[0, 1], [0, 1, 2], [0, 1, 2, 3]] {
        let facts = facts("cgroup-machine", mems: mems)
        for words in [
          ["-m", "cxl0"], ["-p", "2"], ["--interleave=0,cxl0"], ["-m", "cxl1"], ["-m", "0"],
          ["-m", "cxl0,cxl1"], ["-m", "3"], ["-l"],
        ] {
          let all = ["--registry", directory] + words + ["app"]
          var admission = QuickLaunch.Admission()
          guard
            quick(
              all, facts, machine: "cgroup-machine", own: own, cgroups: cgroups,
              admission: &admission) != nil,
            try compare(all, "cgroup-machine", mems: mems, facts, own: own, cgroups: cgroups)
              != nil
          else { continue }
          if !admission.join.isEmpty { joins += 1 } else if words.contains("cxl0") { stays += 1 }
        }
      }
    }
    #expect(joins >= 4 && stays >= 4, "\(joins) joins, \(stays) stays")
  }

  @Test func privateNodesAreTakenOnOrLeftAsThePlannerWould() throws {
    let directory = try scratch("quick-private-cases")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    func registry(_ files: [String]) throws -> [String] {
      try? FileManager.default.removeItem(atPath: directory)
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      for name in files {
        try Self.registryFiles[name]!.write(
          toFile: directory + "/50-\(name).conf", atomically: false, encoding: .utf8)
      }
      return ["--registry", directory]
    }
    let machine = facts("four-node-gaps")
    func taken(_ words: [String]) -> Taken? {
      quick(words + ["app"], machine, machine: "four-node-gaps").map(Taken.init)
    }
    let unfenced = try registry(["unfenced", "fenced"])
    #expect(
      taken(unfenced + ["--allow-unfenced", "-m", "cxl0,hbm0"])
        == Taken(mode: .bind, nodes: mask([4, 6]), command: 6))
    #expect(taken(unfenced + ["-m", "cxl0"]) == nil, "not fenced, no --allow-unfenced")
    #expect(
      taken(unfenced + ["-q", "-p", "hbm0"])
        == Taken(mode: .preferred, nodes: mask([6]), command: 6))
    #expect(taken(unfenced + ["-m", "4"]) == nil, "a number names a private node too")
    #expect(taken(unfenced + ["-m", "0-1"]) != nil, "general nodes")
    #expect(
      taken(try registry(["unfenced", "fenced", "second-cgroup"]) + ["-m", "hbm0,other"]) == nil)
    #expect(taken(try registry(["no-policy"]) + ["-m", "slow"]) == nil, "no mempolicy capability")
    #expect(taken(try registry(["not-alice"]) + ["-m", "hbm0"]) == nil, "AllowUsers=bob")
    #expect(taken(try registry(["reserved"]) + ["-m", "cxl0"]) == nil, "below MinFree=")
    #expect(
      taken(try registry(["reserve-met"]) + ["-m", "node6"]) != nil, "MinFree= met, default label")
    #expect(taken(try registry(["unresolved"]) + ["--allow-unfenced", "-m", "cxl0"]) == nil)
    #expect(
      taken(try registry(["unfenced", "broken"]) + ["-m", "0"]) == nil, "a file with errors")
    #expect(taken(["--registry", directory + "/absent", "-m", "0"]) == nil, "no such directory")
  }

  @Test(arguments: [
    (
      ["-m", "0", "app"], "one-node", Taken(mode: .bind, nodes: mask([0]), command: 3)
    ),
    (
      ["-m0", "--", "app"], "one-node",
      Taken(mode: .bind, nodes: mask([0]), command: 3)
    ),
    (
      ["--membind=0-1,4", "app", "-m", "1"], "four-node-gaps",
      Taken(mode: .bind, nodes: mask([0, 1, 4]), command: 2)
    ),
    (
      ["--preferred", "3", "--", "-x"], "cgroup-machine",
      Taken(mode: .preferred, nodes: mask([3]), command: 4)
    ),
    (
      ["-i", "0-3", "app"], "dax-online",
      Taken(mode: .interleave, nodes: mask([0, 1, 2, 3]), command: 3)
    ),
    (
      ["-l", "app"], "dax-devdax", Taken(mode: .local, nodes: NodeMask(), command: 2)
    ),
    (
      ["--localalloc", "--", "app"], "one-node",
      Taken(mode: .local, nodes: NodeMask(), command: 3)
    ),
  ])
  func plainLaunchesAreTakenOn(
    _ words: [String], _ fixture: String, _ expected: Taken
  ) {
    #expect(quick(words, facts(fixture), machine: fixture).map(Taken.init) == expected)
  }

  @Test(arguments: [
    // NODES forms other than numbers and ranges, and numbers numactl reads otherwise.
    ["-m", "all", "app"], ["-m", "!0", "app"], ["-m", "+0", "app"], ["-m", "same", "app"],
    ["-m", "0x0", "app"],
    ["-m", "00", "app"], ["-m", "node0", "app"], ["-m", "0,", "app"], ["-m", "64", "app"],
    // Other options, abbreviations, clusters, two policies, values where none is taken.
    ["-q", "-q", "-m", "0", "app"], ["--quiet=1", "-m", "0", "app"], ["--mem=0", "app"],
    ["-lq", "app"], ["--registry", "-m", "0", "app"], ["--registry=", "-m", "0", "app"],
    ["--allow-unfenced", "--allow-unfenced", "-m", "0", "app"],
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

  @Test func machinesWithKernelPrivateNodesOrOverridesAreLeftToTheFullPath() {
    #expect(facts("proc-clean").registryInUse, "a registry with a declaration")
    #expect(
      facts("rfc-v4").privateNodeState && facts("proc-kernel").privateNodeState
        && facts("rfc-public").privateNodeState)
    for fixture in ["rfc-v4", "proc-kernel", "rfc-public", "rfc-common", "rfc-fallback"] {
      #expect(quick(["-m", "0", "app"], facts(fixture), machine: fixture) == nil, "\(fixture)")
      #expect(quick(["-l", "app"], facts(fixture), machine: fixture) == nil, "\(fixture)")
    }
    var plain = facts("one-node")
    #expect(plain.complete && !plain.registryInUse && !plain.privateNodeState)
    for change in [\LaunchFacts.overridden, \.privateNodeState] {
      var changed = plain
      changed[keyPath: change] = true
      #expect(quick(["-l", "app"], changed) == nil)
    }
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
      let block: [UnsafeMutablePointer<CChar>?] = entries.map { strdup($0) } + [nil]
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
    let directory = try scratch("quick")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "0-1\n".write(toFile: directory + "/online", atomically: true, encoding: .utf8)
    try "0-1\n".write(toFile: directory + "/has_memory", atomically: true, encoding: .utf8)
    let plain = LaunchFacts.read(nodeDirectory: directory, registry: directory + "/absent")
    #expect(plain.complete && !plain.privateNodeState && plain.online == mask([0, 1]))
    for name in NodeStateFiles.names {
      try "1\n".write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
      #expect(
        LaunchFacts.read(nodeDirectory: directory, registry: directory + "/absent")
          .privateNodeState, "\(name)")
      try FileManager.default.removeItem(atPath: directory + "/" + name)
    }
  }

  @Test func aRegistryWithAnyEntryIsInUse() throws {
    let directory = try scratch("quick-registry")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let sysfs = Fixture.roots("one-node").nodeDirectory
    func inUse(_ registry: String) -> Bool {
      LaunchFacts.read(nodeDirectory: sysfs, registry: registry).registryInUse
    }
    #expect(!inUse(directory + "/absent"))
    #expect(!inUse(directory), "empty")
    try "".write(toFile: directory + "/README", atomically: true, encoding: .utf8)
    #expect(inUse(directory), "an entry")
    #expect(inUse(directory + "/README"), "not a directory")
  }

  // MARK: - Under privilege

  /// The registry as a privileged quick launch reads it: through `tree`'s Trust.
  private func privilegedRegistry(_ tree: TrustTests.Tree, _ registry: String? = nil)
    -> RegistryIndex?
  {
    QuickLaunch.declaredNodes(
      directory: registry ?? tree.registry, named: false, trust: tree.trust)
  }

  @Test func aPrivilegedLaunchReadsTheTrustedRegistryAsTheFullPathDoes() throws {
    let tree = try TrustTests.Tree()
    defer { tree.remove() }
    let plain = facts("one-node")
    let declared = try #require(privilegedRegistry(tree))
    #expect(declared.count == 1 && declared[0].id == 2)
    #expect(
      quick(["-m", "0", "app"], plain, registry: declared)
        == QuickLaunch.Request(mode: .bind, nodes: mask([0]), command: 3))
    try FileManager.default.removeItem(atPath: tree.registry + "/50-cxl0.conf")
    try "".write(toFile: tree.registry + "/README", atomically: false, encoding: .utf8)
    for registry in [tree.registry, tree.top + "/etc/absent.d", tree.top + "/absent/nodes.d"] {
      let declared = try #require(privilegedRegistry(tree, registry), "\(registry)")
      #expect(declared.count == 0, "\(registry)")
      #expect(quick(["-l", "app"], plain, registry: declared) != nil, "\(registry)")
      // The full path reads the same registry under privilege and finds nothing to say.
      let contents = try Registry.load(directory: registry, trust: tree.trust).get()
      #expect(contents.nodes.isEmpty && contents.errors.isEmpty, "\(registry)")
    }
  }

  /// Each way the privileged rules refuse a registry: the quick launch leaves it to the full
  /// path, which refuses it (exit 3). Without privilege the refused registries are merely
  /// empty, so a quick launch that ignored Trust would launch here.
  @Test(arguments: [
    "a group-writable parent", "a symbolic link", "another owner", "a user namespace", "FUSE",
  ])
  func aRegistryThePrivilegedRulesRefuseIsLeftToTheFullPath(_ registryWith: String) throws {
    var tree = try TrustTests.Tree()
    defer { tree.remove() }
    try FileManager.default.removeItem(atPath: tree.registry + "/50-cxl0.conf")
    switch registryWith {
    case "a group-writable parent": chmod(tree.top + "/etc", 0o775)
    case "a symbolic link":
      rename(tree.registry, tree.top + "/etc/real.d")
      symlink(tree.top + "/etc/real.d", tree.registry)
    case "another owner": tree.trust.owner = getuid() + 1
    case "a user namespace": tree.trust.initialUserNamespace = { false }
    default: tree.trust.fileSystemType = { _ in Trust.fuseMagic }
    }
    #expect(privilegedRegistry(tree) == nil)
    guard case .failure(let failure) = Registry.load(directory: tree.registry, trust: tree.trust)
    else {
      Issue.record("the full path reads the registry")
      return
    }
    #expect(failure.kind == .refused, "\(failure)")
    #expect(QuickLaunch.declaredNodes(directory: tree.registry, named: false, trust: nil)?.count == 0)
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
      #expect(NodeSet(kernelList: text) == read.nodeSet, "\(text.debugDescription)")
    } else {
      #expect(read == NodeMask(bits: 1 << 63), "a refused list leaves the mask alone")
    }
  }
}
