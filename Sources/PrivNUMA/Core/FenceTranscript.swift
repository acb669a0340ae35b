/// What `fence apply` or `fence remove` did, or with `--dry-run` would do, as one value:
/// every step with its outcome, the notes, the verdict and the failure that stopped it. The
/// commands build it; one renderer (CLI/Output/FenceTranscriptOutput) prints it as text or
/// as a JSON document, so both say the same thing.
extension Fence {
  /// How one step ended.
  enum Outcome: Equatable, Sendable {
    /// A dry run: it would be done.
    case planned
    case done
    /// Not done, and not an error: the process exited, the kernel keeps it where it is, a
    /// slice still holds processes, a leak path privnuma may not close.
    case skipped(String)
    case failed(Failure)
  }

  /// One thing the fence writes, runs or leaves.
  enum Step: Equatable, Sendable {
    /// A write under the cgroup mount; `new` when this run creates the cgroup, so its first
    /// cpuset.mems has no "before".
    case cgroup(Change, new: Bool)
    /// A way in that is not a cgroup (LeakPaths): a sysfs setting or a huge page pool.
    case leakPath(LeakPath)
    /// A systemd drop-in: `before` is the file as found (nil: none), `after` what is written
    /// (nil: removed).
    case dropIn(path: String, before: String?, after: String?)
    case daemonReload
    /// An opt-in slice `fence remove` stops once it holds no process; `processes` counts
    /// what it still holds.
    case stopSlice(String, processes: Int)
  }

  struct Entry: Equatable, Sendable {
    var step: Step
    var outcome: Outcome
  }

  /// How the fence is kept: cgroup files privnuma writes, or systemd configuration.
  enum Mechanism: String, Sendable {
    case cgroup
    case systemd
  }

  /// The whole run.
  struct Transcript: Equatable, Sendable {
    enum Command: String, Sendable {
      case apply
      case remove
    }

    var command: Command
    var dryRun: Bool
    /// nil when nothing was looked at (a refusal, or nothing to fence).
    var mechanism: Mechanism?
    /// Which layout the fence takes where that is news (a Slurm node's), said first.
    var layout: String?
    /// Where the paths of `cgroup` steps and the sysfs settings of `leakPath` steps live.
    var cgroupRoot: String
    var sysfs: String
    var entries: [Entry] = []
    var notes: [String] = []
    /// Every cpuset-backend private node fenced afterwards, judged as `fence status` would;
    /// nil when not judged (a dry run, a refusal, `remove`).
    var fenced: Bool?
    /// The last line: what the run came to.
    var verdict = ""
    /// What stopped it; its exit status is the command's.
    var failure: Failure?

    init(_ command: Command, dryRun: Bool, roots: Roots) {
      self.command = command
      self.dryRun = dryRun
      self.cgroupRoot = roots.cgroup
      self.sysfs = roots.sysfs
    }

    /// Steps that changed something, or with a dry run would.
    var changes: Int {
      entries.filter { $0.outcome == .done || $0.outcome == .planned }.count
    }

    mutating func record(_ step: Step, _ outcome: Outcome) {
      entries.append(Entry(step: step, outcome: outcome))
    }

    /// The run stops here: `failure`, told after how many changes when some were made.
    mutating func stop(_ failure: Failure) {
      let made = changes
      let after = made > 0 && !dryRun ? " (after \(made) change\(made == 1 ? "" : "s"))" : ""
      self.failure = Failure(failure.kind, failure.message + after)
    }

    /// 0, or the failure's exit status.
    var exitCode: Int32 { failure?.exitCode ?? 0 }
  }
}
