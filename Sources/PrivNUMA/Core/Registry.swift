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
  public static let keys = KeyValues.Key.allCases.map { "\($0.name)" }

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
    var contents = Contents()
    var declarations: [Declaration] = []
    // The files after it are still read: that one of them cannot be read or trusted says more.
    var unreadableId: Failure?
    let read = RegistryFiles.read(directory: directory, trust: trust) { name, bytes in
      guard unreadableId == nil else { return }
      let path = RegistryFiles.path(directory, String(decoding: name, as: UTF8.self))
      let error: FileError
      let mentioned: [Int]
      switch declaration(bytes, file: path) {
      case .failure(let failure):
        error = failure
        mentioned = lenientIDs(bytes)
        if mentioned.isEmpty {
          unreadableId = .usage("\(failure); its Id= cannot be read, so privnuma cannot tell which node the file protects and refuses to run until it is fixed")
          return
        }
      case .success(let declared):
        // Indices, not first(where:): an optional Declaration costs a metadata look-up.
        if let index = declarations.firstIndex(where: { $0.node.id == declared.node.id }) {
          let earlier = declarations[index]
          // Declared twice: neither declaration can be trusted to be the one meant.
          error = FileError(file: path, line: declared.idLine, message: "node \(declared.node.id) is already declared in \(earlier.file):\(earlier.idLine); declare each node in one file only")
        } else if let index = declarations.firstIndex(where: { $0.node.label == declared.node.label }) {
          let earlier = declarations[index]
          error = FileError(file: path, line: declared.labelLine, message: "label '\(declared.node.label)' is already used for node \(earlier.node.id) in \(earlier.file):\(earlier.labelLine); choose another label")
        } else {
          declarations.append(declared)
          return
        }
        mentioned = [declared.node.id]
      }
      contents.errors.append(error)
      for id in mentioned where !contents.broken.contains(where: { $0.id == id }) {
        contents.broken.append(BrokenNode(id: id, error: error))
      }
    }
    switch read {
    case .failure(let failure): return .failure(failure)
    case .success(false): return .success(Contents(missing: true))
    case .success(true): break
    }
    if let unreadableId { return .failure(unreadableId) }
    contents.nodes.reserveCapacity(declarations.count)
    for declared in declarations where !contents.broken.contains(where: { $0.id == declared.node.id }) {
      contents.nodes.append(declared.node)
    }
    return .success(contents)
  }

  /// One file's text; `file` is the path used in messages.
  public static func parse(_ text: String, file: String) -> Result<PrivateNode, Failure> {
    declaration(text, file: file).map(\.node).mapError { .usage($0.description) }
  }

  /// The node numbers of every `Id` line, however the rest of the file reads: the leading
  /// digits of the value, any case of the key, with or without `=`, inside or outside a
  /// section.
  static func lenientIDs(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
    var ids: [Int] = []
    var start = 0
    while start < bytes.count {
      var end = start
      while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
      let line = trimmed(bytes, start..<end)
      start = end + 1
      guard line.count > 2, bytes[line.lowerBound] | 0x20 == UInt8(ascii: "i"), bytes[line.lowerBound + 1] | 0x20 == UInt8(ascii: "d") else {
        continue
      }
      var value = trimmed(bytes, line.lowerBound + 2..<line.upperBound)
      if value.first.map({ bytes[$0] }) == UInt8(ascii: "=") { value = trimmed(bytes, value.lowerBound + 1..<value.upperBound) }
      let digits = value.prefix(while: { isDigit(bytes[$0]) })
      if let id = decimal(bytes, digits), !ids.contains(id) {
        ids.append(id)
      }
    }
    return ids
  }
}
