import CPrivNUMA
import Glibc

/// A capability privnuma uses, as the shim's bit for it.
public enum Capability: UInt32, Sendable {
  case dacOverride = 1
  case sysNice = 2

  /// The capabilities privnuma ever uses.
  static let needed: UInt32 = Capability.dacOverride.rawValue | Capability.sysNice.rawValue
}

/// The process's ids and capabilities: raised only around the privileged step, all dropped
/// before exec (DESIGN §8). A protocol, injected through `Environment` like `Kernel`, so the
/// privileged half of a launch can be tested without privilege.
public protocol Credentials: Sendable {
  /// Makes a permitted capability effective; true only when this call changed anything.
  func raise(_ capability: Capability) -> Bool
  func lower(_ capability: Capability)
  /// Returns to the real ids and clears every capability set, so the command runs
  /// unprivileged; fails rather than let a command run with anything left over.
  func dropAll() -> Failure?
  /// For a privileged start: keeps only the capabilities privnuma uses, none of them
  /// effective, and for setuid root takes the caller's uid as effective uid. A failure is
  /// returned, and privnuma stops on it before reading anything.
  func reduceAtStart() -> Failure?
  /// Whether the saved uid is root: a setuid-root install, which can run itself again with
  /// root's full rights (to ask systemd for a scope, `Scope`).
  var savedUIDIsRoot: Bool { get }
}

extension Credentials {
  /// Runs `body` with `capability` effective when it is permitted, and lowers it after
  /// unless it was effective already (root keeps its rights). Without the capability the
  /// body runs as is, so the kernel's refusal reaches the caller with its errno.
  func with<T>(_ capability: Capability, _ body: () -> T) -> T {
    let raised = raise(capability)
    defer { if raised { lower(capability) } }
    return body()
  }
}

/// This process's credentials, through the C shim (libcap for the capability sets).
///
/// privnuma gets its rights one of two ways. Installed with file capabilities
/// (`setcap cap_dac_override,cap_sys_nice+p`) it starts with those two in the permitted set
/// and nothing effective. Installed setuid root it starts with every capability and
/// effective uid 0; `reduceAtStart` narrows that to the same two, permitted only, with the
/// caller's uid as effective uid. Either way a capability becomes effective only inside
/// `with`, and `dropAll` clears every set and restores the real ids before the command is
/// looked up on PATH.
public struct ProcessCredentials: Credentials {
  public init() {}

  @discardableResult
  public func raise(_ capability: Capability) -> Bool {
    if CPrivNUMA_cap_effective(capability.rawValue) == 1 { return false }
    guard CPrivNUMA_cap_permitted(capability.rawValue) == 1 else { return false }
    return CPrivNUMA_cap_raise(capability.rawValue) == 0
  }

  public func lower(_ capability: Capability) { _ = CPrivNUMA_cap_lower(capability.rawValue) }

  public var savedUIDIsRoot: Bool { CPrivNUMA_saved_uid() == 0 }

  /// Does nothing for an unprivileged process or for root itself. A failure of either step
  /// is returned, and privnuma stops on it before reading anything: carrying on would read
  /// the caller's files with root's rights or keep every capability.
  public func reduceAtStart() -> Failure? {
    Self.reduce(
      elevated: Privilege.current().elevated, uid: getuid(), effectiveUID: geteuid(),
      setEffectiveUID: { CPrivNUMA_set_effective_uid($0) == 0 ? nil : Errno.current },
      limitCapabilities: { CPrivNUMA_cap_limit(Capability.needed) == 0 ? nil : Errno.current })
  }

  /// The decisions of `reduceAtStart`, with the two system calls passed in.
  static func reduce(
    elevated: Bool, uid: UInt32, effectiveUID: UInt32,
    setEffectiveUID: (UInt32) -> Errno?, limitCapabilities: () -> Errno?
  ) -> Failure? {
    guard elevated, uid != 0 else { return nil }
    if effectiveUID == 0, let error = setEffectiveUID(uid) {
      return .system("cannot take the caller's uid \(uid) as effective uid at start (setresuid failed with \(error)); stopping before reading anything. Check the installation (setuid root, see README)")
    }
    if let error = limitCapabilities() {
      return .system("cannot limit the capabilities at start to cap_dac_override and cap_sys_nice (cap_set_proc failed with \(error)); stopping before reading anything. Check the installation (see README)")
    }
    return nil
  }

  public func dropAll() -> Failure? {
    let uid = getuid()
    let gid = getgid()
    if geteuid() != uid || getegid() != gid {
      if CPrivNUMA_set_all_ids(uid, gid) != 0 {
        return .system("cannot drop setuid privilege: setresuid/setresgid failed with \(Errno.current); nothing was run")
      }
    }
    // Root running privnuma keeps root's rights, as any command root runs would.
    if uid == 0 { return nil }
    if CPrivNUMA_cap_drop_all() != 0 {
      return .system("cannot drop capabilities: \(Errno.current); nothing was run")
    }
    if CPrivNUMA_cap_none() != 1 {
      return .system("capabilities are still held after dropping them; nothing was run")
    }
    return nil
  }
}
