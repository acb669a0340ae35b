import Foundation
import Testing

// Tests that run the built privnuma on this machine (one NUMA node, node 0): the policy the
// kernel reports for the launched command, exec semantics and exit codes, every bad input,
// the query commands, and the private-node rules over the RFC-v4 fixture sysfs.
//
// The binary is the one `make install` installs: the static release build
// .build/release/privnuma that `make build` makes (make test builds it first), or
// $PRIVNUMA_BIN. Without it, or with one older than the sources, every test here fails,
// saying so: a missing or stale binary is not a pass.

/// The repository root: three levels above this file (Tests/PrivNUMATests/BinaryTests.swift).
private let repository = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

private let fixtures = repository + "/Tests/PrivNUMATests/Fixtures"

/// The RFC-v4 machine (0-1 general, 2 private bindable, 3 private not bindable) with the
/// registry `name` of Fixtures/registry-binary. proc is the fixture's too (cpuset mems 0-2):
/// these commands only read the machine, they never launch.
private func rfcV4(registry name: String?) -> [String: String] {
  [
    "PRIVNUMA_SYSFS": fixtures + "/rfc-v4/sys",
    "PRIVNUMA_PROC": fixtures + "/rfc-v4/proc",
    // A registry directory that does not exist is an empty registry.
    "PRIVNUMA_REGISTRY": fixtures + "/registry-binary/\(name ?? "absent")/nodes.d",
  ]
}

struct BinaryTestError: Error, CustomStringConvertible {
  var description: String
}

/// The privnuma binary under test.
private func binary() throws -> String {
  let files = FileManager.default
  if let path = ProcessInfo.processInfo.environment["PRIVNUMA_BIN"], !path.isEmpty {
    guard files.isExecutableFile(atPath: path) else {
      throw BinaryTestError(description: "PRIVNUMA_BIN=\(path) is not an executable file; build privnuma or fix PRIVNUMA_BIN")
    }
    return path
  }
  let path = repository + "/.build/release/privnuma"
  guard files.isExecutableFile(atPath: path) else {
    throw BinaryTestError(description: "no \(path): run 'make build' (the static release build that make install installs), or set PRIVNUMA_BIN")
  }
  if let newer = try newerSource(than: path) {
    throw BinaryTestError(description: "\(path) is older than \(newer): run 'make build' so the binary tested is the one the sources make")
  }
  return path
}

/// A file under Sources changed after `binary` was built, if any.
private func newerSource(than binary: String) throws -> String? {
  let files = FileManager.default
  let built = try files.attributesOfItem(atPath: binary)[.modificationDate] as? Date ?? .distantPast
  let sources = repository + "/Sources"
  for relative in files.subpaths(atPath: sources) ?? [] {
    let path = sources + "/" + relative
    if let changed = try files.attributesOfItem(atPath: path)[.modificationDate] as? Date, changed > built {
      return path
    }
  }
  return nil
}

/// What a run of privnuma did.
struct Outcome: CustomStringConvertible {
  var program: String
  var arguments: [String]
  var status: Int32
  /// Set when the process was killed by a signal (then `status` is the signal number).
  var signalled: Bool
  var pid: Int32
  var stdout: String
  var stderr: String

  var lines: [String] { stdout.split(separator: "\n").map { String($0) } }
  /// Output lines without the trailing blanks of numactl's layout.
  var trimmedLines: [String] {
    lines.map { line in String(line.reversed().drop { $0 == " " }.reversed()) }
  }

  var description: String {
    "\(program) \(arguments.joined(separator: " ")) -> \(signalled ? "signal" : "exit") \(status)\nstdout: \(stdout)\nstderr: \(stderr)"
  }
}

