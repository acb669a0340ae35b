/// Parsing one registry file (privnuma.conf(5)): lines, the [Node] section, keys, and the
/// values checked once the whole file is read (their rules are in RegistryValues).
extension Registry {
  /// A parsed file, with the lines that cross-file messages point at.
  struct Declaration {
    var node: PrivateNode
    var file: String
    var idLine: Int
    var labelLine: Int
  }

  static func declaration(_ text: String, file: String) -> Result<Declaration, FileError> {
    func failure(_ line: Int, _ message: String) -> Result<Declaration, FileError> {
      .failure(FileError(file: file, line: line, message: message))
    }
    var sectionLine: Int?
    /// key -> (line, value), for values checked once the whole file is read.
    var values = KeyValues()

    var bytes = Array(text.utf8)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    var lineNumber = 0
    for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      let line = trimmed(rawLine)
      guard let first = line.first, first != UInt8(ascii: "#"), first != UInt8(ascii: ";") else { continue }
      if let control = line.first(where: isControl) {
        return failure(lineNumber, "control character \(hexByte(control)) in the line; registry files are plain text, remove it")
      }
      let content = String(decoding: line, as: UTF8.self)

      if first == UInt8(ascii: "[") {
        guard line.last == UInt8(ascii: "]"), line.count >= 2 else {
          return failure(lineNumber, "'\(content)' is not a section header; write [Node] on a line of its own")
        }
        let name = String(decoding: line.dropFirst().dropLast(), as: UTF8.self)
        guard name == "Node" else {
          return failure(lineNumber, "unknown section [\(name)]; a registry file has one [Node] section")
        }
        if let earlier = sectionLine {
          return failure(lineNumber, "second [Node] section (the first is on line \(earlier)); declare each node in a file of its own")
        }
        sectionLine = lineNumber
        continue
      }

      guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
        return failure(lineNumber, "'\(content)' is not Key=Value; write it as Key=Value, or start the line with # to make it a comment")
      }
      let key = String(decoding: trimmed(line[..<equals]), as: UTF8.self)
      let value = String(decoding: trimmed(line[(equals + 1)...]), as: UTF8.self)
      if key.isEmpty {
        return failure(lineNumber, "'\(content)' has no key before '='; write Key=Value")
      }
      if sectionLine == nil {
        return failure(lineNumber, "'\(key)' is outside a section; put [Node] on a line above it")
      }
      guard keys.contains(key) else {
        if let suggestion = closest(to: key, in: keys) {
          return failure(lineNumber, "unknown key '\(key)'; did you mean '\(suggestion)'?")
        }
        return failure(lineNumber, "unknown key '\(key)'; valid keys: \(keys.joined(separator: ", "))")
      }
      if let earlier = values[key] {
        return failure(lineNumber, "duplicate key '\(key)' (already set on line \(earlier.line)); keep one")
      }
      values[key] = (lineNumber, value)
    }

    guard let section = sectionLine else {
      return failure(1, "no [Node] section; a registry file declares one node: [Node], then Id=<node number>")
    }
    guard let (idLine, idText) = values["Id"] else {
      return failure(section, "[Node] has no Id; add Id=<node number> below it")
    }
    guard let id = decimal(idText), id <= largestNodeId else {
      if let id = decimal(idText) {
        return failure(idLine, "Id=\(id) is beyond the largest node number Linux supports (\(largestNodeId)); give the node's number")
      }
      return failure(idLine, "Id='\(idText)' is not a node number; write a decimal number, e.g. Id=2" + commentHint(idText))
    }

    var label = "node\(id)"
    var labelLine = idLine
    if let (line, text) = values["Label"] {
      if let problem = labelProblem(text, id: id) { return failure(line, problem) }
      label = text
      labelLine = line
    }

    var capabilities = defaultCapabilities
    if let (line, text) = values["Capabilities"] {
      capabilities = []
      for word in words(text) {
        guard let capability = Capabilities(name: word) else {
          let valid = Capabilities.names.map(\.0)
          let hint = commaHint(word) ?? closest(to: word, in: valid).map { " (did you mean '\($0)'?)" } ?? ""
          return failure(line, "unknown capability '\(word)'\(hint); valid capabilities: \(valid.joined(separator: ", "))")
        }
        capabilities.insert(capability)
      }
      if let violation = capabilities.ruleViolation {
        return failure(line, "Capabilities break a rule: \(violation); list only what the node's driver supports")
      }
    }

    var node = PrivateNode(id: id, label: label, capabilities: capabilities, kernelPrivate: false, kernelBindable: nil)
    node.source = file
    node.kind = values["Kind"].flatMap { $0.value.isEmpty ? nil : $0.value }
    node.description = values["Description"].flatMap { $0.value.isEmpty ? nil : $0.value }

    for key in ["AllowUsers", "AllowGroups"] {
      guard let (line, text) = values[key] else { continue }
      switch principals(text, key: key) {
      case .failure(let problem): return failure(line, problem.message)
      case .success(let names):
        if key == "AllowUsers" { node.allowUsers = names } else { node.allowGroups = names }
      }
    }

    if let (line, text) = values["Cgroup"] {
      if let problem = cgroupProblem(text) { return failure(line, problem) }
      node.cgroup = text
    }

    if let (line, text) = values["MinFree"] {
      switch size(text) {
      case .success(let bytes): node.minFree = bytes
      case .failure(let problem): return failure(line, problem.message)
      }
    }

    return .success(Declaration(node: node, file: file, idLine: idLine, labelLine: labelLine))
  }
}

/// The keys of one file with their line and value. An array, not a Dictionary: a file holds
/// at most nine keys, and hashing String keys costs start-up time on the launch path.
struct KeyValues {
  private var entries: [(key: String, line: Int, value: String)] = []

  subscript(key: String) -> (line: Int, value: String)? {
    get {
      for entry in entries where entry.key == key { return (entry.line, entry.value) }
      return nil
    }
    set {
      entries.removeAll { $0.key == key }
      if let newValue { entries.append((key, newValue.line, newValue.value)) }
    }
  }
}
