/// `privnuma __slurm-task PID UID GIDS [ARGV...]`: run by privnuma's SPANK plugin, as root,
/// for each task slurmstepd has forked and placed in its cgroup, before the task execs.
/// It writes the task's own `cpuset.mems`: the step's general nodes, plus the private nodes
/// of a `privnuma` launch that the registry allows the job's user (DESIGN §11). The task
/// never leaves the cgroups Slurm made, so `--mem`, CPU binding and `scancel` keep working.
///
/// Only what Slurm vouches for decides: the ids come from slurmstepd, the rank from the
/// plugin's environment (SLURM_LOCALID), the registry is the configured one held to the
/// privileged rules, and a task's own `--registry` or `PRIVNUMA_*` settings are not used.
enum SlurmTask {
  static let usage = "usage: privnuma __slurm-task PID UID GIDS [ARGV...] (run as root by privnuma's SPANK plugin)"

  static func run(_ args: ArraySlice<String>) -> Result<Int32, Failure> {
    guard Identity.current().uid == 0 else {
      return .failure(.usage("__slurm-task is run by privnuma's SPANK plugin inside slurmstepd, as root; \(usage)"))
    }
    let words = Array(args)
    guard words.count >= 3, let pid = Int32(words[0]), pid > 0, let uid = UInt32(words[1]) else {
      return .failure(.usage(usage))
    }
    let gids = words[2].split(separator: ",").compactMap { UInt32($0) }
    guard let gid = gids.first else { return .failure(.usage("GIDS '\(words[2])' is not a comma list of group ids; \(usage)")) }
    let argv = Array(words[3...])

    let roots = Roots.system
    guard let cgroup = ProcessStatus.cgroup(proc: roots.proc, pid: pid) else {
      return .failure(.system("cannot read the cgroup of task process \(pid) (\(roots.proc)/\(pid)/cgroup)"))
    }
    guard let step = SlurmStep.containing(cgroup), let task = step.task else {
      return .failure(.system("task process \(pid) is in cgroup \(cgroup), not in a Slurm task cgroup (job_N/step_M/user/task_K); configure ProctrackType=proctrack/cgroup and TaskPlugin=task/cgroup with CgroupPlugin=cgroup/v2"))
    }
    let taskDirectory = roots.cgroup + task
    let stepDirectory = String(taskDirectory[..<(taskDirectory.lastIndex(of: "/") ?? taskDirectory.endIndex)])
    guard let text = FileSystem.readIfPresent(stepDirectory + "/cpuset.mems.effective"),
      let stepMems = NodeSet(kernelList: text.split(separator: "\n").first ?? ""), !stepMems.isEmpty
    else {
      return .failure(.system("cannot read the step's memory nodes from \(stepDirectory)/cpuset.mems.effective; is the cpuset controller enabled for Slurm (ConstrainCores=yes)?"))
    }

    let machine: Machine
    do { machine = try Machine.load(roots: roots, trust: Trust()) } catch { return .failure(error) }
    let identity = Identity(uid: uid, gid: gid, groups: gids, userName: nil)
    let plan = launchPlan(argv, machine: machine, identity: identity, pid: pid, cgroup: cgroup, stepMems: stepMems)
    let grant = SlurmGrant.decide(stepMems: stepMems, privateSet: machine.privateSet, plan: plan.plan, notLaunch: plan.why)
    if grant.mems.isEmpty {
      return .failure(.system("the step allows only private nodes (\(stepMems)); nothing general is left for task \(task)"))
    }
    if case .failure(let error) = FileSystem.write(grant.mems.description + "\n", to: taskDirectory + "/cpuset.mems") {
      return .failure(.system("cannot write \(taskDirectory)/cpuset.mems: \(error)"))
    }
    // slurmstepd itself, in the step's `slurm` cgroup, is no opted-in launch either.
    let daemon = roots.cgroup + step.job + "/" + step.step + "/slurm/cpuset.mems"
    let general = stepMems.subtracting(machine.privateSet)
    var note = ""
    if case .failure(let error) = FileSystem.write(general.description + "\n", to: daemon) {
      note = "; slurmstepd's cgroup keeps the step's nodes: writing \(daemon) failed with \(error)"
    }
    Diagnostics.output("\(task): cpuset.mems \(grant.mems): \(grant.reason)\(note)\n")
    return .success(0)
  }

  /// The task's launch as privnuma would plan it, or nil and why it is not a launch to grant.
  static func launchPlan(
    _ argv: [String], machine: Machine, identity: Identity, names: NameService = .system, pid: Int32, cgroup: String,
    stepMems: NodeSet
  ) -> (plan: LaunchPlan?, why: String) {
    guard let program = argv.first, program.split(separator: "/").last == "privnuma" else {
      return (nil, "the task is not a privnuma launch")
    }
    let request: LaunchRequest
    do { request = try OptionParser.launchRequest(ArraySlice(argv.dropFirst())) } catch {
      return (nil, "its privnuma options are not a launch (\(error.message))")
    }
    if request.query != nil { return (nil, "its privnuma options ask for a query, not a launch") }
    if request.registry != nil { return (nil, "a task's own --registry is not trusted to grant nodes") }
    let cpus = (try? ProcessStatus.read(proc: machine.roots.proc, pid: pid).get())?.cpusAllowed ?? CPUSet()
    var planner = Planner(
      machine: machine, identity: identity, names: names,
      status: ProcessStatus(memsAllowed: stepMems, cpusAllowed: cpus, name: "", uid: identity.uid),
      kernelRelease: SystemKernel().release)
    planner.ownCgroup = { cgroup }
    return (planner.plan(request), "")
  }
}
