import Glibc

/// A device-dax instance (`/sys/bus/dax/devices/daxX.Y`): how CXL expanders, HBM and other
/// soft-reserved memory reach Linux before anyone gives it to the page allocator.
public struct DaxDevice: Sendable, Equatable {
  public var name: String
  /// The region it was carved from (`daxX` is region X): `dax_region/id` of its parent.
  public var region: Int?
  public var regionSize: UInt64?
  /// The node its memory becomes once onlined through kmem.
  public var targetNode: Int?
  public var size: UInt64
  /// Physical start address (`resource`), from which its memory blocks follow.
  public var start: UInt64?
  /// The bound driver: `device_dax` (a character device), `kmem` (system RAM), or nil.
  public var driver: String?
  /// Attributes of the private-node kernel proposals, by name, when the kernel has them:
  /// `private`, `user_numa`, `mm_capabilities`, `state`.
  public var privateAttributes: [(name: String, value: String)]

  public static func == (lhs: DaxDevice, rhs: DaxDevice) -> Bool {
    lhs.name == rhs.name && lhs.region == rhs.region && lhs.targetNode == rhs.targetNode
      && lhs.size == rhs.size && lhs.start == rhs.start && lhs.driver == rhs.driver
      && lhs.privateAttributes.map(\.name) == rhs.privateAttributes.map(\.name)
      && lhs.privateAttributes.map(\.value) == rhs.privateAttributes.map(\.value)
  }
}

/// Reading and rebinding dax devices under a sysfs root.
public enum DaxDevices {
  /// The attribute names of the private-node proposals, in the order they are shown.
  public static let privateAttributeNames = ["private", "user_numa", "mm_capabilities", "state"]

  static func busDirectory(_ sysfs: String) -> String { sysfs + "/bus/dax" }

  /// Every dax device, in name order; empty when device-dax is not loaded.
  public static func read(sysfs: String) -> [DaxDevice] {
    let devices = busDirectory(sysfs) + "/devices"
    guard case .success(let names) = FileSystem.list(devices) else { return [] }
    return names.filter { $0.hasPrefix("dax") }.sorted(by: FileSystem.byteOrder).map {
      device(named: $0, in: devices)
    }
  }

  static func device(named name: String, in devices: String) -> DaxDevice {
    let path = devices + "/" + name
    func text(_ file: String) -> String? { FileSystem.readIfPresent(path + "/" + file)?.trimmingWhitespace() }
    func number(_ file: String) -> UInt64? {
      guard let value = text(file) else { return nil }
      return value.hasPrefix("0x") ? UInt64(value.dropFirst(2), radix: 16) : UInt64(value)
    }
    // The region is a sibling of the device under its parent (platform/hmem.0/dax_region).
    let region = path + "/../dax_region"
    let target = text("target_node").flatMap { Int($0) }
    return DaxDevice(
      name: name,
      region: FileSystem.readIfPresent(region + "/id").flatMap { Int($0.trimmingWhitespace()) },
      regionSize: FileSystem.readIfPresent(region + "/size").flatMap { UInt64($0.trimmingWhitespace()) },
      targetNode: target.flatMap { $0 >= 0 ? $0 : nil },
      size: number("size") ?? 0,
      start: number("resource"),
      driver: linkName(path + "/driver"),
      privateAttributes: privateAttributeNames.compactMap { attribute in text(attribute).map { (attribute, $0) } })
  }

  /// The last component of a symbolic link's target, or nil when there is no link.
  static func linkName(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink(path, &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return target.split(separator: "/").last.map(String.init)
  }

  /// Moves `device` from its driver to `driver` (`kmem` or `device_dax`), as daxctl does:
  /// unbind, let the new driver claim the id, bind.
  public static func rebind(_ device: String, to driver: String, sysfs: String) -> Result<Void, Errno> {
    let drivers = busDirectory(sysfs) + "/drivers"
    let current = linkName(busDirectory(sysfs) + "/devices/" + device + "/driver")
    if current == driver { return .success(()) }
    if let current {
      if case .failure(let error) = FileSystem.write(device, to: drivers + "/" + current + "/unbind") {
        return .failure(error)
      }
      // A dynamic id left from an earlier rebind would claim the device again.
      _ = FileSystem.write(device, to: drivers + "/" + current + "/remove_id")
    }
    // new_id makes the driver match this device and binds it; on kernels where it only
    // adds the id, bind does the rest.
    _ = FileSystem.write(device, to: drivers + "/" + driver + "/new_id")
    if linkName(busDirectory(sysfs) + "/devices/" + device + "/driver") == driver { return .success(()) }
    return FileSystem.write(device, to: drivers + "/" + driver + "/bind")
  }
}

extension DaxDevices {
  /// Writes one attribute of a dax device (`private`, `user_numa`, `mm_capabilities`).
  public static func setAttribute(_ attribute: String, of device: String, to value: String, sysfs: String) -> Result<Void, Errno> {
    FileSystem.write(value, to: busDirectory(sysfs) + "/devices/" + device + "/" + attribute)
  }
}
