import Glibc

/// The NUMA node an I/O device is attached to, for numactl's node specifications
/// `netdev:DEV`, `block:DEV`, `file:PATH`, `ip:HOST` and `pci:[SEG:]BUS:DEV[.FN]`.
/// The kernel says it in the `numa_node` file of the device (or of the nearest device above
/// it in /sys/devices); -1 there means it does not know.
enum DeviceNode {
  struct LookupError: Error {
    var message: String
  }

  static let prefixes = ["netdev:", "block:", "file:", "ip:", "pci:"]

  /// Whether `item` is a device specification (and so never a label or a number).
  static func isSpecification(_ item: String) -> Bool {
    prefixes.contains { item.hasPrefix($0) }
  }

  /// Resolves one specification against the sysfs and proc roots.
  static func resolve(_ item: String, sysfs: String, proc: String) -> Result<Int, LookupError> {
    guard let colon = item.firstIndex(of: ":") else { return .failure(LookupError(message: "'\(item)' is not a device")) }
    let kind = String(item[..<colon])
    let name = String(item[item.index(after: colon)...])
    if name.isEmpty {
      return .failure(LookupError(message: "'\(item)' names no device; e.g. netdev:eth0, block:sda, file:/data, ip:10.0.0.1, pci:0000:3b:00.0"))
    }
    switch kind {
    case "netdev": return classDevice("net", name, what: "network device", sysfs: sysfs)
    case "block":
      // numactl documents block:PATH but reads a name; both are accepted.
      let device = name.hasPrefix("/dev/") ? String(name.dropFirst(5)) : name
      return classDevice("block", device, what: "block device", sysfs: sysfs)
    case "file": return file(name, sysfs: sysfs)
    case "ip": return ip(name, sysfs: sysfs, proc: proc)
    default: return pci(name, sysfs: sysfs)
    }
  }

  /// `/sys/class/CLASS/NAME`: the node of the device it links to, or of its nearest parent.
  static func classDevice(_ cls: String, _ name: String, what: String, sysfs: String) -> Result<Int, LookupError> {
    if name.contains("/") || name == "." || name == ".." {
      return .failure(LookupError(message: "'\(name)' is not a \(what) name (no '/'); e.g. \(cls == "net" ? "eth0" : "sda")"))
    }
    let link = sysfs + "/class/" + cls + "/" + name
    guard FileSystem.exists(link) else {
      let known = (try? FileSystem.list(sysfs + "/class/" + cls).get()) ?? []
      let list = known.isEmpty ? "none" : known.joined(separator: ", ")
      return .failure(LookupError(message: "no \(what) '\(name)' (\(sysfs)/class/\(cls) has: \(list))"))
    }
    return nearestNode(of: link, describing: "\(what) \(name)", sysfs: sysfs)
  }

  /// The block device holding PATH (or PATH itself when it is a block device).
  static func file(_ path: String, sysfs: String) -> Result<Int, LookupError> {
    var info = stat()
    if stat(path, &info) != 0 {
      return .failure(LookupError(message: "file:\(path): cannot stat it: \(Errno.current)"))
    }
    let type = info.st_mode & S_IFMT
    if type == S_IFCHR {
      return .failure(LookupError(message: "file:\(path) is a character device; name a file, a directory or a block device"))
    }
    let device = type == S_IFBLK ? info.st_rdev : info.st_dev
    // glibc's major()/minor() are macros Swift cannot call: the same arithmetic.
    let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
    let minor = (device & 0xff) | ((device >> 12) & ~0xff)
    let link = sysfs + "/dev/block/\(major):\(minor)"
    guard FileSystem.exists(link) else {
      return .failure(LookupError(message: "file:\(path) is on device \(major):\(minor), which is no block device (a tmpfs, overlay or network file system has no node); name the node instead"))
    }
    return nearestNode(of: link, describing: "the block device of \(path) (\(major):\(minor))", sysfs: sysfs)
  }