/// A scratch directory, removed by the caller.
private func scratchDirectory() throws -> String {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("privnuma-binary-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Writes a script from a child shell. A file this process held open for writing would be
/// inherited by any program another test starts at that moment, and running the script while
/// such a copy is open fails with ETXTBSY (exit 126): the child's copy closes when it exits.
private func writeScript(_ text: String, to path: String, mode: String) throws {
  let result = try execute("/bin/sh", ["-c", "printf %s \"$1\" >\"$2\" && chmod \"$3\" \"$2\"", "sh", text, path, mode])
  guard result.status == 0 else { throw CocoaError(.fileWriteUnknown) }
}

/// Runs privnuma with `arguments`. The caller's PRIVNUMA_* overrides are removed so the host's
/// real machine is read unless `environment` sets them.
private func privnuma(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) throws -> Outcome {
  try execute(try binary(), arguments, environment: environment, timeout: timeout)
}

/// Runs `path` with `arguments`, stdout and stderr to files, within `timeout` seconds.
private func execute(_ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) throws -> Outcome {
  let scratch = try scratchDirectory()
  defer { try? FileManager.default.removeItem(atPath: scratch) }
  let outPath = scratch + "/stdout"
  let errPath = scratch + "/stderr"
  FileManager.default.createFile(atPath: outPath, contents: nil)
  FileManager.default.createFile(atPath: errPath, contents: nil)
  let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
  let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))

  var env = ProcessInfo.processInfo.environment
  for key in env.keys where key.hasPrefix("PRIVNUMA_") { env[key] = nil }
  for (key, value) in environment { env[key] = value }

  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  process.environment = env
  process.standardInput = FileHandle.nullDevice
  process.standardOutput = out
  process.standardError = err
  let done = DispatchSemaphore(value: 0)
  process.terminationHandler = { _ in done.signal() }
  try process.run()
  let pid = process.processIdentifier
  if done.wait(timeout: .now() + timeout) == .timedOut {
    process.terminate()
    _ = done.wait(timeout: .now() + 5)
    throw BinaryTestError(description: "\(path) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
  }
  try out.close()
  try err.close()
  return Outcome(
    program: URL(fileURLWithPath: path).lastPathComponent, arguments: arguments, status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
    pid: pid,
    stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
    stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// The policy string of a numa_maps line: the words after the address, up to the first field.
private func policyString(_ line: Substring) -> String {
  let words = line.split(separator: " ").dropFirst()
  let fields = ["anon=", "dirty=", "active=", "mapped=", "mapmax=", "swapcache=", "writeback=", "file=", "kernelpagesize_kB=", "huge", "heap", "stack"]
  var policy: [Substring] = []
  for word in words {
    let isNodeCount = word.first == "N" && word.dropFirst().first?.isNumber == true && word.contains("=")
    if isNodeCount || fields.contains(where: { word.hasPrefix($0) }) { break }
    policy.append(word)
  }
  return policy.joined(separator: " ")
}

private let hasWeightedInterleave = FileManager.default.fileExists(atPath: "/sys/kernel/mm/mempolicy/weighted_interleave")

private func onlineNodes() -> String {
  ((try? String(contentsOfFile: "/sys/devices/system/node/online", encoding: .utf8)) ?? "0")
    .trimmingCharacters(in: .whitespacesAndNewlines)
}

private func parseJSON(_ text: String) throws -> [String: Any] {
  let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
  return try #require(object as? [String: Any], "not a JSON object: \(text)")
}

/// The binary's own tests; each nested suite is one topic.
@Suite struct BinaryTests {}

// MARK: - Memory policies as the kernel reports them

extension BinaryTests {
  @Suite("privnuma binary: policies in numa_maps")
  struct Policies {
    static let cases: [([String], String)] = [
      (["-m", "0"], "bind:0"),
      (["-p", "0"], "prefer:0"),
      (["-P", "0"], "prefer (many):0"),
      (["-i", "0"], "interleave:0"),
      (["-w", "0"], "weighted interleave:0"),
      (["-l"], "local"),
      (["-b", "-m", "0"], "bind=balancing:0"),
      (["--static", "-m", "0"], "bind=static:0"),
      (["--relative", "-m", "0"], "bind=relative:0"),
      // Other spellings of the same options.
      (["--membind=0"], "bind:0"),
      (["-m0"], "bind:0"),
      (["--preferred", "0"], "prefer:0"),
      (["--preferred-many=0"], "prefer (many):0"),
      (["--interleave=0"], "interleave:0"),
      (["--weighted-interleave", "0"], "weighted interleave:0"),
      (["--localalloc"], "local"),
      (["--balancing", "--membind=0"], "bind=balancing:0"),
      (["-bm0"], "bind=balancing:0"),
      (["--static", "-i", "0"], "interleave=static:0"),
      (["--relative", "-p", "0"], "prefer=relative:0"),
      // NODES words on this machine.
      (["-i", "all"], "interleave:0"),
      (["-a", "-i", "all"], "interleave:0"),
      (["-m", "+0"], "bind:0"),
      (["-N", "0", "-m", "0"], "bind:0"),
      (["-C", "0", "-p", "0"], "prefer:0"),
    ]

    @Test(arguments: cases)
    func theKernelReportsThePolicy(_ options: [String], _ expected: String) throws {
      let needsWeighted = options.contains { $0.hasPrefix("-w") || $0.hasPrefix("--weighted") }
      let result = try privnuma(options + ["--", "cat", "/proc/self/numa_maps"])
      if needsWeighted && !hasWeightedInterleave {
        // A kernel before 6.9: refused, naming the version, never a silent fallback.
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("6.9"), "\(result)")
        return
      }
      #expect(result.status == 0, "\(result)")
      let maps = result.stdout.split(separator: "\n")
      #expect(!maps.isEmpty, "\(result)")
      let heap = maps.first { $0.contains(" heap") }
      #expect(heap.map(policyString) == expected, "heap line: \(heap ?? "none")")
      // The task policy shows on every mapping that has none of its own: all of cat's.
      for line in maps {
        #expect(policyString(line) == expected, "\(line)")
      }
    }

    @Test func withoutAPolicyTheChildKeepsTheDefault() throws {
      let result = try privnuma(["-C", "0", "--", "cat", "/proc/self/numa_maps"])
      #expect(result.status == 0, "\(result)")
      let heap = result.stdout.split(separator: "\n").first { $0.contains(" heap") }
      #expect(heap.map(policyString) == "default", "\(result)")
    }

    @Test func cpuBindingIsTheChildsAffinity() throws {
      let pinned = try privnuma(["-C", "0", "--", "grep", "^Cpus_allowed_list", "/proc/self/status"])
      #expect(pinned.status == 0, "\(pinned)")
      #expect(pinned.stdout.split(whereSeparator: \.isWhitespace).last == "0", "\(pinned)")

      let nodeCPUs = ((try? String(contentsOfFile: "/sys/devices/system/node/node0/cpulist", encoding: .utf8)) ?? "")
        .trimmingCharacters(in: .whitespacesAndNewlines)
      let byNode = try privnuma(["-N", "0", "--", "grep", "^Cpus_allowed_list", "/proc/self/status"])
      #expect(byNode.status == 0, "\(byNode)")
      #expect(byNode.stdout.split(whereSeparator: \.isWhitespace).last.map(String.init) == nodeCPUs, "\(byNode)")
    }
  }
}

// MARK: - exec: PID, exit status, 126, 127

extension BinaryTests {
  /// numactl's --file on this machine's node 0: the policy lands on the file's pages, visible
  /// in numa_maps of a process that maps the file, and in --dump.
  @Suite("privnuma binary: policy on a tmpfs file")
  struct SharedFile {
    @Test func aPolicyOnAFileStaysWithItsPages() throws {
      let path = "/dev/shm/privnuma-test-\(getpid())"
      defer { unlink(path) }
      let set = try privnuma(["--length", "64K", "--file", path, "-m", "0", "--touch", "--dump", "--dump-nodes"])
      #expect(set.status == 0, "\(set)")
      #expect(set.lines == ["0000000000000000-0000000000010000: bind : 0 ", "0000000000000000-0000000000010000: 0"], "\(set)")
      let dump = try privnuma(["--file", path, "--dump"])
      #expect(dump.stdout == "0000000000000000-0000000000010000: bind : 0 \n", "\(dump)")
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      #expect(attributes[.size] as? Int == 65536)
      let missing = try privnuma(["--file", path + "-absent", "-m", "0"])
      #expect(missing.status == 2 && missing.stderr.contains("give --length before --file"), "\(missing)")
    }
  }
}

extension BinaryTests {
  @Suite("privnuma binary: exec")
  struct Exec {
    @Test func theCommandsExitStatusPassesThrough() throws {
      for status in [0, 1, 7, 42, 255] {
        let result = try privnuma(["-m", "0", "sh", "-c", "exit \(status)"])
        #expect(result.status == Int32(status), "\(result)")
        #expect(!result.signalled)
      }
      let noPolicy = try privnuma(["--", "sh", "-c", "exit 7"])
      #expect(noPolicy.status == 7, "\(noPolicy)")
    }

    @Test func aSignalPassesThrough() throws {
      // SIGKILL: the test runner's threads block most signals, and a blocked mask is inherited.
      let killed = try privnuma(["-m", "0", "sh", "-c", "kill -KILL $$"])
      #expect(killed.signalled, "\(killed)")
      #expect(killed.status == SIGKILL, "\(killed)")
    }

    @Test func signalMaskAndDispositionsAreLeftAsTheyWere() throws {
      let status = ["grep", "^Sig\\(Blk\\|Ign\\)", "/proc/self/status"]
      let direct = try execute("/usr/bin/env", status)
      let launched = try privnuma(["-m", "0", "--"] + status)
      #expect(direct.status == 0 && launched.status == 0, "\(direct)\n\(launched)")
      #expect(launched.stdout == direct.stdout, "\(direct)\n\(launched)")
    }

    @Test func theCommandRunsAsTheSameProcess() throws {
      let result = try privnuma(["-m", "0", "sh", "-c", "echo $$"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(result.pid), "\(result)")
    }

    @Test func argumentsAfterTheCommandAreNotParsed() throws {
      let result = try privnuma(["-m", "0", "echo", "-m", "1", "--bogus", "--", "x"])
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout == "-m 1 --bogus -- x\n", "\(result)")
    }

    @Test func aFileThatIsNotExecutableIs126() throws {
      let scratch = try scratchDirectory()
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      let file = scratch + "/not-executable"
      try writeScript("#!/bin/sh\necho ran\n", to: file, mode: "644")
      let result = try privnuma(["-m", "0", file])
      #expect(result.status == 126, "\(result)")
      #expect(result.stderr.hasPrefix("privnuma:"), "\(result)")
      #expect(result.stderr.contains(file), "\(result)")
      #expect(!result.stdout.contains("ran"))

      let directory = try privnuma(["-m", "0", scratch])
      #expect(directory.status == 126, "\(directory)")
    }

    @Test func aMissingCommandIs127() throws {
      let result = try privnuma(["-m", "0", "privnuma-test-no-such-command"])
      #expect(result.status == 127, "\(result)")
      #expect(result.stderr.hasPrefix("privnuma:"), "\(result)")
      #expect(result.stderr.contains("privnuma-test-no-such-command"), "\(result)")
      #expect(result.stderr.contains("not found"), "\(result)")

      let path = try privnuma(["-m", "0", "/nonexistent/privnuma-test"])
      #expect(path.status == 127, "\(path)")
    }

    @Test func dashDashShowRunsAProgramNamedShow() throws {
      let scratch = try scratchDirectory()
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      let empty = scratch + "/empty"
      let bin = scratch + "/bin"
      try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
      try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)

      for arguments in [["--", "show"], ["-m", "0", "show"], ["-m", "0", "--", "hardware"]] {
        let none = try privnuma(arguments, environment: ["PATH": empty])
        #expect(none.status == 127, "\(none)")
        #expect(none.stderr.hasPrefix("privnuma:"), "\(none)")
        #expect(!none.stdout.contains("policy:") && !none.stdout.contains("available:"), "\(none)")
      }

      for name in ["show", "hardware"] {
        try writeScript("#!/bin/sh\necho \"the \(name) program ran with $#\"\n", to: bin + "/" + name, mode: "755")
      }
      let show = try privnuma(["--", "show", "x"], environment: ["PATH": bin + ":/usr/bin:/bin"])
      #expect(show.status == 0, "\(show)")
      #expect(show.stdout == "the show program ran with 1\n", "\(show)")
      let hardware = try privnuma(["-m", "0", "hardware"], environment: ["PATH": bin + ":/usr/bin:/bin"])
      #expect(hardware.stdout == "the hardware program ran with 0\n", "\(hardware)")
    }
  }
}

// MARK: - The quick launch (QuickLaunch) against the full path

extension BinaryTests {
  /// A plain launch (`-m 0 cmd`) runs from argv's bytes; an abbreviated option (`--mem 0`) or
  /// an override sends the same launch down the full path. Both must look the same from
  /// outside.
  @Suite("privnuma binary: quick launch")
  struct Quick {
    static let spellings: [[String]] = [
      ["-m", "0"], ["-m0"], ["--membind=0"], ["--membind", "0"], ["-p", "0"], ["--preferred=0"],
      ["-i0"], ["--interleave", "0"], ["-l"], ["--localalloc"],
    ]

    @Test(arguments: spellings)
    func theCommandsExitStatusPassesThroughSilently(_ options: [String]) throws {
      for tail in [["sh", "-c", "exit 9"], ["--", "sh", "-c", "exit 9"]] {
        let result = try privnuma(options + tail)
        #expect(result.status == 9 && !result.signalled, "\(result)")
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result)")
      }
    }

    /// The Swift runtime's own way to find argv reads /proc/self/maps at start-up; privnuma
    /// hands it argv instead (shim.c): a launch opens nothing of the sort, and the arguments
    /// of the full path's commands still arrive whole.
    @Test func startingReadsNoMemoryMapAndKeepsTheArguments() throws {
      let scratch = try scratchDirectory()
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      let trace = scratch + "/trace"
      let traced = try execute(
        "/usr/bin/strace", ["-o", trace, "-e", "trace=open,openat", try binary(), "-m", "0", "/bin/true"])
      #expect(traced.status == 0, "\(traced)")
      let opened = try String(contentsOfFile: trace, encoding: .utf8)
      #expect(!opened.isEmpty && !opened.contains("/proc/self/maps"), "\(opened)")
      let echoed = try privnuma(["--cpunodebind", "0", "--", "printf", "%s|", "a b", "", "-c"])
      #expect(echoed.status == 0 && echoed.stdout == "a b||-c|", "\(echoed)")
    }

    @Test func afterDashDashACommandMayStartWithADash() throws {
      let scratch = try scratchDirectory()
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      try writeScript("#!/bin/sh\nexit 4\n", to: scratch + "/-quick", mode: "755")
      let path = ["PATH": scratch + ":/usr/bin:/bin"]
      let run = try privnuma(["-m", "0", "--", "-quick"], environment: path)
      #expect(run.status == 4, "\(run)")
      // Without `--` it is an option, and the full path says what is wrong with it.
      let option = try privnuma(["-m", "0", "-quick"], environment: path)
      #expect(option.status == 2 && option.stderr.hasPrefix("privnuma:"), "\(option)")
    }

    /// A launch whose exec fails falls back to the full path, which reports it: the same
    /// status and message as when the full path takes the launch from the start.
    @Test func aFailedExecIsReportedAsTheFullPathReportsIt() throws {
      let scratch = try scratchDirectory()
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      try writeScript("#!/bin/sh\n", to: scratch + "/not-executable", mode: "644")
      let registry = ["PRIVNUMA_REGISTRY": scratch + "/absent"]
      for command in [
        "show", "privnuma-test-no-such-command", "/nonexistent/x", scratch,
        scratch + "/not-executable",
      ] {
        let quick = try privnuma(["-m", "0", command])
        #expect(
          [126, 127].contains(quick.status) && quick.stderr.hasPrefix("privnuma: "), "\(quick)")
        for full in [
          try privnuma(["--mem", "0", command]),
          try privnuma(["-m", "0", command], environment: registry),
        ] {
          #expect(
            full.status == quick.status && full.stderr == quick.stderr
              && full.stdout == quick.stdout, "\(quick) \(full)")
        }
      }
      let show = try privnuma(["-m", "0", "show"])
      #expect(
        show.stderr.contains("'show' is a privnuma command only as the first word"), "\(show)")
    }

    /// A launch onto a private node of a named registry: its "not fenced" warning, the
    /// command's status and an exec failure are the full path's, byte for byte (the override
    /// PRIVNUMA_REGISTRY sends the same launch there).
    @Test func aPrivateNodeLaunchSaysWhatTheFullPathSays() throws {
      let scratch = try scratchDirectory()
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      let registry = scratch + "/nodes.d"
      try FileManager.default.createDirectory(atPath: registry, withIntermediateDirectories: true)
      try "[Node]\nId=0\nLabel=mem0\nMinFree=1M\n".write(
        toFile: registry + "/50-mem0.conf", atomically: false, encoding: .utf8)
      for options in [
        ["--allow-unfenced", "-m", "mem0"], ["-q", "--allow-unfenced", "--membind=mem0,0"],
        ["--allow-unfenced", "-p", "0"], ["-m", "mem0"], ["--allow-unfenced", "-l"],
      ] {
        for command in [["sh", "-c", "exit 9"], ["privnuma-test-no-such-command"]] {
          let quick = try privnuma(["--registry", registry] + options + command)
          let full = try privnuma(
            options + command, environment: ["PRIVNUMA_REGISTRY": registry])
          #expect(
            full.status == quick.status && full.stderr == quick.stderr
              && full.stdout == quick.stdout, "\(options + command): \(quick) \(full)")
        }
      }
      let warned = try privnuma(["--registry", registry, "--allow-unfenced", "-m", "mem0", "true"])
      #expect(
        warned.status == 0
          && warned.stderr
            == "privnuma: warning: node 0 (mem0) is not fenced: any process may allocate there\n",
        "\(warned)")
    }

    /// The package's setcap install and a setuid-root one, run by a plain user (nobody, through
    /// setpriv): the launch narrows, drops and reads as the full path does (`--mem` sends the
    /// same launch there), so the command gets the policy, every id the caller's, no capability.
    @Test(
      .enabled(if: getuid() == 0, "needs root to set file capabilities and the setuid bit"),
      arguments: ["setcap", "setuid"])
    func aPrivilegedInstallLaunchesAsTheFullPathDoes(_ install: String) throws {
      let scratch = try scratchDirectory()
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      chmod(scratch, 0o755)
      let copy = scratch + "/privnuma"
      try FileManager.default.copyItem(atPath: try binary(), toPath: copy)
      if install == "setcap" {
        let setcap = try execute("/sbin/setcap", ["cap_dac_override,cap_sys_nice+p", copy])
        #expect(setcap.status == 0, "\(setcap)")
      } else {
        #expect(chmod(copy, 0o4755) == 0)
      }
      let probe =
        "head -1 /proc/self/numa_maps | cut -d' ' -f2; grep -E '^(Uid|Gid|Cap(Inh|Prm|Eff|Amb)):' /proc/self/status"
      func launch(_ options: [String], _ environment: [String: String] = [:]) throws -> Outcome {
        try execute(
          "/usr/bin/setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups", copy] + options + ["sh", "-c", probe],
          environment: environment)
      }
      let none = "0000000000000000"
      let quick = try launch(["-m", "0"])
      #expect(
        quick.status == 0 && quick.stderr.isEmpty
          && quick.lines == [
            "bind:0", "Uid:\t65534\t65534\t65534\t65534", "Gid:\t65534\t65534\t65534\t65534",
            "CapInh:\t\(none)", "CapPrm:\t\(none)", "CapEff:\t\(none)", "CapAmb:\t\(none)",
          ], "\(quick)")
      let full = try launch(["--mem", "0"])
      #expect(
        full.status == quick.status && full.stdout == quick.stdout && full.stderr == quick.stderr,
        "\(quick) \(full)")
      // Under privilege an override is ignored with a note: the full path's, so the quick
      // launch must leave the launch to it.
      let overridden = try launch(["-m", "0"], ["PRIVNUMA_SYSFS": scratch])
      #expect(
        overridden.status == 0 && overridden.stdout == quick.stdout
          && overridden.stderr
            == "privnuma: warning: ignoring PRIVNUMA_SYSFS: privnuma runs with privilege\n",
        "\(overridden)")
      // What the command cannot see (exec clears a plain user's capabilities anyway): every
      // capability is dropped before the policy is set, as Launcher.prepare orders it.
      let trace = scratch + "/trace"
      let traced = try execute(
        "/usr/bin/strace",
        ["-f", "-u", "nobody", "-o", trace, "-e", "trace=capset,set_mempolicy", copy, "-m", "0",
          "/bin/true"])
      #expect(traced.status == 0, "\(traced)")
      let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
      let dropped = calls.firstIndex { $0.contains("capset(") && $0.contains("permitted=0,") }
      let policy = calls.firstIndex { $0.contains("set_mempolicy(") }
      #expect(dropped != nil && policy != nil && dropped! < policy!, "\(calls)")
    }
  }
}

