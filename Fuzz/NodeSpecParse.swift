/// libFuzzer target for `NodeSpec.parse` (the NODES grammar) over a small machine: general
/// nodes 0-1, private nodes 2 (`cxl0`, usable) and 3 (`zram`, not usable), all four in the
/// cpuset, local rank 1.
let fuzzContext = NodeContext(
  present: NodeSet([0, 1, 2, 3]), general: NodeSet([0, 1]), memsAllowed: NodeSet([0, 1, 2, 3]),
  privateNodes: NodeSet([2, 3]), usablePrivate: NodeSet([2]), labels: [(label: "cxl0", id: 2), (label: "zram", id: 3)],
  environment: { $0 == "SLURM_LOCALID" ? "1" : nil })

@_cdecl("LLVMFuzzerTestOneInput")
public func nodeSpecParseFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  switch NodeSpec.parse(text, in: fuzzContext) {
  case .failure(let failure):
    precondition(failure.kind == .usage || failure.kind == .refused, "NODES errors are usage or refusals")
    precondition(!failure.message.isEmpty, "errors say what is wrong")
  case .success(let nodes):
    precondition(!nodes.isEmpty, "an accepted NODES names a node")
    precondition(nodes.subtracting(fuzzContext.present).isEmpty, "only nodes that exist")
    // A private node enters only when named: by number (a digit), by label, or by 'private'.
    let namesPrivate = text.contains(where: { $0.isASCII && $0.isNumber }) || text.contains("private")
      || text.contains("zram") || text.contains("cxl0")
    if !namesPrivate {
      precondition(nodes.intersection(fuzzContext.privateNodes).isEmpty, "no private node unless named")
    }
  }
  return 0
}