  /// `pci:[SEG:]BUS:DEV[.FN]` in hex, as numactl reads it; segment and function default to 0.
  static func pci(_ text: String, sysfs: String) -> Result<Int, LookupError> {
    let usage = LookupError(message: "'pci:\(text)' is not a PCI address; write [SEGMENT:]BUS:DEVICE[.FUNCTION] in hex, e.g. pci:0000:3b:00.0")
    let dot = text.split(separator: ".", omittingEmptySubsequences: false)
    guard dot.count <= 2 else { return .failure(usage) }
    let parts = dot[0].split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2 || parts.count == 3 else { return .failure(usage) }
    let numbers = parts.map { UInt32($0, radix: 16) }
    let function = dot.count == 2 ? UInt32(dot[1], radix: 16) : 0
    guard !numbers.contains(nil), let function, parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 }) else { return .failure(usage) }
    let values = numbers.map { $0! }
    let (segment, bus, device) = values.count == 3 ? (values[0], values[1], values[2]) : (0, values[0], values[1])
    guard segment <= 0xffff, bus <= 0xff, device <= 0x1f, function <= 7 else { return .failure(usage) }
    func hex(_ value: UInt32, _ width: Int) -> String {
      let digits = String(value, radix: 16)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    let address = "\(hex(segment, 4)):\(hex(bus, 2)):\(hex(device, 2)).\(function)"
    let path = sysfs + "/bus/pci/devices/" + address
    guard FileSystem.exists(path) else {
      return .failure(LookupError(message: "no PCI device \(address) (see lspci -D)"))
    }
    return nearestNode(of: path, describing: "PCI device \(address)", sysfs: sysfs)
  }

  /// `ip:HOST`: the network device the main routing table sends HOST through (longest
  /// prefix in /proc/net/route or ipv6_route). HOST is an address or a name in /etc/hosts:
  /// the static executable does not load NSS modules.
  static func ip(_ host: String, sysfs: String, proc: String, hosts: String = "/etc/hosts") -> Result<Int, LookupError> {
    guard let address = Address(host) ?? hostsEntry(host, file: hosts) else {
      return .failure(LookupError(message: "ip:\(host): not an IPv4 or IPv6 address, nor a name in \(hosts) (names are not resolved through DNS); give the address"))
    }
    guard let device = route(to: address, proc: proc) else {
      return .failure(LookupError(message: "ip:\(host): no route to \(host) in \(proc)/net/\(address.isIPv6 ? "ipv6_route" : "route")"))
    }
    return classDevice("net", device, what: "network device", sysfs: sysfs).mapError {
      LookupError(message: "ip:\(host) is routed through \(device): \($0.message)")
    }
  }

  /// Walks from the device up /sys/devices to the first directory with a `numa_node`.
  static func nearestNode(of link: String, describing what: String, sysfs: String) -> Result<Int, LookupError> {
    guard let resolved = realpath(link, nil) else {
      return .failure(LookupError(message: "\(what): cannot resolve \(link): \(Errno.current)"))
    }
    var path = String(cString: resolved)
    free(resolved)
    let top = (realpath(sysfs, nil).map { pointer -> String in
      defer { free(pointer) }
      return String(cString: pointer)
    } ?? sysfs) + "/devices"
    while path.hasPrefix(top + "/") {
      if let text = FileSystem.readIfPresent(path + "/numa_node") {
        guard let node = Int(text.trimmingWhitespace()) else {
          return .failure(LookupError(message: "\(what): \(path)/numa_node holds '\(text.trimmingWhitespace())', not a node number"))
        }
        if node < 0 {
          return .failure(LookupError(message: "\(what): the kernel does not know its node (numa_node is -1: one-node machine or firmware without locality); name the node instead"))
        }
        return .success(node)
      }
      path = String(path[..<path.lastIndex(of: "/")!])
    }
    return .failure(LookupError(message: "\(what) is not attached to a NUMA node (a virtual device has no numa_node); name the node instead"))
  }

  // MARK: - Routes

  /// An IPv4 or IPv6 address as its bytes in network order.
  struct Address: Equatable {
    var bytes: [UInt8]
    var isIPv6: Bool { bytes.count == 16 }

    init?(_ text: String) {
      var v4 = in_addr()
      if inet_pton(AF_INET, text, &v4) == 1 {
        bytes = withUnsafeBytes(of: &v4) { Array($0) }
        return
      }
      var v6 = in6_addr()
      if inet_pton(AF_INET6, text, &v6) == 1 {
        bytes = withUnsafeBytes(of: &v6) { Array($0) }
        return
      }
      return nil
    }

    /// Whether the first `length` bits equal those of `prefix`.
    func matches(_ prefix: [UInt8], length: Int) -> Bool {
      guard prefix.count == bytes.count else { return false }
      for bit in 0..<length {
        let mask = UInt8(0x80) >> UInt8(bit % 8)
        if bytes[bit / 8] & mask != prefix[bit / 8] & mask { return false }
      }
      return true
    }
  }

  static func hostsEntry(_ name: String, file: String) -> Address? {
    guard let text = FileSystem.readIfPresent(file) else { return nil }
    for line in text.split(separator: "\n") {
      let fields = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if fields.count >= 2, fields.dropFirst().contains(where: { $0 == name }), let address = Address(String(fields[0])) {
        return address
      }
    }
    return nil
  }

  /// The device of the longest matching route that is up (RTF_UP).
  static func route(to address: Address, proc: String) -> String? {
    var best: (length: Int, device: String)?
    func consider(_ prefix: [UInt8], _ length: Int, _ flags: UInt32, _ device: String) {
      guard flags & 1 != 0, address.matches(prefix, length: length) else { return }
      if best == nil || length > best!.length { best = (length, device) }
    }
    if address.isIPv6 {
      // dest(32 hex) len(2 hex) src len next-hop metric refcnt use flags device
      for line in (FileSystem.readIfPresent(proc + "/net/ipv6_route") ?? "").split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard fields.count >= 10, let length = Int(fields[1], radix: 16), let flags = UInt32(fields[8], radix: 16),
          let prefix = hexBytes(fields[0])
        else { continue }
        consider(prefix, length, flags, String(fields[9]))
      }
    } else {
      // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses as the kernel's
      // in-memory u32 printed in hex, so on little-endian machines the bytes read backwards.
      for line in (FileSystem.readIfPresent(proc + "/net/route") ?? "").split(separator: "\n").dropFirst() {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 8, let destination = UInt32(fields[1], radix: 16), let flags = UInt32(fields[3], radix: 16),
          let mask = UInt32(fields[7], radix: 16)
        else { continue }
        var network = destination
        let prefix = withUnsafeBytes(of: &network) { Array($0) }
        consider(prefix, mask.nonzeroBitCount, flags, String(fields[0]))
      }
    }
    return best?.device
  }

  static func hexBytes(_ text: Substring) -> [UInt8]? {
    guard text.count == 32 else { return nil }
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
      let next = text.index(index, offsetBy: 2)
      guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
      bytes.append(byte)
      index = next
    }
    return bytes
  }
}
