import Testing

@testable import PrivNUMA

@Suite struct OptionParserTests {
  func parse(_ words: [String]) -> Result<LaunchRequest, Failure> { OptionParser.parseLaunch(ArraySlice(words)) }
  func request(_ words: [String]) -> LaunchRequest? { try? parse(words).get() }
  func failure(_ words: [String]) -> Failure? {
    if case .failure(let failure) = parse(words) { return failure }
    return nil
  }

  @Test(arguments: [
    ["--membind=0", "cmd"], ["--membind", "0", "cmd"], ["-m0", "cmd"], ["-m", "0", "cmd"], ["-m", "0", "--", "cmd"],
    ["--mem=0", "cmd"],
  ])
  func everySpellingOfAnOption(_ words: [String]) {
    let parsed = request(words)
    #expect(parsed?.mode == .bind)
    #expect(parsed?.nodes == "0")
    #expect(parsed?.command == ["cmd"])
  }

  @Test func everyPolicyOption() {
    let cases: [([String], PolicyMode)] = [
      (["-p", "1"], .preferred), (["-P", "1,2"], .preferredMany), (["-i", "all"], .interleave),
      (["-w", "0-1"], .weightedInterleave), (["-l"], .local), (["--localalloc"], .local),
      (["--preferred-many=1"], .preferredMany), (["--weighted-interleave", "0"], .weightedInterleave),
    ]
    for (words, mode) in cases { #expect(request(words + ["x"])?.mode == mode, "\(words)") }
  }

  @Test func modifiersAndCpuBinding() {
    let parsed = request(["-b", "--static", "-a", "-N", "0", "-m", "0", "-q", "cmd"])
    #expect(parsed?.balancing == true && parsed?.staticNodes == true && parsed?.ignoreCpuset == true)
    #expect(parsed?.cpuNodes == "0" && parsed?.quiet == true)
    #expect(request(["-C", "0-1", "cmd"])?.cpus == "0-1")
    #expect(request(["-bm0", "cmd"])?.balancing == true)
  }

  @Test func theCommandIsNeverParsed() {
    let parsed = request(["-m", "0", "ls", "-m", "--membind=1", "--"])
    #expect(parsed?.command == ["ls", "-m", "--membind=1", "--"])
    #expect(request(["-m", "0", "--", "-weird"])?.command == ["-weird"])
  }

  @Test func twoPoliciesAreAUsageError() {
    #expect(failure(["-m", "0", "-i", "0", "cmd"])?.kind == .usage)
    #expect(failure(["-m", "0", "-m", "0", "cmd"])?.message.contains("only one memory policy") == true)
  }

  @Test func badOptions() {
    #expect(failure(["-x", "cmd"])?.message == "unknown option '-x'; see 'privnuma --help'")
    #expect(failure(["--frobnicate", "cmd"])?.kind == .usage)
    #expect(failure(["-m"])?.message == "option '-m' needs a NODES value")
    #expect(failure(["--membind"])?.message == "option '--membind' needs a NODES value")
    #expect(failure(["-m", "0"])?.message.contains("no command to run") == true)
    #expect(failure(["--localalloc=1", "x"])?.message == "option '--localalloc' takes no value")
    #expect(failure(["--pre", "x"])?.message.contains("ambiguous") == true)
    #expect(failure(["--static", "--relative", "-m", "0", "x"])?.kind == .usage)
    #expect(failure(["--static", "-l", "x"])?.kind == .usage)
    #expect(failure(["-b", "x"])?.kind == .usage)
  }

  @Test func queriesAsOptions() {
    #expect(request(["-H"])?.query == .hardware)
    #expect(request(["--show"])?.query == .show)
    #expect(request(["--hardware", "--json"])?.command == ["--json"])
    #expect(request(["-Hq"])?.command == ["-q"])
  }
}
