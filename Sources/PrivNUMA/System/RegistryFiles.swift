import Glibc

/// Reading the registry directory: the `*.conf` files' bytes, nothing parsed (Registry in Core
/// makes declarations of them).
///
/// With `trust` (privnuma runs with privilege) the directory is opened through
/// `Trust.openDirectory`, each file without following a symbolic link, and every file is
/// checked through the descriptor it is then read from, so nothing can be swapped between
/// the check and the read.
enum RegistryFiles {
  /// Hands each `*.conf` file of `directory`, in byte order of the names, to `each`: its name
  /// and its bytes as read, which live only for the call. Names and bytes stay bytes, in one
  /// buffer each (a launch reads every file; a String per name and an array per file were
  /// most of its cost); a path String is made only for a message or a Trust check. False
  /// when the directory does not exist. A file that cannot be read fails the whole read,
  /// after `each` has seen the files before it.
  static func read(
    directory: UnsafePointer<CChar>, trust: Trust?,
    each: (_ name: UnsafeBufferPointer<UInt8>, _ bytes: UnsafeBufferPointer<UInt8>) -> Void
  ) -> Result<Bool, Failure> {
    func named() -> String { String(cString: directory) }
    let directoryDescriptor: FileDescriptor
    if let trust {
      switch trust.openDirectory(named()) {
      case .failure(let failure): return .failure(failure)
      case .success(.missing): return .success(false)
      case .success(.directory(let descriptor)): directoryDescriptor = FileDescriptor(rawValue: descriptor)
      }
    } else {
      switch FileDescriptor.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) {
      case .success(let descriptor): directoryDescriptor = descriptor
      case .failure(let error):
        if error == .noSuchFile { return .success(false) }
        if error == .notDirectory {
          return .failure(.system("registry \(named()) is not a directory; the registry is a directory of *.conf files"))
        }
        return .failure(.system("cannot open the registry \(named()): \(error)"))
      }
    }
    guard let stream = fdopendir(directoryDescriptor.rawValue) else {
      let error = Errno.current
      directoryDescriptor.close()
      return .failure(.system("cannot read the registry \(named()): \(error)"))
    }
    defer { closedir(stream) }

    // Every name read, each ended by a NUL, and where each starts: no array (ByteBuffer).
    let names = ByteBuffer()
    var starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 16)
    var count = 0
    defer { starts.deallocate() }
    while true {
      errno = 0
      guard let entry = readdir(stream) else {
        if errno != 0 { return .failure(.system("cannot list the registry \(named()): \(Errno.current)")) }
        break
      }
      withUnsafeBytes(of: entry.pointee.d_name) { raw in
        let name = UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<strlen(raw.baseAddress!)])
        guard isRegistryFileName(name) else { return }
        if count == starts.count {
          let larger = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2 * count)
          _ = larger.initialize(fromContentsOf: starts)
          starts.deallocate()
          starts = larger
        }
        starts[count] = names.count
        count += 1
        names.append(name)
        names.append(0)
      }
    }
    return withExtendedLifetime(names) {
      let base = UnsafeRawPointer(names.base).assumingMemoryBound(to: CChar.self)
      // strcmp compares bytes as unsigned: byte order, as `ls` sorts in the C locale.
      var read = UnsafeMutableBufferPointer(rebasing: starts[0..<count])
      read.sort { strcmp(base + $0, base + $1) < 0 }
      return readFiles(
        names: base, starts: UnsafeBufferPointer(read), in: directoryDescriptor, directory: directory, trust: trust,
        each: each)
    }
  }

  /// The files named at `starts` in `names`, in that order, of the directory open as
  /// `directoryDescriptor`.
  private static func readFiles(
    names: UnsafePointer<CChar>, starts: UnsafeBufferPointer<Int>, in directoryDescriptor: FileDescriptor,
    directory: UnsafePointer<CChar>, trust: Trust?,
    each: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void
  ) -> Result<Bool, Failure> {
    let noFollow = trust != nil ? O_NOFOLLOW : 0
    let mountable = trust?.userMountable() ?? []
    let bytes = ByteBuffer()
    for start in starts {
      let name = names + start
      func path() -> String { self.path(String(cString: directory), String(cString: name)) }
      // O_NONBLOCK: a FIFO named *.conf must not hang the launch; it is rejected below.
      let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | noFollow
      let file: FileDescriptor
      switch directoryDescriptor.open(name, flags) {
      case .success(let descriptor): file = descriptor
      case .failure(let error):
        if let trust, error.rawValue == ELOOP {
          return .failure(trust.refusal(Trust.Problem(path: path(), problem: "is a symbolic link", fix: "replace it with the file it points to")))
        }
        // A declaration that silently vanished would leave its node unprotected.
        if error == .noSuchFile {
          return .failure(.usage("\(path()) is a symbolic link to a file that does not exist; fix the link or remove it"))
        }
        // privnuma reads the registry with the caller's rights, privileged install or not.
        if error == .accessDenied {
          return .failure(.system("cannot open \(path()): \(error); privnuma reads the registry with the caller's rights, so every user must be able to read it: run 'chmod 0644 \(path())'"))
        }
        return .failure(.system("cannot open \(path()): \(error)"))
      }
      defer { file.close() }
      switch file.status() {
      case .failure(let error): return .failure(.system("cannot check \(path()): \(error)"))
      case .success(let info) where info.st_mode & S_IFMT != S_IFREG:
        return .failure(.usage("\(path()): not a regular file; remove it, or rename it so it does not end in .conf"))
      case .success: break
      }
      if let trust, let problem = trust.check(file.rawValue, path: path(), userMountable: mountable) {
        return .failure(trust.refusal(problem))
      }
      bytes.removeAll()
      if let error = bytes.append(readingFrom: file) {
        return .failure(.system("cannot read \(path()): \(error)"))
      }
      each(UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name)), bytes.bytes)
    }
    return .success(true)
  }

  /// A file's path in messages: the directory, a `/` unless it ends in one, the name.
  static func path(_ directory: String, _ name: String) -> String {
    (directory.hasSuffix("/") ? directory : directory + "/") + name
  }

  /// `*.conf` with a name before the suffix, not hidden.
  static func isRegistryFileName(_ name: String) -> Bool {
    name.hasSuffix(".conf") && !name.hasPrefix(".")
  }

  /// The same for a name's bytes: compared in place when ASCII, where a String's comparison
  /// is byte equality; any other name is made a String for the rule above.
  static func isRegistryFileName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
    guard name.allSatisfy({ $0 < 0x80 }) else { return isRegistryFileName(String(decoding: name, as: UTF8.self)) }
    let suffix: StaticString = ".conf"
    guard name.count >= suffix.utf8CodeUnitCount, name[0] != UInt8(ascii: ".") else { return false }
    return UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount)
      .elementsEqual(name[(name.count - suffix.utf8CodeUnitCount)...])
  }

  /// Names in `directory` that are not read: neither hidden nor `*.conf` (a `README`, a
  /// `cxl0.conf.bak`), so a declaration saved under the wrong name is not lost unseen.
  static func unread(directory: String) -> [String] {
    guard case .success(let names) = FileSystem.list(directory) else { return [] }
    return names.filter { !$0.hasPrefix(".") && !isRegistryFileName($0) }
  }
}
