import Glibc

/// The numa_maps of process after process, for the scans of every process (`audit`, `stat`):
/// each file is opened relative to the proc directory held open, and read into one buffer
/// kept (and grown when a file needs more) from one process to the next, so 10,000
/// processes cost neither an allocation nor a String each.
final class NumaMapsReader {
  private let directory: FileDescriptor
  private var buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)

  static func open(proc: String) -> Result<NumaMapsReader, Errno> {
    FileDescriptor.open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC).map(NumaMapsReader.init(directory:))
  }

  private init(directory: FileDescriptor) {
    self.directory = directory
  }

  deinit {
    directory.close()
    buffer.deallocate()
  }

  /// `pid`'s numa_maps to its end (proc hands it over a page at a time, whatever the buffer);
  /// the bytes are valid until the next read.
  func read(pid: Int32) -> Result<UnsafeBufferPointer<UInt8>, Errno> {
    let opened = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { name in
      // "PID/numa_maps", written in place.
      var digits = 0
      var rest = pid.magnitude
      repeat {
        digits += 1
        rest /= 10
      } while rest > 0
      rest = pid.magnitude
      for index in stride(from: digits - 1, through: 0, by: -1) {
        name[index] = CChar(0x30 + rest % 10)
        rest /= 10
      }
      var end = digits
      for byte in "/numa_maps".utf8 {
        name[end] = CChar(bitPattern: byte)
        end += 1
      }
      name[end] = 0
      return retryingOnInterrupt { openat(directory.rawValue, name.baseAddress!, O_RDONLY | O_CLOEXEC) }
    }
    let file: FileDescriptor
    switch opened {
    case .failure(let error): return .failure(error)
    case .success(let descriptor): file = FileDescriptor(rawValue: descriptor)
    }
    defer { file.close() }
    var count = 0
    while true {
      if count == buffer.count {
        let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: buffer.count * 2)
        _ = larger.initialize(from: buffer)
        buffer.deallocate()
        buffer = larger
      }
      switch file.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[count...]))) {
      case .failure(let error): return .failure(error)
      case .success(0): return .success(UnsafeBufferPointer(start: buffer.baseAddress, count: count))
      case .success(let n): count += n
      }
    }
  }
}
