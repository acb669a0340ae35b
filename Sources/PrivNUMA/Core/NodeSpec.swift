/// What the NODES grammar is resolved against: the machine, the cpuset and the registry.
public struct NodeContext: Sendable {
  /// Nodes online.
  public var present: NodeSet
  /// General nodes: present with memory, not private. `all` and `!` range over these.
  public var general: NodeSet
  /// The cpuset's `Mems_allowed`; `all` and `+` are relative to it.
  public var memsAllowed: NodeSet
  /// Every private node, whether or not this caller may use it.
  public var privateNodes: NodeSet
  /// Private nodes this caller may use: what the word `private` means. Worked out only when
  /// the word is used, since deciding access can read the group database for every node.
  public var usablePrivate: NodeSet {
    get { findUsablePrivate() }
    set { findUsablePrivate = { newValue } }
  }
  private var findUsablePrivate: @Sendable () -> NodeSet
  /// Registry labels (and `node<N>` for unlabelled kernel private nodes).
  /// An array rather than a Dictionary: hashing costs start-up time on the launch path.
  public var labels: [(label: String, id: Int)]
  /// `-a`: resolve `all` without the cpuset.
  public var ignoreCpuset: Bool
  /// Reads an environment variable (for `rank:`); injectable for tests.
  public var environment: @Sendable (String) -> String?
  /// Where `netdev:`, `block:`, `file:`, `pci:` and `ip:` look devices and routes up.
  public var sysfs = Roots.system.sysfs
  public var proc = Roots.system.proc
  /// The registry directory read, for messages about labels.
  public var registry = Roots.system.registry

  public init(
    present: NodeSet, general: NodeSet, memsAllowed: NodeSet, privateNodes: NodeSet = NodeSet(),
    usablePrivate: @autoclosure @escaping @Sendable () -> NodeSet = NodeSet(), labels: [(label: String, id: Int)] = [], ignoreCpuset: Bool = false,
    environment: @escaping @Sendable (String) -> String? = NodeContext.processEnvironment
  ) {
    self.present = present
    self.general = general
    self.memsAllowed = memsAllowed
    self.privateNodes = privateNodes
    self.findUsablePrivate = usablePrivate
    self.labels = labels
    self.ignoreCpuset = ignoreCpuset
    self.environment = environment
  }

  public static let processEnvironment: @Sendable (String) -> String? = { ProcessEnvironment.value($0) }

  /// The variables that give a process's rank on its machine, in the order they are tried.
  public static let localRankVariables = ["SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"]
}

/// Words with a meaning in NODES; a registry label may not be one of them.
public let nodeKeywords: [String] = {
  var words: [String] = []
  var index = 0
  while let keyword = nodeKeyword(index) {
    words.append("\(keyword)")
    index += 1
  }
  return words
}()

/// The NODES keyword at `index`, nil past the last; static text, so that a registry label is
/// compared where it lies.
func nodeKeyword(_ index: Int) -> StaticString? {
  switch index {
  case 0: "all"
  case 1: "private"
  case 2: "rank"
  case 3: "local"
  case 4: "none"
  case 5: "current"
  default: nil
  }
}

/// Parses NODES (DESIGN §5): `0,2-3`, labels, `all`, `private`, `!NODES`, `+NODES`, `rank:LIST`,
/// and numactl's device forms `netdev:DEV`, `block:DEV`, `file:PATH`, `ip:HOST`, `pci:ADDRESS`.
public enum NodeSpec {
  public static func parse(_ text: String, in context: NodeContext) -> Result<NodeSet, Failure> {
    if text.isEmpty { return .failure(.usage("empty node list; give node numbers (e.g. 0,2-3), a label, 'all' or 'private'")) }
    // Bytes, not Characters: Unicode-aware String work costs page faults on every launch.
    let bytes = Array(text.utf8)
    if bytes.starts(with: "rank:".utf8) { return parseRank(String(decoding: bytes[5...], as: UTF8.self), in: context) }
    if bytes[0] == 0x21 {  // "!"
      let rest = String(decoding: bytes[1...], as: UTF8.self)
      if rest.utf8.first == 0x21 { return .failure(.usage("'\(text)': '!' may be given once")) }
      if rest == "all" { return .failure(.usage("'!all' excludes every node; name the nodes to use instead")) }
      return parse(rest, in: context).flatMap { excluded in
        let result = context.general.subtracting(excluded)
        if result.isEmpty {
          return .failure(.usage("'\(text)' leaves no node: it excludes every general node (\(context.general.listDescription))"))
        }
        return .success(result)
      }
    }
    if bytes[0] == 0x2B {  // "+"
      return parseRelative(String(decoding: bytes[1...], as: UTF8.self), in: context)
    }

    let items = commaSeparated(bytes)
    var result = NodeSet()
    for item in items {
      if item.isEmpty {
        return .failure(.usage("'\(text)' has an empty entry; remove the extra comma"))
      }
      if item == "all" || item == "private", items.count > 1 {
        return .failure(.usage("'\(text)': '\(item)' cannot be combined with other nodes"))
      }
      switch parseItem(item, in: context) {
      case .success(let nodes): result = result.union(nodes)
      case .failure(let failure): return .failure(failure)
      }
    }
    if result.isEmpty { return .failure(.usage("'\(text)' names no node")) }
    return .success(result)
  }

