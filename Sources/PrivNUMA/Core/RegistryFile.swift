/// Parsing one registry file (privnuma.conf(5)): lines, the [Node] section, keys, and the
/// values checked once the whole file is read (their rules are in RegistryValues).
///
/// The text is scanned in place as UTF-8 bytes into one slot per key, with no array of lines,
/// keys or tuples: a launch parses every file of the registry, and each collection type it
/// builds costs the Swift runtime a metadata look-up at start-up.
extension Registry {
  /// A parsed file, with the lines that cross-file messages point at.
  struct Declaration {
    var node: PrivateNode
    var file: String
    var idLine: Int
    var labelLine: Int
  }

  static func declaration(_ text: String, file: String) -> Result<Declaration, FileError> {
    var text = text
    return text.withUTF8 { declaration($0, file: file) }
  }

  /// Values are checked where the bytes lie (`fields`) and made Strings only for the node's
  /// fields and for messages (RegistryValues).
  static func declaration(_ bytes: UnsafeBufferPointer<UInt8>, file: String) -> Result<Declaration, FileError> {
    let fields: Fields
    switch self.fields(bytes, file: file) {
    case .failure(let error): return .failure(error)
    case .success(let checked): fields = checked
    }
    let values = fields.values
    func text(_ slot: KeyValues.Slot) -> String { string(bytes, slot.value) }
    let labelSlot = values[.label]
    let label = labelSlot.line > 0 ? text(labelSlot) : "node\(fields.id)"
    var node = PrivateNode(id: fields.id, label: label, capabilities: fields.capabilities, kernelPrivate: false, kernelBindable: nil)
    node.source = file
    let kind = values[.kind]
    if !kind.value.isEmpty { node.kind = text(kind) }
    let description = values[.description]
    if !description.value.isEmpty { node.description = text(description) }
    // Checked by `fields`: the names of a list that passed.
    let users = values[.allowUsers]
    if users.line > 0, case .success(let names) = principals(bytes, users.value, key: "AllowUsers") {
      node.allowUsers = names
    }
    let groups = values[.allowGroups]
    if groups.line > 0, case .success(let names) = principals(bytes, groups.value, key: "AllowGroups") {
      node.allowGroups = names
    }
    let cgroup = values[.cgroup]
    if cgroup.line > 0 { node.cgroup = text(cgroup) }
    node.minFree = fields.minFree
    let idLine = values[.id].line
    return .success(Declaration(node: node, file: file, idLine: idLine, labelLine: labelSlot.line > 0 ? labelSlot.line : idLine))
  }

  /// A file's values, each checked, where they lie in its bytes: all that a launch decides on,
  /// with no String made unless the file has a mistake to tell.
  struct Fields {
    var values: KeyValues
    var id: Int
    var capabilities: Capabilities
    var minFree: UInt64?
  }