// MARK: - Bad input

extension BinaryTests {
  @Suite("privnuma binary: bad input")
  struct BadInput {
    /// Arguments (a command that must never run follows where the case has one) and what the
    /// message must name.
    static let cases: [([String], [String])] = [
      (["-m", "abc", "echo", "RAN"], ["abc"]),
      (["-m", "9", "echo", "RAN"], ["9"]),
      (["-m", "", "echo", "RAN"], ["--membind", "empty"]),
      (["-m", "0,", "echo", "RAN"], ["0,"]),
      (["-m", "all,0", "echo", "RAN"], ["all,0"]),
      (["-m", "!all", "echo", "RAN"], ["!all"]),
      (["-p", "0,1", "echo", "RAN"], ["--preferred", "1"]),
      (["-m", "0", "-i", "0", "echo", "RAN"], ["--membind", "--interleave"]),
      (["-C", "999", "echo", "RAN"], ["999"]),
      (["-m", "0"], ["command"]),
      (["--no-such-option", "echo", "RAN"], ["--no-such-option"]),
      (["-Z", "echo", "RAN"], ["-Z"]),
      (["-m"], ["-m"]),
      (["--membind"], ["--membind"]),
      (["--interleave"], ["--interleave"]),
      // More of the same kind.
      (["-m", "0", "-m", "0", "echo", "RAN"], ["--membind"]),
      (["-m", "1-0", "echo", "RAN"], ["1-0"]),
      (["-m", "0x9", "echo", "RAN"], ["node 9"]),
      (["-m", "010", "echo", "RAN"], ["010", "octal"]),
      (["-m", "-1", "echo", "RAN"], ["-1"]),
      (["--membind=", "echo", "RAN"], ["--membind"]),
      (["--static", "--relative", "-m", "0", "echo", "RAN"], ["--static", "--relative"]),
      (["-b", "echo", "RAN"], ["--balancing"]),
      (["-N", "9", "echo", "RAN"], ["9"]),
      (["-C", "abc", "echo", "RAN"], ["abc"]),
      (["--localalloc=0", "echo", "RAN"], ["--localalloc"]),
      (["-i", "private", "echo", "RAN"], ["private"]),
      (["--dump", "-m", "0", "echo", "RAN"], ["--dump", "--shm or --file"]),
      (["--length", "1M", "-m", "0", "echo", "RAN"], ["--length", "no --shm or --file"]),
    ]

