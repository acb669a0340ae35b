/// A set of small non-negative ids (NUMA nodes or CPUs), kept as a kernel-style bitmask.
public struct IDSet: Equatable, Hashable, Sendable, Sequence, CustomStringConvertible {
  /// Bit `i` of `words[i / 64]` is set when `i` is a member.
  public private(set) var words: [UInt64]

  public init() { words = [] }

  public init<S: Sequence>(_ ids: S) where S.Element == Int {
    words = []
    for id in ids { insert(id) }
  }

  public init(range: ClosedRange<Int>) {
    self.init(range)
  }

  public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
  public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
  public var first: Int? {
    var iterator = makeIterator()
    return iterator.next()
  }
  public var last: Int? {
    for index in words.indices.reversed() where words[index] != 0 {
      return index * 64 + 63 - words[index].leadingZeroBitCount
    }
    return nil
  }

  public func contains(_ id: Int) -> Bool {
    guard id >= 0 else { return false }
    let word = id >> 6
    return word < words.count && words[word] & (1 << UInt64(id & 63)) != 0
  }

  public mutating func insert(_ id: Int) {
    precondition(id >= 0, "ids are non-negative")
    let word = id >> 6
    if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
    words[word] |= 1 << UInt64(id & 63)
  }

  public mutating func remove(_ id: Int) {
    let word = id >> 6
    guard id >= 0, word < words.count else { return }
    words[word] &= ~(1 << UInt64(id & 63))
  }

  public func union(_ other: IDSet) -> IDSet {
    var result = self
    if other.words.count > result.words.count {
      result.words.append(contentsOf: repeatElement(0, count: other.words.count - result.words.count))
    }
    for (index, word) in other.words.enumerated() { result.words[index] |= word }
    return result
  }

  public func intersection(_ other: IDSet) -> IDSet {
    var result = IDSet()
    let n = Swift.min(words.count, other.words.count)
    result.words = (0..<n).map { words[$0] & other.words[$0] }
    return result
  }

  public func subtracting(_ other: IDSet) -> IDSet {
    var result = self
    for index in 0..<Swift.min(words.count, other.words.count) { result.words[index] &= ~other.words[index] }
    return result
  }

  public func isSubset(of other: IDSet) -> Bool { subtracting(other).isEmpty }

  public static func == (lhs: IDSet, rhs: IDSet) -> Bool {
    let n = Swift.max(lhs.words.count, rhs.words.count)
    for index in 0..<n {
      let l = index < lhs.words.count ? lhs.words[index] : 0
      let r = index < rhs.words.count ? rhs.words[index] : 0
      if l != r { return false }
    }
    return true
  }

  public func hash(into hasher: inout Hasher) {
    var trimmed = words
    while trimmed.last == 0 { trimmed.removeLast() }
    hasher.combine(trimmed)
  }

  public struct Iterator: IteratorProtocol {
    let words: [UInt64]
    var word = 0
    var remaining: UInt64
    init(_ words: [UInt64]) {
      self.words = words
      remaining = words.first ?? 0
    }
    public mutating func next() -> Int? {
      while remaining == 0 {
        word += 1
        guard word < words.count else { return nil }
        remaining = words[word]
      }
      let bit = remaining.trailingZeroBitCount
      remaining &= remaining - 1
      return word * 64 + bit
    }
  }

  public func makeIterator() -> Iterator { Iterator(words) }

  /// The kernel's list format: `0-3,8,10-11`; empty for the empty set.
  public var listDescription: String {
    var text = ""
    var start = -1
    var previous = -2
    func flush() {
      if start < 0 { return }
      if !text.isEmpty { text += "," }
      text += String(start)
      if previous != start { text += "-" + String(previous) }
    }
    for id in self {
      if id == previous + 1 {
        previous = id
        continue
      }
      flush()
      start = id
      previous = id
    }
    flush()
    return text
  }

  public var description: String { listDescription }

  /// Parses the kernel's list format (`0-3,8`), as found in sysfs and /proc; nil when malformed.
  /// Works on bytes: it runs on every launch, and String processing costs start-up time.
  public init?(kernelList bytes: ArraySlice<UInt8>) {
    self.init()
    var index = bytes.startIndex
    var end = bytes.endIndex
    while end > index, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
    while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    if index == end { return }
    func number() -> Int? {
      var value = 0
      let start = index
      while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39, index - start < 9 {
        value = value * 10 + Int(bytes[index] - 0x30)
        index += 1
      }
      return index > start ? value : nil
    }
    while true {
      guard let low = number() else { return nil }
      var high = low
      if index < end, bytes[index] == 0x2D {
        index += 1
        guard let value = number(), value >= low else { return nil }
        high = value
      }
      for id in low...high { insert(id) }
      if index == end { return }
      guard bytes[index] == 0x2C else { return nil }
      index += 1
    }
  }

  public init?(kernelList text: String) { self.init(kernelList: ArraySlice(text.utf8)) }

  public init?(kernelList text: Substring) { self.init(kernelList: ArraySlice(text.utf8)) }
}

/// The NUMA nodes of a mask or a policy.
public typealias NodeSet = IDSet
/// A set of CPU numbers, as in an affinity mask.
public typealias CPUSet = IDSet

extension Substring {
  func trimmingWhitespace() -> Substring {
    var text = self
    while let c = text.first, c == " " || c == "\n" || c == "\t" || c == "\r" { text.removeFirst() }
    while let c = text.last, c == " " || c == "\n" || c == "\t" || c == "\r" { text.removeLast() }
    return text
  }
}

extension String {
  func trimmingWhitespace() -> String { String(self[...].trimmingWhitespace()) }

  /// Whether `text` occurs in this string, byte for byte. The standard library's
  /// `contains(_: String)` lives in _StringProcessing, whose regex engine (over a megabyte)
  /// would come with it into the static binary that every launch maps.
  func includes(_ text: String) -> Bool {
    let haystack = Array(utf8)
    let needle = Array(text.utf8)
    if needle.isEmpty { return true }
    if needle.count > haystack.count { return false }
    return (0...(haystack.count - needle.count)).contains { start in
      haystack[start..<(start + needle.count)].elementsEqual(needle)
    }
  }
}
