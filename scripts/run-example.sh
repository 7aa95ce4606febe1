#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and runs Plexus on this machine.
#
# It prints what `plexus-master --list-modules` prints for the shipped allocator
# module, starts a master and two agents on 127.0.0.1 in a fresh folder, runs a
# task through them with plexus-execute, shows /state and the logs, and stops
# everything it started. (The Monte Carlo pi framework will take plexus-execute's
# place when examples/pi lands.)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
bin=$PWD/build/bin
run_dir=$(mktemp -d /tmp/plexus-example.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== plexus-master --list-modules (the shipped allocator, loaded by name)"
"$bin/plexus-master" --list-modules \
  --modules='{"libraries":[{"name":"allocator_drf","modules":[{"name":"allocator_drf"}]}]}'

# Port 0: each daemon picks a free port and logs it; read it back from the log.
port_of() {
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$1" | head -n 1)
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    sleep 0.1
  done
  echo "run-example: no 'listening on' line in $1; its log follows" >&2
  cat "$1" >&2
  return 1
}

"$bin/plexus-master" --port=0 --work_dir="$run_dir/master" 2>"$run_dir/master.log" &
pids+=($!)
master_port=$(port_of "$run_dir/master.log")
master=127.0.0.1:$master_port
for i in 1 2; do
  "$bin/plexus-agent" --port=0 --master="$master" --work_dir="$run_dir/agent$i" \
    --resources="cpus:2;mem:1024" 2>"$run_dir/agent$i.log" &
  pids+=($!)
done
for i in 1 2; do
  for _ in $(seq 1 100); do
    grep -q "Registered with master" "$run_dir/agent$i.log" && break
    sleep 0.1
  done
done

echo
echo "== plexus-execute --master=$master --command='echo hello from Plexus'"
"$bin/plexus-execute" --master="$master" --name=example --command='echo hello from Plexus'
echo
echo "== the task's stdout:"
find "$run_dir" -path '*/runs/*/stdout' -exec cat {} \;
echo
echo "== GET http://$master/metrics/snapshot (tasks and agents):"
curl -s "http://$master/metrics/snapshot" | tr ',' '\n' | grep -E 'tasks_finished|slaves_active|cpus_total'
echo
echo "Everything ran in $run_dir: master.log, agent1.log, agent2.log and the sandboxes."
echo "While a master runs, its state is at http://<ip>:<port>/state and its metrics at"
echo "/metrics/snapshot (here http://$master/state; the daemons stop when this script ends)."