    @Test(arguments: cases)
    func isAUsageError(_ arguments: [String], _ named: [String]) throws {
      let result = try privnuma(arguments)
      #expect(result.status == 2, "\(result)")
      #expect(result.stderr.hasPrefix("privnuma:"), "\(result)")
      for word in named {
        #expect(result.stderr.contains(word), "stderr should name '\(word)': \(result)")
      }
      #expect(!result.stdout.contains("RAN"), "the command ran: \(result)")
    }

    /// As with numactl, a first word that is no command is a program run with no options;
    /// one that does not exist but looks like a command gets a suggestion.
    @Test func aFirstWordThatIsNoCommandIsAProgram() throws {
      let ran = try privnuma(["echo", "RAN"])
      #expect(ran.status == 0 && ran.stdout == "RAN\n", "\(ran)")
      let misspelt = try privnuma(["shwo"])
      #expect(misspelt.status == 127 && misspelt.stderr.contains("did you mean 'privnuma show'?"), "\(misspelt)")
      let placed = try privnuma(["-m", "0", "show"])
      #expect(placed.status == 127 && placed.stderr.contains("--show"), "\(placed)")
    }

    @Test func noArgumentsAtAllIsAUsageError() throws {
      let result = try privnuma([])
      #expect(result.status == 2, "\(result)")
      #expect(result.stderr.contains("privnuma:"), "\(result)")
    }
  }
}

