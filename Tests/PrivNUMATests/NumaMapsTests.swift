import Foundation
import Testing

@testable import PrivNUMA

@Suite("numa_maps parser")
struct NumaMapsTests {
  func one(_ line: String) throws -> NumaMapping {
    let mappings = NumaMaps.parse(line + "\n")
    try #require(mappings.count == 1)
    return mappings[0]
  }

  @Test func aFileMappingOfALibrary() throws {
    let mapping = try one("7f56e7cae000 default file=/usr/lib/x86_64-linux-gnu/libc.so.6 mapped=38 mapmax=18 N0=38 kernelpagesize_kB=4")
    #expect(mapping.address == 0x7f56_e7ca_e000)
    #expect(mapping.policy == .default)
    #expect(mapping.kind == .file)
    #expect(mapping.huge == false)
    #expect(mapping.anon == 0)
    #expect(mapping.pageSize == 4096)
    #expect(mapping.nodes == [.init(node: 0, pages: 38)])
    #expect(mapping.anonPages(on: 0) == 0)
  }

  @Test func heapAndStackAreAnonymous() throws {
    let heap = try one("560059da7000 default heap anon=4 dirty=4 active=0 N0=3 N1=1 kernelpagesize_kB=4")
    #expect(heap.kind == .heap)
    #expect(heap.anon == 4)
    #expect(heap.pages == 4)
    #expect(heap.anonPages(on: 1) == 1)
    let stack = try one("7ffd45e47000 default stack anon=3 dirty=3 active=1 N0=3 kernelpagesize_kB=4")
    #expect(stack.kind == .stack)
    // Kernels before 4.5 named the thread: stack:TID.
    let oldStack = try one("7f0e8a7fe000 default stack:2318 anon=2 dirty=2 N1=2 kernelpagesize_kB=4")
    #expect(oldStack.kind == .stack)
    #expect(oldStack.pages(on: 1) == 2)
  }

  @Test func aNodeNamedTwiceOnOneLineIsCountedWithoutATrap() throws {
    let odd = try one("560059da7000 default heap anon=5 dirty=5 N0=3 N0=2 kernelpagesize_kB=4")
    let usage = MemoryUsage([odd])
    #expect(usage.nodes.map(\.node) == [0])
    #expect(usage.memory(on: 0).anon == 5 * 4096)
  }

  @Test func anAnonymousMappingWithoutAName() throws {
    let mapping = try one("7f56e7cab000 default anon=2 dirty=2 active=0 N0=2 kernelpagesize_kB=4")
    #expect(mapping.kind == .anonymous)
    #expect(mapping.anonPages(on: 0) == 2)
  }

  @Test func aMappingWithNoPagesHasOnlyItsPolicy() throws {
    let mapping = try one("7f56e7e9e000 default")
    #expect(mapping.nodes.isEmpty)
    #expect(mapping.policy == .default)
    let bound = try one("7ffd301c6000 bind:3")
    #expect(bound.policy.mode == .bind)
    #expect(bound.policy.nodes == NodeSet([3]))
    #expect(bound.nodes.isEmpty)
  }

  @Test func copyOnWritePagesOfAFileAreSplitInProportion() throws {
    // anon=2 of 4 pages; numa_maps does not say on which node the anonymous ones are.
    let mapping = try one("55d0c4a58000 default file=/opt/app/bin/app anon=2 dirty=2 mapped=4 N0=2 N3=2 kernelpagesize_kB=4")
    #expect(mapping.anonPages(on: 0) == 1)
    #expect(mapping.anonPages(on: 3) == 1)
    let all = try one("005e2000 default file=/bin/busybox anon=3 dirty=3 active=0 N0=3 kernelpagesize_kB=4")
    #expect(all.anonPages(on: 0) == 3)
    // The split always adds up to anon=.
    let odd = try one("005db000 default file=/bin/busybox anon=2 dirty=7 mapmax=6 active=5 N0=2 N1=5 kernelpagesize_kB=4")
    #expect(odd.anonPages(on: 0) + odd.anonPages(on: 1) == 2)
  }

  @Test func hugetlbPagesCountInTheirOwnSize() throws {
    let shared = try one("7f2a20000000 prefer:3 file=/dev/hugepages/app\\040data huge dirty=2 N3=2 kernelpagesize_kB=2048")
    #expect(shared.huge)
    #expect(shared.kind == .file)
    #expect(shared.pageSize == 2 * 1024 * 1024)
    let privateHuge = try one("7f2a30000000 default huge anon=4 dirty=4 N3=4 kernelpagesize_kB=2048")
    #expect(privateHuge.huge && privateHuge.kind == .anonymous)
    let usage = MemoryUsage([shared, privateHuge])
    #expect(usage.memory(on: 3) == NodeMemory(anon: 4 << 21, file: 2 << 21, huge: 6 << 21))
    let gigantic = try one("7f4000000000 bind:1 huge anon=1 dirty=1 N1=1 kernelpagesize_kB=1048576")
    #expect(MemoryUsage([gigantic]).memory(on: 1).total == 1 << 30)
  }

