# A batch script whose step is a privnuma launch (Slurm from 30-slurm-up):
#
#   slurm-batch   sbatch --wait of a script with srun privnuma -p cxl1: its
#                 pages on node 3
# cases: slurm-batch

RUN_TIMEOUT=90
cat > /tmp/job.sh <<'EOF2'
#!/bin/sh
#SBATCH --mem=200M
srun privnuma -p cxl1 -- workload 32
EOF2
chmod 0755 /tmp/job.sh
rm -f /tmp/job.out
run run_as alice sbatch --wait -o /tmp/job.out /tmp/job.sh
OUT=$(cat /tmp/job.out 2>/dev/null)
begin slurm-batch
want_rc 0
want_policy prefer:3
want_all 3
end
rm -f /tmp/job.sh /tmp/job.out
