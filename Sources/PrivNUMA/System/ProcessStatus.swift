/// What /proc/PID/status says about where a process may run and allocate.
public struct ProcessStatus: Sendable {
  public var memsAllowed: NodeSet
  public var cpusAllowed: CPUSet
  public var name: String
  public var uid: UInt32?

  /// Reads `/proc/<pid>/status` under the proc root; `pid` nil means `self`.
  public static func read(proc: String, pid: Int32? = nil) -> Result<ProcessStatus, Errno> {
    let path = proc + "/" + (pid.map(String.init) ?? "self") + "/status"
    return FileSystem.readBytes(path).map { parse($0[...]) }
  }

  public static func parse(_ text: String) -> ProcessStatus { parse(ArraySlice(text.utf8)) }

  /// Scans the bytes line by line: this runs on every launch, so no Strings are built for
  /// lines that are not wanted.
  public static func parse(_ bytes: ArraySlice<UInt8>) -> ProcessStatus {
    var status = ProcessStatus(memsAllowed: NodeSet(), cpusAllowed: CPUSet(), name: "", uid: nil)
    var start = bytes.startIndex
    while start < bytes.endIndex {
      var end = start
      while end < bytes.endIndex, bytes[end] != 0x0A { end += 1 }
      let line = bytes[start..<end]
      if let colon = line.firstIndex(of: 0x3A) {
        var value = colon + 1
        while value < end, bytes[value] == 0x09 || bytes[value] == 0x20 { value += 1 }
        let key = line[start..<colon]
        if matches(key, "Mems_allowed_list") {
          status.memsAllowed = NodeSet(kernelList: bytes[value..<end]) ?? NodeSet()
        } else if matches(key, "Cpus_allowed_list") {
          status.cpusAllowed = CPUSet(kernelList: bytes[value..<end]) ?? CPUSet()
        } else if matches(key, "Name") {
          status.name = String(decoding: bytes[value..<end], as: UTF8.self)
        } else if matches(key, "Uid") {
          var uid: UInt32 = 0
          var index = value
          while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            uid = uid &* 10 &+ UInt32(bytes[index] - 0x30)
            index += 1
          }
          status.uid = index > value ? uid : nil
        }
      }
      start = end + 1
    }
    return status
  }

  /// Whether the bytes spell `key`; a plain loop, which the generic `elementsEqual` is not.
  static func matches(_ bytes: ArraySlice<UInt8>, _ key: StaticString) -> Bool {
    guard bytes.count == key.utf8CodeUnitCount else { return false }
    let pointer = key.utf8Start
    var offset = 0
    for byte in bytes {
      if byte != pointer[offset] { return false }
      offset += 1
    }
    return true
  }

  /// The cgroup v2 path of a process (`0::/path`), from `/proc/<pid>/cgroup`. The line is
  /// found as bytes: a cpuset launch reads this, and the kernel ends every line with a line feed.
  public static func cgroup(proc: String, pid: Int32? = nil) -> String? {
    let path = proc + "/" + (pid.map(String.init) ?? "self") + "/cgroup"
    guard let bytes = FileSystem.bytesIfPresent(path) else { return nil }
    return cgroup(in: bytes[...])
  }

  /// The path of the first `0::` line, without its line feed.
  static func cgroup(in bytes: ArraySlice<UInt8>) -> String? {
    var start = bytes.startIndex
    while start < bytes.endIndex {
      var end = start
      while end < bytes.endIndex, bytes[end] != 0x0A { end += 1 }
      if end - start >= 3, bytes[start] == 0x30, bytes[start + 1] == 0x3A, bytes[start + 2] == 0x3A {
        return String(decoding: bytes[(start + 3)..<end], as: UTF8.self)
      }
      start = end + 1
    }
    return nil
  }
}