  static let spellings: [(String, PolicyMode, PolicyFlags, String)] = [
    ("default", .default, [], ""),
    ("local", .local, [], ""),
    ("bind:2", .bind, [], "2"),
    ("prefer:3", .preferred, [], "3"),
    ("interleave:0-3", .interleave, [], "0-3"),
    ("prefer (many):2-3", .preferredMany, [], "2-3"),
    ("weighted interleave:0-3", .weightedInterleave, [], "0-3"),
    ("bind=static:2", .bind, [.staticNodes], "2"),
    ("bind=relative:0", .bind, [.relativeNodes], "0"),
    ("bind=balancing:0", .bind, [.numaBalancing], "0"),
    ("bind=static|balancing:0-1", .bind, [.staticNodes, .numaBalancing], "0-1"),
    ("prefer (many)=static:2-3", .preferredMany, [.staticNodes], "2-3"),
    ("interleave=relative:0,2", .interleave, [.relativeNodes], "0,2"),
  ]

  @Test(arguments: spellings)
  func everyPolicySpelling(_ text: String, _ mode: PolicyMode, _ flags: PolicyFlags, _ nodes: String) throws {
    let mapping = try one("7f0000000000 \(text) anon=8 dirty=8 active=0 N2=8 kernelpagesize_kB=4")
    #expect(mapping.policy.mode == mode)
    #expect(mapping.policy.flags == flags)
    #expect(mapping.policy.nodes == (nodes.isEmpty ? NodeSet() : NodeSet(kernelList: nodes)!))
    #expect(mapping.policy.text == text)
    #expect(mapping.nodes == [.init(node: 2, pages: 8)])
    #expect(mapping.anon == 8)
  }

  @Test func anUnknownModeKeepsItsNodesAndCounts() throws {
    let mapping = try one("7f0000000000 tiered:1-2 anon=8 N1=8 kernelpagesize_kB=4")
    #expect(mapping.policy.mode == nil)
    #expect(mapping.policy.text == "tiered:1-2")
    #expect(mapping.policy.names(2))
    #expect(mapping.pages == 8)
  }

  @Test func linesThatAreNotMappingsAreSkipped() {
    let text = """
      7f56e7cab000 default anon=2 dirty=2 active=0 N0=2 kernelpagesize_kB=4

      not a mapping
      7f56e7cac000 default anon=1 N1=1 kernelpagesize_kB=4
      """
    let mappings = NumaMaps.parse(text)
    #expect(mappings.map(\.address) == [0x7f56_e7ca_b000, 0x7f56_e7ca_c000])
  }

  @Test func largeNodeNumbersAndCounts() throws {
    let mapping = try one("7f0000000000 interleave:1000-1023 anon=5000000000 N1000=4000000000 N1023=1000000000 kernelpagesize_kB=4")
    #expect(mapping.policy.nodes.count == 24)
    #expect(mapping.pages(on: 1023) == 1_000_000_000)
    #expect(mapping.pages == 5_000_000_000)
  }

  @Test func aQuickScanFindsPagesOnWantedNodesOnly() {
    let text = """
      7f0000000000 default anon=8 dirty=8 N0=8 N12=0 kernelpagesize_kB=4
      7f1000000000 bind:3 anon=8 dirty=8 N1=8 kernelpagesize_kB=4
      """
    func has(_ nodes: [Int]) -> Bool {
      var wanted = [Bool](repeating: false, count: 16)
      for node in nodes { wanted[node] = true }
      return Array(text.utf8).withUnsafeBufferPointer { NumaMaps.hasPages($0, onAnyOf: wanted) }
    }
    #expect(has([0]))
    #expect(has([1]))
    // A zero count, a node only in a policy, a node beyond the wanted ones: no pages.
    #expect(!has([12]))
    #expect(!has([3]))
    #expect(!has([2, 5]))
    #expect(!Array("7f0 default N200=5 kernelpagesize_kB=4".utf8).withUnsafeBufferPointer { NumaMaps.hasPages($0, onAnyOf: [true]) })
  }

  @Test func aWholeProcessSumsPerNode() throws {
    let maps = try String(contentsOfFile: Fixture.directory + "/proc-cpuset/proc/812/numa_maps")
    let usage = MemoryUsage(NumaMaps.parse(maps))
    let page: UInt64 = 4096
    // Node 0: app text 10, app data 3 (2 copy-on-write), libc 220+12+3+1 (3 copy-on-write), stack 5.
    #expect(usage.memory(on: 0) == NodeMemory(anon: 10 * page, file: 244 * page))
    // Node 3: data 1 (file), heap 33, anon 4096, hugetlb file 2 x 2 MiB, hugetlb private 4 x 2 MiB.
    #expect(usage.memory(on: 3) == NodeMemory(anon: (33 + 4096) * page + (4 << 21), file: page + (2 << 21), huge: 6 << 21))
    #expect(usage.nodeSet == NodeSet([0, 3]))
  }
}
