/// A JSON value, written by hand so queries need no Foundation.
///
/// Not `indirect`: arrays and objects already hold their members out of line, and a boxed
/// case would cost an allocation per value (a 1,024-node distance table has a million).
public enum JSON: Equatable, Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case uint(UInt64)
  case string(String)
  case array([JSON])
  /// Keys keep their order so output is stable and reads like the documentation.
  case object([(String, JSON)])
  /// An object from numbers to numbers, `{"0": 10, "1": 21}`, as two arrays of equal length:
  /// a distance table of 1,024 nodes is a million members, too many to key one by one. The
  /// values are distances, which fit 16 bits (`Topology.distanceRow`).
  case numberMap(keys: [Int], values: [UInt16])

  public static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.rendered() == rhs.rendered() }

  public static func nodes(_ set: IDSet) -> JSON { .array(set.map { .int($0) }) }

  /// A user as every document names one, `"user": "alice", "uid": 1001` (null when unknown);
  /// a group likewise with `group` and `gid`.
  static func members(_ named: NamedID) -> [(String, JSON)] {
    [(named.noun, named.name.map { .string($0) } ?? .null), (named.kind.rawValue, named.id.map { .uint(UInt64($0)) } ?? .null)]
  }

  /// A process: `"pid"`, `"command"`, then its user's members.
  static func members(_ process: NamedProcess) -> [(String, JSON)] {
    [("pid", .int(Int(process.pid))), ("command", .string(process.command))] + members(process.user)
  }

  /// Pretty output with two-space indentation, ending without a newline.
  public func rendered(indent: Int = 0, pretty: Bool = true) -> String {
    var all: [UInt8] = []
    let out = JSONOutput { all.append(contentsOf: $0) }
    write(to: out, indent: indent, pretty: pretty)
    out.finish()
    return String(decoding: all, as: UTF8.self)
  }

  /// Pretty output handed to `drain` in pieces of at most 64 KiB, then a newline: a large
  /// document (the distance table of `hardware` runs to tens of megabytes) is never held whole.
  func write(drain: @escaping (UnsafeBufferPointer<UInt8>) -> Void) {
    let out = JSONOutput(drain: drain)
    write(to: out, indent: 0, pretty: true)
    out.append(UInt8(ascii: "\n"))
    out.finish()
  }

  func write(to out: JSONOutput, indent: Int, pretty: Bool) {
    switch self {
    case .null: out.append("null")
    case .bool(let value): out.append(value ? "true" : "false")
    case .int(let value): out.appendDecimal(value)
    case .uint(let value): out.appendDecimal(value)
    case .string(let value): JSON.quote(value, into: out)
    case .array(let items):
      if items.isEmpty {
        out.append("[]")
        return
      }
      // Arrays of plain numbers stay on one line: node and cpu lists read better that way.
      let flat = items.allSatisfy { if case .int = $0 { return true } else { return false } }
      if flat || !pretty {
        out.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
          if index > 0 { out.append(pretty ? ", " : ",") }
          item.write(to: out, indent: indent, pretty: pretty)
        }
        out.append(UInt8(ascii: "]"))
        return
      }
      out.append("[\n")
      for (index, item) in items.enumerated() {
        out.appendSpaces(indent + 2)
        item.write(to: out, indent: indent + 2, pretty: pretty)
        out.append(index == items.count - 1 ? "\n" : ",\n")
      }
      out.appendSpaces(indent)
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      if members.isEmpty {
        out.append("{}")
        return
      }
      out.append(pretty ? "{\n" : "{")
      for (index, (key, value)) in members.enumerated() {
        if pretty { out.appendSpaces(indent + 2) }
        JSON.quote(key, into: out)
        out.append(pretty ? ": " : ":")
        value.write(to: out, indent: indent + 2, pretty: pretty)
        if index < members.count - 1 { out.append(UInt8(ascii: ",")) }
        if pretty { out.append(UInt8(ascii: "\n")) }
      }
      if pretty { out.appendSpaces(indent) }
      out.append(UInt8(ascii: "}"))
    case .numberMap(let keys, let values):
      if keys.isEmpty {
        out.append("{}")
        return
      }
      out.append(pretty ? "{\n" : "{")
      out.appendNumberMembers(keys: keys, values: values, indent: indent + 2, pretty: pretty)
      if pretty { out.appendSpaces(indent) }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// The document with `registry_errors` (file, line, message) added when registry files
  /// have errors; unchanged otherwise, so the schemas stay as they were for a sound registry.
  func adding(registryErrors errors: [Registry.FileError]) -> JSON {
    guard !errors.isEmpty, case .object(var members) = self else { return self }
    members.append((
      "registry_errors",
      .array(errors.map { .object([("file", .string($0.file)), ("line", .int($0.line)), ("message", .string($0.message))]) })
    ))
    return .object(members)
  }

  static func quote(_ text: String, into out: JSONOutput) {
    out.append(UInt8(ascii: "\""))
    // Most keys and values are plain ASCII with nothing to escape: copy them whole.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
      out.append(text)
      out.append(UInt8(ascii: "\""))
      return
    }
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out.append("\\\"")
      case "\\": out.append("\\\\")
      case "\n": out.append("\\n")
      case "\r": out.append("\\r")
      case "\t": out.append("\\t")
      default:
        // C0, DEL and C1 controls: a JSON document piped to a terminal must not carry them raw.
        if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F) {
          let hex = String(scalar.value, radix: 16)
          out.append("\\u")
          out.append(String(repeating: "0", count: 4 - hex.count) + hex)
        } else {
          UTF8.encode(scalar) { out.append($0) }
        }
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}

