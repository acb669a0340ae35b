import Glibc

/// Where execvp(3) would find a command, looked up the same way (a name with a slash as given,
/// else each PATH directory in turn), so `explain` can predict 126 and 127.
enum CommandLookup: Equatable {
  case found(String)
  /// It exists but cannot be run: a directory, or without execute permission.
  case notExecutable(String)
  case notFound

  static func find(_ command: String, path: String?) -> CommandLookup {
    func check(_ candidate: String) -> CommandLookup? {
      guard case .success(let status) = FileSystem.status(candidate) else { return nil }
      // status() does not follow a final symlink: ask access() whether the target runs.
      let target = status.isSymlink ? (try? FileSystem.statusFollowing(candidate).get()) ?? status : status
      if target.isDirectory || access(candidate, X_OK) != 0 { return .notExecutable(candidate) }
      return .found(candidate)
    }
    if command.contains("/") { return check(command) ?? .notFound }
    var denied: CommandLookup?
    // glibc's execvp searches /bin:/usr/bin when PATH is unset; an empty entry is the current directory.
    for directory in (path ?? "/bin:/usr/bin").split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
      switch check(candidate) {
      case .found(let found)?: return .found(found)
      case .notExecutable(let found)?: if denied == nil { denied = .notExecutable(found) }
      default: continue
      }
    }
    return denied ?? .notFound
  }
}
