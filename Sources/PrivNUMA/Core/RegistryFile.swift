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

  static func declaration(_ bytes: UnsafeBufferPointer<UInt8>, file: String) -> Result<Declaration, FileError> {
    func failure(_ line: Int, _ message: String) -> Result<Declaration, FileError> {
      .failure(FileError(file: file, line: line, message: message))
    }
    let values: KeyValues
    switch keyValues(bytes, file: file) {
    case .failure(let error): return .failure(error)
    case .success(let read): values = read
    }
    /// The key's line (0: not set) and value.
    func entry(_ key: KeyValues.Key) -> (line: Int, value: String) {
      let slot = values[key]
      return (slot.line, String(decoding: UnsafeBufferPointer(rebasing: bytes[slot.value]), as: UTF8.self))
    }

    guard values.section > 0 else {
      return failure(1, "no [Node] section; a registry file declares one node: [Node], then Id=<node number>")
    }
    let (idLine, idText) = entry(.id)
    guard idLine > 0 else {
      return failure(values.section, "[Node] has no Id; add Id=<node number> below it")
    }
    guard let id = decimal(idText), id <= largestNodeId else {
      if let id = decimal(idText) {
        return failure(idLine, "Id=\(id) is beyond the largest node number Linux supports (\(largestNodeId)); give the node's number")
      }
      return failure(idLine, "Id='\(idText)' is not a node number; write a decimal number, e.g. Id=2" + commentHint(idText))
    }

    var label = "node\(id)"
    var labelLine = idLine
    let (givenLabelLine, givenLabel) = entry(.label)
    if givenLabelLine > 0 {
      if let problem = labelProblem(givenLabel, id: id) { return failure(givenLabelLine, problem) }
      label = givenLabel
      labelLine = givenLabelLine
    }

    var capabilities = defaultCapabilities
    let (capabilitiesLine, capabilitiesText) = entry(.capabilities)
    if capabilitiesLine > 0 {
      capabilities = []
      for word in words(capabilitiesText) {
        guard let capability = Capabilities(name: word) else {
          let valid = Capabilities.names.map(\.0)
          let hint = commaHint(word) ?? closest(to: word, in: valid).map { " (did you mean '\($0)'?)" } ?? ""
          return failure(capabilitiesLine, "unknown capability '\(word)'\(hint); valid capabilities: \(valid.joined(separator: ", "))")
        }
        capabilities.insert(capability)
      }
      if let violation = capabilities.ruleViolation {
        return failure(capabilitiesLine, "Capabilities break a rule: \(violation); list only what the node's driver supports")
      }
    }

    var node = PrivateNode(id: id, label: label, capabilities: capabilities, kernelPrivate: false, kernelBindable: nil)
    node.source = file
    let kind = entry(.kind).value
    node.kind = kind.isEmpty ? nil : kind
    let description = entry(.description).value
    node.description = description.isEmpty ? nil : description

    let (usersLine, usersText) = entry(.allowUsers)
    if usersLine > 0 {
      switch principals(usersText, key: "AllowUsers") {
      case .failure(let problem): return failure(usersLine, problem.message)
      case .success(let names): node.allowUsers = names
      }
    }
    let (groupsLine, groupsText) = entry(.allowGroups)
    if groupsLine > 0 {
      switch principals(groupsText, key: "AllowGroups") {
      case .failure(let problem): return failure(groupsLine, problem.message)
      case .success(let names): node.allowGroups = names
      }
    }

    let (cgroupLine, cgroupText) = entry(.cgroup)
    if cgroupLine > 0 {
      if let problem = cgroupProblem(cgroupText) { return failure(cgroupLine, problem) }
      node.cgroup = cgroupText
    }

    let (minFreeLine, minFreeText) = entry(.minFree)
    if minFreeLine > 0 {
      switch size(minFreeText) {
      case .success(let bytes): node.minFree = bytes
      case .failure(let problem): return failure(minFreeLine, problem.message)
      }
    }

    return .success(Declaration(node: node, file: file, idLine: idLine, labelLine: labelLine))
  }

  /// The lines of one file: comments and blank lines skipped, the one `[Node]` header, and
  /// each `Key=Value` in its slot. A leading UTF-8 byte order mark is skipped.
  static func keyValues(_ bytes: UnsafeBufferPointer<UInt8>, file: String) -> Result<KeyValues, FileError> {
    func failure(_ line: Int, _ message: String) -> Result<KeyValues, FileError> {
      .failure(FileError(file: file, line: line, message: message))
    }
    func text(_ range: Range<Int>) -> String {
      String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
    var values = KeyValues()
    var start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    var lineNumber = 0
    while start <= bytes.count {
      var end = start
      while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
      lineNumber += 1
      let line = trimmed(bytes, start..<end)
      start = end + 1
      guard let first = line.first.map({ bytes[$0] }), first != UInt8(ascii: "#"), first != UInt8(ascii: ";") else { continue }
      if let control = line.first(where: { isControl(bytes[$0]) }) {
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
  /// equivalence, so `\u{212A}ind` (a Kelvin sign) is `Kind`. A key is short enough to be
  /// a String without an allocation.
  static func key(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> KeyValues.Key? {
    let written = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    return keys.firstIndex(of: written).flatMap(KeyValues.Key.init(rawValue:))
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
  enum Key: Int {
    case id, label, kind, capabilities, allowUsers, allowGroups, cgroup, minFree, description
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
