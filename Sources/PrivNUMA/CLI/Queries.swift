/// The read-only commands: show, hardware, nodes, check, explain.
enum Queries {
  static let json = OptionSpec(long: "json", short: nil, value: nil, group: .general, summary: "print JSON (schema in privnuma(1))")
  static let registry = launchOptions.first { $0.long == "registry" }!
  static let help = launchOptions.first { $0.long == "help" }!
  static let policy = OptionSpec(long: "policy", short: nil, value: "MODE", group: .general, summary: "the policy to check: bind, preferred, preferred-many, interleave, weighted-interleave")
  static let balancing = launchOptions.first { $0.long == "balancing" }!
  static let allowUnfenced = launchOptions.first { $0.long == "allow-unfenced" }!

  struct Options {
    var json = false
    var registry: String?
    var policy: String?
    var balancing = false
    var allowUnfenced = false
    var help = false
    var operands: [String] = []
  }

  /// Options of a query command; operands are collected wherever they appear.
  static func parse(_ args: ArraySlice<String>, command: String, extra: [OptionSpec] = [], operands: Int = 0) -> Result<Options, Failure> {
    OptionParser.scan(args, table: [json, registry, help] + extra, stopAtFirstOperand: false).flatMap { scanned in
      var options = Options()
      for option in scanned.options {
        let value = option.value
        switch option.spec.long {
        case "json": options.json = true
        case "registry": options.registry = value
        case "policy": options.policy = value
        case "balancing": options.balancing = true
        case "allow-unfenced": options.allowUnfenced = true
        default: options.help = true
        }
      }
      options.operands = scanned.rest
      if !options.help && options.operands.count > operands {
        return .failure(.usage("'privnuma \(command)' does not take '\(options.operands[operands])'; see 'privnuma \(command) --help'"))
      }
      return .success(options)
    }
  }

  static func emit(_ text: String, json: JSON, asJSON: Bool) {
    Diagnostics.output(asJSON ? json.rendered() + "\n" : text)
  }

  static func show(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    parse(args, command: "show").flatMap { options in
      if options.help { return Help.command("show") }
      return environment.machine(registry: options.registry).flatMap { machine in
        ShowReport.read(machine: machine, kernel: environment.kernel, identity: environment.identity, names: environment.names)
          .map { report in
            emit(report.text, json: report.json, asJSON: options.json)
            return 0
          }
      }
    }
  }

  static func hardware(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    parse(args, command: "hardware").flatMap { options in
      if options.help { return Help.command("hardware") }
      return environment.machine(registry: options.registry).map { machine in
        let report = HardwareReport(machine: machine)
        emit(report.text, json: report.json, asJSON: options.json)
        return 0
      }
    }
  }

  static func nodes(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    parse(args, command: "nodes").flatMap { options in
      if options.help { return Help.command("nodes") }
      return environment.machine(registry: options.registry).map { machine in
        let listing = NodesListing(machine: machine, identity: environment.identity, names: environment.names)
        emit(listing.text, json: listing.json, asJSON: options.json)
        return 0
      }
    }
  }

  static func check(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    parse(args, command: "check", extra: [policy, balancing, allowUnfenced], operands: 1).flatMap { options in
      if options.help { return Help.command("check") }
      guard let nodes = options.operands.first else {
        return .failure(.usage("'privnuma check' needs NODES, e.g. 'privnuma check cxl0 --policy preferred'"))
      }
      var request = LaunchRequest()
      let word = options.policy ?? "bind"
      guard let mode = PolicyMode(word: word), mode.takesNodes else {
        return .failure(.usage("--policy '\(word)' is not a policy with nodes; use bind, preferred, preferred-many, interleave or weighted-interleave"))
      }
      request.mode = mode
      request.policyOption = "policy \(mode.name)"
      request.nodes = nodes
      request.balancing = options.balancing
      request.allowUnfenced = options.allowUnfenced
      request.registry = options.registry
      return Launch.plan(request, environment).map { plan in
        let code = plan.failure?.exitCode ?? 0
        if options.json {
          emit("", json: ExplainReport(plan: plan, request: request).checkJSON, asJSON: true)
        } else if let failure = plan.failure {
          Diagnostics.error(failure.message)
        } else {
          Diagnostics.output("ok: \(mode.name) on node \(plan.policy?.nodes.listDescription ?? nodes) is allowed\n")
        }
        return code
      }
    }
  }

  static func explain(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    var args = args
    var asJSON = false
    // --json may come anywhere before the command; the rest are launch options.
    if let index = args.firstIndex(of: "--json"), args[..<index].firstIndex(of: "--") == nil {
      args.remove(at: index)
      asJSON = true
    }
    if args.first == "--help" || args.first == "-h" { return Help.command("explain") }
    if args.isEmpty {
      return .failure(.usage("'privnuma explain' needs the launch options to explain, e.g. 'privnuma explain -p cxl0 -- ./app'"))
    }
    return OptionParser.parseLaunch(args, requireCommand: false).flatMap { request in
      Launch.plan(request, environment).map { plan in
        let report = ExplainReport(plan: plan, request: request)
        emit(report.text, json: report.json, asJSON: asJSON)
        return plan.failure?.exitCode ?? 0
      }
    }
  }
}
