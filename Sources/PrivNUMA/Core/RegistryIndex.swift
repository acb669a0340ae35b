/// The registry as a launch decides on it: every file read (RegistryFiles) and checked by the
/// full parser's own `Registry.fields`, its bytes kept in one buffer and each node's values
/// where they lie there. It makes no String and no array: on a launch onto a private node,
/// the Strings of `Registry.load` and the runtime's metadata look-ups for its arrays and
/// optionals cost more than reading the files. A node's Strings are made when asked for
/// (`node`, `cgroup`): for a node that limits its users, a warning, a cgroup to join.
///
/// It holds only a registry `Registry.load` reads without a word: `read` gives nil for a file
/// with a mistake or a node or label declared twice, which `Registry.load` tells.
struct RegistryIndex {
  /// What a launch decides on of one node.
  struct Entry {
    var id: Int
    var capabilities: Capabilities
    var minFree: UInt64?
    /// AllowUsers= or AllowGroups= limits who may use it.
    var limited: Bool
    /// In `bytes`: the label (`node<id>` when the file gives none), the Cgroup= value (empty
    /// when none), the file and its name.
    var label: Range<Int>
    var cgroup: Range<Int>
    var file: Range<Int>
    var name: Range<Int>
  }

  /// The files, their names and the default labels, one after another. Filled by `read`
  /// only: copies of an index share it.
  private let storage = ByteBuffer()
  /// Each entry as `width` integers, in reading order, kept as bytes: an array of Entry, or
  /// of Int, would cost the runtime metadata look-ups on every launch.
  private let table = ByteBuffer()
  private static let width = 12
  /// The directory does not exist.
  private(set) var missing = false

  var count: Int { table.count / (Self.width * MemoryLayout<Int>.size) }

  /// The bytes `Entry` ranges are in.
  var bytes: UnsafeBufferPointer<UInt8> { storage.bytes }

  private func word(_ index: Int, _ field: Int) -> Int {
    UnsafeRawPointer(table.base).loadUnaligned(
      fromByteOffset: (index * Self.width + field) * MemoryLayout<Int>.size, as: Int.self)
  }

  private func append(_ word: Int) {
    withUnsafeBytes(of: word) { table.append($0.bindMemory(to: UInt8.self)) }
  }

  subscript(index: Int) -> Entry {
    Entry(
      id: word(index, 0), capabilities: Capabilities(rawValue: UInt16(word(index, 1))),
      minFree: word(index, 2) != 0 ? UInt64(bitPattern: Int64(word(index, 3))) : nil,
      limited: word(index, 4) != 0, label: word(index, 5)..<word(index, 6),
      cgroup: word(index, 7)..<word(index, 8), file: word(index, 9)..<word(index, 10),
      // The name comes just before the file.
      name: word(index, 11)..<word(index, 9))
  }

  /// The registry at `directory` (read through `trust` under privilege), or nil when
  /// `Registry.load` has something to say of it: a refusal, a file it cannot read, a file
  /// with an error.
  static func read(directory: UnsafePointer<CChar>, trust: Trust?) -> RegistryIndex? {
    var index = RegistryIndex()
    var clean = true
    let read = RegistryFiles.read(directory: directory, trust: trust) { name, file in
      guard clean else { return }
      guard case .success(let fields) = Registry.fields(file, file: "") else {
        clean = false
        return
      }
      clean = index.add(fields, name: name, file: file)
    }
    guard case .success(let exists) = read, clean else { return nil }
    index.missing = !exists
    return index
  }

  /// Adds a file that passed `Registry.fields`; false when an earlier one declares its node
  /// or its label.
  private func add(
    _ fields: Registry.Fields, name: UnsafeBufferPointer<UInt8>, file: UnsafeBufferPointer<UInt8>
  ) -> Bool {
    let nameStart = storage.count
    storage.append(name)
    let fileStart = storage.count
    storage.append(file)
    let values = fields.values
    var label = values[.label].value
    if values[.label].line > 0 {
      label = fileStart + label.lowerBound..<fileStart + label.upperBound
    } else {
      let start = storage.count
      for byte in "node".utf8 { storage.append(byte) }
      appendDecimal(fields.id)
      label = start..<storage.count
    }
    let cgroup = values[.cgroup].line > 0 ? values[.cgroup].value : 0..<0
    for earlier in 0..<count {
      let entry = self[earlier]
      if entry.id == fields.id || same(entry.label, label) { return false }
    }
    append(fields.id)
    append(Int(fields.capabilities.rawValue))
    append(fields.minFree != nil ? 1 : 0)
    append(Int(Int64(bitPattern: fields.minFree ?? 0)))
    append(values[.allowUsers].line > 0 || values[.allowGroups].line > 0 ? 1 : 0)
    append(label.lowerBound)
    append(label.upperBound)
    append(fileStart + cgroup.lowerBound)
    append(fileStart + cgroup.upperBound)
    append(fileStart)
    append(fileStart + file.count)
    append(nameStart)
    return true
  }

  private func appendDecimal(_ value: Int) {
    if value >= 10 { appendDecimal(value / 10) }
    storage.append(UInt8(ascii: "0") + UInt8(value % 10))
  }

  private func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
    a.count == b.count && bytes[a].elementsEqual(bytes[b])
  }

  /// Whether the entry's label is these bytes.
  func label(of index: Int, is text: UnsafePointer<UInt8>, count: Int) -> Bool {
    let label = self[index].label
    guard label.count == count else { return false }
    for offset in 0..<count where bytes[label.lowerBound + offset] != text[offset] { return false }
    return true
  }

  /// The index of the entry for node `id`.
  func entry(for id: Int) -> Int? {
    for index in 0..<count where word(index, 0) == id { return index }
    return nil
  }

  /// The entry's Cgroup= as written, empty when it has none.
  func cgroup(of index: Int) -> String {
    String(decoding: bytes[self[index].cgroup], as: UTF8.self)
  }

  /// The entry's node as `Registry.load` makes it, its source in `directory`.
  func node(_ index: Int, in directory: UnsafePointer<CChar>) -> PrivateNode? {
    let entry = self[index]
    let path = RegistryFiles.path(
      String(cString: directory), String(decoding: bytes[entry.name], as: UTF8.self))
    guard
      case .success(let declared) = Registry.declaration(
        UnsafeBufferPointer(rebasing: bytes[entry.file]), file: path)
    else { return nil }
    return declared.node
  }
}
