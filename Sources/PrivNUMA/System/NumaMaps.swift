import Glibc

/// The memory policy a `numa_maps` line shows for its mapping: the mapping's own policy, or
/// the process's when the mapping has none. Kernel spellings: `default`, `local`, `bind:2`,
/// `prefer:3`, `prefer (many):2-3`, `interleave:0-3`, `weighted interleave:0-3`, with mode
/// flags after `=` (`bind=static:2`, `bind=static|balancing:0-1`).
public struct MappingPolicy: Sendable, Equatable, CustomStringConvertible {
  /// nil when this kernel printed a mode privnuma does not know; `text` still has it.
  public var mode: PolicyMode?
  public var flags: PolicyFlags
  public var nodes: NodeSet
  /// The policy exactly as the kernel printed it.
  public var text: String

  public init(mode: PolicyMode?, flags: PolicyFlags = [], nodes: NodeSet = NodeSet(), text: String) {
    self.mode = mode
    self.flags = flags
    self.nodes = nodes
    self.text = text
  }

  public static let `default` = MappingPolicy(mode: .default, text: "default")

  /// Whether the policy names `node`: the sign that a process chose to allocate there.
  public func names(_ node: Int) -> Bool { nodes.contains(node) }

  public var description: String { text }

  /// Parses the policy's bytes; never fails, since an unknown mode must not hide the counts.
  init(bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
    if end - start == 7, NumaMaps.matches(bytes, start, end, "default") {
      self = .default
      return
    }
    text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    // The node list follows the last ':'; mode flags follow the first '='.
    var colon = end
    var index = start
    while index < end {
      if bytes[index] == 0x3A { colon = index }
      index += 1
    }
    var modeEnd = colon
    index = start
    while index < colon {
      if bytes[index] == 0x3D {
        modeEnd = index
        break
      }
      index += 1
    }
    mode = MappingPolicy.mode(bytes, start, modeEnd)
    flags = []
    if modeEnd < colon {
      let flagText = String(decoding: UnsafeBufferPointer(rebasing: bytes[(modeEnd + 1)..<colon]), as: UTF8.self)
      for word in flagText.split(separator: "|") {
        switch word {
        case "static": flags.insert(.staticNodes)
        case "relative": flags.insert(.relativeNodes)
        case "balancing": flags.insert(.numaBalancing)
        default: break
        }
      }
    }
    nodes = NodeSet()
    if colon < end {
      nodes = NodeSet(kernelList: Array(bytes[(colon + 1)..<end])[...]) ?? NodeSet()
    }
  }

  static func mode(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> PolicyMode? {
    let spellings: [(StaticString, PolicyMode)] = [
      ("default", .default), ("bind", .bind), ("prefer", .preferred), ("preferred", .preferred),
      ("interleave", .interleave), ("local", .local), ("prefer (many)", .preferredMany),
      ("weighted interleave", .weightedInterleave),
    ]
    for (word, mode) in spellings where NumaMaps.matches(bytes, start, end, word) {
      return mode
    }
    return nil
  }
}

/// One line of `/proc/PID/numa_maps`: a mapping and where its pages are.
public struct NumaMapping: Sendable, Equatable {
  public enum Kind: String, Sendable {
    /// An anonymous mapping without a name.
    case anonymous
    case heap
    case stack
    /// `file=`: page cache or shared memory (tmpfs, SysV, memfd, /dev/zero shared).
    case file
  }

  /// Pages of the mapping on one node, in units of `pageSize`.
  public struct NodePages: Sendable, Equatable {
    public var node: Int
    public var pages: UInt64
    public init(node: Int, pages: UInt64) {
      self.node = node
      self.pages = pages
    }
  }

  public var address: UInt64
  public var policy: MappingPolicy
  public var kind: Kind
  /// A hugetlbfs mapping (`huge`); its counts are huge pages.
  public var huge: Bool
  /// `anon=`: pages that belong to this process alone (including copy-on-write pages of files).
  public var anon: UInt64
  /// `kernelpagesize_kB=` in bytes: the unit of every count on the line.
  public var pageSize: UInt64
  public var nodes: [NodePages]

  /// Sum of the `N<k>=` counts, in units of `pageSize`.
  public var pages: UInt64 { nodes.reduce(0) { $0 + $1.pages } }

  public func pages(on node: Int) -> UInt64 { nodes.first { $0.node == node }?.pages ?? 0 }

