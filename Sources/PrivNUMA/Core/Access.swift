/// The registry's access rule for one node and one caller.
public enum Access {
  public struct Decision: Equatable, Sendable {
    public var allowed: Bool
    /// Why, in words fit for `nodes` and refusals.
    public var reason: String
    /// `AllowUsers=`/`AllowGroups=` entries that did not resolve, said as warnings: a name
    /// that resolves nowhere allows nobody.
    public var unresolved: [String] = []
  }

  public static func decide(_ node: PrivateNode, for identity: Identity, names: NameService = .system) -> Decision {
    if let error = node.brokenDeclaration {
      return Decision(allowed: false, reason: "refused to everyone until its registry file is fixed (\(error))")
    }
    if node.allowUsers == nil && node.allowGroups == nil {
      return Decision(allowed: true, reason: "no AllowUsers or AllowGroups: everyone may use it")
    }
    var unresolved: [String] = []
    for user in node.allowUsers ?? [] {
      guard let uid = names.userID(user) else {
        unresolved.append("AllowUsers name '\(user)' could not be resolved (\(names.advice))")
        continue
      }
      if uid == identity.uid {
        // The name as the registry writes it: no lookup on the launch path. A numeric entry is no name.
        let name = user.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? identity.userName : user
        let named = NamedID.user(uid, name)
        return Decision(allowed: true, reason: "\(named) is listed in AllowUsers", unresolved: unresolved)
      }
    }
    for group in node.allowGroups ?? [] {
      guard let gid = names.groupID(group) else {
        unresolved.append("AllowGroups name '\(group)' could not be resolved (\(names.advice))")
        continue
      }
      if identity.groups.contains(gid) {
        let named = NamedID.group(gid, group.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? nil : group)
        return Decision(allowed: true, reason: "member of group \(named), which AllowGroups lists", unresolved: unresolved)
      }
    }
    var rule: [String] = []
    if let users = node.allowUsers { rule.append("AllowUsers=" + users.joined(separator: " ")) }
    if let groups = node.allowGroups { rule.append("AllowGroups=" + groups.joined(separator: " ")) }
    return Decision(
      allowed: false,
      reason: "\(identity.named) is not allowed (\(rule.joined(separator: ", ")))", unresolved: unresolved)
  }
}
