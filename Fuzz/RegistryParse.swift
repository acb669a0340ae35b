/// libFuzzer target for `Registry.parse`: registry files are read under privilege, so any
/// input must end in a node or a usage error, never a crash, and an accepted node must
/// satisfy the rules the rest of privnuma relies on.
@_cdecl("LLVMFuzzerTestOneInput")
public func registryParseFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  switch Registry.parse(text, file: "fuzz.conf") {
  case .failure(let failure):
    precondition(failure.kind == .usage, "parse errors are usage errors")
    precondition(failure.message.hasPrefix("fuzz.conf:"), "parse errors name the file")
  case .success(let node):
    precondition((0...Registry.largestNodeId).contains(node.id), "node id in range")
    let label = Array(node.label.utf8)
    precondition(!label.isEmpty && label[0] >= UInt8(ascii: "a") && label[0] <= UInt8(ascii: "z"), "label starts with a letter")
    precondition(!nodeKeywords.contains(node.label), "label is not a keyword")
    precondition(node.capabilities.ruleViolation == nil, "capability rules hold")
    if let cgroup = node.cgroup {
      precondition(!cgroup.hasPrefix("/"), "cgroup is relative")
      for component in cgroup.split(separator: "/", omittingEmptySubsequences: false) {
        precondition(!component.isEmpty && component != "." && component != "..", "cgroup stays under the mount")
      }
    }
    precondition(node.allowUsers.map { !$0.isEmpty } ?? true, "AllowUsers is absent or names someone")
    precondition(node.allowGroups.map { !$0.isEmpty } ?? true, "AllowGroups is absent or names someone")
    precondition(node.source == "fuzz.conf" && !node.kernelPrivate && node.kernelBindable == nil, "kernel view left unset")
  }
  return 0
}
