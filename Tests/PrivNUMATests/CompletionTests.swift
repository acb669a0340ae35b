import Foundation
import Testing

@testable import PrivNUMA

/// The completion scripts are generated from the parser's tables; these tests keep the
/// checked-in copies equal to the generator and the generator complete. The scripts'
/// behaviour in real shells is tested by Tests/shell/completions.sh.
@Suite struct CompletionTests {
  static let repository: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path
  }()

  static let files = [("bash", "completions/privnuma.bash"), ("zsh", "completions/_privnuma"), ("fish", "completions/privnuma.fish")]

  @Test(arguments: files)
  func checkedInScriptIsTheGeneratedOne(_ shell: String, _ file: String) throws {
    let onDisk = try String(contentsOfFile: Self.repository + "/" + file, encoding: .utf8)
    let generated = try #require(CompletionScripts.script(for: shell))
    #expect(onDisk == generated, "\(file) differs from 'privnuma __generate \(shell)'; run 'make generated'")
  }

  @Test(arguments: CompletionScripts.shells)
  func everyOptionCommandAndModeIsInEachScript(_ shell: String) throws {
    let script = try #require(CompletionScripts.script(for: shell))
    for option in launchOptions {
      #expect(script.contains("--\(option.long)=") || script.contains("-l \(option.long)"), "--\(option.long) in \(shell)")
      if let short = option.short {
        #expect(script.contains("-\(short)=") || script.contains("-s \(short)"), "-\(short) in \(shell)")
      }
    }
    for command in Command.all { #expect(script.contains(command.name), "\(command.name) in \(shell)") }
    for mode in ["bind", "preferred", "preferred-many", "interleave", "weighted-interleave"] {
      #expect(script.contains(mode), "\(mode) in \(shell)")
    }
  }

  @Test func unknownShellIsAUsageError() {
    #expect(CompletionScripts.script(for: "tcsh") == nil)
    let environment = Environment(
      roots: Fixture.roots("one-node"), privilege: Privilege(elevated: false), identity: Fixture.alice, names: Fixture.names,
      kernel: SystemKernel())
    if case .failure(let failure) = Completion.run(["scripts", "tcsh"], environment) {
      #expect(failure.exitCode == 2)
    } else {
      Issue.record("'__complete scripts tcsh' succeeded")
    }
  }

  @Test func valueKindsFollowTheOptionTable() {
    func kind(_ long: String) -> CompletionScripts.Value? {
      CompletionScripts.value(of: launchOptions.first { $0.long == long }!)
    }
    #expect(kind("membind") == .nodes)
    #expect(kind("preferred") == .node)
    #expect(kind("physcpubind") == .cpus)
    #expect(kind("registry") == .dir)
    #expect(kind("balancing") == nil)
    #expect(CompletionScripts.value(of: OptionSpec.policy) == .mode)
    #expect(CompletionScripts.modes == ["preferred", "bind", "interleave", "preferred-many", "weighted-interleave"])
  }

  /// An RFC-v4 machine (nodes 0-3; 2 and 3 private) with the registry that labels them.
  static func labelled() throws -> Machine {
    let roots = Fixture.roots("rfc-v4", registry: Fixture.directory + "/registry/good/nodes.d")
    let declared = try Registry.load(directory: roots.registry, trust: nil).get().nodes
    return Machine(roots: roots, topology: Topology(roots: roots), declared: declared)
  }

  @Test func nodeWordsAreNumbersLabelsAllAndPrivate() throws {
    let machine = try Self.labelled()
    #expect(Completion.nodeCandidates("", machine: machine) == ["all", "private", "0", "1", "2", "3", "cxl0", "zram"])
    #expect(Completion.nodeCandidates("c", machine: machine) == ["cxl0"])
    #expect(Completion.nodeCandidates("p", machine: machine) == ["private"])
  }

  @Test func listsOfferWhatIsNotListedYet() throws {
    let machine = try Self.labelled()
    #expect(Completion.nodeCandidates("0,", machine: machine) == ["0,1", "0,2", "0,3", "0,cxl0", "0,zram"])
    #expect(Completion.nodeCandidates("0,cxl0,", machine: machine) == ["0,cxl0,1", "0,cxl0,2", "0,cxl0,3", "0,cxl0,zram"])
    #expect(Completion.nodeCandidates("!", machine: machine).contains("!0"))
    #expect(!Completion.nodeCandidates("!", machine: machine).contains("!all"))
    #expect(Completion.nodeCandidates("+1,", machine: machine).first == "+1,0")
  }

  @Test func rankListsMayRepeatANode() throws {
    let machine = try Self.labelled()
    #expect(Completion.nodeCandidates("rank:", machine: machine, single: true) == ["rank:0", "rank:1", "rank:2", "rank:3", "rank:cxl0", "rank:zram"])
    #expect(Completion.nodeCandidates("rank:2,", machine: machine, single: true).contains("rank:2,2"))
  }

  @Test func oneNodeIsNotAList() throws {
    let machine = try Self.labelled()
    #expect(Completion.nodeCandidates("", machine: machine, single: true) == ["0", "1", "2", "3", "cxl0", "zram"])
    #expect(Completion.nodeCandidates("0,", machine: machine, single: true).isEmpty)
  }

  @Test func noPrivateWordWithoutPrivateNodes() {
    let machine = Fixture.machine("one-node")
    #expect(Completion.nodeCandidates("", machine: machine) == ["all", "0"])
  }

  @Test func kernelPrivateNodesWithoutARegistryGetTheirDefaultLabels() {
    let machine = Fixture.machine("rfc-v4")
    #expect(Completion.nodeCandidates("n", machine: machine) == ["node2", "node3"])
  }

  @Test func cpuWords() {
    let roots = Fixture.roots("four-node-gaps")
    let online = Array(CPUSet(kernelList: (try? String(contentsOfFile: roots.sysfs + "/devices/system/cpu/online", encoding: .utf8)) ?? "")!)
    let words = Completion.cpuCandidates("", roots: roots)
    #expect(words == ["all"] + online.map(String.init))
    #expect(Completion.cpuCandidates("0,", roots: roots).allSatisfy { $0.hasPrefix("0,") && $0 != "0,0" })
  }
}
