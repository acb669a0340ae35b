import CPrivNUMA
import Glibc

/// What a privileged privnuma trusts to decide access: files that root alone controls, on a
/// file system no user mounted (DESIGN §8).
///
/// "Owned by root, mode 0644" proves nothing on a file system the caller serves (FUSE shows
/// whatever owner and mode its server likes) or under a directory the caller may rename
/// things in. So a trusted path is opened one component at a time from `top`, without
/// following symbolic links, and each directory on the way and the file at the end is held
/// to the same rules through its open descriptor: owned by `owner`, not writable by group or
/// others, not on FUSE, not on a mount a user made or may make. Reading through the
/// descriptors that were checked leaves nothing to swap in between.
public struct Trust {
  /// Who must own every directory and file: root.
  public var owner: UInt32 = 0
  /// Where the walk starts; only tests start below `/`.
  public var top = "/"
  /// `f_type` of the file system under a descriptor, or nil when fstatfs fails.
  public var fileSystemType: (Int32) -> Int? = { descriptor in
    let type = CPrivNUMA_fs_type(descriptor)
    return type < 0 ? nil : type
  }
  /// The mount holding a descriptor (from /proc/self/fdinfo and /proc/self/mountinfo).
  public var mount: (Int32) -> Mount?
  /// Mount points that /etc/fstab lets users mount (options user, users, owner, group).
  public var userMountable: () -> [String]
  /// Whether privnuma runs in the initial user namespace; mounts made in any other one may
  /// belong to the caller.
  public var initialUserNamespace: () -> Bool = {
    Mount.isInitialUserNamespace(uidMap: FileSystem.readIfPresent("/proc/self/uid_map") ?? "")
  }

  public init() {
    let system = SystemMounts()
    mount = { system.mount(holding: $0) }
    userMountable = { system.userMountable }
  }

  /// The mount table and fstab, each read once, when first needed: a registry load checks
  /// every directory above the registry and every file, and reading and parsing
  /// /proc/self/mountinfo for each was most of the cost of a privileged launch.
  final class SystemMounts {
    lazy var mountinfo = FileSystem.readIfPresent("/proc/self/mountinfo") ?? ""
    lazy var userMountable = Mount.userMountable(fstab: FileSystem.readIfPresent("/etc/fstab") ?? "")
    /// The mount found last: the registry and its files are mostly on one.
    var last: Mount?

    /// The mount whose id /proc/self/fdinfo gives for `descriptor`.
    func mount(holding descriptor: Int32) -> Mount? {
      guard let fdinfo = FileSystem.readIfPresent("/proc/self/fdinfo/\(descriptor)") else { return nil }
      guard let line = Mount.line(in: fdinfo, startingWith: "mnt_id:") else { return nil }
      guard let id = Int(line.dropFirst(7).drop(while: { $0 == " " || $0 == "\t" })) else { return nil }
      if let last, last.id == id { return last }
      last = Mount.find(id: id, mountinfo: mountinfo)
      return last
    }
  }

  /// `O_PATH` (Linux, every architecture Swift runs on): Glibc's module leaves it out.
  static let openPath: Int32 = 0o10_000_000

  /// `FUSE_SUPER_MAGIC` (fuse and fuseblk): any user may mount one through fusermount.
  public static let fuseMagic = 0x6573_5546

  /// One line of /proc/self/mountinfo, the fields the checks need.
  public struct Mount: Equatable, Sendable {
    public var id: Int
    public var mountPoint: String
    public var type: String
    public var superOptions: [String]

    public init(id: Int, mountPoint: String, type: String, superOptions: [String]) {
      self.id = id
      self.mountPoint = mountPoint
      self.type = type
      self.superOptions = superOptions
    }

    /// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
    /// (proc(5)); mount points have spaces and the like as octal escapes.
    public static func parse(_ line: Substring) -> Mount? {
      let fields = line.split(separator: " ")
      guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count >= dash + 3, let id = Int(fields[0]) else {
        return nil
      }
      return Mount(
        id: id, mountPoint: unescaped(fields[4]), type: String(fields[dash + 1]),
        superOptions: fields.count > dash + 3 ? fields[dash + 3].split(separator: ",").map(String.init) : [])
    }

    public static func find(id: Int, mountinfo: String) -> Mount? {
      // Only the line of the mount (ids are unique) is split into fields.
      guard let line = line(in: mountinfo, startingWith: "\(id) "), let mount = parse(line), mount.id == id else { return nil }
      return mount
    }

    /// The first line of the kernel's `text` that starts with `prefix`, without its line feed.
    /// Lines are found as bytes: a line feed always ends one (mount points have theirs
    /// escaped), and cutting the text by Characters would run the grapheme rules over it all.
    static func line(in text: String, startingWith prefix: String) -> Substring? {
      var rest = Substring(text)
      while !rest.isEmpty {
        let end = rest.utf8.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
        if rest.utf8.starts(with: prefix.utf8) { return rest[..<end] }
        rest = end == rest.endIndex ? "" : rest[rest.utf8.index(after: end)...]
      }
      return nil
    }

    /// The mount points in fstab text whose options let a user mount them.
    public static func userMountable(fstab: String) -> [String] {
      var points: [String] = []
      for line in fstab.split(separator: "\n") {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 4, !fields[0].hasPrefix("#") else { continue }
        let options = fields[3].split(separator: ",")
        if options.contains(where: { ["user", "users", "owner", "group"].contains($0) || $0.hasPrefix("user=") }) {
          points.append(unescaped(fields[1]))
        }
      }
      return points
    }

