# Slurm stopped and everything 30-slurm-up set up removed.
#
#   slurm-down   the daemons stop
# cases: slurm-down

systemctl stop slurmd slurmctld munge
begin slurm-down
want "slurmd is still $(systemctl is-active slurmd)" sh -c '! systemctl is-active -q slurmd'
end
rm -rf /etc/privnuma /etc/slurm/plugstack.conf /usr/local/bin/privnuma /tmp/app
