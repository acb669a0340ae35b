@testable import PrivNUMA

/// Paths of the fixture trees under Tests/PrivNUMATests/Fixtures.
enum Fixture {
  static let directory: String = {
    let file = #filePath
    return String(file[..<file.lastIndex(of: "/")!]) + "/Fixtures"
  }()

  static func roots(_ name: String, registry: String? = nil) -> Roots {
    let base = directory + "/" + name
    return Roots(
      sysfs: base + "/sys", proc: base + "/proc", cgroup: base + "/cgroup",
      registry: registry ?? base + "/nodes.d")
  }

  static func machine(_ name: String, declared: [PrivateNode] = []) -> Machine {
    let roots = roots(name)
    return Machine(roots: roots, topology: Topology(roots: roots), declared: declared)
  }

  static let alice = Identity(uid: 1001, gid: 1001, groups: [1001, 2001], userName: "alice")
  static let bob = Identity(uid: 1002, gid: 1002, groups: [1002], userName: "bob")

  /// Names for the access tests, without NSS.
  static let names = NameService(
    userID: { ["alice": 1001, "bob": 1002, "root": 0][$0] ?? UInt32($0) },
    groupID: { ["cram": 2001, "hpc": 2002][$0] ?? UInt32($0) })

  /// A registry entry as the parser would produce it.
  static func declared(
    _ id: Int, _ label: String, capabilities: Capabilities = [.migration, .mempolicy],
    cgroup: String? = nil, allowGroups: [String]? = nil, allowUsers: [String]? = nil, minFree: UInt64? = nil
  ) -> PrivateNode {
    var node = PrivateNode(id: id, label: label, capabilities: capabilities, kernelPrivate: false, kernelBindable: nil)
    node.cgroup = cgroup
    node.allowGroups = allowGroups
    node.allowUsers = allowUsers
    node.minFree = minFree
    node.source = "/etc/privnuma/nodes.d/50-\(label).conf"
    return node
  }
}

/// A test kernel: every call fails with ENOSYS unless the conforming type answers it.
protocol StubKernel: Kernel {}

extension StubKernel {
  func setMemoryPolicy(_ policy: MemoryPolicy) -> Result<Void, Errno> { .failure(.notImplemented) }
  func memoryPolicy() -> Result<MemoryPolicy, Errno> { .failure(.notImplemented) }
  func nextInterleaveNode() -> Result<Int, Errno> { .failure(.notImplemented) }
  func allowedMemoryNodes() -> Result<NodeSet, Errno> { .failure(.notImplemented) }
  func setAffinity(_ cpus: CPUSet) -> Result<Void, Errno> { .failure(.notImplemented) }
  func affinity() -> Result<CPUSet, Errno> { .failure(.notImplemented) }
  func execute(_ arguments: [String]) -> Errno { .notImplemented }
  func migratePages(pid: Int32, from: NodeSet, to: NodeSet) -> Result<Int, Errno> { .failure(.notImplemented) }
}
