import CPrivNUMA
import Glibc

/// numactl's shared-memory half: a System V segment (`--shm`) or a file in tmpfs or
/// hugetlbfs (`--file`) mapped into this process so that a policy can be set on it with
/// mbind. The policy stays with the segment or file after privnuma exits, and applies to
/// whichever process faults its pages in.
struct SharedMapping {
  /// Start of the policy range (the mapping plus the offset, for a segment).
  var base: UnsafeMutableRawPointer
  var length: Int
  /// Where the range starts in the segment or file, for dumps.
  var offset: UInt64
  /// The unit the range must be aligned to and is walked in: huge pages for hugetlb.
  var pageSize: Int

  struct Error: Swift.Error {
    var message: String
    /// A mistake in the request (exit 2) rather than a refusal of the system (exit 1).
    var isUsage = false
  }

  /// `SHM_HUGETLB` of shmget(2), missing from the imported headers.
  static let hugeTLB: Int32 = 0o4000

  /// Attaches the segment whose key ftok(3) makes of `keyFile` and `projectID`, creating the
  /// key file and the segment as numactl does when they do not exist (`notes` says so).
  static func attachSegment(
    keyFile: String, projectID: Int32, length: UInt64, offset: UInt64, mode: UInt32, huge: Bool, proc: String,
    notes: (String) -> Void
  ) -> Result<SharedMapping, Error> {
    var key = ftok(keyFile, projectID)
    if key == -1 {
      notes("creating shm key file \(keyFile) mode \(octal(mode))")
      let fd = creat(keyFile, mode_t(mode))
      if fd < 0 { return .failure(Error(message: "--shm \(keyFile): cannot create the key file: \(Errno.current)")) }
      close(fd)
      key = ftok(keyFile, projectID)
      if key == -1 { return .failure(Error(message: "--shm \(keyFile): ftok failed with \(Errno.current)")) }
    }
    let flags = huge ? hugeTLB : 0
    var id = shmget(key, Int(length), flags)
    if id < 0 && Errno.current == .noSuchFile {
      if length == 0 {
        return .failure(Error(message: "--shm \(keyFile): no such segment yet; give --length before --shm to create one", isUsage: true))
      }
      notes("creating shared memory segment \(keyFile) id \(projectID) mode \(octal(mode)) length \(length + offset) bytes")
      id = shmget(key, Int(length + offset), IPC_CREAT | Int32(mode & 0o777) | flags)
    }
    if id < 0 { return .failure(Error(message: "--shm \(keyFile): shmget failed with \(Errno.current)")) }
    var size = length
    if size == 0 {
      var info = shmid_ds()
      if shmctl(id, IPC_STAT, &info) < 0 { return .failure(Error(message: "--shm \(keyFile): shmctl(IPC_STAT) failed with \(Errno.current)")) }
      size = UInt64(info.shm_segsz)
      if offset >= size {
        return .failure(Error(message: "--offset \(offset) is beyond the segment's \(size) bytes", isUsage: true))
      }
      size -= offset
    }
    guard let address = shmat(id, nil, 0), address != UnsafeMutableRawPointer(bitPattern: -1) else {
      return .failure(Error(message: "--shm \(keyFile): shmat failed with \(Errno.current)"))
    }
    // The unit of a SHM_HUGETLB segment is the default huge page size.
    let pageSize = huge ? NodeStatistics.hugePageSize(proc: proc).map { Int($0) } ?? Int(getpagesize()) : Int(getpagesize())
    return checked(SharedMapping(base: address + Int(offset), length: Int(size), offset: offset, pageSize: pageSize), "--shm")
  }

