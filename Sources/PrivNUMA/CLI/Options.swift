/// One command-line option, declared once: the parser, `--help`, the completions and the
/// OPTIONS and COMMANDS sections of privnuma(1) are all built from these declarations.
public struct OptionSpec: Sendable, Equatable {
  /// What the option means, for the code that reads it: parsers switch on this, never on
  /// the spelling.
  public enum Key: Sendable, Equatable {
    // Launch.
    case membind, preferred, preferredMany, interleave, weightedInterleave, localalloc
    case cpunodebind, physcpubind, cpubind
    case shm, file, shmid, length, offset, shmmode, huge, strict, touch, dump, dumpNodes
    case balancing, staticNodes, relativeNodes, all, allowUnfenced, quiet
    case registry, show, hardware, help, version
    // Commands.
    case json, policy, to, from, dryRun
    case pid, meminfo, counters, compact, sort, sortNode, skipZero, interval, count
  }

  /// Where `--help` and privnuma(1) list a launch option.
  public enum Group: String, Sendable, CaseIterable {
    case policy = "Memory policy (one per launch)"
    case cpu = "CPU binding"
    case modifier = "Modifiers"
    case shared = "Shared memory (policy set with mbind on a segment or file)"
    case general = "General"
  }

  public let key: Key
  public let long: String
  /// The one-letter form as its ASCII byte, which the parser compares without Unicode work.
  public let shortByte: UInt8?
  /// The value's name in help text (`NODES`), or nil for a flag.
  public let value: String?
  public let group: Group
  /// One line for `--help` and the completions.
  public let summary: String
  /// The entry's text in privnuma(1), in roff; empty for options a command's entry explains.
  public let manual: String

  public init(
    _ key: Key, long: String, short: Unicode.Scalar?, value: String?, group: Group = .general, summary: String,
    manual: String = ""
  ) {
    self.key = key
    self.long = long
    self.shortByte = short.map { UInt8($0.value) }
    self.value = value
    self.group = group
    self.summary = summary
    self.manual = manual
  }

  public static func == (a: OptionSpec, b: OptionSpec) -> Bool { a.key == b.key }

  public var short: Character? { shortByte.map { Character(Unicode.Scalar($0)) } }

  public var spelling: String {
    let longForm = "--" + long + (value.map { "=" + $0 } ?? "")
    return short.map { "-\($0), " + longForm } ?? "    " + longForm
  }

  /// The launch option with this key.
  static func launch(_ key: Key) -> OptionSpec { launchOptions.first { $0.key == key }! }

  // Options of the commands that the launch does not have.
  static let json = OptionSpec(.json, long: "json", short: nil, value: nil, summary: "print JSON (schema in privnuma(1))")
  static let policy = OptionSpec(
    .policy, long: "policy", short: nil, value: "MODE",
    summary: "the policy to check: bind, preferred, preferred-many, interleave, weighted-interleave")
  static let to = OptionSpec(.to, long: "to", short: nil, value: "NODES", summary: "destination nodes")
  static let from = OptionSpec(
    .from, long: "from", short: nil, value: "NODES", summary: "source nodes (default: where the process has pages)")
  static let dryRun = OptionSpec(
    .dryRun, long: "dry-run", short: "n", value: nil, summary: "say what would change, change nothing")
  // numastat's options, for `stat`.
  static let pid = OptionSpec(
    .pid, long: "pid", short: "p", value: "PID", summary: "a process, or those whose name or command line contains PATTERN")
  static let meminfo = OptionSpec(.meminfo, long: "meminfo", short: "m", value: nil, summary: "per-node meminfo in MiB (numastat -m)")
  static let counters = OptionSpec(
    .counters, long: "counters", short: "n", value: nil, summary: "the kernel's per-node allocation counters (numa_hit, ...)")
  static let compact = OptionSpec(.compact, long: "compact", short: "c", value: nil, summary: "whole numbers in narrow columns")
  static let sort = OptionSpec(.sort, long: "sort", short: "s", value: nil, summary: "rows by total, largest first")
  static let sortNode = OptionSpec(.sortNode, long: "sort-node", short: nil, value: "NODE", summary: "rows by NODE's column, largest first")
  static let skipZero = OptionSpec(.skipZero, long: "skip-zero", short: "z", value: nil, summary: "hide rows and columns that are all zero")
  static let interval = OptionSpec(.interval, long: "interval", short: nil, value: "SECONDS", summary: "print what changed every SECONDS")
  static let count = OptionSpec(.count, long: "count", short: nil, value: "N", summary: "with --interval: stop after N samples")
}

