import Glibc
import PrivNUMA

// The common launch (`privnuma -m 0 cmd`) from argv's bytes, before anything builds
// CommandLine.arguments; it returns nil, having printed nothing, for anything else, and a
// status only when a privilege step failed (reported).
if let status = QuickLaunch.run(argc: CommandLine.argc, argv: CommandLine.unsafeArgv) {
  exit(status)
}
// A setuid-root launch from a login session on a systemd host runs itself again as
// `privnuma __scope ...` to have systemd place it (Scope.run), with root's rights until then.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == CLI.scopeCommand {
  exit(CLI.scope(CommandLine.arguments))
}
// A setuid install starts with root's rights: keep only what the launch may need before
// anything reads a file.
// Stops on failure: nothing is read with rights the caller should not have.
if let failure = ProcessCredentials().reduceAtStart() {
  Diagnostics.error(failure.message)
  exit(failure.exitCode)
}
exit(CLI.main(CommandLine.arguments))
