import Foundation
import Glibc
import Testing

@testable import PrivNUMA

/// Fixture registries live in `Fixtures/registry/<case>/nodes.d`, next to this file.
private let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("Fixtures/registry").path

private func fixture(_ name: String) -> String { "\(fixtureRoot)/\(name)/nodes.d" }

private func failure<T>(_ result: Result<T, Failure>) -> Failure? {
  if case .failure(let failure) = result { return failure }
  return nil
}

/// The nodes of a registry that must read cleanly: the first file error becomes the failure.
private func strictLoad(_ directory: String, trust: Trust? = nil) -> Result<[PrivateNode], Failure> {
  Registry.load(directory: directory, trust: trust).flatMap { contents in
    if let error = contents.errors.first { return .failure(.usage(error.description)) }
    return .success(contents.nodes)
  }
}

extension Trust {
  /// The privileged rules, starting at a scratch directory instead of `/`: every directory
  /// above it belongs to the machine running the tests (/tmp is world-writable).
  static func below(_ top: String) -> Trust {
    var trust = Trust()
    trust.top = top
    return trust
  }
}

/// A MinFree= value as the parser reads it.
private func size(_ text: String) -> Result<UInt64, Registry.Problem> {
  var text = text
  return text.withUTF8 { Registry.size($0, $0.indices) }
}

private let validCapabilities =
  "migration, mempolicy, demotion, protect-write, reclaim, numa-balancing, compaction, longterm-pin"

@Suite("Registry")
struct RegistryTests {
  // MARK: - A good registry

  @Test func goodRegistryIsReadInLexicalOrderSkippingHiddenAndOtherFiles() throws {
    let declared = try strictLoad(fixture("good")).get()
    #expect(declared.map(\.label) == ["zram", "cxl0"])
    #expect(declared.map(\.source) == [fixture("good") + "/10-zram.conf", fixture("good") + "/50-cxl0.conf"])
  }

  @Test func everyKeyOfAGoodFileIsParsed() throws {
    let declared = try strictLoad(fixture("good")).get()
    var expected = PrivateNode(
      id: 2, label: "cxl0", capabilities: [.migration, .mempolicy, .reclaim, .demotion],
      kernelPrivate: false, kernelBindable: nil)
    expected.kind = "expander"
    expected.description = "CXL type-3 expander, slot 4"
    expected.allowUsers = ["alice", "1001"]
    expected.allowGroups = ["cram", "hpc"]
    expected.cgroup = "privnuma.slice/cxl0"
    expected.minFree = 256 * 1024 * 1024
    expected.source = fixture("good") + "/50-cxl0.conf"
    #expect(declared.last == expected)
  }

  @Test func absentKeysLeaveTheirFieldsUnset() throws {
    let zram = try #require(try strictLoad(fixture("good")).get().first)
    #expect(zram.id == 3)
    #expect(zram.kind == "compressed")
    #expect(zram.capabilities == [.demotion, .reclaim])
    #expect(zram.bindable == false)
    #expect(zram.allowUsers == nil && zram.allowGroups == nil)
    #expect(zram.minFree == nil && zram.description == nil)
    #expect(zram.cgroup == "privnuma.slice/zram")
    #expect(zram.backend == .cpuset)
  }

  @Test func aMinimalFileDeclaresAnOrdinaryBindableNode() throws {
    let node = try Registry.parse("[Node]\nId=5\n", file: "5.conf").get()
    #expect(node.id == 5)
    #expect(node.label == "node5")
    #expect(node.capabilities == [.migration, .mempolicy])
    #expect(node.capabilities == Registry.defaultCapabilities)
    #expect(node.kind == nil && node.description == nil && node.cgroup == nil && node.minFree == nil)
    #expect(node.source == "5.conf")
    #expect(node.kernelPrivate == false && node.kernelBindable == nil)
  }

  @Test func anEmptyCapabilitiesValueDeclaresNone() throws {
    let node = try Registry.parse("[Node]\nId=5\nCapabilities=\n", file: "5.conf").get()
    #expect(node.capabilities == [])
  }

