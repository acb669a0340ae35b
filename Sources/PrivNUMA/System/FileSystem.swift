import Glibc

/// Small, Foundation-free file access: the launch path reads a handful of sysfs and proc files.
enum FileSystem {
  /// The whole file as text; sysfs and proc files are small, so one buffer usually suffices.
  static func read(_ path: String) -> Result<String, Errno> {
    readBytes(path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// The whole file as bytes: the launch path parses sysfs and proc without building Strings.
  static func readBytes(_ path: String) -> Result<[UInt8], Errno> {
    FileDescriptor.open(path, O_RDONLY | O_CLOEXEC).flatMap { file in
      defer { file.close() }
      return file.readAll()
    }
  }

  /// The file's text, or nil when it cannot be read (absent files are normal in sysfs).
  static func readIfPresent(_ path: String) -> String? {
    if case .success(let text) = read(path) { return text }
    return nil
  }

  static func bytesIfPresent(_ path: String) -> [UInt8]? {
    if case .success(let bytes) = readBytes(path) { return bytes }
    return nil
  }

  /// A sysfs attribute's text in one read (`FileDescriptor.readAttribute`), or nil when it
  /// cannot be read: for the attributes of each memory block, of which there are thousands.
  static func attributeIfPresent(_ path: String) -> String? {
    guard case .success(let file) = FileDescriptor.open(path, O_RDONLY | O_CLOEXEC) else {
      return nil
    }
    defer { file.close() }
    guard case .success(let bytes) = file.readAttribute() else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Names in a directory, without `.` and `..`, sorted by byte order.
  static func list(_ path: String) -> Result<[String], Errno> {
    guard let dir = opendir(path) else { return .failure(.current) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = entryName(entry)
      if name != "." && name != ".." { names.append(name) }
    }
    return .success(names.sorted(by: byteOrder))
  }

  /// The name of a directory entry from readdir.
  static func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
    withUnsafePointer(to: entry.pointee.d_name) {
      $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
    }
  }

  /// Byte order of names, as `ls` sorts in the C locale and systemd reads drop-in files.
  static func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
  }

  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// Ownership and mode of a path, without following a final symlink.
  struct Status {
    var owner: UInt32
    var group: UInt32
    var mode: UInt32
    var isSymlink: Bool { mode & S_IFMT == S_IFLNK }
    var isDirectory: Bool { mode & S_IFMT == S_IFDIR }
  }

  static func status(_ path: String) -> Result<Status, Errno> {
    var info = stat()
    if lstat(path, &info) != 0 { return .failure(.current) }
    return .success(Status(owner: info.st_uid, group: info.st_gid, mode: info.st_mode))
  }

  /// A real directory (not a symbolic link to one).
  static func isDirectory(_ path: String) -> Bool {
    if case .success(let status) = status(path) { return status.isDirectory }
    return false
  }

  /// The same, following symlinks.
  static func statusFollowing(_ path: String) -> Result<Status, Errno> {
    var info = stat()
    if stat(path, &info) != 0 { return .failure(.current) }
    return .success(Status(owner: info.st_uid, group: info.st_gid, mode: info.st_mode))
  }

  /// Writes `text` to an existing file (sysfs and cgroup control files), or with `create`
  /// to a new or truncated regular file, mode 0644, never through a symbolic link.
  static func write(_ text: String, to path: String, create: Bool = false) -> Result<Void, Errno> {
    let flags = create ? O_WRONLY | O_CLOEXEC | O_CREAT | O_TRUNC | O_NOFOLLOW : O_WRONLY | O_CLOEXEC
    let fd = retryingOnInterrupt { open(path, flags, 0o644) }
    guard case .success(let descriptor) = fd else {
      if case .failure(let error) = fd { return .failure(error) }
      return .failure(.invalidArgument)
    }
    defer { close(descriptor) }
    var bytes = Array(text.utf8)
    let written = bytes.withUnsafeMutableBytes { buffer in
      retryingOnInterrupt { Glibc.write(descriptor, buffer.baseAddress, buffer.count) }
    }
    switch written {
    case .failure(let error): return .failure(error)
    case .success: return .success(())
    }
  }

  static func makeDirectory(_ path: String) -> Result<Void, Errno> {
    if mkdir(path, 0o755) != 0 {
      let error = Errno.current
      if error.rawValue == EEXIST { return .success(()) }
      return .failure(error)
    }
    return .success(())
  }
}

/// Where privnuma reads the machine from; tests point these at fixture trees.
public struct Roots: Sendable {
  public var sysfs: String
  public var proc: String
  public var cgroup: String
  public var registry: String

  public static let system = Roots(
    sysfs: "/sys", proc: "/proc", cgroup: "/sys/fs/cgroup", registry: "/etc/privnuma/nodes.d")

  public init(sysfs: String, proc: String, cgroup: String, registry: String) {
    self.sysfs = sysfs
    self.proc = proc
    self.cgroup = cgroup
    self.registry = registry
  }

  var nodeDirectory: String { sysfs + "/devices/system/node" }
}