    /// The initial user namespace maps every id to itself: `0 0 4294967295`.
    public static func isInitialUserNamespace(uidMap: String) -> Bool {
      let lines = uidMap.split(separator: "\n")
      guard lines.count == 1 else { return false }
      return lines[0].split(whereSeparator: { $0 == " " || $0 == "\t" }) == ["0", "0", "4294967295"]
    }

    /// `\040` and the other octal escapes of mountinfo and fstab.
    static func unescaped(_ field: Substring) -> String {
      var bytes: [UInt8] = []
      let raw = Array(field.utf8)
      var index = 0
      while index < raw.count {
        if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
          raw[(index + 1)...(index + 3)].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }),
          let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
        {
          bytes.append(value)
          index += 4
        } else {
          bytes.append(raw[index])
          index += 1
        }
      }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  /// Why a trusted path cannot be trusted, with the fix.
  public struct Problem: Error, Equatable {
    public var path: String
    public var problem: String
    public var fix: String
  }

  /// The result of opening a trusted directory.
  public enum Opened {
    case directory(Int32)
    /// The path, or one of its parents, does not exist.
    case missing
  }

  /// Opens absolute `path` (below `top`) as a directory, checking `top`, every directory on
  /// the way and the directory itself. The caller closes the descriptor.
  public func openDirectory(_ path: String) -> Result<Opened, Failure> {
    guard path.hasPrefix("/"), path.hasPrefix(top) else {
      return .failure(.refused("the registry \(path) is not an absolute path; privnuma runs with privilege and reads only the configured registry"))
    }
    if !initialUserNamespace() {
      return .failure(refusal(Problem(
        path: path, problem: "is read by a privnuma running in a user namespace, where mounts may belong to the caller",
        fix: "run privnuma in the host's user namespace")))
    }
    let components = path.dropFirst(top.count).split(separator: "/")
    var current = top
    var descriptor: Int32
    // The registry itself is read; the directories above it are only walked through.
    let topFlags = (components.isEmpty ? O_RDONLY : Trust.openPath) | O_DIRECTORY | O_CLOEXEC
    switch retryingOnInterrupt({ open(top, topFlags) }) {
    case .success(let opened): descriptor = opened
    case .failure(let error): return .failure(.system("cannot open \(top) to check the registry: \(error)"))
    }
    let mountable = userMountable()
    if let problem = check(descriptor, path: current, userMountable: mountable) {
      close(descriptor)
      return .failure(refusal(problem))
    }
    for (index, component) in components.enumerated() {
      current = current.hasSuffix("/") ? current + component : current + "/" + component
      let last = index == components.count - 1
      let flags = (last ? O_RDONLY : Trust.openPath) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
      let next = retryingOnInterrupt { openat(descriptor, String(component), flags) }
      close(descriptor)
      switch next {
      case .success(let opened): descriptor = opened
      case .failure(let error):
        if error == .noSuchFile { return .success(.missing) }
        if error == .notDirectory || error.rawValue == ELOOP {
          if case .success(let status) = FileSystem.status(current), status.isSymlink {
            return .failure(refusal(Problem(path: current, problem: "is a symbolic link", fix: "make it a real directory owned by root")))
          }
          return .failure(.system("registry \(current) is not a directory; the registry is a directory of *.conf files"))
        }
        return .failure(.system("cannot open \(current) to check the registry: \(error)"))
      }
      if let problem = check(descriptor, path: current, userMountable: mountable) {
        close(descriptor)
        return .failure(refusal(problem))
      }
    }
    return .success(.directory(descriptor))
  }

  /// The rules for one opened directory or file.
  public func check(_ descriptor: Int32, path: String, userMountable: [String]) -> Problem? {
    var info = stat()
    if fstat(descriptor, &info) != 0 {
      return Problem(path: path, problem: "cannot be checked (fstat failed with \(Errno.current))", fix: "check the file system")
    }
    if info.st_uid != owner {
      return Problem(path: path, problem: "is owned by uid \(info.st_uid), not root", fix: "run 'chown root:root \(path)'")
    }
    if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
      let mode = String(info.st_mode & 0o7777, radix: 8)
      return Problem(
        path: path,
        problem: "is writable by group or others (mode \(String(repeating: "0", count: max(0, 4 - mode.count)) + mode))",
        fix: "run 'chmod go-w \(path)'")
    }
    let mount = self.mount(descriptor)
    let type = fileSystemType(descriptor)
    if type == Trust.fuseMagic || mount.map({ $0.type == "fuse" || $0.type == "fuseblk" || $0.type.hasPrefix("fuse.") }) == true {
      return Problem(
        path: path, problem: "is on a FUSE file system\(mount.map { " (\($0.type) at \($0.mountPoint))" } ?? ""), which users can mount and fill with files that look root's",
        fix: "keep the registry on the root file system or another file system only root mounts")
    }
    guard let mount else { return nil }
    if let user = mount.superOptions.first(where: { $0.hasPrefix("user_id=") && $0 != "user_id=0" }) {
      return Problem(
        path: path, problem: "is on \(mount.mountPoint), a \(mount.type) mount made for uid \(user.dropFirst(8))",
        fix: "keep the registry on a file system only root mounts")
    }
    if userMountable.contains(mount.mountPoint) {
      return Problem(
        path: path, problem: "is on \(mount.mountPoint), which /etc/fstab lets users mount (user, users, owner or group)",
        fix: "remove that option from /etc/fstab or move the registry")
    }
    return nil
  }

  func refusal(_ problem: Problem) -> Failure {
    .refused("insecure registry: \(problem.path) \(problem.problem); privnuma runs with privilege and trusts only files that root alone controls: \(problem.fix)")
  }
}
