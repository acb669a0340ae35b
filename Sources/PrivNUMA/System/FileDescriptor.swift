import Glibc

/// An open file of this process, in the style of swift-system's `FileDescriptor`: each system
/// call on it is one typed function that returns `Errno` and retries EINTR in one place
/// (`retryingOnInterrupt`), so callers never see C's -1 and errno.
struct FileDescriptor {
  let rawValue: Int32

  static let standardOutput = FileDescriptor(rawValue: STDOUT_FILENO)
  static let standardError = FileDescriptor(rawValue: STDERR_FILENO)

  /// open(2) of a C string (a String passes as one); `flags` are the `O_` flags, `O_CLOEXEC`
  /// included by the caller.
  static func open(_ path: UnsafePointer<CChar>, _ flags: Int32, mode: mode_t = 0) -> Result<FileDescriptor, Errno> {
    retryingOnInterrupt { Glibc.open(path, flags, mode) }.map(FileDescriptor.init(rawValue:))
  }

  /// openat(2): `name` (a C string, or a String) inside the directory open as `self`.
  func open(_ name: UnsafePointer<CChar>, _ flags: Int32) -> Result<FileDescriptor, Errno> {
    retryingOnInterrupt { openat(rawValue, name, flags) }.map(FileDescriptor.init(rawValue:))
  }

  /// close(2). Never retried: on Linux the descriptor is gone even when close reports EINTR.
  func close() {
    _ = Glibc.close(rawValue)
  }

  /// read(2) into `buffer`; 0 at the end of the file.
  func read(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
    retryingOnInterrupt { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
  }

  /// write(2) of `buffer`; the count the kernel took, which may be less.
  func write(_ buffer: UnsafeRawBufferPointer) -> Result<Int, Errno> {
    retryingOnInterrupt { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }
  }

  /// fstat(2).
  func status() -> Result<stat, Errno> {
    var info = stat()
    return retryingOnInterrupt { fstat(rawValue, &info) }.map { _ in info }
  }

  /// Everything up to the end of the file. An uninitialised stack buffer: sysfs and proc
  /// files are tiny, and zero-filling a heap one costs more than the read on the launch path.
  func readAll() -> Result<[UInt8], Errno> {
    var bytes: [UInt8] = []
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk in
      while true {
        switch read(into: UnsafeMutableRawBufferPointer(chunk)) {
        case .failure(let error): return .failure(error)
        case .success(0): return .success(bytes)
        case .success(let n): bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n]))
        }
      }
    }
  }

  /// A sysfs attribute whole. The kernel hands an attribute over in one read (at most a page),
  /// so a read that leaves the buffer short is the end: the read that would return 0 is
  /// saved, half the reads of a 1,024-node `hardware`. Not for proc files, whose seq_file
  /// reads stop at record boundaries before the end.
  func readAttribute() -> Result<[UInt8], Errno> {
    var bytes: [UInt8] = []
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk in
      while true {
        switch read(into: UnsafeMutableRawBufferPointer(chunk)) {
        case .failure(let error): return .failure(error)
        case .success(let n):
          bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n]))
          if n < chunk.count { return .success(bytes) }
        }
      }
    }
  }

  /// Every byte of `bytes`, in as many writes as the kernel needs; stops at the first error,
  /// or when a write takes nothing.
  func writeAll(_ bytes: [UInt8]) -> Result<Void, Errno> {
    bytes.withUnsafeBytes { writeAll($0) }
  }

  func writeAll(_ bytes: UnsafeRawBufferPointer) -> Result<Void, Errno> {
    var offset = 0
    while offset < bytes.count {
      switch write(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
      case .failure(let error): return .failure(error)
      case .success(0): return .failure(Errno(rawValue: EIO))
      case .success(let n): offset += n
      }
    }
    return .success(())
  }
}
