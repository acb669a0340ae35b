import Glibc

/// A directory held open while several of its files are read: each file is opened by name
/// relative to it (openat), so a deep sysfs path is walked once per directory, not once per
/// file. `hardware` reads four files in each of 1,024 node directories this way.
struct Directory {
  private let stream: OpaquePointer

  /// The directory at `path`, or nil when it cannot be opened (absent is normal in sysfs).
  static func open(_ path: String) -> Directory? {
    opendir(path).map(Directory.init(stream:))
  }

  func close() { closedir(stream) }

  /// A directory inside it, opened by name relative to it: one lookup rather than a walk of
  /// the whole path, which `hardware` would otherwise repeat for each of 1,024 node directories.
  func directory(_ name: String) -> Directory? {
    let parent = FileDescriptor(rawValue: dirfd(stream))
    guard case .success(let descriptor) = parent.open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    else { return nil }
    guard let stream = fdopendir(descriptor.rawValue) else {
      descriptor.close()
      return nil
    }
    return Directory(stream: stream)
  }

  /// A small file in it, whole (a sysfs attribute), or nil when it cannot be read.
  func attribute(_ name: String) -> [UInt8]? {
    guard case .success(let file) = FileDescriptor(rawValue: dirfd(stream)).open(name, O_RDONLY | O_CLOEXEC) else { return nil }
    defer { file.close() }
    guard case .success(let bytes) = file.readAttribute() else { return nil }
    return bytes
  }

  /// Its names, without `.` and `..`, in the order the file system gives them; once per
  /// opening (the stream is not rewound).
  func names() -> [String] {
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = FileSystem.entryName(entry)
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
}
