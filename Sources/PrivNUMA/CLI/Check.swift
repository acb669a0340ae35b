extension Command {
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
    run: CheckCommand.run)
}

enum CheckCommand {
  static func run(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
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
}
