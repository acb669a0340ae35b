/// The kernel's per-node statistics that numastat shows: the allocation counters of
/// `nodeN/numastat` and the memory use of `nodeN/meminfo`, read from sysfs.
public enum NodeStatistics {
  /// numastat's counters, in its order; the kernel counts them in pages.
  public static let counterNames = ["numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node"]

  /// numastat -m's rows, in its order. MemUsed is MemTotal - MemFree; keys a kernel does not
  /// have are left out.
  public static let meminfoNames = [
    "MemTotal", "MemFree", "MemUsed", "SwapCached", "Active", "Inactive", "Active(anon)", "Inactive(anon)",
    "Active(file)", "Inactive(file)", "Unevictable", "Mlocked", "Dirty", "Writeback", "FilePages", "Mapped",
    "AnonPages", "Shmem", "KernelStack", "PageTables", "SecPageTables", "NFS_Unstable", "Bounce", "WritebackTmp",
    "KReclaimable", "Slab", "SReclaimable", "SUnreclaim", "AnonHugePages", "ShmemHugePages", "ShmemPmdMapped",
    "FileHugePages", "FilePmdMapped", "HugePages_Total", "HugePages_Free", "HugePages_Surp",
  ]

  /// `name value` lines of nodeN/numastat (pages); nil when the file cannot be read.
  public static func counters(of node: Int, sysfs: String) -> [String: UInt64]? {
    guard let text = FileSystem.readIfPresent(sysfs + "/devices/system/node/node\(node)/numastat") else { return nil }
    var values: [String: UInt64] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count == 2, let value = UInt64(fields[1]) { values[String(fields[0])] = value }
    }
    return values
  }

  /// nodeN/meminfo in bytes (`Node 0 MemFree: 123 kB`); the HugePages_ counts are turned into
  /// bytes with `hugePageSize`, as numastat -m shows them.
  public static func meminfo(of node: Int, sysfs: String, hugePageSize: UInt64) -> [String: UInt64]? {
    guard let text = FileSystem.readIfPresent(sysfs + "/devices/system/node/node\(node)/meminfo") else { return nil }
    var values: [String: UInt64] = [:]
    for line in text.split(separator: "\n") {
      // "Node", id, "Key:", value, and "kB" except for the HugePages_ counts.
      let fields = line.split(separator: " ")
      guard fields.count >= 4, fields[2].hasSuffix(":"), let value = UInt64(fields[3]) else { continue }
      let key = String(fields[2].dropLast())
      values[key] = fields.count >= 5 ? value * 1024 : value * hugePageSize
    }
    if let total = values["MemTotal"], let free = values["MemFree"] { values["MemUsed"] = total - min(free, total) }
    return values
  }

  /// `Hugepagesize:` of /proc/meminfo in bytes; nil when it cannot be read.
  public static func hugePageSize(proc: String) -> UInt64? {
    for line in (FileSystem.readIfPresent(proc + "/meminfo") ?? "").split(separator: "\n") where line.hasPrefix("Hugepagesize:") {
      if let kib = UInt64(line.split(separator: " ").dropFirst().first ?? "") { return kib * 1024 }
    }
    return nil
  }
}
