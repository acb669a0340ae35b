import Foundation
import Testing

@testable import PrivNUMA

extension Registry {
  /// A text's lenient Id= reading, as the load reads the file's bytes.
  static func lenientIDs(_ text: String) -> [Int] {
    var text = text
    return text.withUTF8 { lenientIDs($0) }
  }
}

/// The registry parser scans bytes in place; ReferenceRegistry is the parser it replaced.
/// Every input here must give both the same node, the same Id= and Label= lines, the same
/// error, and the same lenient Id= reading.
@Suite("Registry parser equivalence")
struct RegistryEquivalenceTests {
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

  /// Every registry file of the fixtures, the fuzz corpus and the examples.
  static func realFiles() throws -> [String] {
    var texts: [String] = []
    for directory in [testsDirectory.path, repository.path + "/Fuzz/corpus/registry", repository.path + "/examples"] {
      let enumerator = try #require(FileManager.default.enumerator(atPath: directory))
      for case let path as String in enumerator where path.hasSuffix(".conf") {
        texts.append(try String(contentsOfFile: directory + "/" + path, encoding: .utf8))
      }
    }
    return texts
  }

  /// Odd lines: CRLF, comments, duplicates, continuations, empty values, non-ASCII (a Kelvin
  /// sign is a K to String comparison, a combining mark joins the space before it), control
  /// characters, byte order marks, and values at their limits.
  static let oddLines = [
    "[Node]", "[Node]\r", " [Node] ", "[node]", "[Nöde]", "[]", "[", "[Node", "Node]", "[\u{212A}]",
    "Id=2", "Id=2\r", "Id = 3 ", "id=4", "ID = 4 # hbm", "Id=2 # cxl0", "Id=", "Id=1023", "Id=1024", "Id=99999999999",
    "Id=-1", "Id=0x2", "Id=２", "Id", "Id 5", "Id=2\\", "Label=cxl0", "Label=", "Label=node2", "Label=node02",
    "Label=node3", "Label=all", "Label=Cxl0", "Label=cxl 0", "Label=cxlé", "\u{212A}ind=expander", "Kind=",
    "Kind=ex\u{301}pander", "Kin=x", "Capabilities=", "Capabilities=migration mempolicy",
    "Capabilities=migration,mempolicy", "Capabilities=mempolicy", "Capabilities=migration  \tmempolicy demotion",
    "Capabilities=migraton", "Capabilities=mempolicy protect-write migration", "Capabilities=migration \u{301}mempolicy",
    "Capabilities=migration mempolicy ﬁ", "AllowUsers=alice 1001", "AllowUsers=", "AllowUsers=alice,bob",
    "AllowUsers=4294967295", "AllowUsers=4294967294", "AllowUsers=al ice", "AllowUsers=a \u{301}b", "AllowGroups=cram",
    "AllowGroups=dom\\users hpc@example.org", "AllowGroups= ", "Cgroup=privnuma.slice/cxl0", "Cgroup=", "Cgroup=/abs",
    "Cgroup=a/../b", "Cgroup=a//b", "Cgroup=a/./b", "Cgroup=a/", "Cgroup=a b", "Cgroup=a/\u{301}/..", "Cgroup=a//\u{301}",
    "Cgroup=é/x", "MinFree=256M", "MinFree=1", "MinFree=", "MinFree=1.5G", "MinFree=16E", "MinFree=18446744073709551616",
    "MinFree=17179869184G", "MinFree=12k", "MinFree=1M # note", "Description=CXL type-3 expander, slot 4",
    "Description=", "Description=tab\there", "Description=bell\u{7}", "Description=del\u{7F}", "Description=a=b",
    "# comment", "; comment", "  # indented comment", "", "   ", "\t", "=value", " = ", "no equals here",
    "Unknown=1", "Labels=x", "\u{FEFF}[Node]", "Id=2\u{0}", "Id=\u{85}2",
    // Keys, values and words matched where they lie, or made Strings when they are not ASCII.
    "I=2", "Ids=2", "ID=2", "Id\t=\t2", "Id=0000000002", "Id=00000000002", "Id=4294967296", "Id=2 3",
    "Cgrou=a", "Cgroupp=a", "CGroup=a", "Descriptio=x", "AllowGroup=x", "\u{212A}ind=x", "Labe\u{301}l=x",
    "Capabilities=\tmigration\t", "Capabilities=migration migration", "Capabilities=Migration",
    "Capabilities=migration mempolicy reclaim demotion compaction numa-balancing longterm-pin",
    "Capabilities=protect-write migration", "Capabilities=migratio", "Capabilities=migrationx", "Capabilities=é",
    "Capabilities=migration\u{A0}mempolicy", "Capabilities=migration ,", "Capabilities=numa-balancing",
    "AllowUsers=\talice\t \tbob", "AllowUsers=0", "AllowUsers=0000000000", "AllowUsers=00000000000",
    "AllowUsers=9999999999", "AllowUsers=12a", "AllowUsers=-1", "AllowUsers=,", "AllowUsers=a, b",
    "AllowGroups=groupé", "AllowGroups=a\u{A0}b", "AllowGroups=4294967294 4294967295", "AllowUsers=1 2 3 4 5 6 7 8 9",
    "AllowUsers=averyveryverylongusernamebeyondfifteen",
    "Cgroup=.", "Cgroup=..", "Cgroup=...", "Cgroup=a/.", "Cgroup=a/..", "Cgroup=../a", "Cgroup=./a", "Cgroup=a/.b",
    "Cgroup=a/..b", "Cgroup=.a/b.", "Cgroup=/", "Cgroup=//", "Cgroup=a\tb", "Cgroup=a/b c/d", "Cgroup=a/b/",
    "Cgroup=privnuma.slice/a-very-long-cgroup-name.scope", "Cgroup=é", "Cgroup=a/é/..", "Cgroup=\u{301}",
    "MinFree=0", "MinFree=k", "MinFree=1KK", "MinFree=18446744073709551615", "MinFree=18446744073709551615K",
    "MinFree=16777215T", "MinFree=16777216T", "MinFree=99999999999999999999999", "MinFree=１M", "MinFree=1é",
    "MinFree=1 M", "MinFree=+1", "Label=\u{212A}", "Label=node0", "Label=node", "Label=node2a", "Label=private",
    "Kind=\u{212A}", "Description=é", "Id=\u{212A}",
  ]

