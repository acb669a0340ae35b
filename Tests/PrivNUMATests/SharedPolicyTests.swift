import Testing

@testable import PrivNUMA

/// numactl's shared-memory options: sizes, and the order rules numactl enforces.
@Suite struct SharedPolicyTests {
  func parse(_ words: [String]) -> Result<LaunchRequest, Failure> { OptionParser.parseLaunch(ArraySlice(words)) }
  func shared(_ words: [String]) -> SharedRequest? { try? parse(words).get().shared }
  func failure(_ words: [String]) -> String? {
    if case .failure(let failure) = parse(words) { return failure.kind == .usage ? failure.message : "exit \(failure.exitCode)" }
    return nil
  }

  @Test func sizesReadAsNumactlReadsThem() {
    #expect(SharedRequest.size("4096") == 4096)
    #expect(SharedRequest.size("64k") == 65536)
    #expect(SharedRequest.size("2M") == 2 << 20)
    #expect(SharedRequest.size("1g") == 1 << 30)
    #expect(SharedRequest.size("0x1000") == 4096)
    #expect(SharedRequest.size("010") == 8)
    for bad in ["", "M", "1.5M", "-1", "12q", "0xzz", "99999999999T"] { #expect(SharedRequest.size(bad) == nil, "\(bad)") }
  }

  @Test func aSegmentWithItsSizesPolicyAndStepsInOrder() throws {
    let request = try parse(["-L", "4M", "-o", "1M", "-M", "0660", "-I", "3", "-u", "--shm", "/tmp/key", "-i", "0-1", "-T", "-d", "-D"]).get()
    let segment = try #require(request.shared)
    #expect(segment.target == .segment(keyFile: "/tmp/key"))
    #expect(segment.length == 4 << 20 && segment.offset == 1 << 20)
    #expect(segment.mode == 0o660 && segment.projectID == 3 && segment.huge)
    #expect(segment.steps == [.policy, .touch, .dump, .dumpNodes])
    #expect(request.mode == .interleave && request.nodes == "0-1")
    #expect(request.command.isEmpty)
    #expect(shared(["--file", "/dev/shm/a", "--touch", "-m", "0", "--strict"])?.steps == [.touch, .policy])
    #expect(shared(["--strict", "--file=/dev/shm/a", "-l"])?.strict == true)
  }

  @Test func numactlsOrderRulesAreErrorsNotSilence() {
    #expect(failure(["--file", "/dev/shm/a", "--length", "1M", "-m", "0"])?.contains("--length must come before --file /dev/shm/a") == true)
    #expect(failure(["--shm", "/k", "--huge", "-m", "0"])?.contains("--huge must come before") == true)
    #expect(failure(["-m", "0", "--shm", "/k"])?.contains("give the policy after it") == true)
    #expect(failure(["-N", "0", "--file", "/dev/shm/a", "-m", "0"])?.contains("drop the CPU binding") == true)
    #expect(failure(["--file", "/dev/shm/a", "-m", "0", "-C", "0"])?.contains("cannot go with --file") == true)
    #expect(failure(["--touch", "--file", "/dev/shm/a"])?.contains("must come after --shm or --file") == true)
    #expect(failure(["--dump", "-m", "0", "true"])?.contains("must come after --shm or --file") == true)
    #expect(failure(["--file", "/dev/shm/a", "-m", "0", "true"])?.contains("runs nothing, but 'true' follows") == true)
    #expect(failure(["--length", "1M", "-m", "0", "true"])?.contains("there is no --shm or --file") == true)
    #expect(failure(["--shm", "/a", "--file", "/b"])?.contains("one segment or file per call") == true)
    #expect(failure(["--length", "lots", "--shm", "/a"])?.contains("'lots' is not a size") == true)
    #expect(failure(["--shmmode", "0999", "--shm", "/a"])?.contains("not an octal mode") == true)
  }

  @Test func cpuBindingsReplaceEachOtherAsInNumactl() throws {
    let both = try parse(["-N", "0", "-C", "1", "cmd"]).get()
    #expect(both.cpus == "1" && both.cpuNodes == nil)
    let old = try parse(["-C", "1", "--cpubind", "0", "cmd"]).get()
    #expect(old.cpuNodes == "0" && old.cpus == nil)
    #expect(try parse(["-c", "1", "cmd"]).get().cpuNodes == "1")
  }

  @Test func sameRepeatsThePreviousNodes() throws {
    let request = try parse(["-N", "netdev:eth0", "-m", "same", "cmd"]).get()
    #expect(request.nodes == "netdev:eth0")
    #expect(failure(["-m", "same", "cmd"])?.contains("needs an earlier option with nodes") == true)
  }

  @Test func explainListsTheSharedMemorySyscalls() throws {
    var plan = LaunchPlan()
    plan.policy = MemoryPolicy(mode: .interleave, nodes: NodeSet([0, 1]))
    plan.shared = try #require(shared(["--length", "1M", "--file", "/dev/shm/a", "-i", "0,1", "--strict", "--touch"]))
    let report = ExplainReport(plan: plan, request: LaunchRequest())
    #expect(report.syscalls == [
      "open(\"/dev/shm/a\", O_RDWR), mmap(MAP_SHARED, offset 0)",
      "mbind(MPOL_INTERLEAVE, nodes 0-1, MPOL_MF_STRICT)",
      "touch every page",
    ])
  }
}
