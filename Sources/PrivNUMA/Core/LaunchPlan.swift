/// Everything a launch will do, decided before any of it is done, so that `explain` can show
/// it and a launch never stops half-way.
public struct LaunchPlan: Sendable {
  /// One rule the request was held against, and its verdict.
  public struct Check: Sendable, Equatable {
    public var name: String
    public var passed: Bool
    public var detail: String
  }

  /// The policy to set, or nil to leave the inherited one.
  public var policy: MemoryPolicy?
  /// The option that asked for the policy, e.g. `membind`.
  public var policyOption: String?
  public var cpus: CPUSet?
  /// Absolute path of the opt-in cgroup (cpuset backend); where the launch runs is
  /// decided by `Placement`.
  public var cgroup: String?
  /// The cgroup v2 mount the opt-in cgroup is under.
  public var cgroupMount = "/sys/fs/cgroup"
  /// The opt-in cgroups of every cpuset-backend node, relative to the mount: cgroups of the
  /// fence itself, which a launch may leave.
  public var fenceCgroups: [String] = []
  /// This process's cgroup as the planner read it for a cpuset-fenced node (nil: unreadable):
  /// the launch places by it rather than reading `/proc/self/cgroup` again.
  public var ownCgroup: String?
  /// Private nodes the policy names.
  public var privateNodes: NodeSet = NodeSet()
  public var checks: [Check] = []
  public var advice: [String] = []
  public var warnings: [String] = []
  public var command: [String] = []
  /// The kernel's private-node interface the plan was made with, for `explain`.
  public var kernelInterface: KernelInterface?
  /// Registry files with errors: the nodes they mention were refused, the rest planned.
  public var registryErrors: [Registry.FileError] = []
  /// Set for `--shm`/`--file`: the policy is applied to that segment or file, nothing is run.
  public var shared: SharedRequest?
  /// The first refusal; a plan with a failure is never applied.
  public var failure: Failure?

  public init() {}

  /// Whether passing checks keep their wording; a launch does not pay for text nobody reads.
  public var recordsDetails = true

  mutating func pass(_ name: String, _ detail: @autoclosure () -> String) {
    checks.append(Check(name: name, passed: true, detail: recordsDetails ? detail() : ""))
  }

  /// Records a failed check; the first failure decides the exit code.
  mutating func fail(_ name: String, _ failure: Failure) {
    checks.append(Check(name: name, passed: false, detail: failure.message))
    if self.failure == nil { self.failure = failure }
  }
}
