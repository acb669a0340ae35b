import CPrivNUMA

/// A memory-policy mode as `set_mempolicy(2)` takes it.
public enum PolicyMode: Int32, Sendable, CaseIterable {
  case `default` = 0
  case preferred = 1
  case bind = 2
  case interleave = 3
  case local = 4
  case preferredMany = 5
  case weightedInterleave = 6

  /// The word privnuma and numactl print for this mode.
  public var name: String {
    switch self {
    case .default: return "default"
    case .preferred: return "preferred"
    case .bind: return "bind"
    case .interleave: return "interleave"
    case .local: return "local"
    case .preferredMany: return "preferred-many"
    case .weightedInterleave: return "weighted-interleave"
    }
  }

  /// The kernel constant's name, for `explain`.
  public var constantName: String {
    switch self {
    case .default: return "MPOL_DEFAULT"
    case .preferred: return "MPOL_PREFERRED"
    case .bind: return "MPOL_BIND"
    case .interleave: return "MPOL_INTERLEAVE"
    case .local: return "MPOL_LOCAL"
    case .preferredMany: return "MPOL_PREFERRED_MANY"
    case .weightedInterleave: return "MPOL_WEIGHTED_INTERLEAVE"
    }
  }

  /// The first Linux release that knows this mode.
  public var minimumKernel: KernelVersion {
    switch self {
    case .preferredMany: return KernelVersion(5, 15)
    case .weightedInterleave: return KernelVersion(6, 9)
    case .local: return KernelVersion(3, 8)
    default: return KernelVersion(2, 6)
    }
  }

  /// Whether the mode takes a node mask.
  public var takesNodes: Bool { self != .default && self != .local }

  /// Accepts the spellings a user may give to `--policy`.
  public init?(word: String) {
    switch word {
    case "default": self = .default
    case "preferred", "prefer": self = .preferred
    case "bind", "membind": self = .bind
    case "interleave": self = .interleave
    case "local", "localalloc": self = .local
    case "preferred-many", "prefer-many": self = .preferredMany
    case "weighted-interleave", "weighted": self = .weightedInterleave
    default: return nil
    }
  }
}

/// Optional mode flags, OR-ed into the mode argument.
public struct PolicyFlags: OptionSet, Sendable, Hashable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  public static let staticNodes = PolicyFlags(rawValue: CPrivNUMA_MPOL_F_STATIC_NODES)
  public static let relativeNodes = PolicyFlags(rawValue: CPrivNUMA_MPOL_F_RELATIVE_NODES)
  public static let numaBalancing = PolicyFlags(rawValue: CPrivNUMA_MPOL_F_NUMA_BALANCING)
  public static let all: PolicyFlags = [.staticNodes, .relativeNodes, .numaBalancing]

  /// Words for each flag set, e.g. `["static"]`.
  public var names: [String] {
    var words: [String] = []
    if contains(.staticNodes) { words.append("static") }
    if contains(.relativeNodes) { words.append("relative") }
    if contains(.numaBalancing) { words.append("balancing") }
    return words
  }

  public var constantNames: [String] {
    var words: [String] = []
    if contains(.staticNodes) { words.append("MPOL_F_STATIC_NODES") }
    if contains(.relativeNodes) { words.append("MPOL_F_RELATIVE_NODES") }
    if contains(.numaBalancing) { words.append("MPOL_F_NUMA_BALANCING") }
    return words
  }
}

/// A complete memory policy: what set_mempolicy is given and get_mempolicy returns.
public struct MemoryPolicy: Equatable, Sendable {
  public var mode: PolicyMode
  public var flags: PolicyFlags
  public var nodes: NodeSet

  public init(mode: PolicyMode, flags: PolicyFlags = [], nodes: NodeSet = NodeSet()) {
    self.mode = mode
    self.flags = flags
    self.nodes = nodes
  }
}

/// A Linux release number, compared by major then minor.
public struct KernelVersion: Comparable, Sendable, CustomStringConvertible {
  public var major: Int
  public var minor: Int
  public init(_ major: Int, _ minor: Int) {
    self.major = major
    self.minor = minor
  }

  /// Parses the start of `uname -r`, e.g. `6.1.0-27-cloud-amd64`.
  public init?(release: String) {
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2)
    guard parts.count == 2, let major = Int(parts.first!), let minor = Int(parts.last!) else {
      return nil
    }
    self.init(major, minor)
  }

  public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
    (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
  }

  public var description: String { "\(major).\(minor)" }
}
