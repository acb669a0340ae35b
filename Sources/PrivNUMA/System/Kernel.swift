import CPrivNUMA
import Glibc

/// The system calls privnuma makes, behind one protocol so the planner and launcher can be
/// tested without a kernel.
public protocol Kernel {
  func setMemoryPolicy(_ policy: MemoryPolicy) -> Result<Void, Errno>
  func memoryPolicy() -> Result<MemoryPolicy, Errno>
  /// The node the next interleaved allocation goes to (get_mempolicy with MPOL_F_NODE).
  func nextInterleaveNode() -> Result<Int, Errno>
  /// The cpuset's memory nodes as the kernel sees them (MPOL_F_MEMS_ALLOWED).
  func allowedMemoryNodes() -> Result<NodeSet, Errno>
  func setAffinity(_ cpus: CPUSet) -> Result<Void, Errno>
  func affinity() -> Result<CPUSet, Errno>
  /// Replaces the process image; returns only on failure.
  func execute(_ arguments: [String]) -> Errno
  func migratePages(pid: Int32, from: NodeSet, to: NodeSet) -> Result<Int, Errno>
  /// `uname -r`.
  var release: String { get }
}

/// The real kernel, through the C shim.
public struct SystemKernel: Kernel {
  public init() {}

  /// Bits the kernel's nodemask argument covers; generous so node ids up to 4095 fit.
  static let maskBits = 4096

  static func words(_ set: IDSet, bits: Int = maskBits) -> [UInt] {
    var words = [UInt](repeating: 0, count: bits / UInt.bitWidth)
    for id in set where id < bits { words[id / UInt.bitWidth] |= 1 << UInt(id % UInt.bitWidth) }
    return words
  }

  static func set(_ words: [UInt]) -> IDSet {
    var set = IDSet()
    for (index, word) in words.enumerated() where word != 0 {
      for bit in 0..<UInt.bitWidth where word & (1 << UInt(bit)) != 0 {
        set.insert(index * UInt.bitWidth + bit)
      }
    }
    return set
  }

  public func setMemoryPolicy(_ policy: MemoryPolicy) -> Result<Void, Errno> {
    let mode = policy.mode.rawValue | policy.flags.rawValue
    if !policy.mode.takesNodes {
      return retryingOnInterrupt { CPrivNUMA_set_mempolicy(mode, nil, 0) }.map { _ in () }
    }
    let words = Self.words(policy.nodes)
    return words.withUnsafeBufferPointer { buffer in
      retryingOnInterrupt {
        CPrivNUMA_set_mempolicy(mode, buffer.baseAddress, UInt(Self.maskBits + 1))
      }
    }.map { _ in () }
  }

  public func memoryPolicy() -> Result<MemoryPolicy, Errno> {
    var words = [UInt](repeating: 0, count: Self.maskBits / UInt.bitWidth)
    var mode: Int32 = 0
    let result = words.withUnsafeMutableBufferPointer { buffer in
      retryingOnInterrupt {
        CPrivNUMA_get_mempolicy(&mode, buffer.baseAddress, UInt(Self.maskBits + 1), nil, 0)
      }
    }
    return result.map { _ in
      let flags = PolicyFlags(rawValue: mode & PolicyFlags.all.rawValue)
      let base = PolicyMode(rawValue: mode & ~PolicyFlags.all.rawValue) ?? .default
      return MemoryPolicy(mode: base, flags: flags, nodes: Self.set(words))
    }
  }

  /// Nodes the cpuset lets this process allocate on, as the kernel sees them.
  public func allowedMemoryNodes() -> Result<NodeSet, Errno> {
    var words = [UInt](repeating: 0, count: Self.maskBits / UInt.bitWidth)
    let result = words.withUnsafeMutableBufferPointer { buffer in
      retryingOnInterrupt {
        CPrivNUMA_get_mempolicy(
          nil, buffer.baseAddress, UInt(Self.maskBits + 1), nil, UInt(CPrivNUMA_MPOL_F_MEMS_ALLOWED))
      }
    }
    return result.map { _ in Self.set(words) }
  }

  public func nextInterleaveNode() -> Result<Int, Errno> {
    var node: Int32 = 0
    return retryingOnInterrupt { CPrivNUMA_get_mempolicy(&node, nil, 0, nil, 1) }.map { _ in Int(node) }
  }

  public func setAffinity(_ cpus: CPUSet) -> Result<Void, Errno> {
    let words = Self.words(cpus, bits: 8192)
    return words.withUnsafeBufferPointer { buffer in
      retryingOnInterrupt { CPrivNUMA_sched_setaffinity(0, buffer.count * MemoryLayout<UInt>.size, buffer.baseAddress) }
    }.map { _ in () }
  }

  public func affinity() -> Result<CPUSet, Errno> {
    var words = [UInt](repeating: 0, count: 8192 / UInt.bitWidth)
    let result = words.withUnsafeMutableBufferPointer { buffer in
      retryingOnInterrupt {
        CPrivNUMA_sched_getaffinity(0, buffer.count * MemoryLayout<UInt>.size, buffer.baseAddress)
      }
    }
    return result.map { _ in Self.set(words) }
  }

  public func execute(_ arguments: [String]) -> Errno {
    // A raw argv buffer: an Array of optional pointers would cost a metadata look-up.
    let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
    for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
    argv[arguments.count] = nil
    _ = CPrivNUMA_execvp(argv[0]!, argv)
    let error = Errno.current
    for index in 0..<arguments.count { free(argv[index]) }
    argv.deallocate()
    return error
  }

  /// execvp of argv's words from `argv` on, as the kernel handed them to privnuma: the quick
  /// launch makes no String of them. Returns only on failure; the full path then reports it.
  public static func execute(argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) {
    _ = CPrivNUMA_execvp(argv[0]!, argv)
  }

  public func migratePages(pid: Int32, from: NodeSet, to: NodeSet) -> Result<Int, Errno> {
    let old = Self.words(from)
    let new = Self.words(to)
    return old.withUnsafeBufferPointer { oldBuffer in
      new.withUnsafeBufferPointer { newBuffer in
        retryingOnInterrupt {
          CPrivNUMA_migrate_pages(pid, UInt(Self.maskBits + 1), oldBuffer.baseAddress, newBuffer.baseAddress)
        }
      }
    }.map { Int($0) }
  }

  public var release: String {
    var name = utsname()
    uname(&name)
    return withUnsafePointer(to: name.release) {
      $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) }
    }
  }
}
