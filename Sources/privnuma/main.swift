import Glibc
import PrivNUMA

// A setuid install starts with root's rights: keep only what the launch may need before
// anything reads a file.
// Stops on failure: nothing is read with rights the caller should not have.
if let failure = ProcessCredentials().reduceAtStart() {
  Diagnostics.error(failure.message)
  exit(failure.exitCode)
}
exit(CLI.main(CommandLine.arguments))
