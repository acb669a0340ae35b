import Foundation
import Testing

@testable import PrivNUMA

/// Keeps man/privnuma.1, man/privnuma.conf.5 and `--help` true to the code: every option,
/// command, registry key, capability, exit status, environment variable and JSON schema the
/// code has must be documented, and both pages must format without a warning.
@Suite struct ManPageTests {
  static let repository: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path
  }()

  static let tool = repository + "/man/privnuma.1"
  static let registry = repository + "/man/privnuma.conf.5"

  /// Runs a program; its exit status, standard output and standard error.
  static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    for (key, value) in extra { environment[key] = value }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both before waiting, so a full pipe cannot stall the child.
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
  }

  /// The page as plain text, formatted as man would at 80 columns, without bold or underline.
  static func text(_ page: String) throws -> String {
    let (status, output, errors) = try run(["groff", "-man", "-Tascii", "-rLL=78n", "-P-c", "-P-b", "-P-u", "-P-o", page])
    #expect(status == 0, "groff failed on \(page): \(errors)")
    return output
  }

  /// The lines of one section (`NAME` up to the next heading at the left margin).
  static func section(_ name: String, of text: String) -> String {
    var inside = false
    var lines: [Substring] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if let first = line.first, first != " " {
        inside = line == name
        continue
      }
      if inside { lines.append(line) }
    }
    return lines.joined(separator: "\n")
  }

  /// Whether an entry of the section starts with `head` (a tagged paragraph's tag).
  static func hasEntry(_ head: String, in section: String) -> Bool {
    section.split(separator: "\n").contains { line in
      line.drop(while: { $0 == " " }).hasPrefix(head)
    }
  }

  // MARK: - privnuma(1)

  @Test func everyLaunchOptionHasItsEntry() throws {
    let options = Self.section("OPTIONS", of: try Self.text(Self.tool))
    for option in launchOptions {
      let head = option.short.map { "-\($0), --\(option.long)" } ?? "--\(option.long)"
      #expect(Self.hasEntry(head, in: options), "privnuma.1 OPTIONS has no entry '\(head)'")
    }
  }

  @Test func everyCommandAndItsOptionsAreDocumented() throws {
    let text = try Self.text(Self.tool)
    let commands = Self.section("COMMANDS", of: text)
    for command in Command.all {
      #expect(Self.hasEntry(command.name, in: commands), "privnuma.1 COMMANDS has no entry for \(command.name)")
    }
    for context in CompletionScripts.contexts {
      for option in context.options {
        #expect(text.contains("--\(option.long)"), "privnuma.1 does not mention --\(option.long) (\(context.name))")
      }
    }
    for word in ["fence status", "fence apply", "help [COMMAND]"] {
      #expect(Self.hasEntry(word, in: commands), "privnuma.1 COMMANDS has no entry for \(word)")
    }
    let synopsis = Self.section("SYNOPSIS", of: text)
    for command in Command.all where command.listed {
      #expect(synopsis.contains("privnuma \(command.name)"), "SYNOPSIS lacks \(command.name)")
    }
  }

  @Test func nodesGrammarIsDocumented() throws {
    let nodes = Self.section("NODES", of: try Self.text(Self.tool))
    for head in ["2, 0-3", "cxl0", "all", "private", "!NODES", "+NODES", "rank:A,B,..."] {
      #expect(Self.hasEntry(head, in: nodes), "privnuma.1 NODES has no entry '\(head)'")
    }
    for variable in NodeContext.localRankVariables { #expect(nodes.contains(variable)) }
  }

  @Test func everyExitStatusIsDocumented() throws {
    let section = Self.section("EXIT STATUS", of: try Self.text(Self.tool))
    let codes = (0...255).compactMap { Failure.Kind(rawValue: Int32($0))?.rawValue }
    #expect(codes == [1, 2, 3, 126, 127])
    for code in [0] + codes {
      #expect(Self.hasEntry(String(code), in: section), "privnuma.1 EXIT STATUS has no entry for \(code)")
    }
  }

  @Test func everyEnvironmentVariableIsDocumented() throws {
    let section = Self.section("ENVIRONMENT", of: try Self.text(Self.tool))
    for variable in Environment.overrideVariables + NodeContext.localRankVariables {
      #expect(section.contains(variable), "privnuma.1 ENVIRONMENT lacks \(variable)")
    }
    #expect(section.contains("ignored"))
  }

  /// Every schema name the code prints (`privnuma.NAME/N`) has its layout in JSON OUTPUT.
  @Test func everyJSONSchemaIsDocumented() throws {
    let section = Self.section("JSON OUTPUT", of: try Self.text(Self.tool))
    let sources = Self.repository + "/Sources/PrivNUMA"
    var schemas: Set<String> = []
    let pattern = try NSRegularExpression(pattern: #"\("schema", \.string\("(privnuma\.[a-z-]+/[0-9]+)"\)\)"#)
    for file in try FileManager.default.subpathsOfDirectory(atPath: sources) where file.hasSuffix(".swift") {
      let code = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
      for match in pattern.matches(in: code, range: NSRange(code.startIndex..., in: code)) {
        schemas.insert(String(code[Range(match.range(at: 1), in: code)!]))
      }
    }
    #expect(schemas.count >= 5, "found only \(schemas.sorted())")
    for schema in schemas.sorted() {
      #expect(Self.hasEntry(schema, in: section) && section.contains("\"schema\": \"\(schema)\""), "privnuma.1 JSON OUTPUT lacks \(schema)")
    }
  }

  /// Every member name of a JSON object in the files that print a schema is in JSON OUTPUT.
  @Test func everyJSONMemberIsDocumented() throws {
    let section = Self.section("JSON OUTPUT", of: try Self.text(Self.tool))
    let sources = Self.repository + "/Sources/PrivNUMA"
    let member = try NSRegularExpression(pattern: #"\("([a-z_]+)", "#)
    var members: Set<String> = []
    for file in try FileManager.default.subpathsOfDirectory(atPath: sources) where file.hasSuffix(".swift") {
      let code = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
      guard code.contains("(\"schema\", .string(\"privnuma.") else { continue }
      for match in member.matches(in: code, range: NSRange(code.startIndex..., in: code)) {
        members.insert(String(code[Range(match.range(at: 1), in: code)!]))
      }
    }
    #expect(members.count > 40, "found only \(members.sorted())")
    for name in members.sorted() {
      #expect(section.contains("\"\(name)\""), "privnuma.1 JSON OUTPUT does not show the member \"\(name)\"")
    }
  }

  @Test func theCommonJobsHaveExamples() throws {
    let examples = Self.section("EXAMPLES", of: try Self.text(Self.tool))
    for line in ["privnuma -m 0 -- ./app", "privnuma -p cxl0 -- ./app", "privnuma audit", "privnuma fence apply", "rank:2,3"] {
      #expect(examples.contains(line), "privnuma.1 EXAMPLES lacks '\(line)'")
    }
    #expect(!Self.section("DIFFERENCES FROM NUMACTL", of: try Self.text(Self.tool)).isEmpty)
    #expect(!Self.section("PRIVILEGE", of: try Self.text(Self.tool)).isEmpty)
  }

  // MARK: - privnuma.conf(5)

  @Test func everyRegistryKeyHasItsEntry() throws {
    let keys = Self.section("KEYS", of: try Self.text(Self.registry))
    #expect(Registry.keys.count == 9)
    for key in Registry.keys {
      #expect(Self.hasEntry(key + "=", in: keys), "privnuma.conf.5 KEYS has no entry for \(key)=")
    }
  }

  @Test func everyCapabilityAndKeywordIsDocumented() throws {
    let text = try Self.text(Self.registry)
    let capabilities = Self.section("CAPABILITIES", of: text)
    for (name, _) in Capabilities.names {
      #expect(Self.hasEntry(name, in: capabilities), "privnuma.conf.5 CAPABILITIES has no entry for \(name)")
    }
    for keyword in nodeKeywords { #expect(Self.section("KEYS", of: text).contains(keyword), "label keyword \(keyword)") }
    for backend in ["kernel", "cpuset", "none"] {
      #expect(Self.hasEntry(backend, in: Self.section("BACKENDS", of: text)), "backend \(backend)")
    }
  }

  // MARK: - Formatting

  @Test(arguments: [tool, registry])
  func groffFormatsWithoutWarnings(_ page: String) throws {
    let (status, output, errors) = try Self.run(["groff", "-man", "-ww", "-z", page])
    #expect(status == 0)
    #expect(output.isEmpty && errors.isEmpty, "groff -man -ww -z \(page): \(errors)")
  }

  @Test(arguments: [tool, registry])
  func manRendersThePage(_ page: String) throws {
    let (status, output, errors) = try Self.run(["man", "-l", page], environment: ["MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"])
    #expect(status == 0, "man -l \(page): \(errors)")
    #expect(output.split(separator: "\n").count > 50)
    let name = page.hasSuffix(".1") ? "PRIVNUMA(1)" : "PRIVNUMA.CONF(5)"
    #expect(output.contains(name))
  }

  // MARK: - --help

  @Test func helpListsEveryOptionAndCommand() {
    let text = Help.text
    for option in launchOptions { #expect(text.contains(option.spelling.trimmingCharacters(in: .whitespaces)), "--help lacks \(option.long)") }
    for command in Command.all where command.listed { #expect(text.contains("  \(command.name) "), "--help lacks \(command.name)") }
    #expect(text.contains("Examples:") && text.contains("Exit status"))
  }

  @Test func helpFitsEightyColumns() {
    var pages = [("--help", Help.text)]
    for command in Command.all { pages.append((command.name, Help.page(command))) }
    for (name, text) in pages {
      for line in text.split(separator: "\n") {
        #expect(line.count <= 80, "\(name) --help: '\(line)' is \(line.count) columns")
      }
    }
  }
}
