/// A user or a group as every command names one: `alice (uid 1001)`, `cram (gid 2001)` in
/// text, or `uid 1001` when no name is known; in JSON always the two members `user` and
/// `uid` (`group` and `gid`), the name null without one (CLI/Output/JSON). One form, so that
/// a script or an administrator matching a user in `audit` finds the same words in
/// `fence status`, `migrate` and a refusal.
public struct NamedID: Equatable, Sendable, CustomStringConvertible {
  public enum Kind: String, Sendable {
    case user = "uid"
    case group = "gid"
  }

  public var kind: Kind
  /// nil when it could not be read (a process that ended first).
  public var id: UInt32?
  public var name: String?

  public static func user(_ uid: UInt32?, _ name: String?) -> NamedID { NamedID(kind: .user, id: uid, name: name) }
  public static func group(_ gid: UInt32?, _ name: String?) -> NamedID { NamedID(kind: .group, id: gid, name: name) }

  init(kind: Kind, id: UInt32?, name: String?) {
    self.kind = kind
    self.id = id
    self.name = name.flatMap { $0.isEmpty ? nil : $0 }
  }

  /// The JSON member that holds the name: `user` or `group`.
  public var noun: String { kind == .user ? "user" : "group" }

  public var description: String {
    switch (name, id) {
    case (let name?, let id?): return "\(name) (\(kind.rawValue) \(id))"
    case (nil, let id?): return "\(kind.rawValue) \(id)"
    case (let name?, nil): return name
    case (nil, nil): return "an unknown \(noun)"
    }
  }
}