  /// The anonymous share of the pages on each node. numa_maps gives the anon= total but not its
  /// nodes; a mapping that is all one kind splits exactly, a file mapping with some
  /// copy-on-write pages splits them in proportion to its counts.
  public func anonPages(on node: Int) -> UInt64 {
    let onNode = pages(on: node)
    if kind != .file { return onNode }
    let total = pages
    if anon == 0 || total == 0 { return 0 }
    if anon >= total { return onNode }
    // Proportional share; the rounding remainder goes to the nodes listed first.
    var shares: [UInt64] = nodes.map { $0.pages * anon / total }
    var left = anon - shares.reduce(0, +)
    var index = 0
    while left > 0 && index < shares.count {
      if shares[index] < nodes[index].pages {
        shares[index] += 1
        left -= 1
      }
      index += 1
    }
    return nodes.firstIndex { $0.node == node }.map { shares[$0] } ?? 0
  }
}

/// Reads `/proc/PID/numa_maps`. Byte-level and allocation-light: `audit` parses every
/// process on the machine, so this is the inner loop of a whole-machine scan.
public enum NumaMaps {
  public static func parse(_ text: String) -> [NumaMapping] { parse(Array(text.utf8)) }

  public static func parse(_ bytes: [UInt8]) -> [NumaMapping] {
    bytes.withUnsafeBufferPointer { parse($0) }
  }

  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [NumaMapping] {
    var mappings: [NumaMapping] = []
    var start = 0
    let count = bytes.count
    while start < count {
      var end = start
      while end < count, bytes[end] != 0x0A { end += 1 }
      if let mapping = line(bytes, start, end) { mappings.append(mapping) }
      start = end + 1
    }
    return mappings
  }

  /// Whether any `N<node>=<pages>` field names a node marked in `wanted` (indexed by node id)
  /// with pages > 0. One pass, no allocation: `audit` uses it to skip, unparsed, the many
  /// processes with no page on a private node.
  public static func hasPages(_ bytes: UnsafeBufferPointer<UInt8>, onAnyOf wanted: [Bool]) -> Bool {
    guard let base = bytes.baseAddress else { return false }
    let count = bytes.count
    var index = 1
    while index < count {
      // A field starts after a space: " N<digits>=<digits>". memchr finds each N, skipping
      // addresses, policies and file names many bytes at a time.
      guard let found = memchr(base + index, 0x4E, count - index) else { return false }
      index = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
      if bytes[index - 1] == 0x20 {
        var cursor = index + 1
        var node = 0
        var digits = 0
        while cursor < count, isDigit(bytes[cursor]), digits < 9 {
          node = node * 10 + Int(bytes[cursor] - 0x30)
          digits += 1
          cursor += 1
        }
        if digits > 0, cursor < count, bytes[cursor] == 0x3D {
          cursor += 1
          if node < wanted.count, wanted[node], cursor < count, isDigit(bytes[cursor]) {
            // Any non-zero digit means pages.
            while cursor < count, isDigit(bytes[cursor]) {
              if bytes[cursor] != 0x30 { return true }
              cursor += 1
            }
          }
        }
        index = cursor
        continue
      }
      index += 1
    }
    return false
  }

  /// One line; nil for lines that are not a mapping (blank or malformed address).
  static func line(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> NumaMapping? {
    var index = start
    var address: UInt64 = 0
    var digits = 0
    while index < end, let value = hexValue(bytes[index]) {
      address = address << 4 | UInt64(value)
      digits += 1
      index += 1
    }
    guard digits > 0, index < end, bytes[index] == 0x20 else { return nil }
    index += 1
    // The policy runs up to the first known field: it may itself hold a space ("prefer (many)").
    let policyStart = index
    var policyEnd = end
    var token = index
    while token < end {
      var tokenEnd = token
      while tokenEnd < end, bytes[tokenEnd] != 0x20 { tokenEnd += 1 }
      if token > policyStart, isField(bytes, token, tokenEnd) {
        policyEnd = token - 1
        break
      }
      token = tokenEnd + 1
    }
    if policyEnd > end { policyEnd = end }
    var mapping = NumaMapping(
      address: address, policy: MappingPolicy(bytes: bytes, from: policyStart, to: policyEnd),
      kind: .anonymous, huge: false, anon: 0, pageSize: 4096, nodes: [])
    token = policyEnd + 1
    while token < end {
      var tokenEnd = token
      while tokenEnd < end, bytes[tokenEnd] != 0x20 { tokenEnd += 1 }
      field(bytes, token, tokenEnd, into: &mapping)
      token = tokenEnd + 1
    }
    return mapping
  }

  static func field(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into mapping: inout NumaMapping) {
    let first = bytes[start]
    if first == 0x4E, start + 1 < end, isDigit(bytes[start + 1]) {  // N<node>=<pages>
      var index = start + 1
      var node = 0
      while index < end, isDigit(bytes[index]) {
        node = node &* 10 &+ Int(bytes[index] - 0x30)
        index += 1
      }
      guard index < end, bytes[index] == 0x3D, let pages = number(bytes, index + 1, end) else { return }
      mapping.nodes.append(.init(node: node, pages: pages))
    } else if matchesPrefix(bytes, start, end, "file=") {
      mapping.kind = .file
    } else if matchesPrefix(bytes, start, end, "anon=") {
      mapping.anon = number(bytes, start + 5, end) ?? 0
    } else if matchesPrefix(bytes, start, end, "kernelpagesize_kB=") {
      mapping.pageSize = (number(bytes, start + 18, end) ?? 4) * 1024
    } else if matches(bytes, start, end, "huge") {
      mapping.huge = true
    } else if matches(bytes, start, end, "heap") {
      mapping.kind = .heap
    } else if matchesPrefix(bytes, start, end, "stack") {  // "stack", or "stack:TID" on old kernels
      mapping.kind = .stack
    }
  }

  /// Words that start the fields after the policy.
  static let fieldPrefixes: [StaticString] = [
    "file=", "anon=", "dirty=", "active=", "mapped=", "mapmax=", "swapcache=", "writeback=",
    "kernelpagesize_kB=",
  ]

  static func isField(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
    let first = bytes[start]
    if first == 0x4E, start + 1 < end, isDigit(bytes[start + 1]) {
      var index = start + 1
      while index < end, isDigit(bytes[index]) { index += 1 }
      return index < end && bytes[index] == 0x3D
    }
    if matches(bytes, start, end, "heap") || matches(bytes, start, end, "huge")
      || matchesPrefix(bytes, start, end, "stack")
    {
      return true
    }
    for prefix in fieldPrefixes where matchesPrefix(bytes, start, end, prefix) { return true }
    return false
  }

  @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

  @inline(__always) static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: return byte - 0x30
    case 0x61...0x66: return byte - 0x61 + 10
    case 0x41...0x46: return byte - 0x41 + 10
    default: return nil
    }
  }