// MARK: - show and hardware on this machine

extension BinaryTests {
  @Suite("privnuma binary: show and hardware")
  struct ShowHardware {
    @Test func showAfterALaunchReportsThePolicy() throws {
      let bin = try binary()
      let bind = try privnuma(["-m", "0", bin, "show"])
      #expect(bind.status == 0, "\(bind)")
      #expect(bind.trimmedLines.contains("policy: bind"), "\(bind)")
      #expect(bind.trimmedLines.contains("membind: 0"), "\(bind)")
      #expect(bind.trimmedLines.contains("preferred node: 0"), "\(bind)")

      let preferred = try privnuma(["-p", "0", bin, "--show"])
      #expect(preferred.trimmedLines.contains("policy: preferred"), "\(preferred)")
      #expect(preferred.trimmedLines.contains("preferred node: 0"), "\(preferred)")
      #expect(preferred.trimmedLines.contains("preferred: 0"), "\(preferred)")

      let interleave = try privnuma(["-i", "0", bin, "-s"])
      #expect(interleave.trimmedLines.contains("policy: interleave"), "\(interleave)")
      #expect(interleave.trimmedLines.contains("interleavemask: 0"), "\(interleave)")

      let local = try privnuma(["-l", bin, "show"])
      #expect(local.trimmedLines.first == "policy: local", "\(local)")
      #expect(local.trimmedLines.contains("preferred node: current"), "\(local)")

      let flagged = try privnuma(["--static", "-m", "0", bin, "show"])
      #expect(flagged.trimmedLines.contains("policy: bind"), "\(flagged)")
      #expect(flagged.trimmedLines.contains("policy flags: static"), "\(flagged)")

      let pinned = try privnuma(["-C", "0", bin, "show"])
      #expect(pinned.trimmedLines.contains("physcpubind: 0"), "\(pinned)")
    }

    @Test func aPolicyBeforeShowIsNotSilentlyDropped() throws {
      // numactl applies options in order: `numactl -m 0 --show` prints "policy: bind".
      // privnuma must do the same, or refuse the combination; never show a policy that
      // ignores the option the user gave.
      for (options, policy) in [(["-m", "0"], "policy: bind"), (["-i", "0"], "policy: interleave"), (["-p", "0"], "policy: preferred")] {
        for query in ["--show", "-s"] {
          let result = try privnuma(options + [query])
          if result.status == 0 {
            #expect(result.trimmedLines.first == policy, "\(result)")
          } else {
            #expect(result.status == 2, "\(result)")
            #expect(result.stderr.hasPrefix("privnuma:") && result.stderr.contains(query), "\(result)")
          }
        }
      }
    }

    @Test func showJSONAfterALaunch() throws {
      let result = try privnuma(["-b", "-m", "0", try binary(), "show", "--json"])
      #expect(result.status == 0, "\(result)")
      let object = try parseJSON(result.stdout)
      #expect(object["schema"] as? String == "privnuma.show/1")
      let policy = try #require(object["policy"] as? [String: Any])
      #expect(policy["mode"] as? String == "bind")
      #expect(policy["flags"] as? [String] == ["balancing"])
      #expect(policy["nodes"] as? [Int] == [0])
      #expect(object["membind"] as? [Int] == [0])
      for key in ["preferred_node", "interleave_next", "physcpubind", "cpubind", "mems_allowed", "private_nodes"] {
        #expect(object.keys.contains(key), "show --json lacks \(key)")
      }
    }

    @Test func showWithoutALaunch() throws {
      for arguments in [["show"], ["--show"], ["-s"]] {
        let result = try privnuma(arguments)
        #expect(result.status == 0, "\(result)")
        #expect(result.trimmedLines.first == "policy: default", "\(result)")
        #expect(result.trimmedLines.contains("preferred node: current"), "\(result)")
        for prefix in ["physcpubind:", "cpubind:", "nodebind:", "membind:", "preferred:"] {
          #expect(result.lines.contains { $0.hasPrefix(prefix) }, "no '\(prefix)' line: \(result)")
        }
        #expect(result.stderr.isEmpty, "\(result)")
      }
    }

    @Test func hardwareInNumactlLayout() throws {
      let online = onlineNodes()
      let ids = online.split(separator: ",").flatMap { part -> [Int] in
        let bounds = part.split(separator: "-").compactMap { Int($0) }
        return bounds.count == 2 ? Array(bounds[0]...bounds[1]) : bounds
      }
      for arguments in [["-H"], ["--hardware"], ["hardware"]] {
        let result = try privnuma(arguments)
        #expect(result.status == 0, "\(result)")
        let lines = result.trimmedLines
        #expect(lines.first == "available: \(ids.count) nodes (\(online))", "\(result)")
        for id in ids {
          #expect(lines.contains { $0 == "node \(id) cpus:" || $0.hasPrefix("node \(id) cpus: ") }, "\(result)")
          #expect(lines.contains { $0.hasPrefix("node \(id) size: ") && $0.hasSuffix(" MB") }, "\(result)")
          #expect(lines.contains { $0.hasPrefix("node \(id) free: ") && $0.hasSuffix(" MB") }, "\(result)")
        }
        #expect(lines.contains("node distances:"), "\(result)")
        if ids == [0] {
          #expect(lines.contains("node   0"), "\(result)")
          #expect(lines.contains("  0:  10"), "\(result)")
        }
      }
    }