  @Test func layoutFollowsSystemdKeyFiles() throws {
    let text = "\u{FEFF}  # comment\r\n\t; another\r\n\r\n[Node]\r\n  Id =\t7 \r\nLabel= hbm\r\nKind  =  high bandwidth memory\r\n"
    let node = try Registry.parse(text, file: "hbm.conf").get()
    #expect(node.id == 7)
    #expect(node.label == "hbm")
    #expect(node.kind == "high bandwidth memory")
  }

  @Test func emptyFreeTextIsAbsent() throws {
    let node = try Registry.parse("[Node]\nId=1\nKind=\nDescription=\n", file: "1.conf").get()
    #expect(node.kind == nil && node.description == nil)
  }

  @Test func byteOrderDecidesTheReadingOrder() throws {
    let directory = try ScratchDirectory()
    for (name, id) in [("a.conf", 1), ("9-b.conf", 2), ("B.conf", 3), ("10-c.conf", 4)] {
      try directory.write(name, "[Node]\nId=\(id)\n")
    }
    let declared = try strictLoad(directory.path).get()
    #expect(declared.map(\.id) == [4, 2, 3, 1])
  }

  @Test func aMissingDirectoryIsAnEmptyRegistryAndSaysSo() throws {
    let contents = try Registry.load(directory: fixtureRoot + "/absent/nodes.d", trust: nil).get()
    #expect(contents == Registry.Contents(missing: true))
    #expect(try Registry.load(directory: fixture("good"), trust: nil).get().missing == false)
  }

  @Test func aDirectoryWithoutConfFilesIsAnEmptyRegistry() throws {
    let directory = try ScratchDirectory()
    try directory.write("README", "not a declaration")
    #expect(try strictLoad(directory.path).get() == [])
  }

  @Test func aTrailingSlashDoesNotDoubleInPaths() throws {
    let declared = try strictLoad(fixture("good") + "/").get()
    #expect(declared.first?.source == fixture("good") + "/10-zram.conf")
  }

  @Test func aRegistryPathThatIsAFileIsASystemError() throws {
    let path = fixture("good") + "/README"
    let error = try #require(failure(strictLoad(path)))
    #expect(error.kind == .system)
    #expect(error.message == "registry \(path) is not a directory; the registry is a directory of *.conf files")
  }

  @Test func aConfEntryThatIsNotAFileIsRejected() throws {
    let directory = try ScratchDirectory()
    try directory.makeDirectory("50-cxl0.conf")
    let error = try #require(failure(strictLoad(directory.path)))
    #expect(error == .usage("\(directory.path)/50-cxl0.conf: not a regular file; remove it, or rename it so it does not end in .conf"))
  }

  // MARK: - Errors, each at its file and line

