/// Bytes in memory of their own, grown as they are appended: what a launch reading the
/// registry keeps instead of `[UInt8]`. The first array a process makes costs the runtime a
/// look-up among the standard library's prespecialized array types (about 80,000 instructions
/// and a dozen page faults), more than reading an 8-file registry. A class, so that the memory
/// is freed once; its bytes are valid while it lives.
final class ByteBuffer {
  private(set) var base: UnsafeMutablePointer<UInt8>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int = 4096) {
    base = .allocate(capacity: capacity)
    self.capacity = capacity
  }

  deinit { base.deallocate() }

  var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

  func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
    reserve(count + bytes.count)
    (base + count).update(from: source, count: bytes.count)
    count += bytes.count
  }

  func append(_ byte: UInt8) {
    reserve(count + 1)
    base[count] = byte
    count += 1
  }

  func removeAll() { count = 0 }

  /// Appends what `descriptor` reads, to the end of the file.
  func append(readingFrom descriptor: FileDescriptor) -> Errno? {
    while true {
      reserve(count + 4096)
      let free = UnsafeMutableRawBufferPointer(start: base + count, count: capacity - count)
      switch descriptor.read(into: free) {
      case .failure(let error): return error
      case .success(0): return nil
      case .success(let read): count += read
      }
    }
  }

  private func reserve(_ needed: Int) {
    guard needed > capacity else { return }
    capacity = max(needed, 2 * capacity)
    let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    larger.update(from: base, count: count)
    base.deallocate()
    base = larger
  }
}
