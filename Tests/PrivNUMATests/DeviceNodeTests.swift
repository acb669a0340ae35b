import Glibc
import Testing

@testable import PrivNUMA

// numactl's device node specifications over the rfc-v4 fixture's sysfs:
//   eth0 on PCI 0000:00:03.0, node 1; eth1 on 0000:00:05.0, numa_node -1; eth2 on 0000:00:06.0,
//   node 2 (a private node); lo virtual; nvme0n1 (259:0) and nvme0n1p1 (259:1) behind the
//   bridge 0000:00:1c.0, device 0000:02:00.0 on node 0.
//   proc/net/route: default via eth1, 10.1/16 on eth0, 10.2/16 on eth2, 10.3/16 down;
//   ipv6_route: fd00:1::/64 on eth0, default via eth1.
@Suite struct DeviceNodeTests {
  let sysfs = Fixture.directory + "/rfc-v4/sys"
  let proc = Fixture.directory + "/rfc-v4/proc"
  let hosts = Fixture.directory + "/rfc-v4/etc-hosts"

  var context: NodeContext {
    var context = NodeContext(
      present: NodeSet([0, 1, 2, 3]), general: NodeSet([0, 1]), memsAllowed: NodeSet([0, 1, 2]),
      privateNodes: NodeSet([2, 3]), usablePrivate: NodeSet([2]), labels: [("cxl0", 2), ("zram0", 3)])
    context.sysfs = sysfs
    context.proc = proc
    return context
  }

  func node(_ item: String) -> Int? { try? DeviceNode.resolve(item, sysfs: sysfs, proc: proc).get() }
  func error(_ item: String) -> String? {
    if case .failure(let error) = DeviceNode.resolve(item, sysfs: sysfs, proc: proc) { return error.message }
    return nil
  }

  @Test func networkDeviceIsOnItsPCIFunctionsNode() {
    #expect(node("netdev:eth0") == 1)
    #expect(node("netdev:eth2") == 2)
  }

  @Test func blockDeviceAndPartitionFindTheDeviceBehindTheBridge() {
    #expect(node("block:nvme0n1") == 0)
    #expect(node("block:nvme0n1p1") == 0)
    #expect(node("block:/dev/nvme0n1") == 0)
  }

  @Test func pciAddressesInNumactlsForms() {
    #expect(node("pci:0000:00:03.0") == 1)
    #expect(node("pci:00:03.0") == 1)
    #expect(node("pci:00:03") == 1)
    #expect(node("pci:0:3.0") == 1)
    #expect(node("pci:02:00.0") == 0)
    #expect(error("pci:zz:00.0")?.contains("not a PCI address") == true)
    #expect(error("pci:00:09.0")?.contains("no PCI device 0000:00:09.0") == true)
  }

  @Test func ipIsTheDeviceOfTheLongestMatchingRoute() {
    #expect(node("ip:10.1.2.3") == 1)
    #expect(node("ip:10.2.0.1") == 2)
    #expect(node("ip:fd00:1::5") == 1)
    // The default route goes through eth1, whose node the kernel does not know.
    #expect(error("ip:192.0.2.1")?.contains("routed through eth1") == true)
    // 10.3/16 is down: the default route is taken.
    #expect(error("ip:10.3.0.1")?.contains("eth1") == true)
  }

  @Test func ipNamesComeFromTheHostsFile() throws {
    #expect(try DeviceNode.ip("storage01", sysfs: sysfs, proc: proc, hosts: hosts).get() == 1)
    #expect(try DeviceNode.ip("cxlhost", sysfs: sysfs, proc: proc, hosts: hosts).get() == 2)
    guard case .failure(let error) = DeviceNode.ip("nfs.example.org", sysfs: sysfs, proc: proc, hosts: hosts) else {
      Issue.record("a name outside the hosts file resolved")
      return
    }
    #expect(error.message.contains("give the address"))
  }

