/// Where the registry and the kernel disagree about a private node. `Machine.merge` keeps
/// only the facts: the words are built when a command shows them, which a launch never does.
public struct Disagreements: Sendable, Equatable {
  /// The registry declares a node the kernel does not have online.
  var offline = false
  /// The registry allows memory policies and this kernel interface refuses them.
  var refusingPolicies: KernelInterface?
  /// Capabilities the registry gives and the node's `mem_features` does not.
  var notInMemFeatures = Capabilities()

  /// In plain words, in the order `merge` checks them.
  func words(of node: PrivateNode) -> [String] {
    let source = node.source ?? "the registry"
    var words: [String] = []
    if offline { words.append("declared in \(source) but the kernel has no online node \(node.id)") }
    if let interface = refusingPolicies {
      words.append(
        "\(source) allows memory policies but the kernel does not (\(interface.notBindableReason(node.id, features: node.kernelFeatures)))")
    }
    if !notInMemFeatures.isEmpty {
      words.append("\(source) gives \(notInMemFeatures.words.joined(separator: " ")) but node \(node.id)'s mem_features does not; the kernel's list applies")
    }
    return words
  }
}
