/// Where an opt-in launch runs. The cgroup tree has owners — systemd, a job scheduler's step
/// daemon, a container runtime — and a process taken out of the cgroup its owner put it in
/// escapes that owner's limits, CPU binding, accounting and kill (DESIGN §11). So a launch
/// moves only where nobody else is hurt:
///
/// - already in the opt-in cgroup, or in any cgroup whose cpuset allows the nodes: it stays
///   (a service with `Slice=` the opt-in slice, a scheduler step granted the node);
/// - on a systemd host, from a login session's scope: systemd itself starts a transient
///   scope in the opt-in slice around it, as `systemd-run --scope` does, and knows it there;
/// - on a host without systemd, from the root cgroup or a cgroup of the fence itself: it
///   joins the opt-in cgroup, which only privnuma's fence owns;
/// - anywhere else it is refused, with the cgroup, its mems and what to do instead.
public enum Placement: Equatable, Sendable {
  case stay
  /// Join the opt-in cgroup (absolute path under the mount).
  case join(String)
  /// Ask systemd for a transient scope in this slice.
  case scope(slice: String)
  case refuse(String)

  /// - Parameters:
  ///   - optIn: the opt-in cgroup relative to the mount, `/privnuma.slice/privnuma-cxl0.slice`.
  ///   - own: this process's cgroup (`/proc/self/cgroup`), nil when unreadable.
  ///   - mems: this process's `Mems_allowed`, what its cgroup allows now.
  ///   - fenceCgroups: cgroups the fence itself made (opt-in cgroups, the general cgroup).
  public static func decide(
    optIn: String, mount: String, nodes: NodeSet, own: String?, mems: NodeSet, systemd: Bool, fenceCgroups: [String]
  ) -> Placement {
    guard let own else {
      return .refuse("cannot read this process's cgroup from /proc/self/cgroup, so privnuma cannot tell who owns it; nothing was run")
    }
    if CgroupPath(own).isWithin(CgroupPath(optIn)) || nodes.isSubset(of: mems) { return .stay }
    let lacking = nodes.subtracting(mems)
    if systemd {
      let slice = SystemdFence.slice(ofCgroup: String(optIn.dropFirst()))
      if isLoginSession(own) {
        guard let slice else { return .refuse(SystemdFence.notASlice(String(optIn.dropFirst())) + "; fix Cgroup= in the registry") }
        return .scope(slice: slice)
      }
      let start = slice.map { "start it in the opt-in slice instead: Slice=\($0) in its unit, or 'systemd-run --slice=\($0) ...'" } ?? "start it in the opt-in slice"
      return .refuse("this process runs in cgroup \(own), which systemd (or a program it delegated to) manages and whose cpuset allows only nodes \(mems), not node \(lacking); privnuma does not take a process out of the unit its manager put it in: \(start)")
    }
    if own == "/" || fenceCgroups.contains(where: { CgroupPath(own).isWithin(CgroupPath($0)) }) {
      return .join(mount + optIn)
    }
    return .refuse("this process runs in cgroup \(own), which privnuma's fence did not make (a service manager, a job scheduler or a container put it there) and whose cpuset allows only nodes \(mems), not node \(lacking); privnuma does not take a process out of a cgroup its owner put it in: have the owner allow node \(lacking) there, or start the program from the root cgroup or \(fenceCgroups.last ?? "the fence's general cgroup")")
  }

  /// A logind session's scope (`/user.slice/user-1000.slice/session-4.scope`): the process of
  /// a login shell, which `systemd-run --scope` may move, as privnuma's scope does.
  public static func isLoginSession(_ cgroup: String) -> Bool {
    guard let last = cgroup.split(separator: "/").last else { return false }
    return last.hasPrefix("session-") && last.hasSuffix(".scope")
  }
}