  static func parseItem(_ item: String, in context: NodeContext) -> Result<NodeSet, Failure> {
    if item == "all" {
      let all = context.ignoreCpuset ? context.general : context.general.intersection(context.memsAllowed)
      if all.isEmpty {
        return .failure(.usage("'all' is empty: no general node is in this cpuset (\(context.memsAllowed.listDescription)); use -a to ignore the cpuset"))
      }
      return .success(all)
    }
    if item == "private" {
      if context.usablePrivate.isEmpty {
        if context.privateNodes.isEmpty {
          return .failure(.usage("'private': this machine has no private node"))
        }
        return .failure(.refused("'private': none of the private nodes (\(context.privateNodes.listDescription)) may be used by you; see 'privnuma nodes'"))
      }
      return .success(context.usablePrivate)
    }
    if let index = context.labels.firstIndex(where: { $0.label == item }) {
      // Inserted, not NodeSet([id]): an [Int] costs a launch a metadata look-up.
      var node = NodeSet()
      node.insert(context.labels[index].id)
      return .success(node)
    }
    if let first = item.utf8.first, first >= 0x30, first <= 0x39 {
      return parseRange(item, existing: context.present, what: "node")
    }
    if DeviceNode.isSpecification(item) { return parseDevice(item, in: context) }
    var known = context.labels.map(\.label).sorted().joined(separator: ", ")
    if known.isEmpty { known = "none declared in \(context.registry)" }
    return .failure(.usage("'\(item)' is not a node number, range, label, keyword or device (netdev:, block:, file:, ip:, pci:) (labels: \(known))"))
  }

  /// `netdev:eth0` and the other device forms: the node the device is attached to. The node
  /// then counts as named, so a private node local to a device follows the private rules.
  static func parseDevice(_ item: String, in context: NodeContext) -> Result<NodeSet, Failure> {
    switch DeviceNode.resolve(item, sysfs: context.sysfs, proc: context.proc) {
    case .failure(let error): return .failure(.usage(error.message))
    case .success(let node):
      guard context.present.contains(node) else {
        return .failure(.usage("'\(item)' is attached to node \(node), which is not online (online: \(context.present.listDescription))"))
      }
      return .success(NodeSet([node]))
    }
  }

  /// `+N,M-K`: indices into the cpuset's general nodes, numactl's relative form. Private nodes
  /// are left out: they enter a policy only when named.
  static func parseRelative(_ text: String, in context: NodeContext) -> Result<NodeSet, Failure> {
    let allowed = Array(context.memsAllowed.intersection(context.general))
    let indices = IDSet(0..<allowed.count)
    return parseNumbers(text, existing: indices, what: "cpuset-relative node").flatMap { picked in
      .success(NodeSet(picked.map { allowed[$0] }))
    }
  }

  /// `rank:A,B,...`: entry number <local rank>; each entry is itself NODES without commas.
  static func parseRank(_ text: String, in context: NodeContext) -> Result<NodeSet, Failure> {
    let entries = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    if text.isEmpty || entries.contains(where: \.isEmpty) {
      return .failure(.usage("'rank:\(text)' needs a comma list of nodes, one per local rank, e.g. rank:2,3"))
    }
    var found: (String, String)?
    for variable in NodeContext.localRankVariables {
      if let value = context.environment(variable) {
        found = (variable, value)
        break
      }
    }
    guard let (variable, value) = found else {
      return .failure(.usage("'rank:\(text)' needs the local rank, but none of \(NodeContext.localRankVariables.joined(separator: ", ")) is set; run under srun or mpirun, or name the node directly"))
    }
    guard let rank = Int(value), rank >= 0 else {
      return .failure(.usage("'rank:\(text)': \(variable)='\(value)' is not a rank number"))
    }
    guard rank < entries.count else {
      return .failure(.usage("'rank:\(text)' has \(entries.count) entries but \(variable) is \(rank); give one node per local rank"))
    }
    return parse(entries[rank], in: context)
  }

