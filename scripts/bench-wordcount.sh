#!/usr/bin/env bash
# bench-wordcount.sh [BUILD_DIR] [FILES] [MB_PER_FILE]: examples/wordcount at
# parallelism 1, 2 and 4 on the same input, against a master and two agents
# (cpus:4;mem:4096 each) on 127.0.0.1. Generates FILES (default 24) files of about
# MB_PER_FILE (default 2) MB of text, runs `plexus-wordcount --check` once per
# parallelism and prints, for each, the wall time of the whole run and the
# scheduler's own figure (subscribe to last partial count merged), next to the
# time a single process takes to count the same files. Figures only: it asserts
# nothing about speed. Stops what it starts and removes what it made.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
files="${2:-24}"
mb="${3:-2}"
bin="$build/bin"
work="$(mktemp -d /tmp/plexus-bench-wordcount.XXXXXX)"
pids=()
source "$repo/scripts/lib/daemons.sh"
cleanup() {
  stop_started
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work/input" "$files" "$mb" <<'PY'
import os, random, sys
out, files, mb = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
os.makedirs(out)
rng = random.Random(42)
vocabulary = ["w%d" % i for i in range(20000)]
weights = [1.0 / (i + 1) for i in range(len(vocabulary))]
for f in range(files):
    words = rng.choices(vocabulary, weights, k=int(mb * 1024 * 1024 / 6))
    with open(os.path.join(out, "part-%03d.txt" % f), "w") as fh:
        for i in range(0, len(words), 12):
            fh.write(" ".join(words[i:i + 12]) + ".\n")
PY
echo "input: $files files, $(du -sh "$work/input" | cut -f1) in $work/input"

start_daemon master "$bin/plexus-master" --work_dir="$work/master" --allocation_interval=100ms
master="127.0.0.1:$port"
for i in 1 2; do
  start_daemon "agent$i" "$bin/plexus-agent" --master="$master" --work_dir="$work/agent$i" \
    --resources="cpus:4;mem:4096"
done
sleep 1

printf "%-12s %10s %14s %16s\n" parallelism "wall (s)" "scheduler (s)" "one process (s)"
for parallelism in 1 2 4; do
  begin=$(date +%s.%N)
  "$bin/plexus-wordcount" --master="$master" --parallelism="$parallelism" --check \
    --task_resources="cpus:1;mem:256" "$work"/input/*.txt >"$work/run-$parallelism.log" 2>&1 ||
    { cat "$work/run-$parallelism.log"; exit 1; }
  end=$(date +%s.%N)
  scheduler="$(sed -n 's/^Counted with .* in \([0-9.]*\) s$/\1/p' "$work/run-$parallelism.log")"
  single="$(sed -n 's/^Check: a single-process count agrees (\([0-9.]*\) s)$/\1/p' "$work/run-$parallelism.log")"
  printf "%-12s %10.3f %14s %16s\n" "$parallelism" "$(echo "$end - $begin" | bc)" "$scheduler" "$single"
done
grep -E "^Total:" "$work/run-4.log"
echo "(the machine has $(nproc) cores)"
