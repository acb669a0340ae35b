import Foundation
import Testing

@testable import PrivNUMA

/// The command table is the one declaration of every command and option: these tests keep
/// what is generated from it (help, completions, the man page's OPTIONS and COMMANDS) true
/// to it, and the checked-in generated files current.
@Suite struct CommandTableTests {
  static let page = CompletionTests.repository + "/man/privnuma.1"

  @Test func checkedInManPageHasTheGeneratedSections() throws {
    let onDisk = try String(contentsOfFile: Self.page, encoding: .utf8)
    let spliced = try #require(Manual.splice(onDisk), "man/privnuma.1 lacks the generated-part markers")
    #expect(spliced == onDisk, "man/privnuma.1 OPTIONS/COMMANDS differ from the command table; run 'make generated'")
  }

  @Test func aStaleManPageIsNoticed() throws {
    let onDisk = try String(contentsOfFile: Self.page, encoding: .utf8)
    let stale = onDisk.replacingOccurrences(of: "[\\fB\\-\\-allow\\-unfenced\\fR]\nExit 0", with: "\nExit 0")
    #expect(stale != onDisk)
    #expect(Manual.splice(stale) == onDisk)
    #expect(Manual.splice("no markers\n") == nil)
  }

  /// Each command's options appear in its usage line, its help page, its completion context
  /// and its manual entry: `check --allow-unfenced` was once parsed but shown nowhere.
  @Test(arguments: Command.all.map(\.name))
  func everyOptionOfACommandIsShownEverywhere(_ name: String) throws {
    let command = try #require(Command.named(name))
    let help = Help.page(command)
    let manual = Manual.sections
    for sub in command.subcommands.isEmpty ? [command] : command.subcommands {
      let parent = command.subcommands.isEmpty ? nil : command
      let contextName = parent.map { CompletionScripts.subcontext($0, sub) } ?? name
      let context = try #require(CompletionScripts.contexts.first { $0.name == contextName })
      // Completion offers exactly what the command accepts (launch options aside).
      let offered = context.options.filter { option in !launchOptions.contains(option) || sub.options.contains(option) }
      #expect(Set(offered.map(\.long)) == Set(sub.options.map(\.long)), "completion of \(contextName) offers \(offered.map(\.long))")
      for option in sub.options where option.key != .help {
        #expect(sub.usage(parent: parent).contains("--" + option.long), "usage of \(name) \(sub.name) lacks --\(option.long)")
        #expect(help.contains("--" + option.long), "\(name) --help lacks --\(option.long)")
        #expect(context.options.contains(option), "completion of \(name) lacks --\(option.long)")
        if option.key != .json && option.key != .registry {
          #expect(manual.contains(Manual.escaped("--" + option.long)), "privnuma(1) COMMANDS lacks \(name) --\(option.long)")
        }
      }
    }
  }

  @Test func checkTakesAllowUnfenced() throws {
    let parsed = try Command.check.parse(["cxl0", "--allow-unfenced"]).get()
    #expect(parsed.has(.allowUnfenced) && parsed.operands == ["cxl0"])
    #expect(Help.page(.check).contains("--allow-unfenced"))
  }

  @Test func namesAndKeysAreUnique() {
    let names = Command.all.map(\.name)
    #expect(Set(names).count == names.count)
    for options in [launchOptions] + Command.all.map(\.options) {
      #expect(Set(options.map(\.long)).count == options.count)
      let shorts = options.compactMap(\.shortByte)
      #expect(Set(shorts).count == shorts.count)
    }
  }

  @Test func everyLaunchOptionHasItsManualText() {
    for option in launchOptions { #expect(!option.manual.isEmpty, "--\(option.long) has no manual text") }
    for command in Command.all where command.subcommands.isEmpty { #expect(!command.manual.isEmpty, "\(command.name) has no manual text") }
  }

  @Test func extraOperandsAndUnknownSubcommandsAreUsageErrors() {
    let environment = Environment(
      roots: Fixture.roots("one-node"), privilege: Privilege(elevated: false), identity: Fixture.alice, names: Fixture.names,
      kernel: SystemKernel())
    for args: [String] in [["show", "extra"], ["check", "0", "1"], ["fence"], ["fence", "x"], ["fence", "status", "x"], ["help", "nope"]] {
      guard case .failure(let failure) = CLI.run(ArraySlice(args), environment) else {
        Issue.record("\(args) succeeded")
        continue
      }
      #expect(failure.exitCode == 2, "\(args): \(failure)")
    }
  }
}
