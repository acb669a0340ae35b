/// The kernel's own way of onlining a dax device as a private node, where a revision of the
/// private-node proposal offers one as device attributes: set before the device goes to
/// kmem, so its memory never joins the normal allocation paths at all.
public struct PrivateOnlining: Sendable, Equatable {
  /// Attribute writes, in order.
  public var writes: [(attribute: String, value: String)]

  public static func == (lhs: PrivateOnlining, rhs: PrivateOnlining) -> Bool {
    lhs.writes.map(\.attribute) == rhs.writes.map(\.attribute) && lhs.writes.map(\.value) == rhs.writes.map(\.value)
  }

  /// nil when the device offers no private onlining (every kernel released so far).
  /// `private` marks the memory private; `user_numa` lets memory policies name the node
  /// (only when the registry allows them); `mm_capabilities` takes the registry's
  /// capabilities. `state` is only reported.
  public init?(_ dax: DaxDevice, capabilities: Capabilities) {
    let present = Set(dax.privateAttributes.map(\.name))
    guard present.contains("private") || present.contains("mm_capabilities") else { return nil }
    writes = []
    if present.contains("private") { writes.append(("private", "1")) }
    if present.contains("user_numa") { writes.append(("user_numa", capabilities.contains(.mempolicy) ? "1" : "0")) }
    if present.contains("mm_capabilities") { writes.append(("mm_capabilities", capabilities.words.joined(separator: " "))) }
  }

  /// `private=1 user_numa=1`.
  public var description: String { writes.map { "\($0.attribute)=\($0.value)" }.joined(separator: " ") }
}
