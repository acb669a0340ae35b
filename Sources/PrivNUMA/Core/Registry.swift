import Glibc

/// The administrator's declaration of private nodes (DESIGN §7): `*.conf` key files in one
/// directory, one node per file.
///
/// A file looks like this:
///
///     [Node]
///     Id=2
///     Label=cxl0
///     Capabilities=migration mempolicy reclaim demotion
///     AllowGroups=cram
///     Cgroup=privnuma.slice/cxl0
///     MinFree=256M
///
/// Values are taken as written: there is no quoting, no line continuation and no comment
/// after a value (`#` and `;` start a comment only at the beginning of a line), as in
/// systemd unit files. An empty `Kind=` or `Description=` is the same as none; other empty
/// values are errors, except `Capabilities=` (see `defaultCapabilities`).
public enum Registry {
  /// Capabilities of a node whose file has no `Capabilities=` key: an ordinary bindable
  /// node, because that is what an administrator who only wants to fence a node means.
  /// `Capabilities=` with an empty value declares a node with none.
  public static let defaultCapabilities: Capabilities = [.migration, .mempolicy]

  /// The largest node number Linux can have (`MAX_NUMNODES` is at most 1 << 10); the bound
  /// also keeps a mistyped id from turning into a huge node mask.
  public static let largestNodeId = 1023

  /// Every key a `[Node]` section may hold, in the documented order.
  public static let keys = [
    "Id", "Label", "Kind", "Capabilities", "AllowUsers", "AllowGroups", "Cgroup", "MinFree", "Description",
  ]

