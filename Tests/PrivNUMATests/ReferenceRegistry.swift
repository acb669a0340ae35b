@testable import PrivNUMA

/// The registry parser as it was before it scanned bytes in place (Sources at cc48116), kept
/// as the reference that RegistryEquivalenceTests holds the parser to: same node, same lines,
/// same error for every input. Helpers the rewrites left unchanged come from Registry; those
/// they changed (`decimal` and `size`, now read in place) are kept here as they were.
enum ReferenceRegistry {
  struct Declared: Equatable {
    var node: PrivateNode
    var idLine: Int
    var labelLine: Int
  }

  static let keys = Registry.keys
  static let largestNodeId = Registry.largestNodeId
  static let defaultCapabilities = Registry.defaultCapabilities
  static func labelProblem(_ label: String, id: Int) -> String? { Registry.labelProblem(label, id: id) }
  static func closest(to word: String, in names: [String]) -> String? { Registry.closest(to: word, in: names) }
  static func isControl(_ byte: UInt8) -> Bool { Registry.isControl(byte) }
  static func isBlank(_ byte: UInt8) -> Bool { Registry.isBlank(byte) }
  static func isDigit(_ byte: UInt8) -> Bool { Registry.isDigit(byte) }
  static func hexByte(_ byte: UInt8) -> String { Registry.hexByte(byte) }
  static func commentHint(_ value: String) -> String { Registry.commentHint(value) }
  static func commaHint(_ word: String) -> String? { Registry.commaHint(word) }
  typealias Problem = Registry.Problem

  static func capability(named name: String) -> Capabilities? {
    guard let match = Capabilities.names.first(where: { $0.0 == name }) else { return nil }
    return match.1
  }

  static func ruleViolation(_ capabilities: Capabilities) -> String? {
    for (name, capability) in [("mempolicy", Capabilities.mempolicy), ("numa-balancing", .numaBalancing), ("compaction", .compaction)]
    where capabilities.contains(capability) && !capabilities.contains(.migration) {
      return "'\(name)' needs 'migration'"
    }
    if capabilities.contains(.mempolicy) && capabilities.contains(.protectWrite) {
      return "'mempolicy' and 'protect-write' exclude each other"
    }
    return nil
  }

  static func declaration(_ text: String, file: String) -> Result<Declared, Registry.FileError> {
    func failure(_ line: Int, _ message: String) -> Result<Declared, Registry.FileError> {
      .failure(Registry.FileError(file: file, line: line, message: message))
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
        guard let capability = capability(named: word) else {
          let valid = Capabilities.names.map(\.0)
          let hint = commaHint(word) ?? closest(to: word, in: valid).map { " (did you mean '\($0)'?)" } ?? ""
          return failure(line, "unknown capability '\(word)'\(hint); valid capabilities: \(valid.joined(separator: ", "))")
        }
        capabilities.insert(capability)
      }
      if let violation = ruleViolation(capabilities) {
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

    return .success(Declared(node: node, idLine: idLine, labelLine: labelLine))
  }

  static func decimal(_ text: String) -> Int? {
    guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy(isDigit) else { return nil }
    return Int(text)
  }

  static func size(_ text: String) -> Result<UInt64, Problem> {
    var digits = Substring(text)
    var shift: UInt64 = 0
    let suffixShift: UInt64?
    switch text.utf8.last {
    case UInt8(ascii: "K"), UInt8(ascii: "k"): suffixShift = 10
    case UInt8(ascii: "M"), UInt8(ascii: "m"): suffixShift = 20
    case UInt8(ascii: "G"), UInt8(ascii: "g"): suffixShift = 30
    case UInt8(ascii: "T"), UInt8(ascii: "t"): suffixShift = 40
    default: suffixShift = nil
    }
    if let suffixShift {
      shift = suffixShift
      digits = Substring(text.utf8.dropLast())
    }
    guard !digits.isEmpty, digits.utf8.allSatisfy(isDigit) else {
      return .failure(Problem("MinFree='\(text)' is not a size; write bytes with an optional K, M, G or T suffix, e.g. MinFree=256M" + commentHint(text)))
    }
    var value: UInt64 = 0
    for digit in digits.utf8 {
      let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
      if overflow1 || overflow2 { return .failure(Problem(Registry.tooLarge(text))) }
      value = sum
    }
    guard shift == 0 || value <= UInt64.max >> shift else { return .failure(Problem(Registry.tooLarge(text))) }
    return .success(value << shift)
  }

  static func principals(_ text: String, key: String) -> Result<[String], Problem> {
    let names = words(text)
    if names.isEmpty {
      return .failure(Problem("empty \(key) allows nobody; remove the key to allow everyone, or list names"))
    }
    for name in names {
      if name.contains(",") {
        return .failure(Problem("\(key) entry '\(name)' contains ','; separate names with spaces"))
      }
      if name.utf8.allSatisfy(isDigit), decimal(name).map({ $0 >= Int(UInt32.max) }) ?? true {
        return .failure(Problem("\(key) entry '\(name)' is not a valid numeric id; ids run from 0 to \(UInt32.max - 1)"))
      }
    }
    return .success(names)
  }

  static func cgroupProblem(_ path: String) -> String? {
    if path.isEmpty { return "empty Cgroup; remove the key, or give a path under the cgroup v2 mount" }
    if path.hasPrefix("/") {
      return "Cgroup='\(path)' is absolute; give it relative to the cgroup v2 mount, e.g. privnuma.slice/cxl0"
    }
    for component in split(path, omittingEmpty: false, where: { $0 == UInt8(ascii: "/") }) {
      if component == ".." {
        return "Cgroup='\(path)' contains '..'; a cgroup path must stay under the cgroup v2 mount"
      }
      if component == "." || component.isEmpty {
        return "Cgroup='\(path)' has an empty or '.' component; write it without '//', '/./' or a trailing '/'"
      }
      if component.utf8.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
        return "Cgroup='\(path)' contains a space; cgroup names here have none"
      }
    }
    return nil
  }

  static func words(_ text: String) -> [String] {
    split(text, omittingEmpty: true, where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }).map(String.init)
  }

  static func split(_ text: String, omittingEmpty: Bool, where isSeparator: (UInt8) -> Bool) -> [Substring] {
    if text.utf8.allSatisfy({ $0 < 0x80 }) {
      return text.utf8.split(omittingEmptySubsequences: omittingEmpty, whereSeparator: isSeparator).map { Substring($0) }
    }
    return text.split(omittingEmptySubsequences: omittingEmpty, whereSeparator: { $0.isASCII && isSeparator($0.asciiValue!) })
  }

  static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var slice = bytes
    while let first = slice.first, isBlank(first) { slice.removeFirst() }
    while let last = slice.last, isBlank(last) { slice.removeLast() }
    return slice
  }

  static func lenientIDs(_ text: String) -> [Int] {
    var ids: [Int] = []
    for rawLine in text.utf8.split(separator: UInt8(ascii: "\n")) {
      let line = trimmed(ArraySlice(rawLine))
      guard line.count > 2, line.prefix(2).map({ $0 | 0x20 }) == Array("id".utf8) else { continue }
      var value = trimmed(line.dropFirst(2))
      if value.first == UInt8(ascii: "=") { value = trimmed(value.dropFirst()) }
      let digits = value.prefix(while: isDigit)
      if let id = decimal(String(decoding: digits, as: UTF8.self)), !ids.contains(id) { ids.append(id) }
    }
    return ids
  }
}

/// The keys of one file with their line and value, as the reference kept them.
private struct KeyValues {
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
