/// A user as every command names one: `alice (uid 1001)` in text, or `uid 1001` when no name
/// is known; in JSON always the two members `user` (null without a name) and `uid`
/// (CLI/Output/JSON). One form, so that a script or an administrator matching a user in
/// `audit` finds the same words in `fence status`, `migrate` and a refusal.
public struct NamedUser: Equatable, Sendable, CustomStringConvertible {
  /// nil when the process ended before its owner was read.
  public var uid: UInt32?
  public var name: String?

  public init(uid: UInt32?, name: String?) {
    self.uid = uid
    self.name = name.flatMap { $0.isEmpty ? nil : $0 }
  }

  public var description: String {
    switch (name, uid) {
    case (let name?, let uid?): return "\(name) (uid \(uid))"
    case (nil, let uid?): return "uid \(uid)"
    case (let name?, nil): return name
    case (nil, nil): return "an unknown user"
    }
  }
}

/// A group in the same form: `cram (gid 1100)`; in JSON `group` and `gid`.
public struct NamedGroup: Equatable, Sendable, CustomStringConvertible {
  public var gid: UInt32?
  public var name: String?

  public init(gid: UInt32?, name: String?) {
    self.gid = gid
    self.name = name.flatMap { $0.isEmpty ? nil : $0 }
  }

  public var description: String {
    switch (name, gid) {
    case (let name?, let gid?): return "\(name) (gid \(gid))"
    case (nil, let gid?): return "gid \(gid)"
    case (let name?, nil): return name
    case (nil, nil): return "an unknown group"
    }
  }
}
