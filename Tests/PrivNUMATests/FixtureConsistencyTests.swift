import Foundation
import Testing

@testable import PrivNUMA

/// The fixture trees are copies of what the kernel shows; a tree the kernel could never
/// produce proves nothing about privnuma. These tests hold every tree under Fixtures to the
/// kernel's own rules (fs/proc/task_mmu.c show_numa_map, kernel/cgroup, /proc/PID/status).
@Suite("Fixture trees are trees the kernel could produce")
struct FixtureConsistencyTests {
  static let files = FileManager.default

  /// Every file under Fixtures whose name is `name`.
  static func all(named name: String) -> [String] {
    (files.subpaths(atPath: Fixture.directory) ?? [])
      .filter { ($0 as NSString).lastPathComponent == name }
      .sorted()
      .map { Fixture.directory + "/" + $0 }
  }

  static func read(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
  }

  static func exists(_ path: String) -> Bool { files.fileExists(atPath: path) }

  /// The ids of a hex mask as /proc/PID/status prints it: 32-bit words, most significant first.
  static func ids(mask: String) -> IDSet? {
    var set = IDSet()
    let words = mask.split(separator: ",").reversed()
    for (index, word) in words.enumerated() {
      guard let value = UInt32(word, radix: 16) else { return nil }
      for bit in 0..<32 where value & (1 << UInt32(bit)) != 0 { set.insert(index * 32 + bit) }
    }
    return set
  }

  // MARK: - /proc/PID/status

  @Test func statusMasksAgreeWithTheirLists() {
    let statuses = Self.all(named: "status").filter { $0.contains("/proc/") }
    #expect(!statuses.isEmpty)
    for path in statuses {
      var fields: [String: String] = [:]
      for line in Self.read(path).split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
      for (mask, list) in [("Mems_allowed", "Mems_allowed_list"), ("Cpus_allowed", "Cpus_allowed_list")] {
        guard let maskText = fields[mask], let listText = fields[list] else {
          Issue.record("\(path): has \(fields[mask] == nil ? "no \(mask)" : "no \(list)"); the kernel prints both")
          continue
        }
        let fromMask = Self.ids(mask: maskText)
        let fromList = IDSet(kernelList: listText)
        #expect(fromMask != nil && fromMask == fromList, "\(path): \(mask) \(maskText) is not \(list) \(listText)")
      }
    }
  }

  // MARK: - numa_maps

  /// The fields show_numa_map prints after the policy and the mapping's name, in its order.
  static let counterOrder = ["anon", "dirty", "mapped", "mapmax", "swapcache", "active", "writeback"]

  /// Why `line` is not a line the kernel prints, or nil.
  static func numaMapsProblem(_ line: Substring, memoryNodes: IDSet?) -> String? {
    let tokens = line.split(separator: " ").map(String.init)
    guard tokens.count >= 2, UInt64(tokens[0], radix: 16) != nil else { return "no address and policy" }
    var counters: [(String, UInt64)] = []
    var nodes: [(Int, UInt64)] = []
    var pageSize: UInt64?
    for token in tokens.dropFirst(2) {
      if pageSize != nil { return "'\(token)' after kernelpagesize_kB, which the kernel prints last" }
      guard let equals = token.firstIndex(of: "=") else { continue }
      let key = String(token[..<equals])
      let value = UInt64(token[token.index(after: equals)...])
      if key == "file" { continue }
      guard let value else { return "\(token): not a count" }
      if key.hasPrefix("N"), let node = Int(key.dropFirst()) {
        if let last = nodes.last, last.0 >= node { return "N\(node) after N\(last.0): the kernel prints nodes in order" }
        nodes.append((node, value))
      } else if key == "kernelpagesize_kB" {
        pageSize = value
      } else if let rank = counterOrder.firstIndex(of: key) {
        if let last = counters.last, counterOrder.firstIndex(of: last.0)! >= rank {
          return "\(key) after \(last.0): not the kernel's order"
        }
        counters.append((key, value))
      } else {
        return "\(key)=: a field numa_maps does not have"
      }
    }
    let pages = nodes.reduce(0) { $0 + $1.1 }
    let counter = Dictionary(uniqueKeysWithValues: counters)
    if pages == 0 {
      // No page: the kernel stops after the name.
      return counters.isEmpty && pageSize == nil ? nil : "counts without any N<node>= page"
    }
    if pageSize == nil { return "pages without kernelpagesize_kB" }
    if let zero = nodes.first(where: { $0.1 == 0 }) { return "N\(zero.0)=0: the kernel prints only nodes with pages" }
    if let memoryNodes, let stray = nodes.first(where: { !memoryNodes.contains($0.0) }) {
      return "N\(stray.0): not a node with memory in this tree's sysfs"
    }
    for key in ["anon", "dirty", "mapped", "swapcache", "writeback"] where counter[key] == 0 {
      return "\(key)=0: the kernel prints it only when non-zero"
    }
    if let mapmax = counter["mapmax"], mapmax < 2 { return "mapmax=\(mapmax): printed only above 1" }
    for key in ["anon", "dirty"] where (counter[key] ?? 0) > pages { return "\(key)= exceeds the \(pages) pages" }
    if let active = counter["active"], active >= pages { return "active=\(active): printed only below the \(pages) pages" }
    let anon = counter["anon"] ?? 0
    let dirty = counter["dirty"] ?? 0
    let wantsMapped = pages != anon && pages != dirty
    if wantsMapped && counter["mapped"] != pages {
      return "mapped=\(counter["mapped"].map(String.init) ?? "(none)"): the kernel prints mapped=\(pages)"
    }
    if !wantsMapped && counter["mapped"] != nil { return "mapped= although pages equal anon= or dirty=" }
    return nil
  }

