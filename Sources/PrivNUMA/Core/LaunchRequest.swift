/// What a launch asks for, before anything is resolved against the machine.
public struct LaunchRequest: Equatable, Sendable {
  /// What `-s`, `-H`, `--help` and `--version` ask for instead of a launch.
  public enum Query: Sendable { case show, hardware, help, version }

  /// The memory policy and the option that asked for it (for messages).
  public var mode: PolicyMode?
  public var policyOption: String?
  public var nodes: String?
  public var cpuNodes: String?
  public var cpus: String?
  public var balancing = false
  public var staticNodes = false
  public var relativeNodes = false
  public var ignoreCpuset = false
  public var allowUnfenced = false
  public var quiet = false
  public var registry: String?
  /// Set when the options ask for a query (`-s`, `-H`, `--help`, `--version`) rather than a launch.
  public var query: Query?
  /// `--shm`/`--file`: the policy goes on a segment or file with mbind instead of a command.
  public var shared: SharedRequest?
  public var command: [String] = []

  public init() {}
}
