import CPrivNUMA
import Glibc

/// Nodes 0-63 as the bits of one word, and the memory-policy calls made with it: what the
/// quick launch (CLI's QuickLaunch) works with. Fixed size on purpose: NodeSet's storage
/// costs generic metadata look-ups that were half of a plain launch's instructions, and a
/// machine with a node past 63 simply takes the full path.
public struct NodeMask: Equatable, Sendable {
  public var bits: UInt64

  public init(bits: UInt64 = 0) { self.bits = bits }

  /// Whether every node of `other` is in this mask.
  public func contains(_ other: NodeMask) -> Bool { other.bits & ~bits == 0 }

  public var count: Int { bits.nonzeroBitCount }

  /// The same nodes as a NodeSet, for the code that decides with those (Placement).
  public var nodeSet: NodeSet {
    var set = NodeSet()
    for id in 0..<UInt64.bitWidth where bits & 1 << UInt64(id) != 0 { set.insert(id) }
    return set
  }

  /// Adds `low...high`; false (nothing added) when the range runs backwards or past node 63.
  public mutating func insert(_ low: Int, through high: Int) -> Bool {
    guard low >= 0, low <= high, high < UInt64.bitWidth else { return false }
    for id in low...high { bits |= 1 << UInt64(id) }
    return true
  }

  /// The kernel's list format (`0-3,8` and a newline), `count` bytes at `bytes`; also a
  /// command line's plain NODES. Stricter than NodeSet(kernelList:): false for anything but
  /// digits, ranges and commas, for a number with a leading zero and for a node past 63, so a
  /// list the full path would read differently never passes here.
  public static func parse(
    kernelList bytes: UnsafePointer<UInt8>, count: Int, into mask: inout NodeMask
  ) -> Bool {
    var end = count
    if end > 0 && bytes[end - 1] == 0x0A { end -= 1 }
    var index = 0
    var result = NodeMask()
    func number() -> Int {
      var value = 0
      let start = index
      while index < end, index - start < 3, bytes[index] >= 0x30, bytes[index] <= 0x39 {
        value = value * 10 + Int(bytes[index] - 0x30)
        index += 1
      }
      return index > start && (bytes[start] != 0x30 || index - start == 1) ? value : -1
    }
    while index < end {
      let low = number()
      var high = low
      if index < end && bytes[index] == 0x2D {
        index += 1
        high = number()
      }
      guard result.insert(low, through: high) else { return false }
      if index == end { break }
      guard bytes[index] == 0x2C, index + 1 < end else { return false }
      index += 1
    }
    mask = result
    return true
  }

  /// Reads and parses a node list file (`online`, `has_memory`) of the directory open as
  /// `directory`; false when it cannot be read or `parse` refuses it.
  public static func read(
    _ name: UnsafePointer<CChar>, in directory: Int32, into mask: inout NodeMask
  ) -> Bool {
    let file = openat(directory, name, O_RDONLY | O_CLOEXEC)
    guard file >= 0 else { return false }
    defer { close(file) }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
      let count = Glibc.read(file, buffer.baseAddress, buffer.count)
      // A list that fills the buffer may go on: the full path reads it.
      guard count >= 0, count < buffer.count else { return false }
      return parse(kernelList: buffer.baseAddress!, count: count, into: &mask)
    }
  }

  /// The full path's mask size (SystemKernel.maskBits): the same system call arguments.
  static let words = 4096 / UInt64.bitWidth

  /// The cpuset's memory nodes (get_mempolicy with MPOL_F_MEMS_ALLOWED); false when the call
  /// fails or the cpuset allows a node past 63.
  public static func allowedMemoryNodes(into mask: inout NodeMask) -> Bool {
    withUnsafeTemporaryAllocation(of: UInt.self, capacity: words) { buffer in
      buffer.initialize(repeating: 0)
      let flags = UInt(CPrivNUMA_MPOL_F_MEMS_ALLOWED)
      let called = succeeds {
        CPrivNUMA_get_mempolicy(nil, buffer.baseAddress, UInt(words * 64 + 1), nil, flags)
      }
      return called && take(buffer, into: &mask)
    }
  }

  /// set_mempolicy of `mode` over these nodes, with no mode flags; a mode without nodes
  /// (MPOL_LOCAL) gets no mask, as SystemKernel.setMemoryPolicy gives it none.
  public func setMemoryPolicy(_ mode: PolicyMode) -> Bool {
    if !mode.takesNodes {
      return NodeMask.succeeds { CPrivNUMA_set_mempolicy(mode.rawValue, nil, 0) }
    }
    return withUnsafeTemporaryAllocation(of: UInt.self, capacity: NodeMask.words) { buffer in
      buffer.initialize(repeating: 0)
      buffer[0] = UInt(bits)
      return NodeMask.succeeds {
        CPrivNUMA_set_mempolicy(mode.rawValue, buffer.baseAddress, UInt(NodeMask.words * 64 + 1))
      }
    }
  }

  /// This thread's policy (get_mempolicy): its mode number without the mode flags, and its
  /// nodes; false on failure or a node past 63.
  public static func memoryPolicy(mode: inout Int32, nodes: inout NodeMask) -> Bool {
    withUnsafeTemporaryAllocation(of: UInt.self, capacity: words) { buffer in
      buffer.initialize(repeating: 0)
      var raw: Int32 = 0
      let called = succeeds {
        CPrivNUMA_get_mempolicy(&raw, buffer.baseAddress, UInt(words * 64 + 1), nil, 0)
      }
      mode = raw & ~PolicyFlags.all.rawValue
      return called && take(buffer, into: &nodes)
    }
  }

  /// The first word of a kernel mask; false when a later word has a node.
  private static func take(_ buffer: UnsafeMutableBufferPointer<UInt>, into mask: inout NodeMask)
    -> Bool
  {
    for index in 1..<buffer.count where buffer[index] != 0 { return false }
    mask = NodeMask(bits: UInt64(buffer[0]))
    return true
  }

  /// Whether a system call succeeded, retried on EINTR as every call is (retryingOnInterrupt).
  private static func succeeds(_ call: () -> Int) -> Bool {
    if case .success = retryingOnInterrupt(call) { return true }
    return false
  }
}
