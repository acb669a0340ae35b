/// numactl's shared-memory half (`--shm`, `--shmid`, `--file` with `--length`, `--offset`,
/// `--shmmode`, `--huge`, `--strict`, `--touch`, `--dump`, `--dump-nodes`): the policy is set
/// with mbind on a System V segment or a file in tmpfs or hugetlbfs, not on a command.
public struct SharedRequest: Equatable, Sendable {
  public enum Target: Equatable, Sendable {
    /// `--shm KEYFILE`: the segment whose key ftok(3) makes of the file and `projectID`.
    case segment(keyFile: String)
    /// `--file PATH`: a file mapped shared.
    case file(String)
  }

  /// What is done after attaching, in the order the options were given, as numactl does.
  public enum Step: Equatable, Sendable {
    case policy, touch, dump, dumpNodes
  }

  public var target: Target
  /// Bytes the policy covers; 0 means the whole segment or file past the offset.
  public var length: UInt64 = 0
  public var offset: UInt64 = 0
  /// Permission bits for a key file, segment or file that is created.
  public var mode: UInt32 = 0o600
  /// `--shmid`: the project id given to ftok(3).
  public var projectID: Int32 = 0
  /// `--huge`: create the segment with SHM_HUGETLB.
  public var huge = false
  /// `--strict`: MPOL_MF_STRICT, fail when pages already sit outside the policy.
  public var strict = false
  public var steps: [Step] = []

  public init(target: Target) { self.target = target }

  /// The option that named the target, for messages.
  public var option: String {
    switch target {
    case .segment(let file): return "--shm \(file)"
    case .file(let path): return "--file \(path)"
    }
  }

  /// A size as numactl reads `--length` and `--offset`: a number (decimal, 0x hex or 0 octal)
  /// with an optional K, M or G suffix (powers of 1024, either case).
  public static func size(_ text: String) -> UInt64? {
    var digits = Substring(text)
    var scale: UInt64 = 1
    switch digits.last {
    case "k", "K": scale = 1 << 10
    case "m", "M": scale = 1 << 20
    case "g", "G": scale = 1 << 30
    case "t", "T": scale = 1 << 40
    default: break
    }
    if scale > 1 { digits = digits.dropLast() }
    let value: UInt64?
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
      value = UInt64(digits.dropFirst(2), radix: 16)
    } else if digits.count > 1 && digits.hasPrefix("0") {
      value = UInt64(digits.dropFirst(), radix: 8)
    } else {
      value = UInt64(digits)
    }
    guard let value, !digits.isEmpty else { return nil }
    let (product, overflow) = value.multipliedReportingOverflow(by: scale)
    return overflow ? nil : product
  }
}