  static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64? {
    guard start < end else { return nil }
    var value: UInt64 = 0
    var index = start
    while index < end {
      guard isDigit(bytes[index]) else { return nil }
      value = value &* 10 &+ UInt64(bytes[index] - 0x30)
      index += 1
    }
    return value
  }

  /// StaticString words: their bytes are compared in place, without String's UTF-8 view.
  static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ word: StaticString) -> Bool {
    end - start == word.utf8CodeUnitCount && matchesPrefix(bytes, start, end, word)
  }

  static func matchesPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ word: StaticString) -> Bool {
    let length = word.utf8CodeUnitCount
    guard end - start >= length else { return false }
    let text = word.utf8Start
    for offset in 0..<length where bytes[start + offset] != text[offset] { return false }
    return true
  }
}

/// Memory of one process on one node, in bytes, split the way `stat` reports it.
public struct NodeMemory: Sendable, Equatable {
  /// Anonymous pages: heap, stack, anonymous mappings, copy-on-write pages of files.
  public var anon: UInt64 = 0
  /// Page cache and shared memory mapped by the process.
  public var file: UInt64 = 0
  /// The part of anon and file in hugetlbfs pages.
  public var huge: UInt64 = 0

  public init(anon: UInt64 = 0, file: UInt64 = 0, huge: UInt64 = 0) {
    self.anon = anon
    self.file = file
    self.huge = huge
  }

  public var total: UInt64 { anon + file }

  static func + (lhs: NodeMemory, rhs: NodeMemory) -> NodeMemory {
    NodeMemory(anon: lhs.anon + rhs.anon, file: lhs.file + rhs.file, huge: lhs.huge + rhs.huge)
  }
}

/// A process's memory per node, summed over its mappings.
public struct MemoryUsage: Sendable, Equatable {
  /// Bytes per node, only nodes with pages, in node order.
  public var nodes: [(node: Int, memory: NodeMemory)]

  public static func == (lhs: MemoryUsage, rhs: MemoryUsage) -> Bool {
    lhs.nodes.count == rhs.nodes.count
      && zip(lhs.nodes, rhs.nodes).allSatisfy { $0.node == $1.node && $0.memory == $1.memory }
  }

  public init(nodes: [(node: Int, memory: NodeMemory)] = []) { self.nodes = nodes }

  public init(_ mappings: [NumaMapping]) {
    var byNode: [Int: NodeMemory] = [:]
    for mapping in mappings {
      for entry in mapping.nodes where entry.pages > 0 {
        // A node named twice on one line (the kernel never does) must not underflow.
        let anon = min(mapping.anonPages(on: entry.node), entry.pages)
        var memory = NodeMemory(anon: anon * mapping.pageSize, file: (entry.pages - anon) * mapping.pageSize)
        if mapping.huge { memory.huge = entry.pages * mapping.pageSize }
        byNode[entry.node, default: NodeMemory()] = byNode[entry.node, default: NodeMemory()] + memory
      }
    }
    nodes = byNode.keys.sorted().map { ($0, byNode[$0]!) }
  }

  public func memory(on node: Int) -> NodeMemory { nodes.first { $0.node == node }?.memory ?? NodeMemory() }

  public var total: NodeMemory { nodes.reduce(NodeMemory()) { $0 + $1.memory } }

  /// Nodes holding any page.
  public var nodeSet: NodeSet { NodeSet(nodes.map(\.node)) }

  /// The system's base page size: the unit `stat` and `migrate` count pages in.
  public static let basePageSize: UInt64 = UInt64(sysconf(Int32(_SC_PAGESIZE)))
}
