import Glibc

/// Reading processes under the proc root: which exist, their numa_maps, who they are.
enum Processes {
  /// PIDs under the proc root (its numeric directories), ascending.
  static func pids(proc: String) -> Result<[Int32], Errno> {
    guard let dir = opendir(proc) else { return .failure(.current) }
    defer { closedir(dir) }
    var pids: [Int32] = []
    while let entry = readdir(dir) {
      let pid: Int32? = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: UInt8.self, capacity: 256) { name in
          var value: Int32 = 0
          var index = 0
          while name[index] != 0 {
            let byte = name[index]
            guard byte >= 0x30, byte <= 0x39, index < 9 else { return nil }
            value = value * 10 + Int32(byte - 0x30)
            index += 1
          }
          return index > 0 ? value : nil
        }
      }
      if let pid { pids.append(pid) }
    }
    return .success(pids.sorted())
  }

  static func path(_ proc: String, _ pid: Int32, _ file: String) -> String {
    proc + "/" + String(pid) + "/" + file
  }

  /// The raw `numa_maps` of a process.
  static func numaMapsBytes(proc: String, pid: Int32) -> Result<[UInt8], Errno> {
    FileSystem.readBytes(path(proc, pid, "numa_maps"))
  }

  static func usage(proc: String, pid: Int32) -> Result<MemoryUsage, Errno> {
    numaMapsBytes(proc: proc, pid: pid).map { MemoryUsage(NumaMaps.parse($0)) }
  }

  /// Whether a read failed because the process is gone (it exited between listing and reading).
  static func vanished(_ error: Errno) -> Bool { error == .noSuchFile || error == .noSuchProcess }

  /// PF_KTHREAD in the flags field of /proc/PID/stat: kernel threads have no user memory and
  /// always live in the root cgroup.
  static func isKernelThread(proc: String, pid: Int32) -> Bool {
    guard let bytes = FileSystem.bytesIfPresent(path(proc, pid, "stat")) else { return false }
    // The command sits in parentheses and may hold spaces: count fields after the last ')'.
    guard let close = bytes.lastIndex(of: 0x29) else { return false }
    var field = 2
    var index = close + 1
    var value: UInt64 = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == 0x20 {
        if field == 9 { break }
        field += 1
        value = 0
      } else if field == 9, byte >= 0x30, byte <= 0x39 {
        value = value * 10 + UInt64(byte - 0x30)
      }
      index += 1
    }
    return field == 9 && value & 0x0020_0000 != 0
  }

  /// What a listing shows about a process besides its memory.
  struct Info: Sendable, Equatable {
    var command: String
    var uid: UInt32?
  }

  static func info(proc: String, pid: Int32) -> Info {
    if case .success(let status) = ProcessStatus.read(proc: proc, pid: pid) {
      return Info(command: status.name, uid: status.uid)
    }
    var command = FileSystem.readIfPresent(path(proc, pid, "comm")) ?? "?"
    while command.hasSuffix("\n") { command.removeLast() }
    return Info(command: command, uid: nil)
  }

  /// User names by uid for listings, from the passwd file, read once into `cache`.
  /// Not through NSS: the statically linked executable crashes loading NSS modules
  /// (getpwuid of a uid missing from the files database ends in libnss_systemd), and a
  /// listing needs a name only for display; the uid is always shown as well.
  static func userName(_ uid: UInt32?, cache: inout [UInt32: String], passwd: String = "/etc/passwd") -> String? {
    guard let uid else { return nil }
    if cache.isEmpty {
      cache[UInt32.max] = ""  // marks the file as read, even when it names nobody
      for fields in Accounts.lines(passwd) {
        guard fields.count >= 3, let id = UInt32(fields[2]), cache[id] == nil else { continue }
        cache[id] = fields[0]
      }
    }
    return cache[uid]
  }

  /// PIDs whose name (status `Name:`) or command line (NULs read as spaces) contains
  /// `pattern`, as numastat -p matches; `excluding` is privnuma itself, whose command line
  /// holds the pattern too.
  static func matching(_ pattern: String, proc: String, excluding: Int32 = getpid()) -> [Int32] {
    guard case .success(let pids) = pids(proc: proc) else { return [] }
    return pids.filter { pid in
      guard pid != excluding else { return false }
      var text = info(proc: proc, pid: pid).command
      if let bytes = FileSystem.bytesIfPresent(path(proc, pid, "cmdline")) {
        text += " " + String(decoding: bytes.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      }
      return text.includes(pattern)
    }
  }
}
