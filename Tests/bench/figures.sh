# Figures of a bench run (sourced by Tests/bench/run and Tests/bench/scale): each is printed
# as it is measured and appended to $BENCH_FIGURES (tab-separated: key, value, unit, target,
# what), so the end of the run can set it beside the previous run's.

# figure KEY VALUE UNIT WHAT [TARGET]: TARGET is "<= 0.9", "< 50" and the like.
figure() {
  local key=$1 value=$2 unit=$3 what=$4 target=${5:-}
  value=$(printf '%.3f' "$value")
  value=${value%.000}
  printf '%-62s %12s %-5s %s\n' "$what" "$value" "$unit" "${target:+(target $target)}"
  printf '%s\t%s\t%s\t%s\t%s\n' "$key" "$value" "$unit" "$target" "$what" >>"$BENCH_FIGURES"
}

# compare_figures DIR: the table of this run beside DIR/last.tsv, each target met or missed;
# then this run becomes DIR/last.tsv (and a copy goes to DIR/history/).
compare_figures() {
  local dir=$1
  mkdir -p "$dir/history"
  python3 - "$BENCH_FIGURES" "$dir/last.tsv" <<'PY'
import os, sys

def load(path):
    rows = {}
    if os.path.exists(path):
        for line in open(path):
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 5 and not line.startswith("#"):
                rows[parts[0]] = parts
    return rows

new, old = load(sys.argv[1]), load(sys.argv[2])
order = [line.split("\t")[0] for line in open(sys.argv[1])]
stamp = ""
if os.path.exists(sys.argv[2]):
    first = open(sys.argv[2]).readline()
    stamp = first[2:].strip() if first.startswith("# ") else ""
print("== all figures: this run beside the previous one%s ==" % (" (%s)" % stamp if stamp else " (none saved yet)"))
print("%-22s %12s %12s %8s %-6s %-9s %s" % ("figure", "previous", "now", "change", "unit", "target", "met"))
missed = 0
for key in order:
    _, value, unit, target, what = new[key]
    previous = old.get(key, [None, "-"])[1]
    change = "-"
    try:
        if float(previous) != 0:
            change = "%+.0f%%" % ((float(value) / float(previous) - 1) * 100)
    except ValueError:
        pass
    met = ""
    if target:
        op, bound = target.split()
        ok = float(value) <= float(bound) if op == "<=" else float(value) < float(bound)
        met = "yes" if ok else "MISSED"
        missed += 0 if ok else 1
    print("%-22s %12s %12s %8s %-6s %-9s %s" % (key, previous, value, change, unit, target.replace(" ", ""), met))
print("%d of %d targets met" % (sum(1 for k in order if new[k][3]) - missed, sum(1 for k in order if new[k][3])))
PY
  {
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo none), load $(cut -d' ' -f1-3 /proc/loadavg)"
    cat "$BENCH_FIGURES"
  } >"$dir/last.tsv.new"
  cp "$dir/last.tsv.new" "$dir/history/$(date -u +%Y%m%dT%H%M%S).tsv"
  mv "$dir/last.tsv.new" "$dir/last.tsv"
  echo "figures saved in $dir/last.tsv"
}