  /// The nodes with memory of the tree a numa_maps file belongs to, when it has sysfs.
  static func memoryNodes(of path: String) -> IDSet? {
    guard let range = path.range(of: "/proc/") else { return nil }
    let root = String(path[..<range.lowerBound]) + "/sys/devices/system/node/"
    for name in ["has_memory", "online"] where exists(root + name) {
      return IDSet(kernelList: read(root + name).trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return nil
  }

  @Test func numaMapsLinesAreInAddressOrderWithCountsTheKernelPrints() {
    let maps = Self.all(named: "numa_maps")
    #expect(!maps.isEmpty)
    for path in maps {
      var previous: UInt64?
      let memory = Self.memoryNodes(of: path)
      for line in Self.read(path).split(separator: "\n") {
        let address = UInt64(line.prefix { $0 != " " }, radix: 16)
        if let previous, let address, address <= previous {
          Issue.record("\(path): \(line.prefix(12)) is not after the line before it: numa_maps is in address order")
        }
        previous = address
        if let problem = Self.numaMapsProblem(line, memoryNodes: memory) {
          Issue.record("\(path): '\(line)': \(problem)")
        }
      }
    }
  }

  @Test func theCheckerRefusesWhatTheKernelNeverPrints() {
    let good = "7f00 bind:2 anon=4 dirty=4 N2=4 kernelpagesize_kB=4"
    #expect(Self.numaMapsProblem(good[...], memoryNodes: IDSet([0, 2])) == nil)
    for bad in [
      "7f00 bind:2 anon=4 dirty=4 N2=3 kernelpagesize_kB=4",  // anon above the pages
      "7f00 bind:2 anon=4 dirty=4 N2=4 N0=0 kernelpagesize_kB=4",  // order, and a zero count
      "7f00 bind:2 anon=4 N2=4",  // no page size
      "7f00 default file=/x N0=10 kernelpagesize_kB=4",  // mapped= missing
      "7f00 bind:2 anon=4 dirty=4 N5=4 kernelpagesize_kB=4",  // no memory on node 5
    ] {
      #expect(Self.numaMapsProblem(bad[...], memoryNodes: IDSet([0, 2])) != nil, "accepted: \(bad)")
    }
  }

  // MARK: - cgroup v2 trees

  /// The roots of the fixture cgroup trees: every fixture, or its `cgroup` directory, that
  /// holds a root's cgroup.controllers (the `cgroup-*` fixtures are such roots themselves).
  static var cgroupRoots: [String] {
    let top = (try? files.contentsOfDirectory(atPath: Fixture.directory)) ?? []
    var roots: [String] = []
    for name in top.sorted() {
      let base = Fixture.directory + "/" + name
      for candidate in [base, base + "/cgroup"] where exists(candidate + "/cgroup.controllers") {
        roots.append(candidate)
      }
    }
    return roots
  }

  /// Directories of a cgroup tree: the root first, parents before children.
  static func cgroups(below root: String) -> [String] {
    var found = [root]
    for relative in (files.subpaths(atPath: root) ?? []).sorted() {
      var isDirectory: ObjCBool = false
      if files.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), isDirectory.boolValue {
        found.append(root + "/" + relative)
      }
    }
    return found
  }

  /// Files every cgroup v2 directory has whatever its controllers (Documentation/admin-guide/cgroup-v2.rst).
  static let coreFiles = [
    "cgroup.controllers", "cgroup.max.depth", "cgroup.max.descendants", "cgroup.procs", "cgroup.stat",
    "cgroup.subtree_control", "cgroup.threads",
  ]
  static let childFiles = ["cgroup.events", "cgroup.freeze", "cgroup.type"]
  static let cpusetFiles = ["cpuset.cpus", "cpuset.cpus.effective", "cpuset.cpus.partition", "cpuset.mems", "cpuset.mems.effective"]

  static func words(_ path: String) -> [String] { read(path).split(whereSeparator: \.isWhitespace).map(String.init) }

  @Test func cgroupDirectoriesHaveEveryFileARealOneHas() {
    let roots = Self.cgroupRoots
    #expect(roots.count >= 7)
    for root in roots {
      for directory in Self.cgroups(below: root) {
        let isRoot = directory == root
        var wanted = Self.coreFiles + (isRoot ? [] : Self.childFiles)
        if isRoot {
          if Self.words(directory + "/cgroup.controllers").contains("cpuset") {
            wanted += ["cpuset.cpus.effective", "cpuset.mems.effective"]
          }
        } else {
          let parent = (directory as NSString).deletingLastPathComponent
          if Self.words(parent + "/cgroup.subtree_control").contains("cpuset") { wanted += Self.cpusetFiles }
        }
        let missing = wanted.filter { !Self.exists(directory + "/" + $0) }
        #expect(missing.isEmpty, "\(directory): no \(missing.joined(separator: ", ")), which a cgroup v2 directory has")
      }
    }
  }

  @Test func effectiveMemsNarrowDownTheTree() {
    for root in Self.cgroupRoots {
      for directory in Self.cgroups(below: root) where directory != root {
        let parent = (directory as NSString).deletingLastPathComponent
        let text = { (path: String) in IDSet(kernelList: Self.read(path).trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard let own = text(directory + "/cpuset.mems.effective"), let above = text(parent + "/cpuset.mems.effective")
        else { continue }
        #expect(own.isSubset(of: above), "\(directory): cpuset.mems.effective \(own) is not within its parent's \(above)")
        if let asked = text(directory + "/cpuset.mems"), !asked.isEmpty {
          // The kernel gives asked ∩ parent, or the parent's when that is empty.
          let expected = asked.intersection(above).isEmpty ? above : asked.intersection(above)
          #expect(own == expected, "\(directory): cpuset.mems \(asked) under \(above) gives \(expected), not \(own)")
        }
      }
    }
  }

  @Test func processesAreWhereTheirCgroupFileSays() {
    for root in Self.cgroupRoots where root.hasSuffix("/cgroup") {
      let proc = (root as NSString).deletingLastPathComponent + "/proc"
      let pids = ((try? Self.files.contentsOfDirectory(atPath: proc)) ?? []).filter { Int($0) != nil }
      var listed: [String: String] = [:]
      for directory in Self.cgroups(below: root) {
        let path = String(directory.dropFirst(root.count))
        for pid in Self.words(directory + "/cgroup.procs") { listed[pid] = path.isEmpty ? "/" : path }
      }
      for pid in pids {
        let line = Self.read("\(proc)/\(pid)/cgroup").split(separator: "\n").first { $0.hasPrefix("0::") }
        guard let line else {
          Issue.record("\(proc)/\(pid)/cgroup: no 0:: line")
          continue
        }
        let path = String(line.dropFirst(3))
        #expect(listed[pid] == path, "\(proc)/\(pid): /proc says cgroup \(path), the tree lists it in \(listed[pid] ?? "no cgroup.procs")")
      }
      for (pid, path) in listed {
        #expect(pids.contains(pid), "\(root)\(path)/cgroup.procs lists \(pid), which has no \(proc)/\(pid)")
      }
    }
  }
}
