import Glibc

/// Reading the registry directory: the `*.conf` files' bytes, nothing parsed (Registry in Core
/// makes declarations of them).
///
/// With `trust` (privnuma runs with privilege) the directory is opened through
/// `Trust.openDirectory`, each file without following a symbolic link, and every file is
/// checked through the descriptor it is then read from, so nothing can be swapped between
/// the check and the read.
enum RegistryFiles {
  /// Hands each `*.conf` file of `directory`, in byte order of the names, to `each`: its path
  /// and its bytes as read, which live only for the call (one buffer serves every file, and
  /// no String is made of them). False when the directory does not exist. A file that cannot
  /// be read fails the whole read, after `each` has seen the files before it.
  static func read(
    directory: String, trust: Trust?, each: (String, UnsafeBufferPointer<UInt8>) -> Void
  ) -> Result<Bool, Failure> {
    let prefix = directory.hasSuffix("/") ? directory : directory + "/"
    let noFollow = trust != nil ? O_NOFOLLOW : 0
    let directoryDescriptor: FileDescriptor
    if let trust {
      switch trust.openDirectory(directory) {
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
          return .failure(.system("registry \(directory) is not a directory; the registry is a directory of *.conf files"))
        }
        return .failure(.system("cannot open the registry \(directory): \(error)"))
      }
    }
    guard let stream = fdopendir(directoryDescriptor.rawValue) else {
      let error = Errno.current
      directoryDescriptor.close()
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

    var bytes: [UInt8] = []
    for name in names {
      let path = prefix + name
      // O_NONBLOCK: a FIFO named *.conf must not hang the launch; it is rejected below.
      let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | noFollow
      let file: FileDescriptor
      switch directoryDescriptor.open(name, flags) {
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
      defer { file.close() }
      switch file.status() {
      case .failure(let error): return .failure(.system("cannot check \(path): \(error)"))
      case .success(let info) where info.st_mode & S_IFMT != S_IFREG:
        return .failure(.usage("\(path): not a regular file; remove it, or rename it so it does not end in .conf"))
      case .success: break
      }
      if let trust, let problem = trust.check(file.rawValue, path: path, userMountable: mountable) {
        return .failure(trust.refusal(problem))
      }
      bytes.removeAll(keepingCapacity: true)
      if let error = file.readAll(appendingTo: &bytes) {
        return .failure(.system("cannot read \(path): \(error)"))
      }
      bytes.withUnsafeBufferPointer { each(path, $0) }
    }
    return .success(true)
  }

  /// `*.conf` with a name before the suffix, not hidden.
  static func isRegistryFileName(_ name: String) -> Bool {
    name.hasSuffix(".conf") && !name.hasPrefix(".")
  }

  /// Names in `directory` that are not read: neither hidden nor `*.conf` (a `README`, a
  /// `cxl0.conf.bak`), so a declaration saved under the wrong name is not lost unseen.
  static func unread(directory: String) -> [String] {
    guard case .success(let names) = FileSystem.list(directory) else { return [] }
    return names.filter { !$0.hasPrefix(".") && !isRegistryFileName($0) }
  }
}