    @Test func hardwareSizesMatchSysfs() throws {
      let result = try privnuma(["--hardware"])
      let meminfo = try String(contentsOfFile: "/sys/devices/system/node/node0/meminfo", encoding: .utf8)
      let kib = meminfo.split(separator: "\n").first { $0.contains("MemTotal:") }?
        .split(separator: " ").dropLast().last.flatMap { Int($0) }
      let mb = try #require(kib) / 1024
      #expect(result.trimmedLines.contains("node 0 size: \(mb) MB"), "\(result)")
    }

    @Test func hardwareJSONHasTheDocumentedKeys() throws {
      for arguments in [["hardware", "--json"], ["-H", "--json"], ["--hardware", "--json"]] {
        let result = try privnuma(arguments)
        #expect(result.status == 0, "\(result)")
        let object = try parseJSON(result.stdout)
        #expect(object["schema"] as? String == "privnuma.hardware/1")
        #expect(object["available"] is [Any])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.count == (object["available"] as? [Any])?.count)
        for node in nodes {
          for key in ["id", "cpus", "memory_total", "memory_free", "distances", "interleave_weight", "private"] {
            #expect(node.keys.contains(key), "node lacks \(key): \(node)")
          }
          let total = try #require(node["memory_total"] as? Int)
          let free = try #require(node["memory_free"] as? Int)
          #expect(free > 0 && free <= total)
          #expect(node["private"] is NSNull)
        }
        let first = try #require(nodes.first)
        #expect(first["id"] as? Int == 0)
        #expect((first["distances"] as? [String: Int])?["0"] == 10)
        #expect(result.stderr.isEmpty, "\(result)")
      }
    }

    @Test func versionAndHelp() throws {
      let version = try privnuma(["--version"])
      #expect(version.status == 0, "\(version)")
      #expect(version.stdout.hasPrefix("privnuma "), "\(version)")
      let help = try privnuma(["--help"])
      #expect(help.status == 0, "\(help)")
      for option in ["--membind", "--preferred", "--preferred-many", "--interleave", "--weighted-interleave", "--localalloc", "--cpunodebind", "--physcpubind", "--balancing", "--static", "--relative"] {
        #expect(help.stdout.contains(option), "--help lacks \(option)")
      }
    }

    /// The regex engine (_StringProcessing, ~1 MB of code) is linked as soon as one call such
    /// as `String.contains(String)` or `replacing` resolves to it; it returned twice unnoticed,
    /// and it costs every launch page faults and resident memory.
    @Test func theReleaseBinaryLinksNoRegexEngine() throws {
      let image = try Data(contentsOf: URL(fileURLWithPath: try binary()))
      let symbols = image.count(of: Data("17_StringProcessing".utf8))
      #expect(symbols == 0, "\(symbols) _StringProcessing symbols in the binary: find the call that resolves to the regex engine")
    }
  }
}

// MARK: - Private nodes over the RFC-v4 fixture

extension BinaryTests {
  @Suite("privnuma binary: private nodes (fixture sysfs)")
  struct PrivateNodes {
    @Test func nodesJSONListsTheBindableAndTheNonBindableNode() throws {
      let result = try privnuma(["nodes", "--json"], environment: rfcV4(registry: "permitted"))
      #expect(result.status == 0, "\(result)")
      let object = try parseJSON(result.stdout)
      #expect(object["schema"] as? String == "privnuma.nodes/1")
      let nodes = try #require(object["nodes"] as? [[String: Any]])
      #expect(nodes.map { $0["id"] as? Int } == [2, 3])
      #expect(nodes.map { $0["label"] as? String } == ["cxl0", "zram0"])
      #expect(nodes.map { $0["bindable"] as? Bool } == [true, false])
      #expect(nodes.map { $0["backend"] as? String } == ["kernel", "kernel"])
      #expect(nodes.map { $0["allowed"] as? Bool } == [true, true])
      #expect(nodes[1]["kind"] as? String == "compressed")
      #expect(nodes[1]["capabilities"] as? [String] == ["migration", "demotion", "reclaim"])
    }

    @Test func nodesTextWithoutARegistryUsesKernelLabels() throws {
      let result = try privnuma(["nodes"], environment: rfcV4(registry: nil))
      #expect(result.status == 0, "\(result)")
      let rows = result.lines.dropFirst().map { $0.split(separator: " ").map(String.init) }
      #expect(rows.first.map { Array($0.prefix(5)) } == ["2", "node2", "-", "kernel", "yes"], "\(result)")
      #expect(rows.dropFirst().first.map { Array($0.prefix(5)) } == ["3", "node3", "-", "kernel", "no"], "\(result)")
    }

    @Test func checkRefusesTheNodeWithoutMempolicy() throws {
      for arguments in [["check", "3", "--policy", "preferred"], ["check", "zram0"], ["check", "2-3", "--policy", "interleave"]] {
        let result = try privnuma(arguments, environment: rfcV4(registry: "permitted"))
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.hasPrefix("privnuma:"), "\(result)")
        #expect(result.stderr.contains("mempolicy"), "\(result)")
        #expect(result.stderr.contains("demotion"), "\(result)")
      }
    }

