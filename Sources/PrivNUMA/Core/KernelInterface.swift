/// Which form of the private-node interface the running kernel offers, decided from its
/// node-state files. The proposal changed that interface in every revision, so privnuma
/// detects the form and never assumes one (DESIGN §1).
public struct KernelInterface: Sendable, Equatable {
  public enum Form: Sendable, Equatable {
    /// No private-node state (every kernel released so far): private nodes are the
    /// registry's, kept private by a cpuset fence.
    case none
    /// `has_private_memory` lists the private nodes (RFC v4).
    case privateList
    /// A file lists the nodes reachable without naming them (`has_fallback_memory`, then
    /// `has_public_memory`, then `has_common_memory`): private = `has_memory` minus that list.
    case reachableList(String)
  }

  public let form: Form
  /// The nodes the kernel keeps private; nil when it has no such state.
  public let privateNodes: NodeSet?
  /// `has_user_memory`: the nodes user space may name in a memory policy, when the kernel says.
  public let userMemory: NodeSet?
  /// The files the decision was made from, for `explain`.
  public let files: [String]
  let withMemory: NodeSet

  /// The newest name first: a kernel that kept an old name beside a new one means the new one.
  static let reachableNames = ["has_common_memory", "has_public_memory", "has_fallback_memory"]

  public init(_ states: NodeStateFiles, withMemory: NodeSet) {
    self.withMemory = withMemory
    userMemory = states.lists["has_user_memory"]
    if let listed = states.lists["has_private_memory"] {
      form = .privateList
      privateNodes = listed
    } else if let name = KernelInterface.reachableNames.first(where: { states.lists[$0] != nil }), let reachable = states.lists[name] {
      form = .reachableList(name)
      privateNodes = withMemory.subtracting(reachable)
    } else {
      form = .none
      privateNodes = nil
    }
    files = NodeStateFiles.names.filter { states.lists[$0] != nil }
  }

  /// Whether a memory policy may name `node`, by the most direct statement the kernel makes:
  /// `has_user_memory`, then the node's `mem_features`, then (RFC v4, and general nodes)
  /// `has_memory`. nil when this form does not say (a reachable list alone).
  public func bindable(_ node: Int, features: KernelFeatures?) -> Bool? {
    if let userMemory { return userMemory.contains(node) }
    if let features { return features.capabilities.contains(.mempolicy) }
    if case .reachableList = form, privateNodes?.contains(node) == true { return nil }
    return withMemory.contains(node)
  }

  /// Why `bindable` said no, in the kernel's words.
  public func notBindableReason(_ node: Int, features: KernelFeatures?) -> String {
    if userMemory != nil { return "node \(node) is not in has_user_memory" }
    if features != nil { return "node \(node)'s mem_features lacks mempolicy" }
    return "node \(node) is not in has_memory"
  }

  /// One line for `explain` and `nodes`: the form, and how private and bindable are read.
  public var description: String {
    let bind = userMemory != nil ? "; memory policies may name the private nodes in has_user_memory (\(userMemory!))" : ""
    switch form {
    case .none:
      return "no private-node state in sysfs (no has_private_memory or its successors): private nodes are the registry's, fenced by cpusets"
    case .privateList:
      return "has_private_memory (RFC v4): private nodes \(privateNodes ?? NodeSet())"
        + (userMemory == nil ? "; those also in has_memory accept memory policies" : bind)
    case .reachableList(let name):
      return "\(name): private nodes = has_memory minus \(name) = \(privateNodes ?? NodeSet())"
        + (userMemory == nil ? "; each node's mem_features, where present, says whether memory policies may name it" : bind)
    }
  }

  /// The form's name in JSON: `none`, `has_private_memory`, or the reachable list's file name.
  public var name: String {
    switch form {
    case .none: return "none"
    case .privateList: return "has_private_memory"
    case .reachableList(let name): return name
    }
  }
}

/// A node's `mem_features` as capabilities (DESIGN §3 names; the kernel's `NP_OPS_` spelling,
/// underscores and capitals are accepted too), with the words privnuma does not know.
public struct KernelFeatures: Sendable, Equatable {
  public var capabilities: Capabilities
  public var unknown: [String]

  public init(words: [String]) {
    capabilities = []
    unknown = []
    for word in words {
      var name = word.lowercased()
      if name.hasPrefix("np_ops_") { name.removeFirst(7) }
      name = String(name.map { $0 == "_" ? "-" : $0 })
      // OOM_ELIGIBLE is derived (reclaim or demotion), not a capability of its own.
      if name == "oom-eligible" { continue }
      if let capability = Capabilities(name: name) {
        capabilities.insert(capability)
      } else {
        unknown.append(word)
      }
    }
  }
}
