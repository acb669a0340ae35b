/// The cpuset fence as systemd configuration: drop-ins that systemd itself applies to every
/// slice (and to init.scope, the one unit outside a slice), to those that exist now and to
/// those made later, after every `daemon-reload` and every boot.
///
/// systemd merges a unit's drop-ins from all `*.d/` directories that match its name — its
/// own (`privnuma-cxl0.slice.d/`), its name's prefixes (`privnuma-.slice.d/`) and its type
/// (`slice.d/`) — in the order of the file names, a later assignment winning. So:
///
/// - `slice.d/90-privnuma-fence.conf`: `AllowedMemoryNodes=` the open nodes, for every slice;
/// - `init.scope.d/`, `mount.d/`, `swap.d/` `90-privnuma-fence.conf`: the same for the units
///   systemd keeps in the root slice itself: PID 1's init.scope and every mount and swap
///   unit (their cgroups sit next to the slices, and would otherwise keep every node);
/// - `<slice>.d/91-privnuma-opt-in.conf` for each opt-in slice and each slice above one
///   (`privnuma.slice`): the open nodes plus the private nodes at or below it. `91` sorts
///   after `90`, so these win over the type-wide fence.
///
/// A service or scope is fenced by the slice it lives in (a child's effective mems never
/// exceed its parent's); a service or scope placed by hand directly in the root slice is
/// not, and `fence status` reports its cgroup.
///
/// On a Slurm node whose plugstack.conf loads privnuma's SPANK plugin (`SlurmLayout`),
/// slurmstepd's scope must keep the private nodes: Slurm copies that scope's mems into every
/// job and step, and the plugin can only grant a task what its step has. The scope sits in
/// `system.slice` (hard-coded in Slurm), so `system.slice` is opened instead of fenced and its
/// units are fenced one by one, by type:
///
/// - `system.slice.d/` and `<scope>.d/` `91-privnuma-slurm.conf`: the open and private nodes;
/// - `service.d/`, `socket.d/`, `scope.d/` `90-privnuma-fence.conf`: the open nodes, for every
///   service, socket and scope (a slice's child, wherever it is);
/// - `privnuma-.scope.d/` and, per opt-in slice, `privnuma-cxl0-.service.d/`
///   `91-privnuma-slurm.conf`: an empty `AllowedMemoryNodes=`, so privnuma's login scopes
///   (`privnuma-PID.scope`) and services named after their opt-in slice
///   (`privnuma-cxl0-app.service`) take what their slice allows instead of the type-wide
///   fence. Such a unit outside its slice is a hole that `fence status` and `audit` report.
public enum SystemdFence {
  public static let fenceFile = "90-privnuma-fence.conf"
  public static let optInFile = "91-privnuma-opt-in.conf"
  public static let slurmFile = "91-privnuma-slurm.conf"

  /// The Slurm node's part of the fence: the names slurmstepd's scope may have.
  public struct SlurmLayout: Equatable, Sendable {
    /// `system.slice/slurmstepd.scope`, or `<NodeName>_slurmstepd.scope` where slurmd is built
    /// for several slurmd per host (Debian's is).
    public var scopes: [String]

    public init(scopes: [String]) { self.scopes = scopes }