    @Test func checkAllowsAPermittedNode() throws {
      for arguments in [["check", "cxl0"], ["check", "2", "--policy", "preferred"], ["check", "0,cxl0", "--policy", "interleave"]] {
        let result = try privnuma(arguments, environment: rfcV4(registry: "permitted"))
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("ok"), "\(result)")
      }
      let viaOption = try privnuma(
        ["check", "cxl0", "--registry", fixtures + "/registry-binary/permitted/nodes.d"], environment: rfcV4(registry: "denied"))
      #expect(viaOption.status == 0, "\(viaOption)")
    }

    @Test func checkJSON() throws {
      let allowed = try privnuma(["check", "cxl0", "--policy", "preferred", "--json"], environment: rfcV4(registry: "permitted"))
      #expect(allowed.status == 0, "\(allowed)")
      let yes = try parseJSON(allowed.stdout)
      #expect(yes["schema"] as? String == "privnuma.check/1")
      #expect(yes["allowed"] as? Bool == true)
      #expect(yes["exit_code"] as? Int == 0)
      #expect(yes["nodes"] as? [Int] == [2])

      let refused = try privnuma(["check", "3", "--json"], environment: rfcV4(registry: "permitted"))
      #expect(refused.status == 3, "\(refused)")
      let no = try parseJSON(refused.stdout)
      #expect(no["allowed"] as? Bool == false)
      #expect(no["exit_code"] as? Int == 3)
      #expect((no["reason"] as? String)?.contains("mempolicy") == true)
    }

    @Test func anAllowUsersRuleThatExcludesTheCallerRefuses() throws {
      let result = try privnuma(["check", "cxl0", "--policy", "preferred"], environment: rfcV4(registry: "denied"))
      #expect(result.status == 3, "\(result)")
      #expect(result.stderr.hasPrefix("privnuma:"), "\(result)")
      #expect(result.stderr.contains("cxl0"), "\(result)")
      #expect(result.stderr.contains("AllowUsers"), "\(result)")

      let nodes = try privnuma(["nodes", "--json"], environment: rfcV4(registry: "denied"))
      let listed = try #require(try parseJSON(nodes.stdout)["nodes"] as? [[String: Any]])
      #expect(listed.first?["allowed"] as? Bool == false)
      #expect((listed.first?["reason"] as? String)?.contains("AllowUsers") == true)

      let explain = try privnuma(["explain", "-p", "cxl0", "--", "app"], environment: rfcV4(registry: "denied"))
      #expect(explain.status == 3, "\(explain)")
      #expect(explain.stdout.contains("FAIL"), "\(explain)")
    }

    @Test func explainShowsTheSyscallAndTheAdvice() throws {
      let result = try privnuma(["explain", "-m", "2", "--", "true"], environment: rfcV4(registry: "permitted"))
      #expect(result.status == 0, "\(result)")
      #expect(result.stdout.contains("set_mempolicy(MPOL_BIND, nodes 2)"), "\(result)")
      #expect(result.stdout.contains("execvp(\"true\""), "\(result)")
      #expect(result.stdout.contains("--preferred"), "\(result)")
      #expect(result.stdout.contains("page cache"), "\(result)")
    }

    @Test func explainPredictsCommandNotFoundAndNotExecutable() throws {
      let missing = try privnuma(["explain", "-m", "0", "--", "no-such-program-here"], environment: rfcV4(registry: "permitted"))
      #expect(missing.status == 127, "\(missing)")
      #expect(missing.stdout.contains("FAIL command") && missing.stdout.contains("command not found"), "\(missing)")
      let launched = try privnuma(["-m", "0", "--", "no-such-program-here"])
      #expect(launched.status == 127, "\(launched)")
      let directory = try privnuma(["explain", "--json", "-m", "0", "--", "/tmp"], environment: rfcV4(registry: "permitted"))
      #expect(directory.status == 126, "\(directory)")
      #expect(try parseJSON(directory.stdout)["exit_code"] as? Int == 126)
      let found = try privnuma(["explain", "-m", "0", "--", "true"], environment: rfcV4(registry: "permitted"))
      #expect(found.status == 0 && found.stdout.contains("ok   command"), "\(found)")
    }

    @Test func explainOfARefusalHasTheLaunchsExitCode() throws {
      let result = try privnuma(["explain", "-m", "3", "--", "app"], environment: rfcV4(registry: "permitted"))
      #expect(result.status == 3, "\(result)")
      #expect(result.stdout.contains("mempolicy"), "\(result)")
      #expect(!result.stdout.contains("set_mempolicy("), "\(result)")
      let usage = try privnuma(["explain", "-m", "9"], environment: rfcV4(registry: "permitted"))
      #expect(usage.status == 2, "\(usage)")
    }

    @Test func interleaveAllNeverNamesAPrivateNode() throws {
      let text = try privnuma(["explain", "-i", "all"], environment: rfcV4(registry: "permitted"))
      #expect(text.status == 0, "\(text)")
      #expect(text.stdout.contains("set_mempolicy(MPOL_INTERLEAVE, nodes 0-1)"), "\(text)")
      #expect(!text.stdout.contains("cxl0") && !text.stdout.contains("zram0"), "\(text)")

      let json = try privnuma(["explain", "--json", "-i", "all"], environment: rfcV4(registry: "permitted"))
      #expect(json.status == 0, "\(json)")
      let object = try parseJSON(json.stdout)
      let policy = try #require(object["policy"] as? [String: Any])
      #expect(policy["nodes"] as? [Int] == [0, 1])
      #expect(policy["nodemask"] as? String == "0x3")

      let noRegistry = try privnuma(["explain", "--json", "-a", "-i", "all"], environment: rfcV4(registry: nil))
      #expect((try parseJSON(noRegistry.stdout)["policy"] as? [String: Any])?["nodes"] as? [Int] == [0, 1])
    }

    @Test func explainJSONForAPreferredPrivateNode() throws {
      let result = try privnuma(["explain", "--json", "-p", "cxl0", "--", "true"], environment: rfcV4(registry: "permitted"))
      #expect(result.status == 0, "\(result)")
      let object = try parseJSON(result.stdout)
      #expect(object["schema"] as? String == "privnuma.explain/1")
      #expect(object["allowed"] as? Bool == true)
      #expect(object["exit_code"] as? Int == 0)
      let policy = try #require(object["policy"] as? [String: Any])
      #expect(policy["mode"] as? String == "preferred")
      #expect(policy["nodes"] as? [Int] == [2])
      #expect((object["syscalls"] as? [String])?.contains("set_mempolicy(MPOL_PREFERRED, nodes 2)") == true)
      #expect((object["advice"] as? [String])?.isEmpty == true)
      let checks = try #require(object["checks"] as? [[String: Any]])
      #expect(checks.allSatisfy { $0["passed"] as? Bool == true })
      #expect(checks.contains { ($0["name"] as? String) == "access 2" })
    }

    @Test func showListsThePrivateNodes() throws {
      let result = try privnuma(["show"], environment: rfcV4(registry: "permitted"))
      #expect(result.status == 0, "\(result)")
      #expect(result.lines.contains { $0.hasPrefix("private node 2: cxl0 backend=kernel") && $0.hasSuffix(" allowed") }, "\(result)")
      #expect(result.lines.contains { $0.hasPrefix("private node 3: zram0") && $0.contains("not bindable") }, "\(result)")
      let denied = try privnuma(["show"], environment: rfcV4(registry: "denied"))
      #expect(denied.lines.contains { $0.hasPrefix("private node 2: cxl0") && $0.hasSuffix(" not allowed") }, "\(denied)")
    }

    @Test func hardwareMarksThePrivateNodes() throws {
      let result = try privnuma(["hardware"], environment: rfcV4(registry: "permitted"))
      #expect(result.status == 0, "\(result)")
      #expect(result.lines.contains { $0.hasPrefix("node 2 private: cxl0 backend=kernel") }, "\(result)")
      #expect(result.lines.contains { $0.hasPrefix("node 3 private: zram0") && $0.contains("not bindable") }, "\(result)")
      #expect(result.lines.first == "available: 4 nodes (0-3)", "\(result)")
    }

    @Test func aBrokenRegistryIsAUsageErrorNamingFileAndLine() throws {
      let result = try privnuma(
        ["nodes"], environment: rfcV4(registry: nil).merging(["PRIVNUMA_REGISTRY": fixtures + "/registry/unknown-key/nodes.d"]) { $1 })
      #expect(result.status == 2, "\(result)")
      #expect(result.stderr.hasPrefix("privnuma:"), "\(result)")
      #expect(result.stderr.contains("50-cxl0.conf:"), "\(result)")
    }

    /// Each form of the private-node interface, as a fixture machine without a registry:
    /// explain names the form and `all` never reaches a private node.
    @Test(arguments: [
      ("four-node-gaps", "none", "no private-node state in sysfs", "0-1,4,6"),
      ("rfc-v4", "has_private_memory", "has_private_memory (RFC v4): private nodes 2-3", "0-1"),
      ("rfc-fallback", "has_fallback_memory", "has_fallback_memory: private nodes = has_memory minus has_fallback_memory = 2-3", "0-1"),
      ("rfc-public", "has_public_memory", "has_public_memory: private nodes = has_memory minus has_public_memory = 2-3", "0-1"),
      ("rfc-common", "has_common_memory", "has_common_memory: private nodes = has_memory minus has_common_memory = 2-3", "0-1"),
    ])
    func explainNamesTheKernelInterface(fixture: String, form: String, line: String, all: String) throws {
      let machine = [
        "PRIVNUMA_SYSFS": fixtures + "/\(fixture)/sys", "PRIVNUMA_PROC": fixtures + "/\(fixture)/proc",
        "PRIVNUMA_REGISTRY": fixtures + "/registry-binary/absent/nodes.d",
      ]
      let text = try privnuma(["explain", "-i", "all"], environment: machine)
      #expect(text.status == 0, "\(text)")
      #expect(text.stdout.hasPrefix("kernel: " + line), "\(text)")
      #expect(text.stdout.contains("set_mempolicy(MPOL_INTERLEAVE, nodes \(all))"), "\(text)")
      let json = try privnuma(["explain", "--json", "-i", "all"], environment: machine)
      let kernel = try #require(try parseJSON(json.stdout)["kernel_interface"] as? [String: Any], "\(json)")
      #expect(kernel["form"] as? String == form, "\(json)")
    }

    @Test func nodesShowsTheKernelsFeaturesOfEachNode() throws {
      let machine = [
        "PRIVNUMA_SYSFS": fixtures + "/rfc-common/sys", "PRIVNUMA_PROC": fixtures + "/rfc-common/proc",
        "PRIVNUMA_REGISTRY": fixtures + "/registry-binary/absent/nodes.d",
      ]
      let result = try privnuma(["nodes", "--json"], environment: machine)
      #expect(result.status == 0, "\(result)")
      let object = try parseJSON(result.stdout)
      #expect((object["kernel_interface"] as? [String: Any])?["private_nodes"] as? [Int] == [2, 3], "\(result)")
      let nodes = try #require(object["nodes"] as? [[String: Any]])
      #expect(nodes.map { $0["id"] as? Int } == [2, 3])
      #expect(nodes.last?["kernel_features"] as? [String] == ["demotion", "reclaim"], "\(result)")
      #expect(nodes.last?["bindable"] as? Bool == false, "\(result)")
      #expect(nodes.first?["bindable"] as? Bool == true, "\(result)")
      let text = try privnuma(["nodes"], environment: machine)
      #expect(text.stdout.contains("kernel: has_common_memory"), "\(text)")
    }
  }
}

