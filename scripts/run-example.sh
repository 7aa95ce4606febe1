#!/usr/bin/env bash
# The README's main job: installs what is missing, builds what it runs, and runs Plexus
# on this machine.
#
# It prints what `plexus-master --list-modules` prints for the shipped allocator
# module, starts a master and two agents on 127.0.0.1 in a fresh folder, runs the
# Monte Carlo pi framework (examples/pi: 20 tasks on its own executor) to completion,
# prints the estimate, where /state and the logs are, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# Only what this job runs: the daemons (plexus-agent brings plexus-executor and
# isolator_posix), the allocator module they load and the pi example; the tests
# and benchmarks are built by scripts/test.sh.
scripts/build.sh --target plexus-master --target plexus-agent --target allocator_drf \
  --target plexus-pi
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
echo "== plexus-pi --master=$master (examples/pi: 20 tasks on its own executor, on both agents)"
status=0
"$bin/plexus-pi" --master="$master" --tasks=20 || status=$?
if [ "$status" -ne 0 ]; then
  echo "run-example: plexus-pi failed (exit $status); the logs are in $run_dir" >&2
  exit "$status"
fi
echo
echo "== GET http://$master/metrics/snapshot (tasks and agents):"
curl -s "http://$master/metrics/snapshot" | tr ',' '\n' | grep -E 'tasks_finished|slaves_active|cpus_total'
curl -s "http://$master/state" >"$run_dir/master-state.json"
for i in 1 2; do
  agent_port=$(port_of "$run_dir/agent$i.log")
  curl -s "http://127.0.0.1:$agent_port/state" >"$run_dir/agent$i-state.json"
done
echo
echo "Everything ran in $run_dir:"
echo "  logs:       $run_dir/master.log, $run_dir/agent1.log, $run_dir/agent2.log"
echo "  sandboxes:  $run_dir/agent*/slaves/*/frameworks/*/executors/*/runs/*/{stdout,stderr}"
echo "  state:      $run_dir/master-state.json, agent1-state.json, agent2-state.json"
echo "              (saved from http://$master/state and each agent's /state)"
echo "While daemons run, the master serves http://<ip>:<port>/state, /metrics/snapshot and"
echo "/flags; each agent serves /state and /flags. The ones started here stop now."
