/// Everything privnuma knows about this machine: sysfs, the cpuset, and the private nodes
/// from the kernel and the registry, merged.
public struct Machine: Sendable {
  public let roots: Roots
  public let topology: Topology
  /// Private nodes by id, in id order.
  public let privateNodes: [PrivateNode]
  /// Registry files with errors: each command goes on without the nodes they mention.
  public var registryErrors: [Registry.FileError] = []
  /// The registry directory does not exist.
  public var registryMissing = false

  public init(roots: Roots, topology: Topology, declared: [PrivateNode], broken: [Registry.BrokenNode] = []) {
    self.roots = roots
    self.topology = topology
    self.privateNodes = Machine.merge(topology: topology, declared: declared, broken: broken)
  }

  /// Reads sysfs and the registry under `roots`; `trust` holds the registry to the
  /// privileged rules. Typed throws rather than Result: generic Result types cost metadata
  /// look-ups at start-up on the launch path.
  public static func load(roots: Roots, trust: Trust?) throws(Failure) -> Machine {
    let topology = Topology(roots: roots)
    switch Registry.load(directory: roots.registry, trust: trust) {
    case .success(let contents):
      var machine = Machine(roots: roots, topology: topology, declared: contents.nodes, broken: contents.broken)
      machine.registryErrors = contents.errors
      machine.registryMissing = contents.missing
      return machine
    case .failure(let failure): throw failure
    }
  }

  /// Joins the registry's declarations with what the kernel says, and notes where they differ.
  static func merge(topology: Topology, declared: [PrivateNode], broken: [Registry.BrokenNode] = []) -> [PrivateNode] {
    let interface = topology.kernelInterface
    let kernelPrivate = interface.privateNodes ?? NodeSet()
    // mem_features is read only on kernels with private-node state: today's pay nothing.
    func features(_ id: Int) -> KernelFeatures? { interface.form == .none ? nil : topology.features(of: id) }
    var merged: [PrivateNode] = []
    for var node in declared {
      node.kernelPrivate = kernelPrivate.contains(node.id)
      node.kernelFeatures = features(node.id)
      if !topology.online.contains(node.id) {
        node.kernelBindable = false
        node.disagreementFacts.offline = true
      } else {
        node.kernelBindable = interface.bindable(node.id, features: node.kernelFeatures)
      }
      if node.capabilities.contains(.mempolicy) && node.kernelBindable == false && topology.online.contains(node.id) {
        node.disagreementFacts.refusingPolicies = interface
      }
      // The kernel enforces its own list: a capability it does not give the node is not used.
      if let kernel = node.kernelFeatures?.capabilities, !node.capabilities.subtracting(kernel).isEmpty {
        node.disagreementFacts.notInMemFeatures = node.capabilities.subtracting(kernel)
        node.capabilities.formIntersection(kernel)
      }
      merged.append(node)
    }
    for id in kernelPrivate where !merged.contains(where: { $0.id == id }) {
      let kernelFeatures = features(id)
      let bindable = interface.bindable(id, features: kernelFeatures)
      // Without a registry entry: the kernel's mem_features, or whether policies may name it.
      var node = PrivateNode(
        id: id, label: "node\(id)",
        capabilities: kernelFeatures?.capabilities ?? (bindable == true ? [.migration, .mempolicy] : []),
        kernelPrivate: true, kernelBindable: bindable)
      node.kernelFeatures = kernelFeatures
      merged.append(node)
    }
    // A node a broken file mentions stays private, whatever the kernel says, and is refused.
    for entry in broken {
      if let index = merged.firstIndex(where: { $0.id == entry.id }) {
        merged[index].brokenDeclaration = entry.error
        continue
      }
      var node = PrivateNode(
        id: entry.id, label: "node\(entry.id)", capabilities: [], kernelPrivate: false,
        kernelBindable: topology.online.contains(entry.id) ? topology.withMemory.contains(entry.id) : false)
      node.source = entry.error.file
      node.brokenDeclaration = entry.error
      merged.append(node)
    }
    return merged.sorted { $0.id < $1.id }
  }

  public var privateSet: NodeSet {
    var set = NodeSet()
    for node in privateNodes { set.insert(node.id) }
    return set
  }

  /// Online nodes with memory that are not private: what `all` and `!` range over.
  public var generalNodes: NodeSet {
    topology.withMemory.intersection(topology.online).subtracting(privateSet)
  }

  public func privateNode(_ id: Int) -> PrivateNode? { privateNodes.first { $0.id == id } }

  /// Label to node id, for the NODES grammar.
  public var labels: [(label: String, id: Int)] { privateNodes.map { ($0.label, $0.id) } }

  /// The NODES context for a caller.
  public func nodeContext(memsAllowed: NodeSet, identity: Identity, names: NameService, ignoreCpuset: Bool) -> NodeContext {
    // `private` means the nodes this caller may name in a policy: allowed and bindable. It is
    // decided only if the word is used; the planner checks access for nodes named otherwise.
    let privateNodes = privateNodes
    var context = NodeContext(
      present: topology.online, general: generalNodes, memsAllowed: memsAllowed, privateNodes: privateSet,
      usablePrivate: NodeSet(
        privateNodes.filter { $0.bindable && Access.decide($0, for: identity, names: names).allowed }.map(\.id)),
      labels: labels, ignoreCpuset: ignoreCpuset)
    context.sysfs = roots.sysfs
    context.proc = roots.proc
    context.registry = roots.registry
    return context
  }

  /// Registry mistakes that do not stop a launch but should not pass unseen: files in the
  /// directory that are not read (not `*.conf`), and private nodes that have CPUs. Read only
  /// by the commands that diagnose (nodes, check, explain), never on a launch.
  public var registryWarnings: [String] {
    var warnings: [String] = []
    for name in RegistryFiles.unread(directory: roots.registry) {
      warnings.append("\(roots.registry)/\(name) is not read: only *.conf files are; rename it to end in .conf, or remove it")
    }
    for node in privateNodes where !node.kernelPrivate {
      let cpus = topology.cpus(of: node.id)
      if !cpus.isEmpty {
        warnings.append("node \(node.id) (\(node.label)) has CPUs \(cpus) but \(node.source ?? roots.registry) declares it private: 'all' then leaves out the local memory of processes that run there; declare only memory-only nodes")
      }
    }
    return warnings
  }
}
