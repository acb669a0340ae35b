/// A process as the reports name one (`fence status`, `audit`, `stat`): pid, command and its
/// owner in the form every command uses (NamedID).
struct NamedProcess: Equatable, Sendable, CustomStringConvertible {
  var pid: Int32
  var command: String
  var user: NamedID

  /// Reads its command and owner from proc; `users` keeps the passwd file, read once, for
  /// the next process.
  static func read(proc: String, pid: Int32, users: inout [UInt32: String]) -> NamedProcess {
    let info = Processes.info(proc: proc, pid: pid)
    return NamedProcess(pid: pid, command: info.command, user: .user(info.uid, Processes.userName(info.uid, cache: &users)))
  }

  /// `pid 300 bash, bob (uid 1002)`.
  var description: String { "pid \(pid) \(command), \(user)" }
}