  /// A registry file that could not be read as a declaration, at its line.
  public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
  }

  /// A node that a file with errors mentions: private and refused until the file is fixed.
  public struct BrokenNode: Equatable, Sendable {
    public var id: Int
    /// The first error of the file that mentions it.
    public var error: FileError
  }

  /// What the registry directory declares.
  public struct Contents: Equatable, Sendable {
    /// The nodes of files without errors, except those a broken file also mentions.
    public var nodes: [PrivateNode] = []
    /// Every file error, in reading order.
    public var errors: [FileError] = []
    public var broken: [BrokenNode] = []
    /// The directory does not exist (no registry: only the kernel's private nodes).
    public var missing = false
  }

  /// Every `*.conf` in `directory`, read in lexical (byte) order, each declaring one node.
  ///
  /// A missing directory is an empty registry, said in `missing`. Names starting with `.`
  /// are skipped, like editors' and package managers' leftovers. Ids and labels must be
  /// unique across files.
  ///
  /// A file with errors does not stop the others (the fail-safe rule of privnuma.conf(5)):
  /// its error is kept in `errors`, and every node it mentions, found by reading its `Id=`
  /// lines leniently, goes to `broken` and not to `nodes`, so that a typo never turns a
  /// private node into a general one. A broken file whose Id= cannot be read at all could
  /// protect any node, so then the whole load fails (exit 2).
  ///
  /// `trust` is given when privnuma runs with privilege: it then trusts the registry to
  /// decide who may use a node, so the directory, every directory above it and every
  /// `*.conf` file must be owned by root, not writable by group or others, not symbolic
  /// links, and on a file system no user mounted (`Trust`); otherwise the load is refused
  /// (exit 3) naming the file and the fix. Files are checked through the opened
  /// descriptors, so nothing can be swapped between the check and the read.
  public static func load(directory: String, trust: Trust?) -> Result<Contents, Failure> {
    let files: [(String, String)]
    switch readFiles(directory: directory, trust: trust) {
    case .failure(let failure): return .failure(failure)
    case .success(nil): return .success(Contents(missing: true))
    case .success(let read?): files = read
    }
    var contents = Contents()
    var declarations: [Declaration] = []
    for (path, text) in files {
      var error: FileError
      var mentioned: [Int]
      switch declaration(text, file: path) {
      case .failure(let failure):
        error = failure
        mentioned = lenientIDs(text)
        if mentioned.isEmpty {
          return .failure(.usage("\(failure); its Id= cannot be read, so privnuma cannot tell which node the file protects and refuses to run until it is fixed"))
        }
      case .success(let declared):
        if let earlier = declarations.first(where: { $0.node.id == declared.node.id }) {
          // Declared twice: neither declaration can be trusted to be the one meant.
          error = FileError(file: path, line: declared.idLine, message: "node \(declared.node.id) is already declared in \(earlier.file):\(earlier.idLine); declare each node in one file only")
        } else if let earlier = declarations.first(where: { $0.node.label == declared.node.label }) {
          error = FileError(file: path, line: declared.labelLine, message: "label '\(declared.node.label)' is already used for node \(earlier.node.id) in \(earlier.file):\(earlier.labelLine); choose another label")
        } else {
          declarations.append(declared)
          continue
        }
        mentioned = [declared.node.id]
      }
      contents.errors.append(error)
      for id in mentioned where !contents.broken.contains(where: { $0.id == id }) {
        contents.broken.append(BrokenNode(id: id, error: error))
      }
    }
    contents.nodes = declarations.map(\.node).filter { node in !contents.broken.contains { $0.id == node.id } }
    return .success(contents)
  }

  /// One file's text; `file` is the path used in messages.
  public static func parse(_ text: String, file: String) -> Result<PrivateNode, Failure> {
    declaration(text, file: file).map(\.node).mapError { .usage($0.description) }
  }

  /// The node numbers of every `Id` line, however the rest of the file reads: the leading
  /// digits of the value, any case of the key, with or without `=`, inside or outside a
  /// section.
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

  // MARK: - Reading the directory

  /// The `*.conf` files of `directory` as (path, text), in byte order of their names; nil
  /// when the directory does not exist.
  static func readFiles(directory: String, trust: Trust?) -> Result<[(String, String)]?, Failure> {
    let prefix = directory.hasSuffix("/") ? directory : directory + "/"
    let noFollow = trust != nil ? O_NOFOLLOW : 0
    let directoryDescriptor: Int32
    if let trust {
      switch trust.openDirectory(directory) {
      case .failure(let failure): return .failure(failure)
      case .success(.missing): return .success(nil)
      case .success(.directory(let descriptor)): directoryDescriptor = descriptor
      }
    } else {
      switch retryingOnInterrupt({ open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }) {
      case .success(let descriptor): directoryDescriptor = descriptor
      case .failure(let error):
        if error == .noSuchFile { return .success(nil) }
        if error == .notDirectory {
          return .failure(.system("registry \(directory) is not a directory; the registry is a directory of *.conf files"))
        }
        return .failure(.system("cannot open the registry \(directory): \(error)"))
      }
    }
    guard let stream = fdopendir(directoryDescriptor) else {
      let error = Errno.current
      close(directoryDescriptor)
      return .failure(.system("cannot read the registry \(directory): \(error)"))
    }
    defer { closedir(stream) }
    let mountable = trust?.userMountable() ?? []

    var names: [String] = []
    while true {
      errno = 0
      guard let entry = readdir(stream) else {
        if errno != 0 { return .failure(.system("cannot list the registry \(directory): \(Errno.current)")) }
        break
      }
      let name = FileSystem.entryName(entry)
      if isRegistryFileName(name) { names.append(name) }
    }
    names.sort(by: FileSystem.byteOrder)

    var files: [(String, String)] = []
    for name in names {
      let path = prefix + name
      // O_NONBLOCK: a FIFO named *.conf must not hang the launch; it is rejected below.
      let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | noFollow
      let file: Int32
      switch retryingOnInterrupt({ openat(directoryDescriptor, name, flags) }) {
      case .success(let descriptor): file = descriptor
      case .failure(let error):
        if let trust, error.rawValue == ELOOP {
          return .failure(trust.refusal(Trust.Problem(path: path, problem: "is a symbolic link", fix: "replace it with the file it points to")))
        }
        // A declaration that silently vanished would leave its node unprotected.
        if error == .noSuchFile {
          return .failure(.usage("\(path) is a symbolic link to a file that does not exist; fix the link or remove it"))
        }
        // privnuma reads the registry with the caller's rights, privileged install or not.
        if error == .accessDenied {
          return .failure(.system("cannot open \(path): \(error); privnuma reads the registry with the caller's rights, so every user must be able to read it: run 'chmod 0644 \(path)'"))
        }
        return .failure(.system("cannot open \(path): \(error)"))
      }
      defer { close(file) }
      var info = stat()
      if fstat(file, &info) != 0 { return .failure(.system("cannot check \(path): \(Errno.current)")) }
      if info.st_mode & S_IFMT != S_IFREG {
        return .failure(.usage("\(path): not a regular file; remove it, or rename it so it does not end in .conf"))
      }
      if let trust, let problem = trust.check(file, path: path, userMountable: mountable) {
        return .failure(trust.refusal(problem))
      }
      switch readAll(file) {
      case .success(let text): files.append((path, text))
      case .failure(let error): return .failure(.system("cannot read \(path): \(error)"))
      }
    }
    return .success(files)
  }

  /// `*.conf` with a name before the suffix, not hidden.
  static func isRegistryFileName(_ name: String) -> Bool {
    name.hasSuffix(".conf") && !name.hasPrefix(".")
  }

  static func readAll(_ descriptor: Int32) -> Result<String, Errno> {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let got = chunk.withUnsafeMutableBytes { buffer in
        retryingOnInterrupt { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
      }
      switch got {
      case .failure(let error): return .failure(error)
      case .success(0): return .success(String(decoding: bytes, as: UTF8.self))
      case .success(let n): bytes.append(contentsOf: chunk[0..<n])
      }
    }
  }

  // MARK: - Parsing one file

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

  // MARK: - Values

  /// Why `label` cannot name node `id`, or nil when it can.
  ///
  /// Labels are words in NODES, so they must not be keywords, and `node<N>` is what privnuma
  /// calls an unlabelled private node N: a label of that shape for another node would make
  /// `node3` mean two nodes.
  static func labelProblem(_ label: String, id: Int) -> String? {
    if label.isEmpty { return "empty Label; remove the key to use the default node\(id)" }
    let bytes = Array(label.utf8)
    let valid = isLowercaseLetter(bytes[0]) && bytes.dropFirst().allSatisfy {
      isLowercaseLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
    }
    guard valid else {
      return "Label='\(label)' is not a valid label; start with a lowercase letter and use only lowercase letters, digits, '_' and '-'"
    }
    if nodeKeywords.contains(label) {
      return "Label='\(label)' is a NODES keyword; choose another label"
    }
    if label.hasPrefix("node"), let number = decimal(String(label.dropFirst(4))), label != "node\(id)" {
      if number == id {
        return "Label='\(label)' is node\(id) with leading zeros; write node\(id), or remove the key for that default"
      }
      return "Label='\(label)' reads as node \(number) but this file declares node \(id); choose a label that is not node<number>"
    }
    return nil
  }

  /// Users or groups: names (resolved later, through NSS), or numeric ids below (uid_t)-1.
  ///
  /// An empty list is an error rather than "nobody": a bare `AllowUsers=` is far more often
  /// an unfinished edit than a wish to lock everyone out, and leaving the key out already
  /// has a meaning (everyone).
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

  /// Why `path` is not a safe cgroup path under the cgroup v2 mount, or nil when it is.
  ///
  /// privnuma may write a process into this cgroup with privilege, so the path must stay
  /// inside the mount: no absolute path, no `..`, and no `.` or empty components either,
  /// so that one cgroup has one spelling.
  static func cgroupProblem(_ path: String) -> String? {
    if path.isEmpty { return "empty Cgroup; remove the key, or give a path under the cgroup v2 mount" }
    if path.hasPrefix("/") {
      return "Cgroup='\(path)' is absolute; give it relative to the cgroup v2 mount, e.g. privnuma.slice/cxl0"
    }
    for component in path.split(separator: "/", omittingEmptySubsequences: false) {
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

  /// Bytes with an optional K, M, G or T suffix (binary multiples, either case).
  static func size(_ text: String) -> Result<UInt64, Problem> {
    var digits = Substring(text)
    var shift: UInt64 = 0
    // A switch on the byte, not a Dictionary: hashing set-up costs start-up time on a launch.
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
      if overflow1 || overflow2 { return .failure(Problem(tooLarge(text))) }
      value = sum
    }
    guard shift == 0 || value <= UInt64.max >> shift else { return .failure(Problem(tooLarge(text))) }
    return .success(value << shift)
  }

  static func tooLarge(_ text: String) -> String {
    "MinFree='\(text)' is too large: sizes stop below 16 EiB (2^64 bytes); give the reserve this node needs, e.g. MinFree=256M"
  }

  /// What is wrong with one value, before it is placed at its file and line.
  struct Problem: Error {
    var message: String
    init(_ message: String) { self.message = message }
  }

  // MARK: - Helpers

  /// The name within edit distance 2 of `word`, preferring one that differs only in case.
  static func closest(to word: String, in names: [String]) -> String? {
    if let sameLetters = names.first(where: { $0.lowercased() == word.lowercased() }) { return sameLetters }
    var best: (name: String, distance: Int)?
    for candidate in names {
      let distance = editDistance(word, candidate)
      if distance <= 2, distance < best?.distance ?? Int.max { best = (candidate, distance) }
    }
    return best?.name
  }

  /// Levenshtein distance over Unicode scalars.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
        current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }

  /// Digits only, no sign, at most ten of them: enough for any node number or uid.
  static func decimal(_ text: String) -> Int? {
    guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy(isDigit) else { return nil }
    return Int(text)
  }

  static func words(_ text: String) -> [String] {
    text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
  }

  static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var slice = bytes
    while let first = slice.first, isBlank(first) { slice.removeFirst() }
    while let last = slice.last, isBlank(last) { slice.removeLast() }
    return slice
  }

  static func isBlank(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
  }

  /// Control characters other than tab: they would reach terminals through listings.
  static func isControl(_ byte: UInt8) -> Bool {
    (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
  }

  static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
  static func isLowercaseLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }

  static func hexByte(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "0x" + (digits.count < 2 ? "0" + digits : digits)
  }

  /// A hint for the common mistake of a comment after a value.
  static func commentHint(_ value: String) -> String {
    value.contains("#") || value.contains(";") ? " (comments go on a line of their own)" : ""
  }

  static func commaHint(_ word: String) -> String? {
    word.contains(",") ? " (separate names with spaces, not commas)" : nil
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