  /// One file's values checked in the order a reader meets them, the first mistake told at
  /// its line; `file` is the path used in messages.
  static func fields(_ bytes: UnsafeBufferPointer<UInt8>, file: String) -> Result<Fields, FileError> {
    func failure(_ line: Int, _ message: String) -> Result<Fields, FileError> {
      .failure(FileError(file: file, line: line, message: message))
    }
    let values: KeyValues
    switch keyValues(bytes, file: file) {
    case .failure(let error): return .failure(error)
    case .success(let read): values = read
    }
    func text(_ slot: KeyValues.Slot) -> String { string(bytes, slot.value) }

    guard values.section > 0 else {
      return failure(1, "no [Node] section; a registry file declares one node: [Node], then Id=<node number>")
    }
    let idSlot = values[.id]
    guard idSlot.line > 0 else {
      return failure(values.section, "[Node] has no Id; add Id=<node number> below it")
    }
    guard let id = decimal(bytes, idSlot.value), id <= largestNodeId else {
      let idText = text(idSlot)
      if let id = decimal(idText) {
        return failure(idSlot.line, "Id=\(id) is beyond the largest node number Linux supports (\(largestNodeId)); give the node's number")
      }
      return failure(idSlot.line, "Id='\(idText)' is not a node number; write a decimal number, e.g. Id=2" + commentHint(idText))
    }

    let labelSlot = values[.label]
    if labelSlot.line > 0, let problem = labelProblem(bytes, labelSlot.value, id: id) {
      return failure(labelSlot.line, problem)
    }

    var capabilities = defaultCapabilities
    let capabilitiesSlot = values[.capabilities]
    if capabilitiesSlot.line > 0 {
      switch Registry.capabilities(bytes, capabilitiesSlot.value) {
      case .failure(let problem): return failure(capabilitiesSlot.line, problem.message)
      case .success(let named): capabilities = named
      }
      if let violation = capabilities.ruleViolation {
        return failure(capabilitiesSlot.line, "Capabilities break a rule: \(violation); list only what the node's driver supports")
      }
    }

    let users = values[.allowUsers]
    if users.line > 0, let problem = principalsProblem(bytes, users.value, key: "AllowUsers") {
      return failure(users.line, problem.message)
    }
    let groups = values[.allowGroups]
    if groups.line > 0, let problem = principalsProblem(bytes, groups.value, key: "AllowGroups") {
      return failure(groups.line, problem.message)
    }

    let cgroup = values[.cgroup]
    if cgroup.line > 0, let problem = cgroupProblem(bytes, cgroup.value) {
      return failure(cgroup.line, problem)
    }

    var minFree: UInt64?
    let minFreeSlot = values[.minFree]
    if minFreeSlot.line > 0 {
      switch size(bytes, minFreeSlot.value) {
      case .success(let reserve): minFree = reserve
      case .failure(let problem): return failure(minFreeSlot.line, problem.message)
      }
    }
    return .success(Fields(values: values, id: id, capabilities: capabilities, minFree: minFree))
  }

  /// The lines of one file: comments and blank lines skipped, the one `[Node]` header, and
  /// each `Key=Value` in its slot. A leading UTF-8 byte order mark is skipped.
  static func keyValues(_ bytes: UnsafeBufferPointer<UInt8>, file: String) -> Result<KeyValues, FileError> {
    func failure(_ line: Int, _ message: String) -> Result<KeyValues, FileError> {
      .failure(FileError(file: file, line: line, message: message))
    }
    func text(_ range: Range<Int>) -> String { string(bytes, range) }
    var values = KeyValues()
    var start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    var lineNumber = 0
    while start <= bytes.count {
      // To the end of the line, noting any byte below ' ' or DEL: one test per byte finds the
      // newline and any control character. Only a line with such a byte (a tab, a CR, a
      // control character) is searched for a control character.
      var end = start
      var mayHoldControl = false
      while end < bytes.count {
        let byte = bytes[end]
        if byte < 0x20 || byte == 0x7F {
          if byte == UInt8(ascii: "\n") { break }
          mayHoldControl = true
        }
        end += 1
      }
      lineNumber += 1
      let line = trimmed(bytes, start..<end)
      start = end + 1
      guard let first = line.first.map({ bytes[$0] }), first != UInt8(ascii: "#"), first != UInt8(ascii: ";") else { continue }
      if mayHoldControl, let control = line.first(where: { isControl(bytes[$0]) }) {
        return failure(lineNumber, "control character \(hexByte(bytes[control])) in the line; registry files are plain text, remove it")
      }

      if first == UInt8(ascii: "[") {
        guard bytes[line.upperBound - 1] == UInt8(ascii: "]"), line.count >= 2 else {
          return failure(lineNumber, "'\(text(line))' is not a section header; write [Node] on a line of its own")
        }
        let name = line.lowerBound + 1..<line.upperBound - 1
        guard text(name) == "Node" else {
          return failure(lineNumber, "unknown section [\(text(name))]; a registry file has one [Node] section")
        }
        if values.section > 0 {
          return failure(lineNumber, "second [Node] section (the first is on line \(values.section)); declare each node in a file of its own")
        }
        values.section = lineNumber
        continue
      }

      guard let equals = line.first(where: { bytes[$0] == UInt8(ascii: "=") }) else {
        return failure(lineNumber, "'\(text(line))' is not Key=Value; write it as Key=Value, or start the line with # to make it a comment")
      }
      let keyRange = trimmed(bytes, line.lowerBound..<equals)
      if keyRange.isEmpty {
        return failure(lineNumber, "'\(text(line))' has no key before '='; write Key=Value")
      }
      if values.section == 0 {
        return failure(lineNumber, "'\(text(keyRange))' is outside a section; put [Node] on a line above it")
      }
      guard let key = key(bytes, keyRange) else {
        let written = text(keyRange)
        if let suggestion = closest(to: written, in: keys) {
          return failure(lineNumber, "unknown key '\(written)'; did you mean '\(suggestion)'?")
        }
        return failure(lineNumber, "unknown key '\(written)'; valid keys: \(keys.joined(separator: ", "))")
      }
      let earlier = values[key].line
      if earlier > 0 {
        return failure(lineNumber, "duplicate key '\(text(keyRange))' (already set on line \(earlier)); keep one")
      }
      values[key] = KeyValues.Slot(line: lineNumber, value: trimmed(bytes, equals + 1..<line.upperBound))
    }
    return .success(values)
  }

