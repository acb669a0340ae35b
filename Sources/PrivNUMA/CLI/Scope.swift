/// The transient scope systemd makes around a launch from a login session on a systemd host
/// (`Placement.scope`): the process leaves its session scope the way `systemd-run --scope`
/// takes it, by systemd's own hand, and lands in the opt-in slice where systemd tracks it.
enum Scope {
  /// `privnuma __scope SLICE -- ARGS...`: how a setuid-root install runs itself again with
  /// root's full rights to ask systemd for the scope, before it narrows its rights and
  /// launches ARGS as usual. Not for people to type.
  static let command = "__scope"

  /// Asks systemd for `privnuma-PID.scope` in `slice` around this process.
  static func start(slice: String, systemd: Systemd) -> Failure? {
    return systemd.startScope(slice: slice, description: "privnuma launch by \(Identity.current().named) in \(slice)")
  }

  /// Runs `privnuma __scope SLICE -- ARGS...` with the rights privnuma started with, before
  /// `Credentials.reduceAtStart`. Anyone can type it, so it does only what a launch of ARGS
  /// would have asked for: the caller must be in a login session on a systemd host, and the
  /// registry must give SLICE to a cpuset-backend node the caller may use.
  static func run(_ arguments: [String]) -> Int32 {
    guard arguments.count >= 5, arguments[1] == command, arguments[3] == "--" else {
      Diagnostics.error("usage: privnuma \(command) SLICE -- OPTIONS... (used by privnuma itself)")
      return Failure.Kind.usage.rawValue
    }
    let slice = arguments[2]
    let launch = ["privnuma"] + arguments.dropFirst(4)
    let environment = Environment.current()
    if let failure = admit(slice: slice, environment) ?? start(slice: slice, systemd: environment.systemd) {
      Diagnostics.error(failure.message + "; nothing was run")
      return failure.exitCode
    }
    if let failure = environment.credentials.reduceAtStart() {
      Diagnostics.error(failure.message)
      return failure.exitCode
    }
    return CLI.main(launch)
  }

  /// Why the caller may not have a scope in `slice`, or nil.
  static func admit(slice: String, _ environment: Environment) -> Failure? {
    guard environment.systemd.owns(cgroupRoot: Roots.system.cgroup) else {
      return .usage("'privnuma \(command)' works only where systemd is PID 1")
    }
    guard let own = ProcessStatus.cgroup(proc: "/proc"), Placement.isLoginSession(own) else {
      return .refused("'privnuma \(command)' moves only a login session's process; this one is not in a session scope")
    }
    let machine: Machine
    switch environment.machine() {
    case .failure(let failure): return failure
    case .success(let loaded): machine = loaded
    }
    let nodes = machine.privateNodes.filter { node in
      node.backend == .cpuset && node.cgroup.flatMap(SystemdFence.slice(ofCgroup:)) == slice
    }
    if nodes.isEmpty {
      return .refused("no cpuset-backend private node in the registry has the opt-in slice \(slice)")
    }
    for node in nodes {
      let decision = Access.decide(node, for: environment.identity, names: environment.names)
      if !decision.allowed { return .refused("node \(node.id) (\(node.label)): \(decision.reason)") }
    }
    return nil
  }
}
