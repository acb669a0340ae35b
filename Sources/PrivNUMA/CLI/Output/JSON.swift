/// A JSON value, written by hand so queries need no Foundation.
public indirect enum JSON: Equatable, Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case uint(UInt64)
  case string(String)
  case array([JSON])
  /// Keys keep their order so output is stable and reads like the documentation.
  case object([(String, JSON)])

  public static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.rendered() == rhs.rendered() }

  public static func nodes(_ set: IDSet) -> JSON { .array(set.map { .int($0) }) }

  /// Pretty output with two-space indentation, ending without a newline.
  public func rendered(indent: Int = 0, pretty: Bool = true) -> String {
    var out = ""
    write(to: &out, indent: indent, pretty: pretty)
    return out
  }

  func write(to out: inout String, indent: Int, pretty: Bool) {
    switch self {
    case .null: out += "null"
    case .bool(let value): out += value ? "true" : "false"
    case .int(let value): out += String(value)
    case .uint(let value): out += String(value)
    case .string(let value): JSON.quote(value, into: &out)
    case .array(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      // Arrays of plain numbers stay on one line: node and cpu lists read better that way.
      let flat = items.allSatisfy { if case .int = $0 { return true } else { return false } }
      if flat || !pretty {
        out += "["
        for (index, item) in items.enumerated() {
          if index > 0 { out += pretty ? ", " : "," }
          item.write(to: &out, indent: indent, pretty: pretty)
        }
        out += "]"
        return
      }
      out += "[\n"
      let inner = String(repeating: " ", count: indent + 2)
      for (index, item) in items.enumerated() {
        out += inner
        item.write(to: &out, indent: indent + 2, pretty: pretty)
        out += index == items.count - 1 ? "\n" : ",\n"
      }
      out += String(repeating: " ", count: indent) + "]"
    case .object(let members):
      if members.isEmpty {
        out += "{}"
        return
      }
      out += pretty ? "{\n" : "{"
      // One indentation string per object, not per member: large tables have a million members.
      let inner = pretty ? String(repeating: " ", count: indent + 2) : ""
      for (index, (key, value)) in members.enumerated() {
        out += inner
        JSON.quote(key, into: &out)
        out += pretty ? ": " : ":"
        value.write(to: &out, indent: indent + 2, pretty: pretty)
        if index < members.count - 1 { out += "," }
        if pretty { out += "\n" }
      }
      if pretty { out += String(repeating: " ", count: indent) }
      out += "}"
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

  static func quote(_ text: String, into out: inout String) {
    // Most keys and values are plain ASCII with nothing to escape: copy them whole.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
      out += "\""
      out += text
      out += "\""
      return
    }
    out += "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        // C0, DEL and C1 controls: a JSON document piped to a terminal must not carry them raw.
        if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F) {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }
}
