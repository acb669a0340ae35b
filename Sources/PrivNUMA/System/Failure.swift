/// Why privnuma stopped, with the exit status DESIGN §5 gives each kind of failure.
public struct Failure: Error, Equatable, CustomStringConvertible {
  public enum Kind: Int32, Sendable {
    /// The kernel or the system refused.
    case system = 1
    /// The user asked for something malformed or impossible.
    case usage = 2
    /// The private-node rules refused.
    case refused = 3
    case notExecutable = 126
    case notFound = 127
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public static func usage(_ message: String) -> Failure { Failure(.usage, message) }
  public static func system(_ message: String) -> Failure { Failure(.system, message) }
  public static func refused(_ message: String) -> Failure { Failure(.refused, message) }

  public var exitCode: Int32 { kind.rawValue }
  public var description: String { message }
}
