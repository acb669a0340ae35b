/// The node-state files of `/sys/devices/system/node` by which revisions of the private-node
/// proposal say which nodes are private, read as the kernel prints them. Which form a kernel
/// has and what it means for privnuma is decided in Core (`KernelInterface`).
public struct NodeStateFiles: Sendable, Equatable {
  /// The proposal's node lists, in the order the revisions introduced them:
  /// `has_private_memory` (v4) names the private nodes; `has_fallback_memory`,
  /// `has_public_memory` and `has_common_memory` (later names of one list) name the nodes
  /// reachable without naming them; `has_user_memory` names the nodes user space may bind to.
  public static let names = [
    "has_private_memory", "has_fallback_memory", "has_public_memory", "has_common_memory", "has_user_memory",
  ]

  /// Each of `names` this kernel has, with the nodes it lists (the kernel's list format).
  public var lists: [String: NodeSet]

  public init(lists: [String: NodeSet]) { self.lists = lists }

  /// One open per name; a missing file costs a failed lookup, which keeps the launch path cheap
  /// on the kernels in use today, where none exists.
  public static func read(nodeDirectory: String) -> NodeStateFiles {
    var lists: [String: NodeSet] = [:]
    for name in names {
      if let bytes = FileSystem.bytesIfPresent(nodeDirectory + "/" + name), let nodes = NodeSet(kernelList: bytes[...]) {
        lists[name] = nodes
      }
    }
    return NodeStateFiles(lists: lists)
  }

  /// `nodeN/mem_features` split into words (the memory-management services the kernel lets
  /// run on that node), or nil when the node has no such file.
  public static func memFeatures(of node: Int, nodeDirectory: String) -> [String]? {
    FileSystem.readIfPresent(nodeDirectory + "/node\(node)/mem_features").map { text in
      text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "," }).map(String.init)
    }
  }
}
