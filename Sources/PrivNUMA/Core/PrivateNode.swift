/// What the memory-management services may do on a private node; names mirror `NP_OPS_*`.
public struct Capabilities: OptionSet, Sendable, Hashable {
  public let rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  public static let migration = Capabilities(rawValue: 1 << 0)
  public static let mempolicy = Capabilities(rawValue: 1 << 1)
  public static let demotion = Capabilities(rawValue: 1 << 2)
  public static let protectWrite = Capabilities(rawValue: 1 << 3)
  public static let reclaim = Capabilities(rawValue: 1 << 4)
  public static let numaBalancing = Capabilities(rawValue: 1 << 5)
  public static let compaction = Capabilities(rawValue: 1 << 6)
  public static let longtermPin = Capabilities(rawValue: 1 << 7)

  /// Registry spellings, in the documented order.
  public static let names: [(String, Capabilities)] = (0..<8).map {
    ("\(spelling(bit: $0)!)", Capabilities(rawValue: 1 << $0))
  }

  /// The registry spelling of the capability at `bit`, nil past the last; static text, so
  /// that a registry file's words are matched where they lie.
  static func spelling(bit: Int) -> StaticString? {
    switch bit {
    case 0: "migration"
    case 1: "mempolicy"
    case 2: "demotion"
    case 3: "protect-write"
    case 4: "reclaim"
    case 5: "numa-balancing"
    case 6: "compaction"
    case 7: "longterm-pin"
    default: nil
    }
  }

  public init?(name: String) {
    // Indices rather than first(where:): an optional tuple costs a metadata look-up on a launch.
    guard let index = Capabilities.names.indices.first(where: { Capabilities.names[$0].0 == name }) else { return nil }
    self = Capabilities.names[index].1
  }

  public var words: [String] { Capabilities.names.filter { contains($0.1) }.map(\.0) }

  /// The first broken dependency rule (DESIGN §1), or nil when the set is consistent.
  public var ruleViolation: String? {
    if !contains(.migration) {
      if contains(.mempolicy) { return "'mempolicy' needs 'migration'" }
      if contains(.numaBalancing) { return "'numa-balancing' needs 'migration'" }
      if contains(.compaction) { return "'compaction' needs 'migration'" }
    }
    if contains(.mempolicy) && contains(.protectWrite) {
      return "'mempolicy' and 'protect-write' exclude each other"
    }
    return nil
  }
}

/// How a private node is kept private.
public enum Backend: String, Sendable {
  /// The kernel's N_MEMORY_PRIVATE state.
  case kernel
  /// A cgroup cpuset fence with an opt-in cgroup.
  case cpuset
  /// Declared, but nothing enforces it.
  case none
}

/// A private node as privnuma knows it: the kernel's view merged with the registry's.
public struct PrivateNode: Sendable, Equatable {
  public var id: Int
  public var label: String
  public var kind: String?
  public var description: String?
  public var capabilities: Capabilities
  public var allowUsers: [String]?
  public var allowGroups: [String]?
  /// Opt-in cgroup, relative to the cgroup v2 mount.
  public var cgroup: String?
  public var minFree: UInt64?
  /// The registry file that declares it, nil when only the kernel does.
  public var source: String?
  /// Whether the kernel lists it in `has_private_memory`.
  public var kernelPrivate: Bool
  /// Whether the kernel would accept a memory policy naming it (nil: cannot tell).
  public var kernelBindable: Bool?
  /// The node's `mem_features`, on kernels that print them.
  public var kernelFeatures: KernelFeatures?
  /// Where the registry and the kernel disagree (`Machine.merge`).
  public var disagreementFacts = Disagreements()
  /// Set when a registry file with errors mentions the node: it is then refused to everyone
  /// until the file is fixed, and never counted as general.
  public var brokenDeclaration: Registry.FileError?

  public init(
    id: Int, label: String, capabilities: Capabilities, kernelPrivate: Bool, kernelBindable: Bool?
  ) {
    self.id = id
    self.label = label
    self.capabilities = capabilities
    self.kernelPrivate = kernelPrivate
    self.kernelBindable = kernelBindable
  }

  public var backend: Backend {
    if kernelPrivate { return .kernel }
    if cgroup != nil { return .cpuset }
    return .none
  }

  /// Where the registry and the kernel disagree, said in plain words.
  public var disagreements: [String] { disagreementFacts.words(of: self) }

  /// Whether a memory policy may name it: the registry allows it and the kernel would too.
  public var bindable: Bool {
    capabilities.contains(.mempolicy) && kernelBindable != false
  }
}
