import Glibc

/// User and group look-ups without loading NSS modules into privnuma.
///
/// privnuma is a static executable, and glibc's NSS modules (systemd, sss, ldap) link the
/// shared C library: loading one into a static program can crash it. So the local files are
/// read directly, and a name or id they lack is asked of `getent`, which runs the system's
/// whole NSS stack (LDAP, SSSD, systemd) in a process of its own, with the caller's real ids
/// and no capabilities.
///
/// Never under privilege: the caller may attach to (ptrace) a child that runs with the
/// caller's ids and make it print any answer, so a privileged privnuma reads the local files
/// only (`nss: false`, and `getent` refuses to start one as a last guard).
enum Accounts {
  struct User: Equatable {
    var name: String
    var uid: UInt32
    var gid: UInt32
  }

  static let passwdFile = "/etc/passwd"
  static let groupFile = "/etc/group"

  static func user(named name: String, passwd: String = passwdFile, nss: Bool = true) -> User? {
    lookUpUser(passwd) { $0[0] == name } ?? (nss ? getent("passwd", name).flatMap(parseUser) : nil)
  }

  static func user(uid: UInt32) -> User? {
    lookUpUser(passwdFile) { UInt32($0[2]) == uid } ?? getent("passwd", String(uid)).flatMap(parseUser)
  }

  static func groupID(named name: String, group: String = groupFile, nss: Bool = true) -> UInt32? {
    if let fields = lines(group).first(where: { $0.count >= 3 && $0[0] == name }) { return UInt32(fields[2]) }
    guard nss else { return nil }
    return getent("group", name).flatMap { fields(of: $0).flatMap { $0.count >= 3 ? UInt32($0[2]) : nil } }
  }

  /// The primary group and every group that lists the user as a member.
  static func groups(of user: User) -> [UInt32] {
    if let answer = getent("initgroups", user.name) {
      // "name gid gid ...": the full answer, LDAP and SSSD groups included.
      let ids = answer.split(separator: " ").dropFirst().compactMap { UInt32($0) }
      if !ids.isEmpty { return [user.gid] + ids }
    }
    var ids = [user.gid]
    for fields in lines(groupFile) where fields.count >= 4 {
      if fields[3].split(separator: ",").contains(where: { $0 == user.name }), let gid = UInt32(fields[2]) {
        ids.append(gid)
      }
    }
    return ids
  }

  // MARK: - Files

  static func lines(_ path: String) -> [[String]] {
    guard let text = FileSystem.readIfPresent(path) else { return [] }
    return text.split(separator: "\n").compactMap { line in
      if line.hasPrefix("#") || line.hasPrefix("+") || line.hasPrefix("-") { return nil }
      return line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }
  }

  static func lookUpUser(_ passwd: String, _ matches: ([String]) -> Bool) -> User? {
    for fields in lines(passwd) where fields.count >= 4 && matches(fields) {
      return parseUser(fields.joined(separator: ":"))
    }
    return nil
  }

  static func fields(of line: String) -> [String]? {
    let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    return fields.isEmpty ? nil : fields
  }

  static func parseUser(_ line: String) -> User? {
    guard let fields = fields(of: line), fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3])
    else { return nil }
    return User(name: fields[0], uid: uid, gid: gid)
  }

  // MARK: - getent

  /// Whether NSS has sources other than the local files for a database; only then is
  /// `getent` worth starting.
  static func hasOtherSources(_ database: String) -> Bool {
    guard let text = FileSystem.readIfPresent("/etc/nsswitch.conf") else { return false }
    for line in text.split(separator: "\n") {
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard let first = words.first, first == database + ":" else { continue }
      return words.dropFirst().contains { !$0.hasPrefix("[") && $0 != "files" && $0 != "compat" }
    }
    return false
  }

  /// The first line `getent DATABASE KEY` prints, or nil. The child runs with the real ids
  /// (POSIX_SPAWN_RESETIDS) and an empty environment, and exec clears any capability.
  static func getent(_ database: String, _ key: String) -> String? {
    let nssDatabase = database == "initgroups" ? "group" : database
    guard !Privilege.current().elevated, hasOtherSources(nssDatabase), !key.isEmpty, !key.hasPrefix("-") else { return nil }
    let candidates: [String] = ["/usr/bin/getent", "/bin/getent"]
    let program = candidates.first { path in access(path, X_OK) == 0 }
    guard let program else { return nil }
    var pipeFDs: [Int32] = [0, 0]
    guard pipe(&pipeFDs) == 0 else { return nil }
    _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
    defer { close(pipeFDs[0]) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_RESETIDS))
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(program), strdup(database), strdup(key), nil]
    let envp: [UnsafeMutablePointer<CChar>?] = [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
    close(pipeFDs[1])
    guard spawned == 0 else { return nil }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let reader = FileDescriptor(rawValue: pipeFDs[0])
    while output.count < 1 << 16 {
      guard case .success(let n) = buffer.withUnsafeMutableBytes({ reader.read(into: $0) }), n > 0 else { break }
      output.append(contentsOf: buffer[0..<n])
    }
    var status: Int32 = 0
    _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
    guard status == 0 else { return nil }
    let text = String(decoding: output, as: UTF8.self)
    return text.split(separator: "\n").first.map(String.init)
  }
}
