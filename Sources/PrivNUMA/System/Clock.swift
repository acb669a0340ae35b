import Glibc

/// Waiting between samples (`stat --interval`).
enum Clock {
  /// Sleeps for `seconds`, the rest of it again when a signal interrupts.
  static func sleep(seconds: Double) {
    var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&pause, &remaining) != 0 && Errno.current == .interrupted { pause = remaining }
  }
}