/// The bytes of a document being written: a buffer of 64 KiB handed on to `drain` whenever
/// the next piece would not fit, and at the end.
final class JSONOutput {
  private static let capacity = 1 << 16
  /// The piece a number map's key text is copied in (`appendNumberMembers`).
  private static let chunk = 16
  private let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: JSONOutput.capacity)
  private var count = 0
  private let drain: (UnsafeBufferPointer<UInt8>) -> Void
  /// The keys of the last number map and the text of its members with `00` for each value
  /// (`appendNumberMembers`); where each key's text ends, which is where its value goes.
  private var memberKeys: [Int] = []
  private var memberIndent = 0
  private var memberPretty = true
  private var memberText: [UInt8] = []
  private var memberEnds: [Int] = []

  init(drain: @escaping (UnsafeBufferPointer<UInt8>) -> Void) {
    self.drain = drain
  }

  deinit { buffer.deallocate() }

  /// Hands on what has gathered.
  func finish() {
    if count > 0 { drain(UnsafeBufferPointer(start: buffer, count: count)) }
    count = 0
  }

  /// Room for `needed` more bytes (at most `capacity`), draining first when there is not.
  @inline(__always) private func reserve(_ needed: Int) {
    if count + needed > JSONOutput.capacity { finish() }
  }

  func append(_ byte: UInt8) {
    reserve(1)
    buffer[count] = byte
    count += 1
  }

  func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    var from = 0
    while from < bytes.count {
      reserve(1)
      let chunk = Swift.min(bytes.count - from, JSONOutput.capacity - count)
      (buffer + count).update(from: bytes.baseAddress! + from, count: chunk)
      count += chunk
      from += chunk
    }
  }

  func append(_ text: StaticString) {
    text.withUTF8Buffer { append($0) }
  }

  func append(_ text: String) {
    var text = text
    text.withUTF8 { append($0) }
  }

  func appendSpaces(_ spaces: Int) {
    var left = spaces
    while left > 0 {
      reserve(1)
      let chunk = Swift.min(left, JSONOutput.capacity - count)
      (buffer + count).update(repeating: UInt8(ascii: " "), count: chunk)
      count += chunk
      left -= chunk
    }
  }

  /// Decimal digits, written in place without an intermediate String.
  func appendDecimal(_ value: Int) {
    reserve(20)
    count = JSONOutput.decimal(value, into: buffer, at: count)
  }

  func appendDecimal(_ value: UInt64) {
    if let small = Int(exactly: value) { return appendDecimal(small) }
    append(String(value))
  }

  /// The members of a number map, `"12": 30,` each with its indentation and newline. The
  /// keys of one map are mostly the keys of the last (each row of a distance table has the
  /// same), so the members' text is made once, `"0": 00,\n      "1": 00`, with each key's
  /// text carrying the comma and newline that end the member before it. A map whose values
  /// all have two digits, as distances do (10 local, up to 99 remote), is that text copied
  /// whole with the digits written in; any other is written member by member.
  func appendNumberMembers(keys: [Int], values: [UInt16], indent: Int, pretty: Bool) {
    if keys != memberKeys || indent != memberIndent || pretty != memberPretty {
      memberKeys = keys
      memberIndent = indent
      memberPretty = pretty
      memberText = []
      memberEnds = []
      for (index, key) in keys.enumerated() {
        if index > 0 { memberText.append(contentsOf: (pretty ? "00,\n" : "00,").utf8) }
        if pretty { memberText.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent)) }
        memberText.append(contentsOf: "\"\(key)\":".utf8)
        if pretty { memberText.append(UInt8(ascii: " ")) }
        memberEnds.append(memberText.count)
      }
      memberText.append(contentsOf: "00".utf8)
      // Room for the last key's text to be copied in whole chunks (below).
      memberText.append(contentsOf: repeatElement(0, count: JSONOutput.chunk))
    }
    let length = memberEnds[keys.count - 1] + 2
    if length <= JSONOutput.capacity, values.allSatisfy({ $0 &- 10 < 90 }) {
      reserve(length)
      let row = buffer + count
      memberText.withUnsafeBufferPointer { text in
        memberEnds.withUnsafeBufferPointer { ends in
          values.withUnsafeBufferPointer { values in
            row.update(from: text.baseAddress!, count: length)
            for index in 0..<ends.count {
              let value = UInt8(truncatingIfNeeded: values[index])
              row[ends[index]] = UInt8(ascii: "0") &+ value / 10
              row[ends[index] + 1] = UInt8(ascii: "0") &+ value % 10
            }
          }
        }
      }
      count += length
    } else {
      appendMembersOneByOne(values)
    }
    if pretty { append(UInt8(ascii: "\n")) }
  }

  /// The members of the last number map (`appendNumberMembers`) with values of any length,
  /// each with one check for room.
  private func appendMembersOneByOne(_ values: [UInt16]) {
    let buffer = self.buffer
    let capacity = JSONOutput.capacity
    // The write position is kept here and handed back to `count` only around a drain.
    var position = count
    memberText.withUnsafeBufferPointer { text in
      memberEnds.withUnsafeBufferPointer { ends in
        values.withUnsafeBufferPointer { values in
          var start = 0
          for index in 0..<ends.count {
            let end = ends[index]
            let length = end - start
            // The key's text in chunks of 16 bytes: the last may carry bytes past it, which
            // the value written next covers or the next member does; then at most 5 digits.
            if position + length + JSONOutput.chunk + 5 > capacity {
              count = position
              append(UnsafeBufferPointer(rebasing: text[start..<end]))
              reserve(5)
              position = count
            } else {
              var copied = 0
              repeat {
                UnsafeMutableRawPointer(buffer + position + copied).copyMemory(
                  from: text.baseAddress! + start + copied, byteCount: JSONOutput.chunk)
                copied += JSONOutput.chunk
              } while copied < length
              position += length
            }
            position = JSONOutput.decimal(values[index], into: buffer, at: position)
            start = end + 2
          }
        }
      }
    }
    count = position
  }

  /// The digits of a 16-bit value at `start` (distances are mostly two digits); returns
  /// where they end.
  @inline(__always) private static func decimal(_ value: UInt16, into buffer: UnsafeMutablePointer<UInt8>, at start: Int) -> Int {
    if value < 10 {
      buffer[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
      return start + 1
    }
    if value < 100 {
      buffer[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 10)
      buffer[start + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
      return start + 2
    }
    return decimal(Int(value), into: buffer, at: start)
  }

  /// Writes the digits of `value` (at most 20 bytes with the sign) at `start`; returns
  /// where they end.
  @inline(__always) private static func decimal(_ value: Int, into buffer: UnsafeMutablePointer<UInt8>, at start: Int) -> Int {
    var position = start
    if value < 0 {
      buffer[position] = UInt8(ascii: "-")
      position += 1
    }
    var count = 1
    var probe = value.magnitude
    while probe >= 10 {
      probe /= 10
      count += 1
    }
    var rest = value.magnitude
    var index = position + count
    repeat {
      index -= 1
      buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
      rest /= 10
    } while rest != 0
    return position + count
  }
}
