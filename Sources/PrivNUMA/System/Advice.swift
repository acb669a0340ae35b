import Glibc

/// What an errno means for each thing privnuma asks of the kernel, in words for an
/// administrator: one table, so the same error reads the same wherever it happens. Entries
/// name `{placeholders}` filled from the values the caller gives.
enum Advice {
  enum Operation: Hashable {
    /// set_mempolicy, and with `--balancing`.
    case setMempolicy, setMempolicyBalancing
    /// mbind of a `--shm` segment or `--file` range (EIO only comes with `--strict`).
    case mbind
    /// migrate_pages of the caller's own process, and of another user's.
    case migratePages, migratePagesOfAnotherUser
    /// Reading /proc/PID/numa_maps.
    case readNumaMaps
    /// Writing this process into an opt-in cgroup's cgroup.procs.
    case joinCgroup
    /// `fence apply`'s writes: `+cpuset` into cgroup.subtree_control, cpuset.mems.
    case enableCpuset, setMems
  }

  /// Per operation, the advice for each errno; the entry without an errno is for any other.
  static let table: [Operation: [(Errno?, String)]] = [
    .setMempolicy: [
      (.invalidArgument, "a node may have no memory, be outside the cpuset, or be a private node that does not allow memory policies; see 'privnuma explain'"),
      (.notImplemented, "this kernel was built without NUMA support"),
      (.notPermitted, "the kernel denied it to this process"),
      (.accessDenied, "the kernel denied it to this process"),
      (nil, "the kernel refused it"),
    ],
    .setMempolicyBalancing: [
      (.invalidArgument, "this kernel does not accept --balancing with this policy; use it with --membind"),
      (.notImplemented, "this kernel was built without NUMA support"),
      (.notPermitted, "the kernel denied it to this process"),
      (.accessDenied, "the kernel denied it to this process"),
      (nil, "the kernel refused it"),
    ],
    .mbind: [
      (.invalidArgument, "a node may have no memory, be outside the cpuset, or be a private node that does not allow memory policies; see 'privnuma explain'"),
      (.io, "--strict: pages of the range already sit on nodes outside the policy"),
      (.notImplemented, "this kernel was built without NUMA support"),
      (.notPermitted, "the kernel denied it to this process"),
      (.accessDenied, "the kernel denied it to this process"),
      (nil, "the kernel refused it"),
    ],
    .migratePages: [
      (.noSuchProcess, "process {pid} no longer exists"),
      (.notPermitted, "node {to} is outside the process's cpuset, which only CAP_SYS_NICE may override; move the process into a cgroup whose cpuset.mems includes it"),
      (.accessDenied, "node {to} is outside the process's cpuset; move the process into a cgroup whose cpuset.mems includes it"),
      (.invalidArgument, "the kernel refused the node masks: node {to} may be outside the process's cpuset, have no memory, or be a private node without migration support"),
      (.noDevice, "a node of {from} or {to} has no migration support (a private node whose driver does not allow it); its pages cannot be moved"),
      (.notImplemented, "this kernel was built without NUMA migration support"),
      (nil, "the kernel refused it"),
    ],
    .migratePagesOfAnotherUser: [
      (.noSuchProcess, "process {pid} no longer exists"),
      (.notPermitted, "process {pid} belongs to {owner}; moving another user's pages needs CAP_SYS_NICE: run as root"),
      (.accessDenied, "node {to} is outside the process's cpuset; move the process into a cgroup whose cpuset.mems includes it"),
      (.invalidArgument, "the kernel refused the node masks: node {to} may be outside the process's cpuset, have no memory, or be a private node without migration support"),
      (.noDevice, "a node of {from} or {to} has no migration support (a private node whose driver does not allow it); its pages cannot be moved"),
      (.notImplemented, "this kernel was built without NUMA migration support"),
      (nil, "the kernel refused it"),
    ],
    .readNumaMaps: [
      (.noSuchFile, "no process {pid}"),
      (.noSuchProcess, "no process {pid}"),
      (.accessDenied, "process {pid}: permission denied reading its numa_maps (it belongs to another user; run as root or as its owner)"),
      (.notPermitted, "process {pid}: permission denied reading its numa_maps (it belongs to another user; run as root or as its owner)"),
      (nil, "process {pid}: cannot read its numa_maps: {errno}"),
    ],
    .joinCgroup: [
      (.accessDenied, "privnuma needs write access there: install it with file capabilities (make install PRIVILEGE=setcap) or setuid root (see README)"),
      (.notPermitted, "privnuma needs write access there: install it with file capabilities (make install PRIVILEGE=setcap) or setuid root (see README)"),
      (.noSuchFile, "the cgroup has no cgroup.procs; is it a cgroup v2 directory?"),
      (nil, "the kernel refused to move this process there"),
    ],
    .enableCpuset: [
      (.noSuchFile, "cpuset must be listed in its cgroup.controllers (enabled in its parent first)"),
      (.invalidArgument, "cpuset must be listed in its cgroup.controllers (enabled in its parent first)"),
      (Errno(rawValue: EBUSY), "the cgroup holds processes while a domain controller is enabled for its children; move them to a child cgroup first"),
      (nil, "check that this is a cgroup v2 mount and privnuma runs as root"),
    ],
    .setMems: [
      (.invalidArgument, "a node in {mems} may have no memory or be offline"),
      (nil, "check that the cpuset controller is enabled for {parent}'s children"),
    ],
  ]

  /// The advice for `error` in `operation`, with its placeholders filled.
  static func text(_ operation: Operation, _ error: Errno, _ values: [String: String] = [:]) -> String {
    let entries = table[operation] ?? []
    let template = (entries.first { $0.0 == error } ?? entries.first { $0.0 == nil })?.1 ?? "\(error)"
    var filled = values
    filled["errno"] = error.description
    var out = ""
    var rest = Substring(template)
    while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
      out += rest[..<open]
      let name = String(rest[rest.index(after: open)..<close])
      out += filled[name] ?? String(rest[open...close])
      rest = rest[rest.index(after: close)...]
    }
    return out + rest
  }
}