  /// Maps `path` shared, creating it or growing it to offset + length as numactl does.
  static func mapFile(path: String, length: UInt64, offset: UInt64, mode: UInt32, notes: (String) -> Void) -> Result<SharedMapping, Error> {
    var fd = open(path, O_RDWR | O_CLOEXEC)
    if fd < 0 {
      if length == 0 {
        return .failure(Error(message: "--file \(path): cannot open it (\(Errno.current)); give --length before --file to create it", isUsage: true))
      }
      fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(mode))
      if fd < 0 { return .failure(Error(message: "--file \(path): cannot create it: \(Errno.current)")) }
    }
    var info = stat()
    if fstat(fd, &info) != 0 { return .failure(Error(message: "--file \(path): fstat failed with \(Errno.current)")) }
    var size = length
    if size == 0 {
      // numactl needs a length for a file; the file's own size past the offset is the natural one.
      guard UInt64(info.st_size) > offset else {
        return .failure(Error(message: "--file \(path) has \(info.st_size) bytes, nothing past --offset \(offset); give --length", isUsage: true))
      }
      size = UInt64(info.st_size) - offset
    }
    // Pages past the end of the file would raise SIGBUS when touched.
    if size + offset > UInt64(info.st_size), ftruncate(fd, off_t(size + offset)) != 0 {
      return .failure(Error(message: "--file \(path): cannot grow it to \(size + offset) bytes: \(Errno.current)"))
    }
    let mapping = SharedMapping(base: UnsafeMutableRawPointer(bitPattern: 1)!, length: Int(size), offset: offset, pageSize: Int(info.st_blksize))
    if case .failure(let error) = checked(mapping, "--file") { return .failure(error) }
    guard let address = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset)),
      address != MAP_FAILED
    else {
      return .failure(Error(message: "--file \(path): mmap failed with \(Errno.current)"))
    }
    return .success(SharedMapping(base: address, length: Int(size), offset: offset, pageSize: Int(info.st_blksize)))
  }

  /// mbind needs a range aligned to the page size of the memory behind it.
  private static func checked(_ mapping: SharedMapping, _ option: String) -> Result<SharedMapping, Error> {
    let misaligned = Int(mapping.offset) % mapping.pageSize != 0 || mapping.length % mapping.pageSize != 0
    if mapping.length == 0 || misaligned {
      return .failure(Error(message: "\(option): --offset \(mapping.offset) and --length \(mapping.length) must be non-zero multiples of the page size (\(mapping.pageSize) bytes)", isUsage: true))
    }
    return .success(mapping)
  }

  static func octal(_ mode: UInt32) -> String {
    let digits = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  // MARK: - Policy on the range

  /// mbind(2) over the range; `strict` adds MPOL_MF_STRICT (fail when pages already sit elsewhere).
  func bind(_ policy: MemoryPolicy, strict: Bool) -> Result<Void, Errno> {
    let mode = policy.mode.rawValue | policy.flags.rawValue
    let flags = UInt32(strict ? CPrivNUMA_MPOL_MF_STRICT : 0)
    if !policy.mode.takesNodes {
      return retryingOnInterrupt { CPrivNUMA_mbind(base, UInt(length), mode, nil, 0, flags) }.map { _ in () }
    }
    let words = SystemKernel.words(policy.nodes)
    return words.withUnsafeBufferPointer { buffer in
      retryingOnInterrupt {
        CPrivNUMA_mbind(base, UInt(length), mode, buffer.baseAddress, UInt(SystemKernel.maskBits + 1), flags)
      }
    }.map { _ in () }
  }

  /// Faults every page in without changing it, so the policy places them now.
  func touch() {
    CPrivNUMA_touch(base, UInt(length), UInt(pageSize))
  }

  /// The policy of each page, as runs of equal policies: (start, end, policy), offsets in the
  /// segment or file. Pages without a policy of their own (MPOL_DEFAULT) are left out.
  func policyRuns() -> Result<[(start: UInt64, end: UInt64, policy: MemoryPolicy)], Errno> {
    var runs: [(start: UInt64, end: UInt64, policy: MemoryPolicy)] = []
    var current: (start: Int, policy: MemoryPolicy)?
    var index = 0
    while index < length {
      var words = [UInt](repeating: 0, count: SystemKernel.maskBits / UInt.bitWidth)
      var mode: Int32 = 0
      let result = words.withUnsafeMutableBufferPointer { buffer in
        retryingOnInterrupt {
          CPrivNUMA_get_mempolicy(&mode, buffer.baseAddress, UInt(SystemKernel.maskBits + 1), base + index, UInt(CPrivNUMA_MPOL_F_ADDR))
        }
      }
      if case .failure(let error) = result { return .failure(error) }
      let policy = MemoryPolicy(
        mode: PolicyMode(rawValue: mode & ~PolicyFlags.all.rawValue) ?? .default,
        flags: PolicyFlags(rawValue: mode & PolicyFlags.all.rawValue), nodes: SystemKernel.set(words))
      if let run = current, run.policy != policy {
        runs.append((offset + UInt64(run.start), offset + UInt64(index), run.policy))
        current = nil
      }
      if current == nil { current = (index, policy) }
      index += pageSize
    }
    if let run = current { runs.append((offset + UInt64(run.start), offset + UInt64(length), run.policy)) }
    return .success(runs.filter { $0.policy.mode != .default })
  }

  /// The node of each page, as runs of the same node. Asking faults absent pages in, as
  /// numactl's --dump-nodes does.
  func nodeRuns() -> Result<[(start: UInt64, end: UInt64, node: Int)], Errno> {
    var runs: [(start: UInt64, end: UInt64, node: Int)] = []
    var current: (start: Int, node: Int)?
    var index = 0
    while index < length {
      var node: Int32 = 0
      let result = retryingOnInterrupt {
        CPrivNUMA_get_mempolicy(&node, nil, 0, base + index, UInt(CPrivNUMA_MPOL_F_ADDR | CPrivNUMA_MPOL_F_NODE))
      }
      if case .failure(let error) = result { return .failure(error) }
      if let run = current, run.node != Int(node) {
        runs.append((offset + UInt64(run.start), offset + UInt64(index), run.node))
        current = nil
      }
      if current == nil { current = (index, Int(node)) }
      index += pageSize
    }
    if let run = current { runs.append((offset + UInt64(run.start), offset + UInt64(length), run.node)) }
    return .success(runs)
  }
}