/// Launch options in the order `--help` and privnuma(1) list them.
public let launchOptions: [OptionSpec] = [
  OptionSpec(
    .membind, long: "membind", short: "m", value: "NODES", group: .policy,
    summary: "allocate only on NODES (MPOL_BIND)",
    manual: #"""
    Allocate only on
    .I NODES
    .RB ( MPOL_BIND ).
    """#),
  OptionSpec(
    .preferred, long: "preferred", short: "p", value: "NODE", group: .policy,
    summary: "prefer NODE, fall back to others (MPOL_PREFERRED)",
    manual: #"""
    Prefer
    .IR NODE ,
    fall back to other nodes when it is full
    .RB ( MPOL_PREFERRED ).
    Exactly one node.
    """#),
  OptionSpec(
    .preferredMany, long: "preferred-many", short: "P", value: "NODES", group: .policy,
    summary: "prefer NODES, fall back to others (MPOL_PREFERRED_MANY, Linux 5.15+)",
    manual: #"""
    Prefer any of
    .IR NODES ,
    fall back to others
    .RB ( MPOL_PREFERRED_MANY ,
    Linux 5.15 and later).
    """#),
  OptionSpec(
    .interleave, long: "interleave", short: "i", value: "NODES", group: .policy,
    summary: "interleave pages over NODES (MPOL_INTERLEAVE)",
    manual: #"""
    Interleave pages round-robin over
    .I NODES
    .RB ( MPOL_INTERLEAVE ).
    """#),
  OptionSpec(
    .weightedInterleave, long: "weighted-interleave", short: "w", value: "NODES", group: .policy,
    summary: "interleave by the kernel's node weights (Linux 6.9+)",
    manual: #"""
    Interleave over
    .I NODES
    by the kernel's per-node weights in
    .I /sys/kernel/mm/mempolicy/weighted_interleave/
    .RB ( MPOL_WEIGHTED_INTERLEAVE ,
    Linux 6.9 and later).
    """#),
  OptionSpec(
    .localalloc, long: "localalloc", short: "l", value: nil, group: .policy,
    summary: "allocate on the node of the running CPU (MPOL_LOCAL)",
    manual: #"""
    Allocate on the node of the CPU the thread runs on
    .RB ( MPOL_LOCAL ).
    """#),
  OptionSpec(
    .cpunodebind, long: "cpunodebind", short: "N", value: "NODES", group: .cpu,
    summary: "run only on the CPUs of NODES",
    manual: #"""
    Run only on the CPUs of
    .IR NODES .
    Naming a memory-only node (no CPUs) is a usage error;
    .BR all ", " ! " and " +
    forms skip such nodes, as numactl does.
    """#),
  OptionSpec(
    .physcpubind, long: "physcpubind", short: "C", value: "CPUS", group: .cpu,
    summary: "run only on CPUS",
    manual: #"""
    Run only on
    .IR CPUS :
    numbers and ranges, as
    .B 0\-3,8
    (see
    .BR CPUS ).
    """#),
  OptionSpec(
    .cpubind, long: "cpubind", short: "c", value: "NODES", group: .cpu,
    summary: "numactl's old spelling of --cpunodebind",
    manual: #"""
    The same as
    .BR \-\-cpunodebind ,
    numactl's older spelling.
    As in numactl, of several CPU bindings the last one given decides.
    """#),
  OptionSpec(
    .balancing, long: "balancing", short: "b", value: nil, group: .modifier,
    summary: "let NUMA balancing move pages within the policy (MPOL_F_NUMA_BALANCING)",
    manual: #"""
    Let NUMA balancing move pages within the policy
    .RB ( MPOL_F_NUMA_BALANCING ).
    A private node named in the policy must have the
    .B numa\-balancing
    capability.
    """#),
  OptionSpec(
    .staticNodes, long: "static", short: nil, value: nil, group: .modifier,
    summary: "keep the node numbers when the cpuset changes (MPOL_F_STATIC_NODES)",
    manual: #"""
    Keep node numbers as given when the cpuset changes
    .RB ( MPOL_F_STATIC_NODES ).
    A node outside the cpuset is then a warning rather than an error: the kernel uses it
    once the cpuset allows it.
    """#),
  OptionSpec(
    .relativeNodes, long: "relative", short: nil, value: nil, group: .modifier,
    summary: "read node numbers relative to the cpuset (MPOL_F_RELATIVE_NODES)",
    manual: #"""
    Read node numbers relative to the cpuset
    .RB ( MPOL_F_RELATIVE_NODES ).
    Excludes
    .BR \-\-static .
    """#),
  OptionSpec(
    .all, long: "all", short: "a", value: nil, group: .modifier,
    summary: "resolve 'all' without the cpuset",
    manual: #"""
    Resolve
    .B all
    (and CPU lists) without the cpuset: every general node, not only those in
    .IR Mems_allowed .
    This is numactl's meaning of
    .BR \-a .
    """#),
  OptionSpec(
    .allowUnfenced, long: "allow-unfenced", short: nil, value: nil, group: .modifier,
    summary: "use a private node that nothing fences (backend none)",
    manual: #"""
    Use a private node that nothing fences (backend
    .BR none );
    without it such a launch is refused.
    """#),
  OptionSpec(
    .quiet, long: "quiet", short: "q", value: nil, group: .modifier,
    summary: "do not print advice before launching",
    manual: #"""
    Do not print advice and warnings before launching.
    """#),
  OptionSpec(
    .shm, long: "shm", short: "S", value: "FILE", group: .shared,
    summary: "set the policy on the System V segment of FILE's ftok key",
    manual: #"""
    Set the policy given after this option with
    .BR mbind (2)
    on the System V shared memory segment whose key
    .BR ftok (3)
    makes of
    .I FILE
    and the
    .B \-\-shmid
    project id, as numactl does; nothing is run.
    The key file and the segment are created when missing (the segment needs
    .BR \-\-length ).
    The policy stays with the segment and places the pages of every process that maps it.
    Private nodes follow the same rules as for a launch.
    """#),
  OptionSpec(
    .file, long: "file", short: "f", value: "FILE", group: .shared,
    summary: "set the policy on a file in tmpfs or hugetlbfs",
    manual: #"""
    Set the policy given after this option on
    .IR FILE ,
    a file in tmpfs (such as
    .IR /dev/shm )
    or hugetlbfs, mapped shared; nothing is run.
    A missing file is created
    .B \-\-length
    long; a shorter one is extended.
    """#),
  OptionSpec(
    .shmid, long: "shmid", short: "I", value: "ID", group: .shared,
    summary: "ftok project id for --shm (default 0); before --shm",
    manual: #"""
    The project id
    .BR ftok (3)
    combines with the
    .B \-\-shm
    key file (default 0).
    """#),
  OptionSpec(
    .length, long: "length", short: "L", value: "SIZE", group: .shared,
    summary: "bytes to cover (K, M, G); creates the segment or file that long",
    manual: #"""
    The length of the range the policy covers, in bytes or with a
    .BR K ", " M " or " G
    suffix; a segment or file that is created gets this length (plus the offset).
    Default: the whole segment or file past the offset.
    """#),
  OptionSpec(
    .offset, long: "offset", short: "o", value: "SIZE", group: .shared,
    summary: "start that far into the segment or file",
    manual: #"""
    Where the range starts in the segment or file (default 0); a multiple of the page size.
    The range runs from the offset for
    .BR \-\-length ;
    unlike numactl, which refuses
    .B \-\-touch
    when the offset is not below the length, any offset is taken, and a file is grown to
    cover the range.
    """#),
  OptionSpec(
    .shmmode, long: "shmmode", short: "M", value: "MODE", group: .shared,
    summary: "octal permissions of what is created (default 0600)",
    manual: #"""
    Permissions, in octal, of a key file, segment or file that is created (default 0600).
    """#),
  OptionSpec(
    .huge, long: "huge", short: "u", value: nil, group: .shared,
    summary: "create the segment with huge pages (SHM_HUGETLB)",
    manual: #"""
    Create the
    .B \-\-shm
    segment with huge pages
    .RB ( SHM_HUGETLB ).
    """#),
  OptionSpec(
    .strict, long: "strict", short: "t", value: nil, group: .shared,
    summary: "fail when pages already sit outside the policy (MPOL_MF_STRICT)",
    manual: #"""
    Fail when pages of the range already sit on nodes outside the policy
    .RB ( MPOL_MF_STRICT ).
    Ignored, with a warning, for a command.
    """#),
  OptionSpec(
    .touch, long: "touch", short: "T", value: nil, group: .shared,
    summary: "fault every page in now, under the policy",
    manual: #"""
    Fault every page of the range in now (written back unchanged), so the policy places
    them at once rather than when a process first uses them.
    """#),
  OptionSpec(
    .dump, long: "dump", short: "d", value: nil, group: .shared,
    summary: "print the policy of the range",
    manual: #"""
    Print the policy of the range, one line per run of pages with the same policy, in
    numactl's layout
    .RB ( "START\-END: POLICY : NODES" ,
    offsets in hex).
    """#),
  OptionSpec(
    .dumpNodes, long: "dump-nodes", short: "D", value: nil, group: .shared,
    summary: "print the node of every page of the range",
    manual: #"""
    Print the node of each page of the range, one line per run on the same node; pages not
    yet present are faulted in.
    The options
    .BR \-\-length ", " \-\-offset ", " \-\-shmid ", " \-\-shmmode " and " \-\-huge
    come before
    .BR \-\-shm / \-\-file ;
    the policy,
    .BR \-\-touch ", " \-\-dump " and " \-\-dump\-nodes
    after it, and run in the order given.
    """#),
  OptionSpec(
    .registry, long: "registry", short: nil, value: "DIR", group: .general,
    summary: "read private-node declarations from DIR",
    manual: #"""
    Read private-node declarations from
    .I DIR
    instead of
    .IR /etc/privnuma/nodes.d .
    When privnuma runs with privilege,
    .I DIR
    is held to the same rules as the default registry (see
    .BR PRIVILEGE ).
    """#),
  OptionSpec(
    .show, long: "show", short: "s", value: nil, group: .general,
    summary: "show this process's policy and binding (= privnuma show)",
    manual: #"""
    The same as
    .BR "privnuma\~show" .
    Policy and CPU options before it are applied first, as numactl does:
    .B "privnuma \-m 0 \-\-show"
    shows the policy a launch would get.
    """#),
  OptionSpec(
    .hardware, long: "hardware", short: "H", value: nil, group: .general,
    summary: "show the machine's nodes (= privnuma hardware)",
    manual: #"""
    The same as
    .BR "privnuma\~hardware" .
    """#),
  OptionSpec(
    .help, long: "help", short: "h", value: nil, group: .general,
    summary: "show this help",
    manual: #"""
    A short summary of options, commands and NODES, with examples.
    .BI "privnuma " COMMAND " \-\-help"
    and
    .BI "privnuma help " COMMAND
    explain one command.
    """#),
  OptionSpec(
    .version, long: "version", short: "V", value: nil, group: .general,
    summary: "show the version",
    manual: #"""
    The version.
    """#),
]

/// Options as given, and the words after them.
public struct Scanned {
  public var options: [ParsedOption]
  public var rest: [String]
}

/// An option as given: its definition and its value, if it takes one.
public struct ParsedOption {
  public var spec: OptionSpec
  public var value: String?
}

/// Options that turn the invocation into a query; the words after them belong to the query.
let queryOptions: [OptionSpec.Key] = [.show, .hardware, .help, .version]

/// Reads options getopt-style: in order, stopping at the first word that is not an option.
public enum OptionParser {
  /// Finds an option by its long name, accepting an unambiguous prefix as getopt_long does.
  static func lookup(long name: String, in table: [OptionSpec]) throws(Failure) -> OptionSpec {
    if let exact = table.first(where: { $0.long == name }) { return exact }
    let matches = table.filter { $0.long.hasPrefix(name) }
    if matches.count == 1 { return matches[0] }
    if matches.isEmpty {
      let guess = Registry.closest(to: name, in: table.map(\.long)).map { " did you mean '--\($0)'?" } ?? ""
      throw .usage("unknown option '--\(name)';\(guess) see 'privnuma --help'")
    }
    throw .usage("option '--\(name)' is ambiguous: " + matches.map { "--" + $0.long }.joined(separator: ", "))
  }

  /// Splits arguments into (option, value) pairs and the rest, following getopt's rules:
  /// `--opt=V`, `--opt V`, `-oV`, `-o V`, clustered flags `-bl`, `--` ends options.
  /// Typed throws rather than Result: generic Result types cost metadata look-ups at start-up.
  public static func scanOptions(
    _ arguments: ArraySlice<String>, table: [OptionSpec], stopAtFirstOperand: Bool = true,
    stopAfter: [OptionSpec.Key] = []
  ) throws(Failure) -> Scanned {
    var options: [ParsedOption] = []
    var operands: [String] = []
    var index = arguments.startIndex
    // Words are read as UTF-8 bytes: Character-level String work pulls in Unicode tables,
    // which costs page faults on every launch.
    let dash: UInt8 = 0x2D
    while index < arguments.endIndex {
      let word = arguments[index]
      let bytes = Array(word.utf8)
      index += 1
      if bytes.count == 2 && bytes[0] == dash && bytes[1] == dash {
        operands.append(contentsOf: arguments[index...])
        break
      }
      if bytes.count > 2 && bytes[0] == dash && bytes[1] == dash {
        let body = bytes[2...]
        let name: String
        var value: String?
        if let equals = body.firstIndex(of: 0x3D) {
          name = String(decoding: body[..<equals], as: UTF8.self)
          value = String(decoding: body[(equals + 1)...], as: UTF8.self)
        } else {
          name = String(decoding: body, as: UTF8.self)
        }
        let spec = try lookup(long: name, in: table)
        if spec.value == nil, value != nil {
          throw .usage("option '--\(spec.long)' takes no value")
        }
        if spec.value != nil, value == nil {
          guard index < arguments.endIndex else {
            throw .usage("option '--\(spec.long)' needs a \(spec.value!) value")
          }
          value = arguments[index]
          index += 1
        }
        options.append(ParsedOption(spec: spec, value: value))
        if stopAfter.contains(spec.key) {
          operands.append(contentsOf: arguments[index...])
          break
        }
        continue
      }
      if bytes.count > 1 && bytes[0] == dash {
        var position = 1
        while position < bytes.count {
          let letter = bytes[position]
          position += 1
          guard let spec = table.first(where: { $0.shortByte == letter }) else {
            let shown = String(decoding: bytes[(position - 1)...].prefix(1), as: UTF8.self)
            throw .usage("unknown option '-\(shown)'; see 'privnuma --help'")
          }
          let rest = String(decoding: bytes[position...], as: UTF8.self)
          if spec.value == nil {
            options.append(ParsedOption(spec: spec, value: nil))
            if stopAfter.contains(spec.key) {
              // The query reads the rest of the words itself.
              operands.append(contentsOf: (rest.isEmpty ? [] : ["-" + rest]) + arguments[index...])
              return Scanned(options: options, rest: operands)
            }
            continue
          }
          if !rest.isEmpty {
            options.append(ParsedOption(spec: spec, value: rest))
          } else if index < arguments.endIndex {
            options.append(ParsedOption(spec: spec, value: arguments[index]))
            index += 1
          } else {
            throw .usage("option '-\(spec.short.map(String.init) ?? "")' needs a \(spec.value!) value")
          }
          break
        }
        continue
      }
      if stopAtFirstOperand {
        operands.append(contentsOf: arguments[(index - 1)...])
        break
      }
      operands.append(word)
    }
    return Scanned(options: options, rest: operands)
  }

  /// `requireCommand` is false for `explain`, which may describe a launch without a command.
  public static func launchRequest(_ arguments: ArraySlice<String>, requireCommand: Bool = true) throws(Failure) -> LaunchRequest {
    let scanned = try scanOptions(arguments, table: launchOptions, stopAfter: queryOptions)
    var request = LaunchRequest()
    var shared = SharedOptions()
    var lastNodes: String?
    for option in scanned.options {
      var (spec, value) = (option.spec, option.value)
      // numactl's `same`: the NODES of the previous node option.
      if spec.value == "NODES" || spec.value == "NODE" {
        if value == "same" {
          guard let lastNodes else { throw .usage("--\(spec.long)=same needs an earlier option with nodes to repeat") }
          value = lastNodes
        }
        lastNodes = value
      }
      if try shared.read(spec, value, &request) { continue }
      let mode: PolicyMode?
      switch spec.key {
      case .membind: mode = .bind
      case .preferred: mode = .preferred
      case .preferredMany: mode = .preferredMany
      case .interleave: mode = .interleave
      case .weightedInterleave: mode = .weightedInterleave
      case .localalloc: mode = .local
      default: mode = nil
      }
      if let mode {
        if let earlier = request.policyOption {
          throw .usage("only one memory policy per launch: '--\(earlier)' and '--\(spec.long)' both given")
        }
        request.shared?.steps.append(.policy)
        request.mode = mode
        request.policyOption = spec.long
        request.nodes = value
        continue
      }
      switch spec.key {
      case .cpunodebind, .cpubind, .physcpubind:
        if let target = request.shared?.option {
          throw .usage("--\(spec.long) binds a process's CPUs; it cannot go with \(target)")
        }
        // As in numactl, each binding replaces the one before: the last one given decides.
        if spec.key == .physcpubind {
          request.cpus = value
          request.cpuNodes = nil
        } else {
          request.cpuNodes = value
          request.cpus = nil
        }
      case .balancing: request.balancing = true
      case .staticNodes: request.staticNodes = true
      case .relativeNodes: request.relativeNodes = true
      case .all: request.ignoreCpuset = true
      case .allowUnfenced: request.allowUnfenced = true
      case .quiet: request.quiet = true
      case .registry: request.registry = value
      case .show: request.query = .show
      case .hardware: request.query = .hardware
      case .version: request.query = .version
      default: request.query = .help
      }
    }
    request.command = scanned.rest
    if request.query != nil { return request }
    try shared.finish(&request)
    if request.staticNodes && request.relativeNodes {
      throw .usage("--static and --relative exclude each other; give one")
    }
    if request.staticNodes || request.relativeNodes || request.balancing {
      let flag = request.balancing ? "--balancing" : request.staticNodes ? "--static" : "--relative"
      guard let mode = request.mode, mode.takesNodes else {
        throw .usage("\(flag) modifies a memory policy with nodes; add one, e.g. --membind=NODES")
      }
    }
    if request.command.first == "" {
      throw .usage("the command is an empty word; write the program to run after the options")
    }
    if request.shared != nil { return request }
    if request.command.isEmpty && requireCommand {
      throw .usage("no command to run; write it after the options, e.g. 'privnuma -m 0 -- mycommand'")
    }
    return request
  }

  public static func parseLaunch(_ arguments: ArraySlice<String>, requireCommand: Bool = true) -> Result<LaunchRequest, Failure> {
    do { return .success(try launchRequest(arguments, requireCommand: requireCommand)) } catch { return .failure(error) }
  }
}
