import Foundation
import Glibc
import Testing

@testable import PrivNUMA

/// A test's steps run in a process of their own: the steps that change the process's users
/// and capabilities for good. A forked copy of the test runner cannot run Swift code safely:
/// the runner has many threads, and a runtime lock another thread held at the fork stays held
/// in the copy, which then waits forever for type metadata. So the copy only execs the test
/// binary afresh, which runs `ChildRoutines` alone; its exit status is the routine's.
enum ChildProcess {
  /// The variable that names the routine to the fresh test binary.
  static let variable = "PRIVNUMA_TEST_CHILD"

  /// The routines a child may run, by name; each returns 0 or the number of the failed step.
  static let routines: [String: @Sendable () -> Int32] = [
    "drop-all": PrivilegeTests.permittedOnlyChild,
    "launcher": LauncherPrivilegeTests.child,
    "audit": { ReadOnlyPrivilegeTests.child(Command.named("audit")!) },
    "stat": { ReadOnlyPrivilegeTests.child(Command.named("stat")!) },
  ]

  /// The exit status of routine `name` run in a fresh test binary; -1 when it did not exit.
  static func run(_ name: String) -> Int32 {
    precondition(routines[name] != nil, "no child routine \(name)")
    // Everything the copy needs is made before the fork: between fork and exec it only
    // calls the kernel.
    let arguments = [
      CommandLine.arguments[0], "--testing-library", "swift-testing", "--filter", "ChildRoutines",
    ]
    let environment =
      ProcessInfo.processInfo.environment.filter { $0.key != variable }.map { "\($0.key)=\($0.value)" }
      + ["\(variable)=\(name)"]
    var argv = arguments.map { strdup($0) } + [nil]
    var envp = environment.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { close(null) }
    let pid = fork()
    if pid == 0 {
      // The fresh binary's own report of its one test goes nowhere.
      dup2(null, 1)
      dup2(null, 2)
      execve("/proc/self/exe", &argv, &envp)
      _exit(127)
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
  }
}

/// Runs, in the fresh test binary ChildProcess starts, the routine it names, and exits with
/// its status before the runner reports anything.
@Suite("child routines")
struct ChildRoutines {
  @Test(
    .enabled(
      if: ProcessInfo.processInfo.environment[ChildProcess.variable] != nil,
      "runs only in the process a privilege test starts (ChildProcess)"))
  func run() {
    let name = ProcessInfo.processInfo.environment[ChildProcess.variable]!
    _exit(ChildProcess.routines[name]?() ?? 126)
  }
}
