# Slurm 22.05 with privnuma's SPANK plugin, all real (scenarios 30-39): this
# file starts munge, slurmctld and slurmd with proctrack/cgroup, task/cgroup +
# task/affinity, cgroup/v2, ConstrainCores and ConstrainRAMSpace, the plugin
# in plugstack.conf as the README has it, and a registry where node 2 is cxl0
# and node 3 is cxl1, both for group cram (alice; not bob).  Slurm keeps
# running for 31-38; 39-slurm-down stops it and removes all of it.
#
#   slurm-up    the node comes up idle with the plugin loaded
# cases: slurm-up

have_privnuma slurm-up || return 0

plugin=/usr/local/lib/privnuma/privnuma_spank.so
if [ ! -f "$plugin" ]; then
    fail slurm-up "the SPANK plugin $plugin is not in the guest (make slurm-plugin on the host)"
    return 0
fi

umask 022
mkdir -p /etc/privnuma/nodes.d
for n in 2 3; do
    cat > "/etc/privnuma/nodes.d/5$((n - 2))-cxl$((n - 2)).conf" <<EOF2
[Node]
Id=$n
Label=cxl$((n - 2))
Capabilities=migration mempolicy reclaim demotion
AllowGroups=cram
Cgroup=privnuma.slice/privnuma-cxl$((n - 2)).slice
EOF2
done

mkdir -p /etc/slurm /var/log/slurm /var/lib/slurm/slurmd /var/lib/slurm/slurmctld
chown slurm: /var/log/slurm /var/lib/slurm/slurmctld
cat > /etc/slurm/slurm.conf <<EOF2
ClusterName=vm
SlurmctldHost=$(hostname)
AuthType=auth/munge
SlurmUser=slurm
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
KillWait=5
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/lib/slurm/slurmd
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
$(slurmd -C | head -n 1) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF2
cat > /etc/slurm/cgroup.conf <<'EOF2'
CgroupPlugin=cgroup/v2
ConstrainCores=yes
ConstrainRAMSpace=yes
EOF2
# privnuma where make install puts it; plugstack.conf as the README has it.
install -m 0755 /usr/bin/privnuma /usr/local/bin/privnuma
echo "required $plugin" > /etc/slurm/plugstack.conf

# ./app for the Slurm scenarios: its cgroup, then the workload (64 MiB
# touched unless told otherwise; its CPUs, mems, policy and pages per node).
cat > /tmp/app <<'EOF2'
#!/bin/sh
echo "cgroup $(sed -n 's/^0:://p' /proc/self/cgroup)"
exec workload "${1:-64}"
EOF2
chmod 0755 /tmp/app

[ -s /etc/munge/munge.key ] || { mungekey --create >/dev/null 2>&1 && chown munge: /etc/munge/munge.key; }
systemctl start munge slurmctld slurmd

begin slurm-up
want "slurmd is $(systemctl is-active slurmd)" systemctl is-active -q slurmd
want "slurmctld is $(systemctl is-active slurmctld)" systemctl is-active -q slurmctld
want "node state '$(node_state)' after 60 s, want idle" wait_for 60 node_idle
end
