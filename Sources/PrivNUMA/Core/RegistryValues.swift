/// The values of registry keys and the mistakes administrators make writing them: each
/// check says what is wrong and how to write it instead.
extension Registry {
  /// Why `label` cannot name node `id`, or nil when it can.
  ///
  /// Labels are words in NODES, so they must not be keywords, and `node<N>` is what privnuma
  /// calls an unlabelled private node N: a label of that shape for another node would make
  /// `node3` mean two nodes.
  static func labelProblem(_ label: String, id: Int) -> String? {
    if label.isEmpty { return "empty Label; remove the key to use the default node\(id)" }
    let valid = isLowercaseLetter(label.utf8.first!) && label.utf8.dropFirst().allSatisfy {
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

  /// The same for a label's bytes: ASCII labels of the allowed letters that are no keyword
  /// and do not start with `node` are passed where they lie; any other label is made a
  /// String for the rule above.
  static func labelProblem(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, id: Int) -> String? {
    let plain =
      !range.isEmpty && isLowercaseLetter(bytes[range.lowerBound])
      && range.dropFirst().allSatisfy {
        isLowercaseLetter(bytes[$0]) || isDigit(bytes[$0]) || bytes[$0] == UInt8(ascii: "_") || bytes[$0] == UInt8(ascii: "-")
      }
      && !spells("node", bytes, range.lowerBound..<min(range.lowerBound + 4, range.upperBound))
      && !isNodeKeyword(bytes, range)
    return plain ? nil : labelProblem(string(bytes, range), id: id)
  }

  static func isNodeKeyword(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    var index = 0
    while let keyword = nodeKeyword(index) {
      if spells(keyword, bytes, range) { return true }
      index += 1
    }
    return false
  }

  /// The capabilities a `Capabilities=` value names (their dependency rules are checked after).
  static func capabilities(_ text: String) -> Result<Capabilities, Problem> {
    var named: Capabilities = []
    for word in words(text) {
      guard let capability = Capabilities(name: word) else {
        let valid = Capabilities.names.map(\.0)
        let hint = commaHint(word) ?? closest(to: word, in: valid).map { " (did you mean '\($0)'?)" } ?? ""
        return .failure(Problem("unknown capability '\(word)'\(hint); valid capabilities: \(valid.joined(separator: ", "))"))
      }
      named.insert(capability)
    }
    return .success(named)
  }

  /// The same, for ASCII values of known names, matched where they lie; any other value is
  /// made a String for the rule above.
  static func capabilities(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Result<Capabilities, Problem> {
    var named: Capabilities = []
    let known = isASCII(bytes, range) && eachWord(bytes, range) { word in
      var bit = 0
      while let spelling = Capabilities.spelling(bit: bit) {
        if spells(spelling, bytes, word) {
          named.insert(Capabilities(rawValue: 1 << bit))
          return true
        }
        bit += 1
      }
      return false
    }
    return known ? .success(named) : capabilities(string(bytes, range))
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

  /// The same, for ASCII names that pass, checked where they lie; any other value is made a
  /// String for the rule above, which words the message.
  static func principals(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, key: String) -> Result<[String], Problem> {
    guard principalsPass(bytes, range) else { return principals(string(bytes, range), key: key) }
    var names: [String] = []
    _ = eachWord(bytes, range) { name in
      names.append(string(bytes, name))
      return true
    }
    return .success(names)
  }

  /// The problem of a list, or nil: what `principals` finds, with no name made of a list
  /// that passes.
  static func principalsProblem(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, key: String) -> Problem? {
    guard !principalsPass(bytes, range), case .failure(let problem) = principals(string(bytes, range), key: key) else {
      return nil
    }
    return problem
  }

  /// An ASCII list of at least one name, none with a comma, every number a valid id.
  static func principalsPass(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    var count = 0
    let valid = isASCII(bytes, range) && eachWord(bytes, range) { name in
      if name.contains(where: { bytes[$0] == UInt8(ascii: ",") }) { return false }
      if name.allSatisfy({ isDigit(bytes[$0]) }), decimal(bytes, name).map({ $0 >= Int(UInt32.max) }) ?? true {
        return false
      }
      count += 1
      return true
    }
    return valid && count > 0
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
    for component in split(path, omittingEmpty: false, where: { $0 == UInt8(ascii: "/") }) {
      if component == ".." {
        return "Cgroup='\(path)' contains '..'; a cgroup path must stay under the cgroup v2 mount"
      }
      if component == "." || component.isEmpty {
        return "Cgroup='\(path)' has an empty or '.' component; write it without '//', '/./' or a trailing '/'"
      }
      if component.utf8.contains(where: isSpace) {
        return "Cgroup='\(path)' contains a space; cgroup names here have none"
      }
    }
    return nil
  }

  /// The same, for ASCII paths that pass, checked where they lie; any other path is made a
  /// String for the rule above, which words the message.
  static func cgroupProblem(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
    guard isASCII(bytes, range) else { return cgroupProblem(string(bytes, range)) }
    var start = range.lowerBound
    for end in range.lowerBound...range.upperBound where end == range.upperBound || bytes[end] == UInt8(ascii: "/") {
      let component = start..<end
      let dots = component.count <= 2 && component.allSatisfy { bytes[$0] == UInt8(ascii: ".") }
      if component.isEmpty || dots || component.contains(where: { isSpace(bytes[$0]) }) {
        return cgroupProblem(string(bytes, range))
      }
      start = end + 1
    }
    return nil
  }

  /// Bytes with an optional K, M, G or T suffix (binary multiples, either case).
  static func size(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Result<UInt64, Problem> {
    var digits = range
    var shift: UInt64 = 0
    // A switch on the byte, not a Dictionary: hashing set-up costs start-up time on a launch.
    let suffixShift: UInt64?
    switch range.last.map({ bytes[$0] }) {
    case UInt8(ascii: "K"), UInt8(ascii: "k"): suffixShift = 10
    case UInt8(ascii: "M"), UInt8(ascii: "m"): suffixShift = 20
    case UInt8(ascii: "G"), UInt8(ascii: "g"): suffixShift = 30
    case UInt8(ascii: "T"), UInt8(ascii: "t"): suffixShift = 40
    default: suffixShift = nil
    }
    if let suffixShift {
      shift = suffixShift
      digits = range.dropLast()
    }
    guard !digits.isEmpty, digits.allSatisfy({ isDigit(bytes[$0]) }) else {
      let text = string(bytes, range)
      return .failure(Problem("MinFree='\(text)' is not a size; write bytes with an optional K, M, G or T suffix, e.g. MinFree=256M" + commentHint(text)))
    }
    var value: UInt64 = 0
    for index in digits {
      let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
      if overflow1 || overflow2 { return .failure(Problem(tooLarge(string(bytes, range)))) }
      value = sum
    }
    guard shift == 0 || value <= UInt64.max >> shift else { return .failure(Problem(tooLarge(string(bytes, range)))) }
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
    var text = text
    return text.withUTF8 { decimal($0, $0.indices) }
  }

  static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
    guard !range.isEmpty, range.count <= 10 else { return nil }
    var value = 0
    for index in range {
      guard isDigit(bytes[index]) else { return nil }
      value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
    }
    return value
  }

  static func words(_ text: String) -> [String] {
    split(text, omittingEmpty: true, where: isSpace)
  }

  /// Calls `body` with each word of the bytes in `range` (space- or tab-separated, as `words`
  /// cuts ASCII) until it returns false; whether it never did.
  static func eachWord(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Bool) -> Bool {
    var start = range.lowerBound
    for end in range.lowerBound...range.upperBound where end == range.upperBound || isSpace(bytes[end]) {
      if end > start && !body(start..<end) { return false }
      start = end + 1
    }
    return true
  }

  static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
  }

  static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    !range.contains { bytes[$0] >= 0x80 }
  }

  /// Whether the bytes in `range` are `name`'s UTF-8.
  static func spells(_ name: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
    guard name.utf8CodeUnitCount == range.count else { return false }
    var index = range.lowerBound
    for byte in UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount) {
      if byte != bytes[index] { return false }
      index += 1
    }
    return true
  }

  /// `text` cut at the ASCII separators `isSeparator` names, as a split by Characters cuts it.
  /// ASCII text (every registry value in practice) is cut as bytes: Character-level splitting
  /// runs Unicode's grapheme rules over every value of every registry file on each launch.
  /// Other text is cut by Characters, where a combining mark after a separator joins it.
  static func split(_ text: String, omittingEmpty: Bool, where isSeparator: (UInt8) -> Bool) -> [String] {
    guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
      return text.split(omittingEmptySubsequences: omittingEmpty, whereSeparator: { $0.isASCII && isSeparator($0.asciiValue!) })
        .map(String.init)
    }
    var parts: [String] = []
    var text = text
    text.withUTF8 { bytes in
      var start = 0
      for index in 0...bytes.count where index == bytes.count || isSeparator(bytes[index]) {
        if index > start || !omittingEmpty {
          parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }
        start = index + 1
      }
    }
    return parts
  }

  /// What separates the words of a value.
  static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

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
