# Slurm stopped and everything 60-slurm-up set up removed.
#
#   slurm-down   the daemons stop

systemctl stop slurmd slurmctld munge
begin slurm-down
want "slurmd is still $(systemctl is-active slurmd)" sh -c '! systemctl is-active -q slurmd'
end
rm -rf /etc/privnuma /etc/slurm/plugstack.conf /usr/local/bin/privnuma /tmp/app