// MARK: - A broken registry file (the fail-safe rule of privnuma.conf(5))

extension BinaryTests {
  /// Fixtures/registry-binary/broken: 50-cxl0.conf declares node 2 cleanly; 60-hbm.conf
  /// declares node 1 (general to the kernel) with a typo on line 6.
  @Suite("privnuma binary: a broken registry file")
  struct BrokenRegistry {
    static let error = "/60-hbm.conf:6: unknown capability 'mempolcy'"

    @Test func launchesOnOtherNodesGoOnWithAWarningNamingFileAndLine() throws {
      let result = try privnuma(["-m", "0", "true"], environment: rfcV4(registry: "broken"))
      #expect(result.status == 0, "\(result)")
      #expect(result.stderr.contains("privnuma: warning: ") && result.stderr.contains(Self.error), "\(result)")
      let cxl = try privnuma(["check", "cxl0"], environment: rfcV4(registry: "broken"))
      #expect(cxl.stderr.contains(Self.error), "\(cxl)")
    }

    @Test func theNodeTheBrokenFileDeclaresIsPrivateAndRefused() throws {
      let launch = try privnuma(["-m", "1", "true"], environment: rfcV4(registry: "broken"))
      #expect(launch.status == 3, "\(launch)")
      #expect(launch.stderr.contains("node 1 (node1) is mentioned by a registry file with errors"), "\(launch)")
      #expect(launch.stderr.contains(Self.error), "\(launch)")
      // 'all' is the general nodes: node 1 is no longer one of them.
      let all = try privnuma(["explain", "--json", "-i", "all", "--", "true"], environment: rfcV4(registry: "broken"))
      #expect(all.status == 0, "\(all)")
      let plan = try parseJSON(all.stdout)
      #expect((plan["policy"] as? [String: Any])?["nodes"] as? [Int] == [0], "\(all)")
      #expect((plan["registry_errors"] as? [[String: Any]])?.first?["line"] as? Int == 6, "\(all)")
    }

    @Test func jsonQueriesStillEmitTheirDocumentWithTheErrors() throws {
      let hardware = try privnuma(["hardware", "--json"], environment: rfcV4(registry: "broken"))
      #expect(hardware.status == 0, "\(hardware)")
      let errors = try #require(try parseJSON(hardware.stdout)["registry_errors"] as? [[String: Any]], "\(hardware)")
      #expect(errors.count == 1)
      #expect((errors.first?["file"] as? String)?.hasSuffix("/60-hbm.conf") == true)
      #expect((errors.first?["message"] as? String)?.hasPrefix("unknown capability 'mempolcy' (did you mean 'mempolicy'?)") == true)
    }

    @Test func nodesAndCheckExitTwoWithFileAndLine() throws {
      let nodes = try privnuma(["nodes", "--json"], environment: rfcV4(registry: "broken"))
      #expect(nodes.status == 2, "\(nodes)")
      #expect(nodes.stderr.contains(Self.error), "\(nodes)")
      let document = try parseJSON(nodes.stdout)
      let listed = try #require(document["nodes"] as? [[String: Any]], "\(nodes)")
      #expect(listed.map { $0["id"] as? Int } == [1, 2, 3])
      #expect(listed.map { $0["allowed"] as? Bool } == [false, true, true])
      #expect((listed[0]["registry_error"] as? String)?.contains(Self.error) == true)
      #expect((document["registry_errors"] as? [Any])?.count == 1)
      for arguments in [["check", "0"], ["check", "1"], ["nodes"]] {
        let result = try privnuma(arguments, environment: rfcV4(registry: "broken"))
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("privnuma: ") && result.stderr.contains(Self.error), "\(result)")
      }
    }
  }
}

extension Data {
  /// How often `needle` occurs, not overlapping.
  fileprivate func count(of needle: Data) -> Int {
    var found = 0
    var start = startIndex
    while let range = range(of: needle, in: start..<endIndex) {
      found += 1
      start = range.upperBound
    }
    return found
  }
}
