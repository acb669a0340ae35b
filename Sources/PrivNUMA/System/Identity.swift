import CPrivNUMA
import Glibc

/// Who is asking: the real ids, which the rules are checked against even under setuid.
public struct Identity: Sendable, Equatable {
  public var uid: UInt32
  public var gid: UInt32
  /// The primary and every supplementary group.
  /// An array, not a Set: hashing types costs start-up time on the launch path.
  public var groups: [UInt32]
  public var userName: String?

  public init(uid: UInt32, gid: UInt32, groups: [UInt32], userName: String?) {
    self.uid = uid
    self.gid = gid
    self.groups = groups
    self.userName = userName
  }

  /// The calling process's real uid and gid and its supplementary groups.
  public static func current() -> Identity {
    let uid = getuid()
    let gid = getgid()
    var groups: [UInt32] = [gid]
    let count = getgroups(0, nil)
    if count > 0 {
      var list = [gid_t](repeating: 0, count: Int(count))
      let got = getgroups(count, &list)
      if got > 0 { groups.append(contentsOf: list[0..<Int(got)]) }
    }
    // The name is looked up only when a message needs it: NSS is slow on the launch path.
    return Identity(uid: uid, gid: gid, groups: groups, userName: nil)
  }

  /// The identity of another user (for `migrate`, whose rules apply to the target's owner).
  public static func of(uid: UInt32) -> Identity {
    guard let user = Accounts.user(uid: uid) else {
      return Identity(uid: uid, gid: uid, groups: [], userName: nil)
    }
    return Identity(uid: uid, gid: user.gid, groups: Accounts.groups(of: user), userName: user.name)
  }

  static func userName(uid: UInt32) -> String? {
    Accounts.user(uid: uid)?.name
  }

  /// This user as every command names one (looks the name up when it is not known yet).
  public var named: NamedID { .user(uid, userName ?? Identity.userName(uid: uid)) }
}

/// Resolves the user and group names of `AllowUsers=`/`AllowGroups=`; injectable for tests.
///
/// Without privilege names go through NSS, so LDAP and SSSD names work. Under privilege an
/// answer decides access, so it must come from nowhere the caller can reach: privnuma reads
/// /etc/passwd and /etc/group itself and starts no resolver (see `Accounts`); a principal
/// that only a directory service knows is written as its numeric id (privnuma.conf(5)).
public struct NameService: Sendable {
  public var userID: @Sendable (String) -> UInt32?
  public var groupID: @Sendable (String) -> UInt32?
  /// Where a name that did not resolve was looked for, and what to do, for messages.
  public var advice: String

  public init(
    userID: @escaping @Sendable (String) -> UInt32?, groupID: @escaping @Sendable (String) -> UInt32?,
    advice: String = "not found"
  ) {
    self.userID = userID
    self.groupID = groupID
    self.advice = advice
  }

  public static let system = NameService(
    userID: { name in
      if let id = UInt32(name) { return id }
      return Accounts.user(named: name)?.uid
    },
    groupID: { name in
      if let id = UInt32(name) { return id }
      return Accounts.groupID(named: name)
    },
    advice: "not in /etc/passwd, /etc/group or NSS; check the spelling")

  /// Names from the local files only, read by privnuma itself.
  public static func localFiles(passwd: String = "/etc/passwd", group: String = "/etc/group") -> NameService {
    NameService(
      userID: { name in
        if let id = UInt32(name) { return id }
        return Accounts.user(named: name, passwd: passwd, nss: false)?.uid
      },
      groupID: { name in
        if let id = UInt32(name) { return id }
        return Accounts.groupID(named: name, group: group, nss: false)
      },
      advice: "privnuma runs with privilege and reads names only from \(passwd) and \(group), never through a resolver the caller could reach; write the numeric id of a directory-service user or group")
  }

  /// The name service a process with this privilege may trust.
  public static func trusted(under privilege: Privilege) -> NameService {
    privilege.elevated ? .localFiles() : .system
  }
}

/// Whether privnuma runs with more rights than its caller, which changes what it trusts.
public struct Privilege: Sendable {
  /// AT_SECURE, or real and effective ids differ (setuid, setgid or file capabilities).
  public var elevated: Bool

  public static func current() -> Privilege {
    Privilege(elevated: CPrivNUMA_at_secure() != 0 || getuid() != geteuid() || getgid() != getegid())
  }
}
