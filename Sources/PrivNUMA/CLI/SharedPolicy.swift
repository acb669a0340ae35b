/// `privnuma --shm KEYFILE ...` and `privnuma --file PATH ...`: numactl's shared-memory
/// policies. The plan was checked like any launch (private-node rules, cpuset, kernel); here
/// the segment or file is attached and the steps run in the order they were given.
enum SharedPolicy {
  static func run(_ plan: LaunchPlan, _ shared: SharedRequest, proc: String, quiet: Bool) -> Result<Int32, Failure> {
    let notes: (String) -> Void = { note in if !quiet { Diagnostics.error(note) } }
    let attached: Result<SharedMapping, SharedMapping.Error>
    switch shared.target {
    case .segment(let keyFile):
      attached = SharedMapping.attachSegment(
        keyFile: keyFile, projectID: shared.projectID, length: shared.length, offset: shared.offset, mode: shared.mode,
        huge: shared.huge, proc: proc, notes: notes)
    case .file(let path):
      attached = SharedMapping.mapFile(path: path, length: shared.length, offset: shared.offset, mode: shared.mode, notes: notes)
    }
    let mapping: SharedMapping
    switch attached {
    case .failure(let error): return .failure(Failure(error.isUsage ? .usage : .system, error.message))
    case .success(let value): mapping = value
    }
    for step in shared.steps {
      switch step {
      case .policy:
        guard let policy = plan.policy else { continue }
        if let failure = bind(mapping, policy, shared, option: plan.policyOption) { return .failure(failure) }
      case .touch:
        mapping.touch()
      case .dump:
        switch mapping.policyRuns() {
        case .failure(let error): return .failure(.system("--dump: get_mempolicy failed with \(error)"))
        case .success(let runs):
          // numactl's layout, trailing spaces included, for scripts that read it.
          var out = ""
          for run in runs {
            out += "\(hex16(run.start))-\(hex16(run.end)): \(run.policy.mode.name) : " + run.policy.nodes.map { "\($0) " }.joined() + "\n"
          }
          Diagnostics.output(out.isEmpty ? "no policy set in \(shared.option)\n" : out)
        }
      case .dumpNodes:
        switch mapping.nodeRuns() {
        case .failure(let error): return .failure(.system("--dump-nodes: get_mempolicy failed with \(error)"))
        case .success(let runs):
          Diagnostics.output(runs.map { "\(hex16($0.start))-\(hex16($0.end)): \($0.node)\n" }.joined())
        }
      }
    }
    return .success(0)
  }

  /// mbind, then the policy read back: the kernel drops nodes outside the cpuset silently.
  static func bind(_ mapping: SharedMapping, _ policy: MemoryPolicy, _ shared: SharedRequest, option: String?) -> Failure? {
    let spelled = "--" + (option ?? policy.mode.name)
    if case .failure(let error) = mapping.bind(policy, strict: shared.strict) {
      let meaning = Advice.text(policy.flags.contains(.numaBalancing) ? .setMempolicyBalancing : .mbind, error)
      return .system("\(spelled) on \(shared.option): mbind(\(Launcher.describe(policy))) failed with \(error): \(meaning)")
    }
    guard policy.mode.takesNodes, case .success(let runs) = mapping.policyRuns(), let applied = runs.first?.policy else {
      return nil
    }
    let missing = policy.nodes.subtracting(applied.nodes)
    if !missing.isEmpty {
      return .system("\(spelled) on \(shared.option): the kernel dropped node \(missing) from the policy (kept \(applied.nodes)); node \(missing) is not in this process's cpuset (cpuset.mems)")
    }
    return nil
  }

  static func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
  }
}

/// The shared-memory options while they are read: numactl's order rules (sizes, mode and
/// huge before `--shm`/`--file`, the policy and `--touch` after it), so a misplaced option is
/// an error rather than silently ignored.
struct SharedOptions {
  var length: UInt64 = 0
  var offset: UInt64 = 0
  var mode: UInt32 = 0o600
  var projectID: Int32 = 0
  var huge = false
  var strict = false
  /// The first option that only makes sense with --shm/--file, for the error when neither comes.
  var firstOption: String?

  /// Reads one option if it is a shared-memory one; false for every other option.
  mutating func read(_ spec: OptionSpec, _ value: String?, _ request: inout LaunchRequest) throws(Failure) -> Bool {
    let option = "--" + spec.long
    func before() throws(Failure) {
      if let target = request.shared?.option { throw .usage("\(option) must come before \(target)") }
      if firstOption == nil { firstOption = option }
    }
    func size() throws(Failure) -> UInt64 {
      guard let value, let size = SharedRequest.size(value) else {
        throw .usage("\(option) '\(value ?? "")' is not a size; write bytes or a number with K, M or G, e.g. \(option)=64M")
      }
      return size
    }
    switch spec.key {
    case .length:
      try before()
      length = try size()
    case .offset:
      try before()
      offset = try size()
    case .shmmode:
      try before()
      guard let value, let mode = UInt32(value, radix: 8), mode <= 0o7777 else {
        throw .usage("--shmmode '\(value ?? "")' is not an octal mode; e.g. --shmmode=0660")
      }
      self.mode = mode
    case .huge:
      try before()
      huge = true
    case .shmid:
      try before()
      guard let value, let id = Int32(value), id >= 0 else {
        throw .usage("--shmid '\(value ?? "")' is not a project id; give a number, e.g. --shmid=1")
      }
      projectID = id
    case .strict:
      strict = true
      request.shared?.strict = true
    case .shm, .file:
      if let target = request.shared?.option { throw .usage("\(option) given after \(target); set one segment or file per call") }
      if let policy = request.policyOption { throw .usage("--\(policy) comes before \(option); give the policy after it, as numactl does") }
      if request.cpuNodes != nil || request.cpus != nil { throw .usage("\(option) sets a policy on memory, not a process; drop the CPU binding") }
      guard let value, !value.isEmpty else { throw .usage("\(option) needs a path") }
      if spec.key == .file && huge { throw .usage("--huge applies to --shm segments; a --file in hugetlbfs uses huge pages already") }
      var shared = SharedRequest(target: spec.key == .shm ? .segment(keyFile: value) : .file(value))
      shared.length = length
      shared.offset = offset
      shared.mode = mode
      shared.projectID = projectID
      shared.huge = huge
      shared.strict = strict
      request.shared = shared
    case .touch, .dump, .dumpNodes:
      guard request.shared != nil else { throw .usage("\(option) must come after --shm or --file") }
      request.shared!.steps.append(spec.key == .touch ? .touch : spec.key == .dump ? .dump : .dumpNodes)
    default:
      return false
    }
    return true
  }

  /// After every option: what cannot go with a command, or with --shm/--file.
  func finish(_ request: inout LaunchRequest) throws(Failure) {
    if let shared = request.shared {
      if let word = request.command.first {
        throw .usage("\(shared.option) sets a policy on memory and runs nothing, but '\(word)' follows; run the command in a separate call")
      }
      return
    }
    if let firstOption {
      throw .usage("\(firstOption) is a shared-memory option, but there is no --shm or --file; see 'privnuma --help'")
    }
    if strict { Diagnostics.warning("--strict applies to --shm and --file; ignored for a command") }
  }
}