  @Test func fileIsOnTheBlockDeviceOfItsFileSystem() throws {
    // A sysfs whose dev/block entry carries the numbers of the file system holding this file.
    var info = stat()
    #expect(stat(#filePath, &info) == 0)
    let major = ((info.st_dev >> 8) & 0xfff) | ((info.st_dev >> 32) & ~0xfff)
    let minor = (info.st_dev & 0xff) | ((info.st_dev >> 12) & ~0xff)
    var template = Array("/tmp/privnuma-devices-XXXXXX".utf8CString)
    let root = String(cString: mkdtemp(&template)!)
    defer { _ = system("rm -rf '\(root)'") }
    let device = root + "/sys/devices/pci0000:00/0000:00:04.0/block/sda"
    #expect(system("mkdir -p '\(device)' '\(root)/sys/dev/block' && echo 3 > '\(root)/sys/devices/pci0000:00/0000:00:04.0/numa_node'") == 0)
    #expect(symlink(device, root + "/sys/dev/block/\(major):\(minor)") == 0)
    #expect(try DeviceNode.file(#filePath, sysfs: root + "/sys").get() == 3)
    guard case .failure(let error) = DeviceNode.file(#filePath, sysfs: sysfs) else {
      Issue.record("a file on an unknown device resolved")
      return
    }
    #expect(error.message.contains("no block device"))
  }

  @Test func devicesWithoutANodeAreErrorsThatSaySo() {
    #expect(error("netdev:eth1")?.contains("does not know its node") == true)
    #expect(error("netdev:lo")?.contains("not attached to a NUMA node") == true)
    #expect(error("netdev:eth9")?.contains("no network device 'eth9'") == true)
    #expect(error("netdev:eth9")?.contains("eth0, eth1, eth2, lo") == true)
    #expect(error("netdev:../eth0")?.contains("no '/'") == true)
    #expect(error("netdev:")?.contains("names no device") == true)
    #expect(error("file:/no/such/path")?.contains("cannot stat") == true)
  }

  @Test func devicesCombineWithNumbersLabelsAndTheRestOfNODES() throws {
    #expect(try NodeSpec.parse("netdev:eth0", in: context).get() == NodeSet([1]))
    #expect(try NodeSpec.parse("0,netdev:eth0", in: context).get() == NodeSet([0, 1]))
    #expect(try NodeSpec.parse("netdev:eth2,cxl0", in: context).get() == NodeSet([2]))
    #expect(try NodeSpec.parse("!netdev:eth0", in: context).get() == NodeSet([0]))
    var ranked = context
    ranked.environment = { $0 == "SLURM_LOCALID" ? "1" : nil }
    #expect(try NodeSpec.parse("rank:netdev:eth0,block:nvme0n1", in: ranked).get() == NodeSet([0]))
    guard case .failure(let failure) = NodeSpec.parse("netdev:eth1", in: context) else {
      Issue.record("eth1 has no node")
      return
    }
    #expect(failure.kind == .usage)
  }

  @Test func aDeviceOnAPrivateNodeFollowsThePrivateRules() throws {
    let roots = Fixture.roots("rfc-v4")
    var cxl0 = Fixture.declared(2, "cxl0", allowGroups: ["cram"])
    cxl0.kind = "expander"
    let machine = Machine(roots: roots, topology: Topology(roots: roots), declared: [cxl0])
    let status = try ProcessStatus.read(proc: roots.proc).get()
    let request = try OptionParser.parseLaunch(["-p", "netdev:eth2", "app"]).get()
    func plan(_ identity: Identity) -> LaunchPlan {
      Planner(machine: machine, identity: identity, names: Fixture.names, status: status, kernelRelease: "6.18.0").plan(request)
    }
    #expect(plan(Fixture.alice).failure == nil)
    #expect(plan(Fixture.alice).policy?.nodes == NodeSet([2]))
    #expect(plan(Fixture.bob).failure?.kind == .refused)
  }
}
