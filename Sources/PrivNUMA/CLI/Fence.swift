/// `privnuma fence status|apply`: the cgroup cpuset fence that keeps `cpuset`-backend private
/// nodes private on kernels without N_MEMORY_PRIVATE (DESIGN §1, §3).
///
/// A fence has two halves. Each private node has an opt-in cgroup whose `cpuset.mems` is the
/// open nodes plus that node; every other cgroup that holds processes has effective mems
/// without it. On cgroup v2 the root cgroup's mems cannot be narrowed (they are every node),
/// so `apply` moves processes left in the root cgroup to `/privnuma-general`.
///
/// "Open nodes" are the nodes with memory that no cpuset fence holds: the general nodes, plus
/// any kernel-backend or unfenced private node, which every cgroup keeps so that those still
/// work as their own backend says.
extension Command {
  static let fence = Command(
    name: "fence", summary: "the cpuset fence of each private node: status, apply or remove (root)",
    synopsis: "status|apply|remove",
    about: "The cgroup cpuset fence that keeps cpuset-backend private nodes private: its state, or setting it up.",
    options: [], operands: .words(["status", "apply", "remove"]),
    examples: ["privnuma fence status --json", "sudo privnuma fence apply --dry-run && sudo privnuma fence apply"],
    manual: "",
    subcommands: [
      Command(
        name: "status", summary: "whether each private node is fenced",
        synopsis: "",
        about: "For each private node: its backend; for the cpuset backend, its opt-in cgroup (exists? cpuset.mems holds the open nodes and the node?) and every cgroup and process outside it that can still allocate there, including processes left in the root cgroup. Exit 0 when every private node is fenced, 1 when one is not.",
        options: common, operands: .none, examples: [],
        manual: #"""
        For each private node, its backend; for a
        .B cpuset
        node, its opt-in cgroup (does it exist, does its
        .I cpuset.mems
        hold the open nodes and the node) and every cgroup and process outside it that can still
        allocate there, including processes left in the root cgroup.
        Exit 0 when every private node is fenced, 1 when one is not.
        """#,
        run: Fence.status),
      Command(
        name: "apply", summary: "create the opt-in cgroups and narrow the others (root)",
        synopsis: "[--dry-run] [--json]",
        about: "(root) Creates each opt-in cgroup under the cgroup v2 mount with cpuset.mems = open nodes + the node, narrows every other cgroup's cpuset.mems so that only the opt-in cgroups reach private nodes, and moves processes out of the root cgroup into \(Fence.generalCgroup). Idempotent; prints each change. --dry-run prints what it would change and changes nothing (any user may run it). Where systemd is PID 1 the fence is systemd configuration instead: drop-ins under /etc/systemd/system (slice.d/, init.scope.d/, mount.d/ and swap.d/ keep every slice and unit outside one on the open nodes; each opt-in slice, named by Cgroup= as privnuma.slice/privnuma-LABEL.slice, adds its node), then daemon-reload; nothing is moved, and systemd applies it to every slice, now, after reloads and after reboots. On a Slurm node whose /etc/slurm/plugstack.conf loads privnuma_spank.so, system.slice and slurmstepd's scope keep the private nodes for the SPANK plugin to grant per task, and every service, socket and scope is fenced by type instead (service.d/, socket.d/, scope.d/); the dry run and fence status say which layout applies. --dry-run shows the files. --json prints every step (planned or done, values before and after), the verdict and any error as one document.",
        options: common + [.dryRun], operands: .none, examples: [],
        manual: #"""
        (root) Creates each opt-in cgroup under the cgroup v2 mount with
        .I cpuset.mems
        = open nodes + its node, narrows every other cgroup that holds processes so its effective
        mems exclude the fenced nodes, and moves processes left in the root cgroup (whose mems
        cannot be narrowed) to
        .IR /privnuma\-general .
        Idempotent; prints each change.
        .BR \-n ", " \-\-dry\-run
        prints what it would change and changes nothing.
        .I Open nodes
        are the general nodes plus kernel-backend and unfenced private nodes.
        .IP
        Where systemd is PID 1 the fence is systemd configuration instead: drop-ins under
        .I /etc/systemd/system
        .RI ( slice.d/ ,
        .IR init.scope.d/ ,
        .I mount.d/
        and
        .I swap.d/
        .B 90\-privnuma\-fence.conf
        set
        .B AllowedMemoryNodes=
        to the open nodes for every slice and for the units outside any slice; each opt-in slice,
        which
        .B Cgroup=
        names as
        .IR privnuma.slice/privnuma\-LABEL.slice ,
        gets
        .B 91\-privnuma\-opt\-in.conf
        adding its node), then
        .BR "systemctl daemon\-reload" .
        Nothing is moved; systemd applies the fence to every slice, now, after reloads and after
        reboots.
        .B \-\-dry\-run
        shows the files.
        .IP
        On a Slurm node whose
        .I /etc/slurm/plugstack.conf
        (or a file in
        .IR plugstack.conf.d/ )
        loads
        .BR privnuma_spank.so ,
        Slurm copies the cpuset of slurmstepd's scope into every job, so
        .I system.slice
        and
        .RI [ NODENAME _] slurmstepd.scope
        get
        .B 91\-privnuma\-slurm.conf
        keeping the private nodes, for the plugin to grant per task, and every service, socket
        and scope is fenced by type instead
        .RI ( service.d/ ,
        .IR socket.d/ ,
        .IR scope.d/ );
        units named
        .BI privnuma\- NAME .service
        or
        .BI privnuma\- NAME .scope
        (the login launch's scope) take what their slice allows.
        The dry run and
        .B fence status
        say which layout applies.
        .B \-\-json
        prints the plan or the result as one document: every step with the file or unit, the
        values before and after and its outcome, and the error that stopped it, with the same exit
        status.
        """#,
        documentsFailures: true, run: Fence.apply),
      Command(
        name: "remove", summary: "delete the fence's systemd drop-ins and reload systemd (root)",
        synopsis: "[--dry-run] [--json]",
        about: "(root) Where systemd is PID 1: deletes every drop-in 'fence apply' wrote under /etc/systemd/system, runs daemon-reload, so the private nodes are open to every slice again, and stops the opt-in slices that hold no process (naming those that still do). Slices running now keep their cpuset.mems until they restart. Needs no registry; exit 0 when there is nothing to remove. --dry-run lists the files and slices; --json prints the steps as one document.",
        options: [.json, .launch(.help), .dryRun], operands: .none, examples: [],
        manual: #"""
        (root) Where systemd is PID 1: deletes every drop-in
        .B fence apply
        wrote under
        .I /etc/systemd/system
        and runs
        .BR "systemctl daemon\-reload" ,
        so the private nodes are open to every slice again, and stops each opt-in slice that
        holds no process (it names those that still do; they stay until their units end).
        Slices running now keep their
        .I cpuset.mems
        until they restart or the machine reboots.
        Needs no registry; exit 0 when there is nothing to remove.
        .BR \-n ", " \-\-dry\-run
        lists the files and slices;
        .B \-\-json
        prints the steps as one document.
        """#,
        documentsFailures: true, run: Fence.remove),
    ],
    run: nil)
}

extension Fence {
  static func status(_ options: Command.Arguments, _ environment: Environment) -> Result<Int32, Failure> {
    environment.reportIgnoredOverrides()
    return environment.machine(registry: options.value(.registry)).map { machine in
      let report = Report(machine: machine, systemd: environment.systemd)
      Diagnostics.output(report.text, json: report.json, asJSON: options.has(.json), machine: machine)
      return report.allFenced ? 0 : 1
    }
  }
}
