import Glibc

/// The variables privnuma was started with: the root overrides (PRIVNUMA_*) and the ranks an
/// MPI launcher or Slurm sets. Under privilege the C library has already removed the
/// loader's variables (secure mode); which overrides count is Environment's decision.
enum ProcessEnvironment {
  /// The value of `name`, or nil when it is not set.
  static func value(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
  }
}