    /// The scope names to open: `slurmstepd.scope`, `<hostname>_slurmstepd.scope` (NodeName
    /// defaults to the short host name), and the scopes slurmd has already made under
    /// `system.slice` (`existing`: that directory's entries), in byte order.
    public static func scopes(hostname: String, existing: [String]) -> SlurmLayout {
      let short = hostname.split(separator: ".").first.map(String.init) ?? ""
      var names = Set(["slurmstepd.scope"])
      if !short.isEmpty { names.insert(short + "_slurmstepd.scope") }
      for entry in existing where entry.hasSuffix("_slurmstepd.scope") && !entry.includes("/") { names.insert(entry) }
      return SlurmLayout(scopes: names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    /// Whether plugstack.conf text loads privnuma's SPANK plugin: a `required` or `optional`
    /// line whose plugin file is `privnuma_spank.so`.
    public static func loadsPlugin(_ plugstack: String) -> Bool {
      plugstack.split(separator: "\n").contains { line in
        let fields = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
          .split(whereSeparator: { $0 == " " || $0 == "\t" })
        return fields.count >= 2 && (fields[0] == "required" || fields[0] == "optional")
          && fields[1].split(separator: "/").last == "privnuma_spank.so"
      }
    }
  }

  /// One drop-in: `directory` under the unit directory (`slice.d`), its file name, contents.
  public struct DropIn: Equatable, Sendable {
    public var directory: String
    public var file: String
    public var contents: String

    public var path: String { directory + "/" + file }
  }

  /// The slice a `Cgroup=` value names on a systemd host: `privnuma.slice/privnuma-cxl0.slice`
  /// → `privnuma-cxl0.slice`, or nil when it names none. systemd derives a slice's cgroup from
  /// its name (`a-b.slice` lives in `a.slice/a-b.slice`), so only such paths are slices.
  public static func slice(ofCgroup relative: String) -> String? {
    let parts = relative.split(separator: "/").map(String.init)
    var parent = ""
    for part in parts {
      let stem = part.hasSuffix(".slice") ? String(part.dropLast(6)) : ""
      let valid =
        !stem.isEmpty && !stem.hasPrefix("-") && !stem.hasSuffix("-") && !stem.includes("--")
        && (parent.isEmpty ? !stem.includes("-") : stem.hasPrefix(parent + "-") && !String(stem.dropFirst(parent.count + 1)).includes("-"))
      guard valid else { return nil }
      parent = stem
    }
    return parts.last
  }

  /// The cgroup systemd gives slice `name`, relative to the mount: a slice sits in the
  /// slices its name's prefixes name, `a-b.slice` in `/a.slice/a-b.slice`.
  public static func cgroup(ofSlice name: String) -> CgroupPath {
    let stem = name.hasSuffix(".slice") ? name.dropLast(6) : Substring(name)
    var path = CgroupPath("/")
    var prefix = ""
    for part in stem.split(separator: "-") {
      prefix += (prefix.isEmpty ? "" : "-") + part
      path = path.appending(prefix + ".slice")
    }
    return path
  }

  /// The opt-in slice a drop-in path names: `privnuma-cxl0.slice.d/91-privnuma-opt-in.conf`
  /// → `privnuma-cxl0.slice`; nil for the type-wide fence files.
  public static func optInSlice(ofDropIn path: String) -> String? {
    let parts = path.split(separator: "/")
    guard parts.count >= 2, parts.last.map(String.init) == optInFile else { return nil }
    let directory = parts[parts.count - 2]
    guard directory.hasSuffix(".slice.d") else { return nil }
    return String(directory.dropLast(2))
  }

  /// Why `relative` cannot be an opt-in cgroup on a systemd host.
  public static func notASlice(_ relative: String) -> String {
    "Cgroup=\(relative) is not a systemd slice path (each part NAME.slice, nested by name as in privnuma.slice/privnuma-cxl0.slice); on a systemd host the opt-in cgroup must be a slice, which systemd itself creates and fences"
  }

  /// Every slice above `relative`'s slice, outermost first: `privnuma.slice/privnuma-cxl0.slice` → `privnuma.slice`.
  static func ancestors(ofCgroup relative: String) -> [String] {
    Array(relative.split(separator: "/").map(String.init).dropLast())
  }

  /// The drop-ins for `open` nodes and the opt-in slices (`Cgroup=` paths) of fenced nodes,
  /// with Slurm's part on a Slurm node. `registry` names where the nodes come from, for the
  /// files' comments.
  public static func dropIns(
    open: NodeSet, optIns: [(node: Int, cgroup: String)], registry: String, slurm: SlurmLayout? = nil
  ) -> [DropIn] {
    let fenced = NodeSet(optIns.map(\.node))
    let header = """
      # Written by 'privnuma fence apply' from \(registry); 'privnuma fence remove' deletes it.

      """
    var files = [
      DropIn(
        directory: "slice.d", file: fenceFile,
        contents: header + "# Keeps every slice off the private nodes \(fenced.listDescription).\n[Slice]\nAllowedMemoryNodes=\(open.listDescription)\n"),
      DropIn(
        directory: "init.scope.d", file: fenceFile,
        contents: header + "# Keeps PID 1 off the private nodes \(fenced.listDescription).\n[Scope]\nAllowedMemoryNodes=\(open.listDescription)\n"),
      DropIn(
        directory: "mount.d", file: fenceFile,
        contents: header + "# Keeps every mount unit off the private nodes \(fenced.listDescription).\n[Mount]\nAllowedMemoryNodes=\(open.listDescription)\n"),
      DropIn(
        directory: "swap.d", file: fenceFile,
        contents: header + "# Keeps every swap unit off the private nodes \(fenced.listDescription).\n[Swap]\nAllowedMemoryNodes=\(open.listDescription)\n"),
    ]
    if let slurm {
      let everything = open.union(fenced).listDescription
      for (type, section) in [("service", "Service"), ("socket", "Socket"), ("scope", "Scope")] {
        files.append(
          DropIn(
            directory: type + ".d", file: fenceFile,
            contents: header + "# Slurm node: system.slice stays open for slurmstepd, so every \(type) is kept off the private nodes \(fenced.listDescription) itself.\n[\(section)]\nAllowedMemoryNodes=\(open.listDescription)\n"))
      }
      files.append(
        DropIn(
          directory: "system.slice.d", file: slurmFile,
          contents: header + "# Slurm node: slurmstepd's scope lives here and needs the private nodes \(fenced.listDescription); the units in it are fenced by type.\n[Slice]\nAllowedMemoryNodes=\(everything)\n"))
      for scope in slurm.scopes {
        files.append(
          DropIn(
            directory: scope + ".d", file: slurmFile,
            contents: header + "# Slurm copies this scope's nodes into every job; privnuma's SPANK plugin narrows each task to the general nodes unless the registry allows its launch.\n[Scope]\nAllowedMemoryNodes=\(everything)\n"))
      }
      files.append(
        DropIn(
          directory: "privnuma-.scope.d", file: slurmFile,
          contents: header + "# privnuma's login scopes (privnuma-PID.scope) take what their opt-in slice allows, not the type-wide fence.\n[Scope]\nAllowedMemoryNodes=\n"))
      for cgroup in Set(optIns.map(\.cgroup)).sorted() {
        guard let slice = cgroup.split(separator: "/").last else { continue }
        let stem = slice.dropLast(".slice".count)
        files.append(
          DropIn(
            directory: stem + "-.service.d", file: slurmFile,
            contents: header + "# Services named \(stem)-NAME.service take what their slice allows (\(slice)), not the type-wide fence.\n[Service]\nAllowedMemoryNodes=\n"))
      }
    }
    var beneath: [String: NodeSet] = [:]
    var order: [String] = []
    for (node, cgroup) in optIns {
      for slice in ancestors(ofCgroup: cgroup) + [cgroup.split(separator: "/").last.map(String.init) ?? cgroup] {
        if beneath[slice] == nil { order.append(slice) }
        beneath[slice, default: NodeSet()].insert(node)
      }
    }
    for slice in order.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
      let nodes = beneath[slice]!
      files.append(
        DropIn(
          directory: slice + ".d", file: optInFile,
          contents: header + "# Opt-in slice: may also use private node\(nodes.count == 1 ? "" : "s") \(nodes.listDescription).\n[Slice]\nAllowedMemoryNodes=\(open.union(nodes).listDescription)\n"))
    }
    return files
  }
}
