import Foundation
import Glibc
import Testing

@testable import PrivNUMA

/// Trust under privilege (DESIGN §8): what a privileged privnuma reads, how it resolves
/// names, what it prints, and how it starts. Each test simulates the privileged start through
/// the seams (`Privilege`, `Trust`, `NameService`, the start-up calls).
@Suite("Trust under privilege")
struct TrustTests {
  // MARK: - --registry

  static func privileged(uid: UInt32) -> Environment {
    Environment(
      roots: Fixture.roots("rfc-v4", registry: Fixture.directory + "/registry-binary/permitted/nodes.d"),
      privilege: Privilege(elevated: true),
      identity: Identity(uid: uid, gid: uid, groups: [uid], userName: nil), names: Fixture.names,
      kernel: SystemKernel())
  }

  @Test func registryOptionIsRefusedUnderPrivilegeUnlessTheRealUIDIsZero() throws {
    let other = Fixture.directory + "/registry-binary/denied/nodes.d"
    #expect(throws: Failure.refused(
      "--registry \(other) is not accepted: privnuma runs with privilege (setcap or setuid install) and reads only the configured registry \(Fixture.directory)/registry-binary/permitted/nodes.d; drop --registry, or run privnuma as root to try another registry"
    )) {
      try Self.privileged(uid: 1002).loadMachine(registry: other)
    }
    // Every subcommand reads the registry through the same call.
    #expect(failureOf(Self.privileged(uid: 1002).machine(registry: other))?.kind == .refused)
    // Root may point privnuma anywhere; the trust rules still hold (the fixture is not
    // root's alone when the tests run as another user, so only the option is checked here).
    let asRoot = failureOf(Self.privileged(uid: 0).machine(registry: other))
    #expect(asRoot?.message.hasPrefix("--registry") != true)
  }

  // MARK: - The registry's file system and parents

  /// A registry directory `top/etc/nodes.d` with one file, owned by the user running the
  /// tests, and the rules of `Trust` starting at `top`, with that user as owner.
  struct Tree {
    let top: String
    var registry: String { top + "/etc/nodes.d" }
    var trust: Trust

    init() throws {
      var template = Array((NSTemporaryDirectory() + "privnuma-trust-XXXXXX").utf8CString)
      guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
      top = String(cString: made)
      chmod(top, 0o755)
      mkdir(top + "/etc", 0o755)
      mkdir(top + "/etc/nodes.d", 0o755)
      chmod(top + "/etc", 0o755)
      chmod(top + "/etc/nodes.d", 0o755)
      try "[Node]\nId=2\n".write(toFile: top + "/etc/nodes.d/50-cxl0.conf", atomically: false, encoding: .utf8)
      chmod(top + "/etc/nodes.d/50-cxl0.conf", 0o644)
      trust = Trust()
      trust.top = top
      trust.owner = getuid()
      trust.initialUserNamespace = { true }
      trust.userMountable = { [] }
      trust.mount = { _ in Trust.Mount(id: 27, mountPoint: "/", type: "ext4", superOptions: ["rw"]) }
      trust.fileSystemType = { _ in 0xEF53 }
    }

    func load() -> Result<Registry.Contents, Failure> { Registry.load(directory: registry, trust: trust) }

    func remove() { _ = try? FileManager.default.removeItem(atPath: top) }
  }

  @Test func aSoundTreeIsTrusted() throws {
    let tree = try Tree()
    defer { tree.remove() }
    #expect(try tree.load().get().nodes.map(\.id) == [2])
  }

  @Test func aParentDirectoryWritableByOthersIsRefused() throws {
    let tree = try Tree()
    defer { tree.remove() }
    chmod(tree.top + "/etc", 0o775)
    let failure = try #require(failureOf(tree.load()))
    #expect(failure == .refused("insecure registry: \(tree.top)/etc is writable by group or others (mode 0775); privnuma runs with privilege and trusts only files that root alone controls: run 'chmod go-w \(tree.top)/etc'"))
  }

  @Test func aParentDirectoryOwnedByTheUserIsRefused() throws {
    var tree = try Tree()
    defer { tree.remove() }
    // The registry and its files belong to the trusted owner; the parent does not.
    tree.trust.owner = getuid() + 1
    chown(tree.registry, getuid() + 1, getgid())
    chown(tree.registry + "/50-cxl0.conf", getuid() + 1, getgid())
    let failure = try #require(failureOf(tree.load()))
    #expect(failure.kind == .refused)
    #expect(failure.message.hasPrefix("insecure registry: \(tree.top) is owned by uid \(getuid()), not root"), "\(failure)")
  }

  @Test func aSymbolicLinkOnTheWayIsRefused() throws {
    var tree = try Tree()
    defer { tree.remove() }
    rename(tree.top + "/etc", tree.top + "/real")
    symlink(tree.top + "/real", tree.top + "/etc")
    tree.trust.owner = getuid()
    let failure = try #require(failureOf(tree.load()))
    #expect(failure.message.hasPrefix("insecure registry: \(tree.top)/etc is a symbolic link"), "\(failure)")
  }

  @Test func aMissingRegistryIsEmptyAndSaysSo() throws {
    let tree = try Tree()
    defer { tree.remove() }
    let contents = try Registry.load(directory: tree.top + "/etc/absent.d", trust: tree.trust).get()
    #expect(contents.missing && contents.nodes.isEmpty)
  }

  @Test func aRegistryOnFUSEIsRefused() throws {
    var tree = try Tree()
    defer { tree.remove() }
    // Only the registry directory's descriptor is on FUSE, as if mounted there.
    tree.trust.fileSystemType = { descriptor in
      var info = stat()
      fstat(descriptor, &info)
      var registry = stat()
      stat(tree.registry, &registry)
      return info.st_ino == registry.st_ino ? Trust.fuseMagic : 0xEF53
    }
    let failure = try #require(failureOf(tree.load()))
    #expect(failure.message.hasPrefix("insecure registry: \(tree.registry) is on a FUSE file system"), "\(failure)")
  }

  @Test(arguments: [
    ("fuse.sshfs", ["rw", "user_id=1002", "group_id=1002"], "is on a FUSE file system (fuse.sshfs at /etc)"),
    ("fuseblk", ["rw"], "is on a FUSE file system (fuseblk at /etc)"),
    ("virtiofs", ["rw", "user_id=1002"], "is on /etc, a virtiofs mount made for uid 1002"),
  ])
  func mountsAUserMadeAreRefused(type: String, options: [String], problem: String) throws {
    var tree = try Tree()
    defer { tree.remove() }
    tree.trust.mount = { _ in Trust.Mount(id: 40, mountPoint: "/etc", type: type, superOptions: options) }
    let failure = try #require(failureOf(tree.load()))
    #expect(failure.message.hasPrefix("insecure registry: \(tree.top) \(problem)"), "\(failure)")
  }

  @Test func aMountPointUsersMayMountIsRefused() throws {
    var tree = try Tree()
    defer { tree.remove() }
    tree.trust.mount = { _ in Trust.Mount(id: 40, mountPoint: "/etc/privnuma", type: "ext4", superOptions: ["rw"]) }
    tree.trust.userMountable = { Trust.Mount.userMountable(fstab: "/dev/sdb1 /etc/privnuma ext4 noauto,user 0 0\n") }
    let failure = try #require(failureOf(tree.load()))
    #expect(failure.message.contains("is on /etc/privnuma, which /etc/fstab lets users mount"), "\(failure)")
  }

  @Test func aUserNamespaceIsRefused() throws {
    var tree = try Tree()
    defer { tree.remove() }
    tree.trust.initialUserNamespace = { false }
    let failure = try #require(failureOf(tree.load()))
    #expect(failure.message.contains("user namespace"), "\(failure)")
  }

  @Test func mountinfoFstabAndUIDMapAreRead() {
    let mountinfo = """
      27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
      61 27 0:52 / /home/bob/reg\\040dir rw,nosuid,nodev,relatime shared:33 - fuse.evil evil rw,user_id=1002,group_id=1002
      """
    #expect(Trust.Mount.find(id: 61, mountinfo: mountinfo)
      == Trust.Mount(id: 61, mountPoint: "/home/bob/reg dir", type: "fuse.evil", superOptions: ["rw", "user_id=1002", "group_id=1002"]))
    #expect(Trust.Mount.find(id: 62, mountinfo: mountinfo) == nil)
    // An id is a whole field: 6 is neither 61 nor 27's parent field.
    #expect(Trust.Mount.find(id: 6, mountinfo: mountinfo) == nil)
    #expect(Trust.Mount.find(id: 27, mountinfo: mountinfo)?.mountPoint == "/")
    let fstab = "# /etc/fstab\nUUID=1 / ext4 defaults 0 1\n/dev/sdb1 /media/usb vfat noauto,users 0 0\n/dev/sdc1 /srv ext4 owner,noauto 0 0\n"
    #expect(Trust.Mount.userMountable(fstab: fstab) == ["/media/usb", "/srv"])
    #expect(Trust.Mount.isInitialUserNamespace(uidMap: "         0          0 4294967295\n"))
    #expect(!Trust.Mount.isInitialUserNamespace(uidMap: "         0       1002          1\n"))
  }

  // MARK: - Names

  static let passwd = Fixture.directory + "/accounts/passwd"
  static let group = Fixture.directory + "/accounts/group"

  @Test func underPrivilegeNamesComeFromTheLocalFilesOnly() {
    let names = NameService.localFiles(passwd: Self.passwd, group: Self.group)
    #expect(names.userID("alice") == 1001)
    #expect(names.groupID("cram") == 2001)
    #expect(names.groupID("1234") == 1234)
    // A directory-service group is not in /etc/group: it does not resolve, and says why.
    #expect(names.groupID("ldapcram") == nil)
    var node = Fixture.declared(2, "cxl0", allowGroups: ["ldapcram"])
    let bob = Identity(uid: 1002, gid: 1002, groups: [1002, 5000], userName: "bob")
    let denied = Access.decide(node, for: bob, names: names)
    #expect(!denied.allowed)
    #expect(denied.unresolved == [
      "AllowGroups name 'ldapcram' could not be resolved (privnuma runs with privilege and reads names only from \(Self.passwd) and \(Self.group), never through a resolver the caller could reach; write the numeric id of a directory-service user or group)"
    ])
    // The administrator writes the directory-service group's id: the kernel's list of the
    // caller's groups, not a resolver, then decides.
    node.allowGroups = ["5000"]
    #expect(Access.decide(node, for: bob, names: names).allowed)
  }

  @Test func thePrivilegedNameServiceStartsNoResolver() {
    #expect(NameService.trusted(under: Privilege(elevated: true)).advice.contains("never through a resolver"))
    #expect(NameService.trusted(under: Privilege(elevated: false)).advice.contains("NSS"))
  }

  @Test func nodesSaysWhichNameDidNotResolve() {
    let machine = Fixture.machine("rfc-v4", declared: [Fixture.declared(2, "cxl0", allowGroups: ["ldapcram", "cram"])])
    let listing = NodesListing(machine: machine, identity: Fixture.alice, names: .localFiles(passwd: Self.passwd, group: Self.group))
    #expect(listing.rows.first?.access.allowed == true)
    #expect(listing.text.contains("warning: node 2 (cxl0): AllowGroups name 'ldapcram' could not be resolved"))
  }

  // MARK: - Output

  @Test func controlCharactersAreEscapedInText() {
    #expect(Diagnostics.terminalSafe("pid 7 evil\u{1B}]0;owned\u{07}\u{1B}[2J\n\tok") == "pid 7 evil\\x1B]0;owned\\x07\\x1B[2J\n\tok")
    #expect(Diagnostics.terminalSafe("csi\u{9B}2J del\u{7F}") == "csi\\x9B2J del\\x7F")
    #expect(Diagnostics.terminalSafe("plain ünïcode") == "plain ünïcode")
    #expect(JSON.string("a\u{1B}b\u{9B}c").rendered() == "\"a\\u001bb\\u009bc\"")
  }

  // MARK: - Start

  @Test func aFailedReductionAtStartStopsPrivnuma() {
    var calls: [String] = []
    let failedUID = ProcessCredentials.reduce(
      elevated: true, uid: 1002, effectiveUID: 0,
      setEffectiveUID: { calls.append("setresuid \($0)"); return .notPermitted },
      limitCapabilities: { calls.append("limit"); return nil })
    #expect(failedUID?.kind == .system)
    #expect(failedUID?.message.contains("stopping before reading anything") == true)
    #expect(calls == ["setresuid 1002"])

    let failedLimit = ProcessCredentials.reduce(
      elevated: true, uid: 1002, effectiveUID: 1002, setEffectiveUID: { _ in nil }, limitCapabilities: { .notPermitted })
    #expect(failedLimit?.message.contains("cannot limit the capabilities") == true)

    #expect(ProcessCredentials.reduce(elevated: true, uid: 1002, effectiveUID: 0, setEffectiveUID: { _ in nil }, limitCapabilities: { nil }) == nil)
    #expect(ProcessCredentials.reduce(elevated: false, uid: 1002, effectiveUID: 1002, setEffectiveUID: { _ in .notPermitted }, limitCapabilities: { .notPermitted }) == nil)
  }

  // MARK: - Fail safe

  @Test func aBrokenFileKeepsItsNodePrivateAndTheRestUsable() throws {
    let registry = Fixture.directory + "/registry-binary/broken/nodes.d"
    let contents = try Registry.load(directory: registry, trust: nil).get()
    #expect(contents.nodes.map(\.id) == [2])
    #expect(contents.broken.map(\.id) == [1])
    #expect(contents.errors.map { "\($0.file):\($0.line)" } == [registry + "/60-hbm.conf:6"])
    let roots = Fixture.roots("rfc-v4", registry: registry)
    let machine = Machine(roots: roots, topology: Topology(roots: roots), declared: contents.nodes, broken: contents.broken)
    #expect(machine.generalNodes == NodeSet([0]))
    #expect(machine.privateNode(1)?.brokenDeclaration == contents.errors.first)
    #expect(PrivateNodeRules.declaration(try #require(machine.privateNode(1)))?.kind == .refused)
    #expect(!Access.decide(try #require(machine.privateNode(1)), for: Fixture.alice, names: Fixture.names).allowed)
  }

  @Test func everyNodeABrokenFileMentionsIsReadLeniently() {
    #expect(Registry.lenientIDs("[Node]\nId=3\nLabel=Bad Label\n") == [3])
    #expect(Registry.lenientIDs("ID = 4 # hbm\nid 5\n") == [4, 5])
    #expect(Registry.lenientIDs("[Node]\nId=two\n") == [])
  }

  @Test func aDuplicateIdRefusesTheNodeInBothFiles() throws {
    let contents = try Registry.load(directory: Fixture.directory + "/registry/duplicate-id/nodes.d", trust: nil).get()
    #expect(contents.nodes.isEmpty)
    #expect(contents.broken.map(\.id) == [2])
  }
}

private func failureOf<T>(_ result: Result<T, Failure>) -> Failure? {
  if case .failure(let failure) = result { return failure }
  return nil
}