  static func check(_ text: String, _ comment: Comment? = nil) {
    let expected = ReferenceRegistry.declaration(text, file: "f.conf")
    let actual = Registry.declaration(text, file: "f.conf").map {
      ReferenceRegistry.Declared(node: $0.node, idLine: $0.idLine, labelLine: $0.labelLine)
    }
    #expect(actual == expected, comment ?? "\(text.debugDescription)")
    #expect(Registry.lenientIDs(text) == ReferenceRegistry.lenientIDs(text), comment ?? "\(text.debugDescription)")
  }

  @Test func everyRealRegistryFileIsReadAlike() throws {
    let files = try Self.realFiles()
    #expect(files.count >= 30)
    for text in files {
      Self.check(text)
      Self.check(text.replacingOccurrences(of: "\n", with: "\r\n"), "CRLF: \(text.debugDescription)")
      Self.check("\u{FEFF}" + text, "BOM: \(text.debugDescription)")
    }
  }

  @Test func everyOddLineIsReadAlikeInAndOutOfASection() {
    for line in Self.oddLines {
      Self.check(line)
      Self.check("[Node]\n" + line)
      Self.check("[Node]\nId=2\n" + line + "\n")
      Self.check("[Node]\r\nId=2\r\nLabel=cxl0\r\n" + line)
    }
  }

  /// Files of random odd lines, the same every run: pairs and triples find what one line
  /// alone does not (duplicates, a second section, an error after another).
  @Test func randomFilesOfOddLinesAreReadAlike() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    for _ in 0..<3000 {
      var lines = ["[Node]", "Id=\(next(5))"]
      for _ in 0..<next(6) { lines.insert(Self.oddLines[next(Self.oddLines.count)], at: next(lines.count + 1)) }
      Self.check(lines.joined(separator: next(4) == 0 ? "\r\n" : "\n"))
    }
  }

  @Test func bytesThatAreNotUTF8AreReadAlike() {
    for bytes: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x84], [0xC3, 0x0A, 0xA9]] {
      for template in ["[Node]\nId=2\nLabel=%\n", "[Node]\nId=2\nKind=%\n", "[Node]\nId=2%\n", "[No%de]\n", "%Id=3\n"] {
        let parts = template.split(separator: "%", omittingEmptySubsequences: false)
        let text = String(decoding: Array(parts[0].utf8) + bytes + Array(parts[1].utf8), as: UTF8.self)
        Self.check(text)
      }
    }
  }

  /// A caller may hand the parser a file's bytes as read, not UTF-8 checked: they must read
  /// as the same file made a String (each bad sequence a U+FFFD) reads.
  @Test func rawBytesReadAsTheirRepairedText() {
    let bad: [[UInt8]] = [[0xFF], [0xC3], [0xE2, 0x84], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF]]
    let templates = [
      "[Node]\nId=2\nLabel=%\n", "[Node]\nId=2\nKind=%\n", "[Node]\nId=2%\n", "[No%de]\n", "%Id=3\n",
      "[Node]\nId=2\nCapabilities=migration %\n", "[Node]\nId=2\nAllowUsers=a%b\n", "[Node]\nId=2\nCgroup=a/%/..\n",
      "[Node]\nId=2\nCgroup=a/%\n", "[Node]\nId=2\nMinFree=1%\n", "[Node]\nId=2\nDescription=%\n", "[Node]\nId=2\n%=x\n",
      "[Node]\nId=2\nKin%d=x\n", "\u{FEFF}[Node]\nId=2\nAllowGroups=%\n", "%\n[Node]\nId=2\n",
    ]
    for bytes in bad {
      for template in templates {
        let parts = template.split(separator: "%", omittingEmptySubsequences: false)
        let raw = Array(parts[0].utf8) + bytes + Array(parts[1].utf8)
        let expected = ReferenceRegistry.declaration(String(decoding: raw, as: UTF8.self), file: "f.conf")
        let actual = raw.withUnsafeBufferPointer { Registry.declaration($0, file: "f.conf") }.map {
          ReferenceRegistry.Declared(node: $0.node, idLine: $0.idLine, labelLine: $0.labelLine)
        }
        #expect(actual == expected, "\(raw)")
        let ids = raw.withUnsafeBufferPointer { Registry.lenientIDs($0) }
        #expect(ids == ReferenceRegistry.lenientIDs(String(decoding: raw, as: UTF8.self)), "\(raw)")
      }
    }
  }

  /// The slots of KeyValues follow Registry.keys, which messages list.
  @Test func everyKeyHasItsSlot() {
    for (index, key) in Registry.keys.enumerated() {
      let text = "[Node]\nId=2\n\(key)=\n\(key)=\n"
      guard case .failure(let error) = Registry.declaration(text, file: "f") else {
        Issue.record("\(key) twice was accepted")
        continue
      }
      #expect(error.message.hasPrefix("duplicate key '\(key)'"), "\(key)")
      #expect(KeyValues.Key(rawValue: index) != nil)
    }
    #expect(KeyValues.Key(rawValue: Registry.keys.count) == nil)
  }
}
