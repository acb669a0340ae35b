# The README's srun commands (its "Under Slurm" section, a <!-- vm --> block),
# as alice in a directory with ./app (Slurm from 30-slurm-up):
#
#   slurm-readme-membind   srun privnuma -m 0 -- ./app: every page on node 0
#   slurm-readme-rank-N    srun -l -n 2 privnuma -p rank:2,3 -- ./app: every
#                          page of rank 0 on node 2, of rank 1 on node 3
# cases: slurm-readme-membind slurm-readme-rank-0 slurm-readme-rank-1

# rank_out N: rank N's lines of srun -l output in $ALL, without the label.
rank_out() { printf '%s\n' "$ALL" | sed -n "s/^ *$1: //p"; }

RUN_TIMEOUT=60
mkdir -p /tmp/readme-slurm
cp /tmp/app /tmp/readme-slurm/app
cd /tmp/readme-slurm || return 0
run run_as alice srun privnuma -m 0 -- ./app
begin slurm-readme-membind
want_rc 0
want_policy bind:0
want_all 0
end
run run_as alice srun -l -n 2 privnuma -p rank:2,3 -- ./app
ALL=$OUT
for rank in 0 1; do
    OUT=$(rank_out "$rank")
    begin "slurm-readme-rank-$rank"
    want_rc 0
    want_policy "prefer:$((rank + 2))"
    want_all "$((rank + 2))"
    end
done
cd /tmp || return 0
rm -rf /tmp/readme-slurm
