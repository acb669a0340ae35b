import Testing

@testable import PrivNUMA

/// The rough edges a new user hits: registry mistakes said out loud, hints for a
/// subcommand in the wrong place or misspelt, errors pointing at the right help page, and
/// --json documents for failures.
@Suite struct MistakeTests {
  let good = Fixture.directory + "/registry/good/nodes.d"

  @Test func filesTheRegistryDoesNotReadAreReported() throws {
    let roots = Fixture.roots("rfc-v4", registry: good)
    let machine = try Machine.load(roots: roots, trust: nil)
    let warnings = machine.registryWarnings
    #expect(warnings.contains { $0.contains("\(good)/README is not read") && $0.contains("*.conf") })
    #expect(!warnings.contains { $0.contains("50-cxl0.conf is not read") })
  }

  @Test func aPrivateNodeWithCPUsIsWarnedAbout() {
    let machine = Fixture.machine("rfc-v4", declared: [Fixture.declared(1, "fast"), Fixture.declared(2, "cxl0")])
    let warnings = machine.registryWarnings
    #expect(warnings.contains { $0.hasPrefix("node 1 (fast) has CPUs 2-3") && $0.contains("50-fast.conf") })
    #expect(!warnings.contains { $0.hasPrefix("node 2") })
  }

  @Test func aRegistryThatDoesNotExistIsAnErrorWhenNamed() {
    let environment = Environment(
      roots: Fixture.roots("rfc-v4"), privilege: Privilege(elevated: false), identity: Fixture.alice,
      names: Fixture.names, kernel: SystemKernel())
    guard case .failure(let failure) = environment.machine(registry: "/no/such/registry") else {
      Issue.record("a missing --registry was read as empty")
      return
    }
    #expect(failure.kind == .usage && failure.message.contains("--registry /no/such/registry: no such directory"))
    // The default registry may be absent: no private node declared.
    #expect((try? environment.machine().get()) != nil)
  }

  @Test func anUnknownLabelNamesTheRegistryRead() {
    var context = NodeContext(present: NodeSet([0, 1]), general: NodeSet([0, 1]), memsAllowed: NodeSet([0, 1]))
    context.registry = "/srv/privnuma/nodes.d"
    guard case .failure(let failure) = NodeSpec.parse("cxl0", in: context) else {
      Issue.record("an unknown label resolved")
      return
    }
    #expect(failure.message.contains("none declared in /srv/privnuma/nodes.d"))
  }

  @Test func aSubcommandAfterLaunchOptionsPointsAtTheOption() {
    let notFound = Failure(.notFound, "show: command not found")
    #expect(CLI.hinted(notFound, command: "show", afterOptions: true).message.contains("privnuma -m 0 --show"))
    #expect(CLI.hinted(notFound, command: "nodes", afterOptions: true).message.contains("run 'privnuma nodes' on its own"))
    #expect(CLI.hinted(Failure(.notFound, "shwo: command not found"), command: "shwo", afterOptions: false).message
      .hasSuffix("did you mean 'privnuma show'?"))
    #expect(CLI.hinted(notFound, command: "./show", afterOptions: true) == notFound)
    let other = Failure(.notExecutable, "show: cannot execute")
    #expect(CLI.hinted(other, command: "show", afterOptions: true) == other)
  }

  @Test func misspeltOptionsGetASuggestionAndTheCommandsHelpPage() {
    guard case .failure(let launch) = OptionParser.parseLaunch(["--membnd=0", "true"]) else {
      Issue.record("--membnd was accepted")
      return
    }
    #expect(launch.message == "unknown option '--membnd'; did you mean '--membind'? see 'privnuma --help'")
    guard case .failure(let stat) = Command.stat.parse(["--meminf0"]) else {
      Issue.record("--meminf0 was accepted")
      return
    }
    #expect(stat.message.contains("did you mean '--meminfo'?") && stat.message.contains("see 'privnuma stat --help'"))
  }

  @Test func jsonCoversFailures() {
    let environment = Environment(
      roots: Fixture.roots("rfc-v4"), privilege: Privilege(elevated: false), identity: Fixture.alice,
      names: Fixture.names, kernel: SystemKernel())
    // A failure of the command itself: exit 2, and (on stdout) a privnuma.error/1 document.
    let result = Command.nodes.invoke(["--json", "--registry", "/no/such/registry"], environment)
    guard case .failure(let failure) = result else {
      Issue.record("a missing registry was accepted")
      return
    }
    #expect(failure.exitCode == 2)
  }
}
