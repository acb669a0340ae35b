/// Where Slurm put a process: the cgroups slurmstepd makes for each job step under its
/// delegated subtree (`…/job_42/step_0/user/task_1`, DESIGN §11). Slurm owns them, so
/// privnuma never moves a process out of one; a private node is granted in place instead.
public struct SlurmStep: Sendable, Equatable {
  /// The job's cgroup, e.g. `/system.slice/slurmstepd.scope/job_42`.
  public var job: String
  /// `job_42/step_0`, `step_batch`, `step_extern`: the part after the job.
  public var step: String
  /// The task's own cgroup (`…/user/task_1`, `…/user/task_special`), when the process is in one.
  public var task: String?

  /// Finds the job and step in a cgroup path from /proc/PID/cgroup; nil outside Slurm.
  public static func containing(_ cgroup: String) -> SlurmStep? {
    let parts = cgroup.split(separator: "/", omittingEmptySubsequences: false)
    var index = parts.startIndex
    while index + 1 < parts.endIndex {
      if isJob(parts[index]), parts[index + 1].hasPrefix("step_"), parts[index + 1].count > 5 {
        let job = parts[...index].joined(separator: "/")
        var task: String?
        if index + 3 < parts.endIndex, parts[index + 2] == "user", parts[index + 3].hasPrefix("task_") {
          task = parts[...(index + 3)].joined(separator: "/")
        }
        return SlurmStep(job: job, step: String(parts[index + 1]), task: task)
      }
      index += 1
    }
    return nil
  }

  /// Whether the Slurm task cgroup `cgroup` (or the task cgroup above it) lists `node` in its
  /// own `cpuset.mems`. Slurm never writes that file and only root can, so a private node
  /// there was granted by privnuma's SPANK plugin: the task opted in where it lives.
  public static func grants(_ node: Int, to cgroup: String, cgroupRoot: String) -> Bool {
    guard let task = containing(cgroup)?.task,
      let text = FileSystem.readIfPresent(cgroupRoot + task + "/cpuset.mems"),
      let mems = NodeSet(kernelList: text.split(separator: "\n").first ?? "")
    else { return false }
    return mems.contains(node)
  }

  /// Whether `cgroup` is the one slurmd keeps slurmstepd's own resident process in: `system`
  /// right below slurmstepd's scope (`/system.slice/vm_slurmstepd.scope/system`). Only root
  /// can put a process there and Slurm puts only its daemon; no task ever runs there. On a
  /// Slurm node that scope keeps the private nodes for the SPANK plugin to grant, and Slurm
  /// enables no cpuset there that privnuma could narrow without taking Slurm's part.
  public static func isDaemonCgroup(_ cgroup: String) -> Bool {
    let parts = cgroup.split(separator: "/")
    return parts.count == 3 && parts[0] == "system.slice" && parts[1].hasSuffix("slurmstepd.scope") && parts[2] == "system"
  }

  /// `job_` followed by a decimal job id.
  static func isJob(_ part: Substring) -> Bool {
    guard part.hasPrefix("job_") else { return false }
    let id = part.dropFirst(4)
    return !id.isEmpty && id.allSatisfy { $0 >= "0" && $0 <= "9" }
  }
}

/// The memory nodes a Slurm task's cgroup gets: the general nodes its step allows, plus the
/// private nodes of a launch the registry allows. Everything else stays fenced.
public struct SlurmGrant: Sendable, Equatable {
  public var mems: NodeSet
  /// Why, for slurmd's log.
  public var reason: String

  /// `stepMems` is what Slurm gave the step (its cpuset.mems.effective); `privateSet` every
  /// private node; `plan` the task's privnuma launch, or nil for a task that is not one.
  public static func decide(stepMems: NodeSet, privateSet: NodeSet, plan: LaunchPlan?, notLaunch: String) -> SlurmGrant {
    let general = stepMems.subtracting(privateSet)
    guard let plan else { return SlurmGrant(mems: general, reason: notLaunch) }
    if let failure = plan.failure {
      return SlurmGrant(mems: general, reason: "the launch is refused (\(failure.message))")
    }
    let granted = plan.privateNodes.intersection(stepMems)
    if plan.privateNodes.isEmpty {
      return SlurmGrant(mems: general, reason: "the launch names no private node")
    }
    if granted.isEmpty {
      return SlurmGrant(mems: general, reason: "the step's cpuset does not include node \(plan.privateNodes); open the slurmstepd scope for it")
    }
    return SlurmGrant(mems: general.union(granted), reason: "the launch names private node \(granted) and the registry allows it")
  }
}
