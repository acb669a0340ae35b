import Glibc

/// What the quick launch (CLI's QuickLaunch) decides on, read with fixed-size buffers and
/// C strings only. Anything unusual is recorded rather than understood: the quick launch
/// then leaves the command line to the full path, which knows what to do with it. A plain
/// value, so tests hand the decision fixture machines.
public struct LaunchFacts: Sendable {
  /// A root override (PRIVNUMA_SYSFS and the others Environment honours) is set.
  public var overridden = false
  /// The registry directory is there and not empty, or cannot be looked at; false when it
  /// was not looked at.
  public var registryInUse = false
  /// The kernel has node-state files of the private-node proposal (NodeStateFiles.names).
  public var privateNodeState = false
  /// `online`, `has_memory` and the cpuset's mems were read, none with a node past 63.
  public var complete = false
  public var online = NodeMask()
  public var withMemory = NodeMask()
  public var memsAllowed = NodeMask()

  public init() {}

  /// The facts of this process, with sysfs's node directory and the registry at these paths
  /// (C strings: a Swift String would be copied into an array for each call); stops reading
  /// at the first fact that rules the quick launch out. The registry is only looked into
  /// when given: the quick launch reads it whole (RegistryIndex) under privilege or when
  /// its directory was named.
  public static func read(
    nodeDirectory: UnsafePointer<CChar>, registry: UnsafePointer<CChar>?
  ) -> LaunchFacts {
    var facts = LaunchFacts()
    facts.overridden = overridden(in: environ)
    if facts.overridden { return facts }
    if let registry { facts.registryInUse = !isAbsentOrEmpty(registry) }
    let directory = open(nodeDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else { return facts }
    defer { close(directory) }
    facts.privateNodeState = hasPrivateNodeState(directory)
    if facts.privateNodeState { return facts }
    facts.complete =
      NodeMask.read("online", in: directory, into: &facts.online)
      && NodeMask.read("has_memory", in: directory, into: &facts.withMemory)
      && NodeMask.allowedMemoryNodes(into: &facts.memsAllowed)
    return facts
  }

  /// Whether the environment block sets one of Environment's overrideVariables, empty or not.
  public static func overridden(in environment: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Bool
  {
    var index = 0
    while let entry = environment[index] {
      index += 1
      if strncmp(entry, "PRIVNUMA_", 9) != 0 { continue }
      let name = entry + 9
      if strncmp(name, "SYSFS=", 6) == 0 || strncmp(name, "PROC=", 5) == 0
        || strncmp(name, "CGROUP=", 7) == 0
        || strncmp(name, "REGISTRY=", 9) == 0
      {
        return true
      }
    }
    return false
  }

  /// `node<N>/meminfo` in the node directory, read whole into the stack and handed to
  /// `body`; nil when it cannot be read or does not fit (it is about 1.3 KB).
  public static func withMeminfo(
    of node: Int, in nodeDirectory: UnsafePointer<CChar>, _ body: (UnsafeBufferPointer<UInt8>) -> UInt64?
  ) -> UInt64? {
    guard node >= 0 && node < 10_000,
      case .success(let directory) = FileDescriptor.open(nodeDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    else { return nil }
    defer { directory.close() }
    // "node<N>/meminfo" and a NUL, in 32 bytes.
    var name: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    let opened = withUnsafeMutableBytes(of: &name) { name in
      var at = 0
      func put(_ text: StaticString) {
        for byte in UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) {
          name[at] = byte
          at += 1
        }
      }
      put("node")
      var power = 1
      while power * 10 <= node { power *= 10 }
      while power > 0 {
        name[at] = UInt8(ascii: "0") + UInt8(node / power % 10)
        at += 1
        power /= 10
      }
      put("/meminfo")
      return directory.open(name.baseAddress!.assumingMemoryBound(to: CChar.self), O_RDONLY | O_CLOEXEC)
    }
    guard case .success(let file) = opened else { return nil }
    defer { file.close() }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8192) { buffer in
      var count = 0
      while count < buffer.count {
        switch file.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[count...]))) {
        case .failure: return nil
        case .success(0): return body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        case .success(let read): count += read
        }
      }
      return nil
    }
  }

  /// Any of NodeStateFiles.names present in the node directory, readable or not.
  static func hasPrivateNodeState(_ directory: Int32) -> Bool {
    faccessat(directory, "has_private_memory", F_OK, 0) == 0
      || faccessat(directory, "has_fallback_memory", F_OK, 0) == 0
      || faccessat(directory, "has_public_memory", F_OK, 0) == 0
      || faccessat(directory, "has_common_memory", F_OK, 0) == 0
      || faccessat(directory, "has_user_memory", F_OK, 0) == 0
  }

  /// No such path, or a directory with no entries: the full path reads no declaration then.
  static func isAbsentOrEmpty(_ path: UnsafePointer<CChar>) -> Bool {
    let directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else { return errno == ENOENT }
    guard let stream = fdopendir(directory) else {
      close(directory)
      return false
    }
    defer { closedir(stream) }
    errno = 0
    while let entry = readdir(stream) {
      let dot = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) {
          strcmp($0, ".") == 0 || strcmp($0, "..") == 0
        }
      }
      if !dot { return false }
    }
    return errno == 0
  }
}