  /// The key the bytes in `range` spell, compared as Strings compare: by canonical
  /// equivalence, so `\u{212A}ind` (a Kelvin sign) is `Kind`. ASCII, where that is byte
  /// equality, is compared in place; other bytes are made a String.
  static func key(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> KeyValues.Key? {
    guard isASCII(bytes, range) else {
      return keys.firstIndex(of: string(bytes, range)).flatMap(KeyValues.Key.init(rawValue:))
    }
    var next = 0
    while let key = KeyValues.Key(rawValue: next) {
      if spells(key.name, bytes, range) { return key }
      next += 1
    }
    return nil
  }

  static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    var lower = range.lowerBound
    var upper = range.upperBound
    while lower < upper && isBlank(bytes[lower]) { lower += 1 }
    while upper > lower && isBlank(bytes[upper - 1]) { upper -= 1 }
    return lower..<upper
  }
}

/// The keys of one file, each with its line (0: not set) and the byte range of its value: one
/// slot per key, as a file holds at most nine, rather than a collection to search or hash.
/// Only plain integers, so passing it around never needs the runtime's help.
struct KeyValues {
  /// The keys in `Registry.keys` order.
  enum Key: Int, CaseIterable {
    case id, label, kind, capabilities, allowUsers, allowGroups, cgroup, minFree, description

    /// As written in a file; static text, so that matching a line's key reads no String.
    var name: StaticString {
      switch self {
      case .id: "Id"
      case .label: "Label"
      case .kind: "Kind"
      case .capabilities: "Capabilities"
      case .allowUsers: "AllowUsers"
      case .allowGroups: "AllowGroups"
      case .cgroup: "Cgroup"
      case .minFree: "MinFree"
      case .description: "Description"
      }
    }
  }

  struct Slot {
    var line = 0
    var value = 0..<0
  }

  /// The line of the `[Node]` header; 0 before it.
  var section = 0
  private var id = Slot()
  private var label = Slot()
  private var kind = Slot()
  private var capabilities = Slot()
  private var allowUsers = Slot()
  private var allowGroups = Slot()
  private var cgroup = Slot()
  private var minFree = Slot()
  private var description = Slot()

  subscript(key: Key) -> Slot {
    get {
      switch key {
      case .id: id
      case .label: label
      case .kind: kind
      case .capabilities: capabilities
      case .allowUsers: allowUsers
      case .allowGroups: allowGroups
      case .cgroup: cgroup
      case .minFree: minFree
      case .description: description
      }
    }
    set {
      switch key {
      case .id: id = newValue
      case .label: label = newValue
      case .kind: kind = newValue
      case .capabilities: capabilities = newValue
      case .allowUsers: allowUsers = newValue
      case .allowGroups: allowGroups = newValue
      case .cgroup: cgroup = newValue
      case .minFree: minFree = newValue
      case .description: description = newValue
      }
    }
  }
}