  struct ErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var file: String
    var line: Int
    var message: String
    var testDescription: String { name }
  }

  static let errorCases: [ErrorCase] = [
    ErrorCase(name: "unknown-key", file: "50-cxl0.conf", line: 3, message: "unknown key 'Lable'; did you mean 'Label'?"),
    ErrorCase(
      name: "unknown-key-far", file: "50-cxl0.conf", line: 3,
      message: "unknown key 'Colour'; valid keys: Id, Label, Kind, Capabilities, AllowUsers, AllowGroups, Cgroup, MinFree, Description"),
    ErrorCase(name: "outside-section", file: "50-cxl0.conf", line: 2, message: "'Id' is outside a section; put [Node] on a line above it"),
    ErrorCase(
      name: "no-equals", file: "50-cxl0.conf", line: 2,
      message: "'Id 2' is not Key=Value; write it as Key=Value, or start the line with # to make it a comment"),
    ErrorCase(name: "duplicate-key", file: "50-cxl0.conf", line: 4, message: "duplicate key 'Id' (already set on line 2); keep one"),
    ErrorCase(name: "missing-id", file: "50-cxl0.conf", line: 3, message: "[Node] has no Id; add Id=<node number> below it"),
    ErrorCase(
      name: "no-section", file: "50-cxl0.conf", line: 1,
      message: "no [Node] section; a registry file declares one node: [Node], then Id=<node number>"),
    ErrorCase(name: "unknown-section", file: "50-cxl0.conf", line: 4, message: "unknown section [Service]; a registry file has one [Node] section"),
    ErrorCase(
      name: "second-section", file: "50-cxl0.conf", line: 3,
      message: "second [Node] section (the first is on line 1); declare each node in a file of its own"),
    ErrorCase(name: "bad-id", file: "50-cxl0.conf", line: 2, message: "Id='two' is not a node number; write a decimal number, e.g. Id=2"),
    ErrorCase(
      name: "id-too-large", file: "50-cxl0.conf", line: 2,
      message: "Id=4096 is beyond the largest node number Linux supports (1023); give the node's number"),
    ErrorCase(
      name: "bad-label", file: "50-cxl0.conf", line: 3,
      message: "Label='CXL0' is not a valid label; start with a lowercase letter and use only lowercase letters, digits, '_' and '-'"),
    ErrorCase(name: "label-keyword", file: "50-cxl0.conf", line: 3, message: "Label='private' is a NODES keyword; choose another label"),
    ErrorCase(
      name: "label-number", file: "50-cxl0.conf", line: 2,
      message: "Label='node3' reads as node 3 but this file declares node 2; choose a label that is not node<number>"),
    ErrorCase(
      name: "unknown-capability", file: "50-cxl0.conf", line: 3,
      message: "unknown capability 'mempolcy' (did you mean 'mempolicy'?); valid capabilities: \(validCapabilities)"),
    ErrorCase(
      name: "capability-rule", file: "50-cxl0.conf", line: 3,
      message: "Capabilities break a rule: 'mempolicy' needs 'migration'; list only what the node's driver supports"),
    ErrorCase(
      name: "capability-exclusive", file: "50-cxl0.conf", line: 3,
      message: "Capabilities break a rule: 'mempolicy' and 'protect-write' exclude each other; list only what the node's driver supports"),
    ErrorCase(
      name: "empty-allowusers", file: "50-cxl0.conf", line: 3,
      message: "empty AllowUsers allows nobody; remove the key to allow everyone, or list names"),
    ErrorCase(
      name: "cgroup-absolute", file: "50-cxl0.conf", line: 3,
      message: "Cgroup='/sys/fs/cgroup/privnuma.slice/cxl0' is absolute; give it relative to the cgroup v2 mount, e.g. privnuma.slice/cxl0"),
    ErrorCase(
      name: "cgroup-dotdot", file: "50-cxl0.conf", line: 3,
      message: "Cgroup='privnuma.slice/../../etc' contains '..'; a cgroup path must stay under the cgroup v2 mount"),
    ErrorCase(
      name: "cgroup-empty-component", file: "50-cxl0.conf", line: 3,
      message: "Cgroup='privnuma.slice//cxl0' has an empty or '.' component; write it without '//', '/./' or a trailing '/'"),
    ErrorCase(
      name: "bad-minfree", file: "50-cxl0.conf", line: 3,
      message: "MinFree='256MB' is not a size; write bytes with an optional K, M, G or T suffix, e.g. MinFree=256M"),
    ErrorCase(
      name: "minfree-overflow", file: "50-cxl0.conf", line: 3,
      message: "MinFree='16777216T' is too large: sizes stop below 16 EiB (2^64 bytes); give the reserve this node needs, e.g. MinFree=256M"),
    ErrorCase(
      name: "duplicate-id", file: "20-cxl1.conf", line: 3,
      message: "node 2 is already declared in \(fixture("duplicate-id"))/10-cxl0.conf:2; declare each node in one file only"),
    ErrorCase(
      name: "duplicate-label", file: "20-cxl1.conf", line: 3,
      message: "label 'cxl0' is already used for node 2 in \(fixture("duplicate-label"))/10-cxl0.conf:2; choose another label"),
  ]

  @Test(arguments: errorCases)
  func errorsNameTheFileAndLine(_ error: ErrorCase) throws {
    let directory = fixture(error.name)
    let found = try #require(failure(strictLoad(directory)))
    #expect(found.kind == .usage)
    #expect(found.exitCode == 2)
    let expected = "\(directory)/\(error.file):\(error.line): \(error.message)"
    // Without a readable Id= the whole load fails (the fail-safe rule), saying why.
    let unknownNode = "; its Id= cannot be read, so privnuma cannot tell which node the file protects and refuses to run until it is fixed"
    #expect(found.message == expected || found.message == expected + unknownNode)
    #expect(found.message.hasSuffix(unknownNode) == Self.unknownNodeCases.contains(error.name))
  }

  /// The fixtures whose broken file names no node that can be read, even leniently.
  static let unknownNodeCases: Set<String> = ["bad-id", "missing-id", "no-section"]

  @Test func everyErrorFixtureIsCovered() throws {
    let cases = try FileManager.default.contentsOfDirectory(atPath: fixtureRoot).filter { $0 != "good" }
    #expect(Set(cases) == Set(Self.errorCases.map(\.name)))
  }

  // MARK: - Values

  @Test(arguments: [
    ("0", UInt64(0)), ("4096", 4096), ("1K", 1024), ("256M", 256 << 20), ("2G", 2 << 30), ("1T", 1 << 40),
    ("8k", 8192), ("3m", 3 << 20), ("16777215T", 16_777_215 << 40), ("18446744073709551615", UInt64.max),
  ])
  func sizesTakeBinarySuffixes(_ text: String, _ bytes: UInt64) throws {
    #expect(try size(text).get() == bytes)
  }

  @Test(arguments: ["", "M", "-1", "+1", "1.5G", "256MB", "1 G", "0x10", "1P", "2G # reserve"])
  func malformedSizesAreRefused(_ text: String) {
    guard case .failure(let problem) = size(text) else {
      Issue.record("'\(text)' was accepted")
      return
    }
    #expect(problem.message.hasPrefix("MinFree='\(text)' is not a size;"))
  }

  @Test(arguments: ["18446744073709551616", "99999999999999999999999", "16777216T", "17179869184G", "18014398509481984K"])
  func oversizedSizesAreRefused(_ text: String) {
    guard case .failure(let problem) = size(text) else {
      Issue.record("'\(text)' was accepted")
      return
    }
    #expect(problem.message.hasPrefix("MinFree='\(text)' is too large"))
  }

  @Test func aCommentAfterAValueGetsAHint() {
    let error = failure(Registry.parse("[Node]\nId=2 # cxl0\n", file: "f"))
    #expect(error == .usage("f:2: Id='2 # cxl0' is not a node number; write a decimal number, e.g. Id=2 (comments go on a line of their own)"))
  }

  @Test(arguments: ["cxl0", "c", "hbm-1", "pmem_0", "node2", "nodes", "node", "node2a"])
  func validLabels(_ label: String) throws {
    #expect(try Registry.parse("[Node]\nId=2\nLabel=\(label)\n", file: "f").get().label == label)
  }

  @Test(arguments: ["0cxl", "-cxl", "_cxl", "Cxl", "cxl.0", "cxl 0", "cxl/0", "cxl:0", "cxl,0", "cxé"])
  func invalidLabels(_ label: String) {
    let error = failure(Registry.parse("[Node]\nId=2\nLabel=\(label)\n", file: "f"))
    #expect(error?.message.hasPrefix("f:3: Label='\(label)' is not a valid label;") == true)
  }

  @Test(arguments: Array(nodeKeywords))
  func keywordsAreNotLabels(_ keyword: String) {
    let error = failure(Registry.parse("[Node]\nId=2\nLabel=\(keyword)\n", file: "f"))
    #expect(error == .usage("f:3: Label='\(keyword)' is a NODES keyword; choose another label"))
  }

  @Test func anEmptyLabelIsAnError() {
    let error = failure(Registry.parse("[Node]\nId=2\nLabel=\n", file: "f"))
    #expect(error == .usage("f:3: empty Label; remove the key to use the default node2"))
  }

  @Test func theNodeNumberLabelTakesNoLeadingZeros() {
    let error = failure(Registry.parse("[Node]\nId=2\nLabel=node02\n", file: "f"))
    #expect(error == .usage("f:3: Label='node02' is node2 with leading zeros; write node2, or remove the key for that default"))
  }

  @Test(arguments: ["privnuma.slice/cxl0", "cxl0", "a/b/c", "machine.slice/x-y_z@1.service", "...", "a/.b"])
  func safeCgroupPaths(_ path: String) throws {
    #expect(try Registry.parse("[Node]\nId=2\nCgroup=\(path)\n", file: "f").get().cgroup == path)
  }

  @Test(arguments: ["/", "/privnuma.slice", "..", "../x", "a/..", "a/../b", ".", "./a", "a/./b", "a/", "a//b", "a b"])
  func unsafeCgroupPathsAreRefused(_ path: String) {
    let error = failure(Registry.parse("[Node]\nId=2\nCgroup=\(path)\n", file: "f"))
    #expect(error?.message.hasPrefix("f:3: Cgroup='\(path)'") == true)
  }

  @Test func anEmptyCgroupIsAnError() {
    let error = failure(Registry.parse("[Node]\nId=2\nCgroup=\n", file: "f"))
    #expect(error == .usage("f:3: empty Cgroup; remove the key, or give a path under the cgroup v2 mount"))
  }

  @Test func allowListsTakeNamesAndNumericIds() throws {
    let node = try Registry.parse("[Node]\nId=2\nAllowUsers=alice  0\t4294967294\nAllowGroups=dom\\users hpc@example.org\n", file: "f").get()
    #expect(node.allowUsers == ["alice", "0", "4294967294"])
    #expect(node.allowGroups == ["dom\\users", "hpc@example.org"])
  }

  /// Values are cut as bytes when they are ASCII and by Characters otherwise; either way the
  /// result is what a Character split gives: a combining mark after a space joins the space.
  @Test func valuesAreCutAsCharactersCutThem() throws {
    let node = try Registry.parse("[Node]\nId=2\nAllowUsers=\u{E9}lise \u{301}bob\tcarol\nAllowGroups=a\tb\n", file: "f").get()
    #expect(node.allowUsers == ["\u{E9}lise \u{301}bob", "carol"])
    #expect(node.allowGroups == ["a", "b"])
    for path in ["a/\u{301}b", "x\u{E9}/y"] {
      #expect(try Registry.parse("[Node]\nId=2\nCgroup=\(path)\n", file: "f").get().cgroup == path)
    }
    #expect(failure(Registry.parse("[Node]\nId=2\nCgroup=x\u{E9}//y\n", file: "f"))?.message.hasPrefix("f:3: Cgroup='x\u{E9}//y' has an empty") == true)
  }

  @Test func allowListErrors() {
    #expect(failure(Registry.parse("[Node]\nId=2\nAllowGroups=\n", file: "f"))
      == .usage("f:3: empty AllowGroups allows nobody; remove the key to allow everyone, or list names"))
    #expect(failure(Registry.parse("[Node]\nId=2\nAllowUsers=alice,bob\n", file: "f"))
      == .usage("f:3: AllowUsers entry 'alice,bob' contains ','; separate names with spaces"))
    #expect(failure(Registry.parse("[Node]\nId=2\nAllowUsers=4294967295\n", file: "f"))
      == .usage("f:3: AllowUsers entry '4294967295' is not a valid numeric id; ids run from 0 to 4294967294"))
    #expect(failure(Registry.parse("[Node]\nId=2\nAllowGroups=99999999999999999999\n", file: "f"))
      == .usage("f:3: AllowGroups entry '99999999999999999999' is not a valid numeric id; ids run from 0 to 4294967294"))
  }

  @Test func capabilitiesAreSpaceSeparatedNames() throws {
    let every = Capabilities.names.map(\.0).filter { $0 != "protect-write" }.joined(separator: " ")
    let node = try Registry.parse("[Node]\nId=2\nCapabilities=\(every)\n", file: "f").get()
    #expect(node.capabilities.words == Capabilities.names.map(\.0).filter { $0 != "protect-write" })
    let commas = failure(Registry.parse("[Node]\nId=2\nCapabilities=migration,mempolicy\n", file: "f"))
    #expect(commas == .usage("f:3: unknown capability 'migration,mempolicy' (separate names with spaces, not commas); valid capabilities: \(validCapabilities)"))
    let far = failure(Registry.parse("[Node]\nId=2\nCapabilities=swap\n", file: "f"))
    #expect(far == .usage("f:3: unknown capability 'swap'; valid capabilities: \(validCapabilities)"))
  }

  @Test(arguments: [
    ("id", "Id"), ("ID", "Id"), ("label", "Label"), ("Capabilites", "Capabilities"), ("MinFre", "MinFree"),
    ("allowusers", "AllowUsers"), ("AllowGroup", "AllowGroups"), ("CGroup", "Cgroup"), ("Kinds", "Kind"),
  ])
  func unknownKeysSuggestTheClosest(_ typed: String, _ suggested: String) {
    let error = failure(Registry.parse("[Node]\nId=2\n\(typed)=x\n", file: "f"))
    #expect(error == .usage("f:3: unknown key '\(typed)'; did you mean '\(suggested)'?"))
  }

  @Test func keysAreCaseSensitiveAndNotRepeated() {
    #expect(failure(Registry.parse("[Node]\nId=2\nKind=a\nKind = b\n", file: "f"))
      == .usage("f:4: duplicate key 'Kind' (already set on line 3); keep one"))
  }

  @Test func structuralErrors() {
    #expect(failure(Registry.parse("", file: "f"))
      == .usage("f:1: no [Node] section; a registry file declares one node: [Node], then Id=<node number>"))
    #expect(failure(Registry.parse("[Node\nId=2\n", file: "f"))
      == .usage("f:1: '[Node' is not a section header; write [Node] on a line of its own"))
    #expect(failure(Registry.parse("[Node] # cxl\nId=2\n", file: "f"))
      == .usage("f:1: '[Node] # cxl' is not a section header; write [Node] on a line of its own"))
    #expect(failure(Registry.parse("[node]\nId=2\n", file: "f"))
      == .usage("f:1: unknown section [node]; a registry file has one [Node] section"))
    #expect(failure(Registry.parse("[Node]\n= 2\n", file: "f"))
      == .usage("f:2: '= 2' has no key before '='; write Key=Value"))
    #expect(failure(Registry.parse("[Node]\nId=2\nKind=a\u{1B}[31mred\n", file: "f"))
      == .usage("f:3: control character 0x1B in the line; registry files are plain text, remove it"))
    #expect(failure(Registry.parse("[Node]\nId=2\u{0}\n", file: "f"))
      == .usage("f:2: control character 0x00 in the line; registry files are plain text, remove it"))
  }

  @Test(arguments: ["-1", "+2", "2.0", "0x2", "", "1 2"])
  func idsAreDecimalNumbers(_ text: String) {
    let error = failure(Registry.parse("[Node]\nId=\(text)\n", file: "f"))
    #expect(error == .usage("f:2: Id='\(text)' is not a node number; write a decimal number, e.g. Id=2"))
  }

  @Test func idsRunToTheLargestNodeNumber() throws {
    #expect(try Registry.parse("[Node]\nId=0\n", file: "f").get().id == 0)
    #expect(try Registry.parse("[Node]\nId=1023\n", file: "f").get().id == 1023)
    #expect(try Registry.parse("[Node]\nId=007\n", file: "f").get().label == "node7")
    #expect(failure(Registry.parse("[Node]\nId=99999999999\n", file: "f"))
      == .usage("f:2: Id='99999999999' is not a node number; write a decimal number, e.g. Id=2"))
  }

  // MARK: - Under privilege

  /// Files the tests create are owned by root only when the tests run as root.
  @Suite(.enabled(if: getuid() == 0, "needs root: the checks look for root-owned files"))
  struct UnderPrivilege {
    @Test func aRootOwnedRegistryIsTrusted() throws {
      let directory = try ScratchDirectory.trusted()
      try directory.write("50-cxl0.conf", "[Node]\nId=2\n")
      try directory.write("README", "owner and mode of other files do not matter", mode: 0o666)
      #expect(try strictLoad(directory.path, trust: .below(directory.path)).get().map(\.id) == [2])
    }

    @Test func aFileNotOwnedByRootIsRefused() throws {
      let directory = try ScratchDirectory.trusted()
      let file = try directory.write("50-cxl0.conf", "[Node]\nId=2\n")
      #expect(chown(file, 65534, 65534) == 0)
      let error = try #require(failure(strictLoad(directory.path, trust: .below(directory.path))))
      #expect(error.kind == .refused)
      #expect(error.exitCode == 3)
      #expect(error.message == "insecure registry: \(file) is owned by uid 65534, not root; privnuma runs with privilege and trusts only files that root alone controls: run 'chown root:root \(file)'")
      #expect(try strictLoad(directory.path).get().count == 1)
    }

    @Test func aDirectoryNotOwnedByRootIsRefused() throws {
      let directory = try ScratchDirectory.trusted()
      try directory.write("50-cxl0.conf", "[Node]\nId=2\n")
      #expect(chown(directory.path, 65534, 0) == 0)
      let error = try #require(failure(strictLoad(directory.path, trust: .below(directory.path))))
      #expect(error == .refused("insecure registry: \(directory.path) is owned by uid 65534, not root; privnuma runs with privilege and trusts only files that root alone controls: run 'chown root:root \(directory.path)'"))
    }

    @Test func aGroupWritableFileIsRefused() throws {
      let directory = try ScratchDirectory.trusted()
      try directory.write("10-zram.conf", "[Node]\nId=3\n")
      let file = try directory.write("50-cxl0.conf", "[Node]\nId=2\n", mode: 0o664)
      let error = try #require(failure(strictLoad(directory.path, trust: .below(directory.path))))
      #expect(error == .refused("insecure registry: \(file) is writable by group or others (mode 0664); privnuma runs with privilege and trusts only files that root alone controls: run 'chmod go-w \(file)'"))
    }

    @Test func aWorldWritableDirectoryIsRefused() throws {
      let directory = try ScratchDirectory.trusted()
      #expect(chmod(directory.path, 0o1777) == 0)
      let error = try #require(failure(strictLoad(directory.path, trust: .below(directory.path))))
      #expect(error == .refused("insecure registry: \(directory.path) is writable by group or others (mode 1777); privnuma runs with privilege and trusts only files that root alone controls: run 'chmod go-w \(directory.path)'"))
    }

    @Test func aSymlinkedFileIsRefusedOnlyUnderPrivilege() throws {
      let directory = try ScratchDirectory.trusted()
      let target = try directory.write("cxl0.txt", "[Node]\nId=2\n")
      let link = directory.path + "/50-cxl0.conf"
      #expect(symlink(target, link) == 0)
      let error = try #require(failure(strictLoad(directory.path, trust: .below(directory.path))))
      #expect(error == .refused("insecure registry: \(link) is a symbolic link; privnuma runs with privilege and trusts only files that root alone controls: replace it with the file it points to"))
      #expect(try strictLoad(directory.path).get().map(\.source) == [link])
    }

    @Test func aSymlinkedDirectoryIsRefusedOnlyUnderPrivilege() throws {
      let directory = try ScratchDirectory.trusted()
      try directory.write("50-cxl0.conf", "[Node]\nId=2\n")
      let holder = try ScratchDirectory.trusted()
      let link = holder.path + "/nodes.d"
      #expect(symlink(directory.path, link) == 0)
      let error = try #require(failure(strictLoad(link, trust: .below(holder.path))))
      #expect(error == .refused("insecure registry: \(link) is a symbolic link; privnuma runs with privilege and trusts only files that root alone controls: make it a real directory owned by root"))
      #expect(try strictLoad(link).get().count == 1)
    }

    @Test func aDanglingSymlinkIsAnError() throws {
      let directory = try ScratchDirectory.trusted()
      let link = directory.path + "/50-cxl0.conf"
      #expect(symlink(directory.path + "/gone", link) == 0)
      #expect(failure(strictLoad(directory.path))
        == .usage("\(link) is a symbolic link to a file that does not exist; fix the link or remove it"))
      #expect(failure(strictLoad(directory.path, trust: .below(directory.path)))?.kind == .refused)
    }
  }
}

/// A scratch directory removed when the value goes away.
private final class ScratchDirectory {
  let path: String

  init() throws {
    var base = NSTemporaryDirectory()
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    var template = Array((base + "/privnuma-registry-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    path = String(cString: made)
  }

  /// Mode 0755 and, when the tests run as root, owned by root, like /etc/privnuma/nodes.d.
  static func trusted() throws -> ScratchDirectory {
    let directory = try ScratchDirectory()
    chmod(directory.path, 0o755)
    return directory
  }

  @discardableResult
  func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
    let file = path + "/" + name
    try text.write(toFile: file, atomically: false, encoding: .utf8)
    chmod(file, mode)
    return file
  }

  func makeDirectory(_ name: String) throws {
    try FileManager.default.createDirectory(atPath: path + "/" + name, withIntermediateDirectories: false)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}
