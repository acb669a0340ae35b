/// The read-only commands: show, hardware, nodes, check, explain.
extension Command {
  static let show = Command(
    name: "show", summary: "this process's policy and CPU binding",
    synopsis: "", about: "This process's memory policy and CPU binding, in numactl's layout, with a line for each private node and whether you may use it. Run by privnuma, it shows what the launch applied. Also: privnuma -s.",
    options: common, operands: .none, examples: ["privnuma show", "privnuma -m 0 privnuma show"],
    manual: #"""
      This process's policy and CPU binding in numactl's layout
      .RB ( "policy:" ,
      .BR "preferred node:" ,
      .BR "physcpubind:" ,
      .BR "cpubind:" ,
      .BR "nodebind:" ,
      .BR "membind:" ,
      .BR "preferred:" ),
      without numactl's glitches (a broken
      .B local
      line, mode flags shown as an unknown policy), plus a line for each private node and
      whether the caller may use it.
      Launched by privnuma
      .RB ( "privnuma \-m 0 privnuma show" ),
      it shows what the launch applied.
      """#,
    run: Queries.show)

  static let hardware = Command(
    name: "hardware", summary: "nodes, CPUs, memory, distances; private nodes marked",
    synopsis: "", about: "Nodes, their CPUs, memory size and free, distances and weighted-interleave weights, in the layout of numactl --hardware; private nodes marked with label, backend and capabilities. Also: privnuma -H.",
    options: common, operands: .none, examples: ["privnuma hardware", "privnuma hardware --json"],
    manual: #"""
      Nodes, their CPUs, memory size and free memory, the distance table and weighted-interleave
      weights, in the layout of
      .BR "numactl \-\-hardware" ,
      so scripts that parse numactl keep working.
      Private nodes get a line with label, backend and capabilities; disagreements between the
      registry and the kernel are printed as warnings.
      """#,
    run: Queries.hardware)

  static let nodes = Command(
    name: "nodes", summary: "the private nodes and whether you may use them",
    synopsis: "", about: "The private nodes: id, label, kind, backend (kernel, cpuset, none), whether a policy may name them, capabilities, size, free memory, MinFree reserve, and whether you may use each and why.",
    options: common, operands: .none, examples: ["privnuma nodes", "privnuma nodes --json"],
    manual: #"""
      The private nodes: id, label, kind, backend, whether a policy may name them
      .RB ( BINDABLE ),
      capabilities, size, free memory, the
      .B MinFree=
      reserve, and for the caller whether each may be used, and why.
      """#,
    run: Queries.nodes)

  static let check = Command(
    name: "check", summary: "whether you may use NODES with a policy (exit 0 or the refusal)",
    synopsis: "NODES [--policy MODE] [--balancing] [--allow-unfenced]",
    about: "Exit 0 when you may use NODES with policy MODE (default bind), else the refusal's exit status (2 usage, 3 private-node rules) and its reason. Nothing is run.",
    options: common + [.policy, .launch(.balancing), .launch(.allowUnfenced)], operands: .values(.nodes, max: 1),
    examples: ["privnuma check cxl0 --policy preferred && privnuma -p cxl0 -- ./app"],
    manual: #"""
      Exit 0 when the caller may use
      .I NODES
      with policy
      .I MODE
      .RB ( bind ,
      the default;
      .BR preferred ,
      .BR preferred\-many ,
      .BR interleave ,
      .BR weighted\-interleave ),
      else the refusal's exit status and reason.
      Nothing is run.
      """#,
    run: Queries.check)

  static let explain = Command(
    name: "explain", summary: "the plan for a launch, without running it",
    synopsis: "[--json] OPTIONS [-- COMMAND [ARGS...]]",
    about: "The plan of a launch without running it: each check and its verdict, the exact system calls (mode, flags, node mask), the cgroup placement and the advice. Exits as the launch would have before starting the command. OPTIONS are the launch options of privnuma --help.",
    options: [.json, .launch(.help)], operands: .command,
    examples: ["privnuma explain -p cxl0 -- ./app", "privnuma explain --json -i all"],
    manual: #"""
      The plan of a launch without running it: every check with its verdict, the exact system
      calls (mode, flags, node mask), the cgroup the process would join, and advice.
      Exits with the status the launch would have had before starting the command.
      """#,
    takesLaunchOptions: true,
    run: Queries.explain)
}

enum Queries {
  /// Prints a report; with `machine`, the registry's broken files first as warnings, and in
  /// JSON as `registry_errors`, so a query goes on while a file is being fixed.
  static func emit(_ text: String, json: JSON, asJSON: Bool, machine: Machine? = nil) {
    let errors = machine?.registryErrors ?? []
    Diagnostics.registryWarnings(errors)
    Diagnostics.output(asJSON ? json.adding(registryErrors: errors).rendered() + "\n" : text)
  }

  static func show(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.machine(registry: options.value(.registry)).flatMap { machine in
      ShowReport.read(machine: machine, kernel: environment.kernel, identity: environment.identity, names: environment.names)
        .map { report in
          emit(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
          return 0
        }
    }
  }

  static func hardware(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.machine(registry: options.value(.registry)).map { machine in
      let report = HardwareReport(machine: machine)
      emit(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
      return 0
    }
  }

  static func nodes(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.machine(registry: options.value(.registry)).map { machine in
      let listing = NodesListing(machine: machine, identity: environment.identity, names: environment.names)
      let errors = machine.registryErrors
      Diagnostics.output(options.has(.json) ? listing.json.adding(registryErrors: errors).rendered() + "\n" : listing.text)
      // The listing still shows the other nodes; the broken files are errors here (exit 2).
      for error in errors { Diagnostics.error("\(error)") }
      return errors.isEmpty ? 0 : 2
    }
  }

  static func check(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    guard let nodes = options.operands.first else {
      return .failure(.usage("'privnuma check' needs NODES, e.g. 'privnuma check cxl0 --policy preferred'"))
    }
    var request = LaunchRequest()
    let word = options.value(.policy) ?? "bind"
    guard let mode = PolicyMode(word: word), mode.takesNodes else {
      return .failure(.usage("--policy '\(word)' is not a policy with nodes; use bind, preferred, preferred-many, interleave or weighted-interleave"))
    }
    request.mode = mode
    request.policyOption = "policy \(mode.name)"
    request.nodes = nodes
    request.balancing = options.has(.balancing)
    request.allowUnfenced = options.has(.allowUnfenced)
    request.registry = options.value(.registry)
    return Launch.plan(request, environment).map { plan in
      // A broken registry file fails the check whatever the nodes (exit 2, file:line).
      let code = plan.registryErrors.isEmpty ? plan.failure?.exitCode ?? 0 : Failure.Kind.usage.rawValue
      for warning in plan.warnings { Diagnostics.warning(warning) }
      if options.has(.json) {
        let json = ExplainReport(plan: plan, request: request).checkJSON.adding(registryErrors: plan.registryErrors)
        Diagnostics.output(json.rendered() + "\n")
      } else if let failure = plan.failure {
        Diagnostics.error(failure.message)
      } else if plan.registryErrors.isEmpty {
        Diagnostics.output("ok: \(mode.name) on node \(plan.policy?.nodes.listDescription ?? nodes) is allowed\n")
      }
      for error in plan.registryErrors { Diagnostics.error("\(error)") }
      return code
    }
  }

  static func explain(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    var args = options.words
    var asJSON = false
    // --json may come anywhere before the command; the rest are launch options.
    if let index = args.firstIndex(of: "--json"), args[..<index].firstIndex(of: "--") == nil {
      args.remove(at: index)
      asJSON = true
    }
    if args.first == "--help" || args.first == "-h" { return Help.command(.explain) }
    if args.isEmpty {
      return .failure(.usage("'privnuma explain' needs the launch options to explain, e.g. 'privnuma explain -p cxl0 -- ./app'"))
    }
    return OptionParser.parseLaunch(args, requireCommand: false).flatMap { request in
      Launch.plan(request, environment).map { plan in
        let report = ExplainReport(plan: plan, request: request)
        Diagnostics.registryWarnings(plan.registryErrors)
        Diagnostics.output(asJSON ? report.json.adding(registryErrors: plan.registryErrors).rendered() + "\n" : report.text)
        return plan.failure?.exitCode ?? 0
      }
    }
  }
}