  static func parseNumbers(_ text: String, existing: IDSet, what: String) -> Result<IDSet, Failure> {
    if text.isEmpty { return .failure(.usage("empty \(what) list")) }
    var result = IDSet()
    for item in commaSeparated(Array(text.utf8)) {
      if item.isEmpty { return .failure(.usage("'\(text)' has an empty entry; remove the extra comma")) }
      switch parseRange(item, existing: existing, what: what) {
      case .success(let ids): result = result.union(ids)
      case .failure(let failure): return .failure(failure)
      }
    }
    return .success(result)
  }

  /// `N` or `N-M`, every id existing. Numbers are decimal, or hex with `0x` as numactl reads
  /// them; a leading 0 that numactl would read as octal is refused rather than read otherwise.
  static func parseRange(_ item: String, existing: IDSet, what: String) -> Result<IDSet, Failure> {
    let bytes = Array(item.utf8)
    var octal = false
    func number(_ digits: ArraySlice<UInt8>) -> Int? {
      var digits = digits
      var radix = 10
      if digits.count > 2, digits.first == 0x30, digits.dropFirst().first == 0x78 {  // "0x"
        digits = digits.dropFirst(2)
        radix = 16
      }
      guard !digits.isEmpty, digits.count <= 9 else { return nil }
      var value = 0
      for digit in digits {
        let digitValue: Int
        switch digit {
        case 0x30...0x39: digitValue = Int(digit - 0x30)
        case 0x61...0x66 where radix == 16: digitValue = Int(digit - 0x61 + 10)
        case 0x41...0x46 where radix == 16: digitValue = Int(digit - 0x41 + 10)
        default: return nil
        }
        value = value * radix + digitValue
      }
      if radix == 10, digits.count > 1, digits.first == 0x30, value >= 8 { octal = true }
      return value
    }
    let dash = bytes.firstIndex(of: 0x2D)
    let low = number(bytes[..<(dash ?? bytes.count)])
    let high = dash.map { number(bytes[($0 + 1)...]) } ?? low
    guard let low, let high else {
      return .failure(.usage("'\(item)' is not a \(what) number or range (decimal or 0x hex, e.g. 0 or 2-3)"))
    }
    if octal {
      return .failure(.usage("'\(item)': numactl reads a number with a leading 0 as octal; write it without the 0"))
    }
    guard low <= high else {
      return .failure(.usage("'\(item)': the range runs backwards; write \(high)-\(low)"))
    }
    var result = IDSet()
    for id in low...high {
      guard existing.contains(id) else {
        let list = existing.isEmpty ? "none" : existing.listDescription
        return .failure(.usage("\(what) \(id) does not exist (this machine has \(what)s \(list))"))
      }
      result.insert(id)
    }
    return .success(result)
  }
}

/// Parses CPUS for `-C`: numbers and ranges, `all`, `!` and `+` relative to the affinity.
public enum CPUSpec {
  public static func parse(_ text: String, present: CPUSet, allowed: CPUSet, ignoreCpuset: Bool) -> Result<CPUSet, Failure> {
    if text.isEmpty { return .failure(.usage("empty CPU list; give CPU numbers, e.g. 0-3")) }
    if text == "all" { return .success(ignoreCpuset ? present : allowed) }
    if text.hasPrefix("!") {
      return parse(String(text.dropFirst()), present: present, allowed: allowed, ignoreCpuset: ignoreCpuset)
        .flatMap { excluded in
          let result = present.subtracting(excluded)
          return result.isEmpty ? .failure(.usage("'\(text)' leaves no CPU")) : .success(result)
        }
    }
    if text.hasPrefix("+") {
      let list = Array(allowed)
      return NodeSpec.parseNumbers(String(text.dropFirst()), existing: IDSet(0..<list.count), what: "cpuset-relative cpu")
        .map { CPUSet($0.map { list[$0] }) }
    }
    if text.includes("all") {
      return .failure(.usage("'\(text)': 'all' cannot be combined with other CPUs"))
    }
    return NodeSpec.parseNumbers(text, existing: present, what: "cpu")
  }
}

/// Splits on commas, keeping empty entries so that `0,` can be reported.
func commaSeparated(_ bytes: [UInt8]) -> [String] {
  var items: [String] = []
  var start = 0
  for (index, byte) in bytes.enumerated() where byte == 0x2C {
    items.append(String(decoding: bytes[start..<index], as: UTF8.self))
    start = index + 1
  }
  items.append(String(decoding: bytes[start...], as: UTF8.self))
  return items
}
