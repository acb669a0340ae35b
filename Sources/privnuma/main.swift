import Glibc
import PrivNUMA

// A setuid install starts with root's rights: keep only what the launch may need before
// anything reads a file.
Privileges.reduceAtStart()
exit(CLI.main(CommandLine.arguments))
