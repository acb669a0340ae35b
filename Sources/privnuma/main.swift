import Glibc
import PrivNUMA

exit(CLI.main(CommandLine.arguments))
