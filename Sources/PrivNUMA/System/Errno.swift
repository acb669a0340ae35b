import CPrivNUMA
import Glibc

/// An error number from a failed system call, named the way administrators read it.
public struct Errno: Error, Equatable, Hashable, CustomStringConvertible, Sendable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  /// The calling thread's current `errno`.
  static var current: Errno { Errno(rawValue: CPrivNUMA_errno()) }

  public static let notPermitted = Errno(rawValue: EPERM)
  public static let noSuchFile = Errno(rawValue: ENOENT)
  public static let noSuchProcess = Errno(rawValue: ESRCH)
  public static let interrupted = Errno(rawValue: EINTR)
  public static let accessDenied = Errno(rawValue: EACCES)
  public static let invalidArgument = Errno(rawValue: EINVAL)
  public static let noDevice = Errno(rawValue: ENODEV)
  public static let notImplemented = Errno(rawValue: ENOSYS)
  public static let execFormat = Errno(rawValue: ENOEXEC)
  public static let notDirectory = Errno(rawValue: ENOTDIR)
  public static let isDirectory = Errno(rawValue: EISDIR)
  public static let io = Errno(rawValue: EIO)

  /// The symbolic name, e.g. `EINVAL`.
  public var name: String {
    switch rawValue {
    case EPERM: return "EPERM"
    case ENOENT: return "ENOENT"
    case ESRCH: return "ESRCH"
    case EINTR: return "EINTR"
    case EIO: return "EIO"
    case E2BIG: return "E2BIG"
    case ENOEXEC: return "ENOEXEC"
    case EBADF: return "EBADF"
    case ENOMEM: return "ENOMEM"
    case EACCES: return "EACCES"
    case EFAULT: return "EFAULT"
    case EBUSY: return "EBUSY"
    case EEXIST: return "EEXIST"
    case ENODEV: return "ENODEV"
    case ENOTDIR: return "ENOTDIR"
    case EISDIR: return "EISDIR"
    case EINVAL: return "EINVAL"
    case ENOSPC: return "ENOSPC"
    case EROFS: return "EROFS"
    case ENOSYS: return "ENOSYS"
    case ELOOP: return "ELOOP"
    case ENAMETOOLONG: return "ENAMETOOLONG"
    case ETXTBSY: return "ETXTBSY"
    case EOPNOTSUPP: return "EOPNOTSUPP"
    default: return "errno \(rawValue)"
    }
  }

  /// The C library's text for this error.
  public var message: String { String(cString: strerror(rawValue)) }

  public var description: String { "\(name) (\(message))" }
}

/// Runs `body` again while it fails with EINTR; the one place interrupted calls are retried.
@inline(__always)
func retryingOnInterrupt<T: BinaryInteger>(_ body: () -> T) -> Result<T, Errno> {
  while true {
    let result = body()
    if result >= 0 { return .success(result) }
    let error = Errno.current
    if error != .interrupted { return .failure(error) }
  }
}
