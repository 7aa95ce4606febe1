#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and shows a running Plexus.
#
# For now (the kernel only) it prints what `plexus-master --list-modules` prints for
# the test fixture modules, then starts a master and an agent on 127.0.0.1, asks each
# for /health and /version, and stops them. Running a framework arrives with the
# master/agent issue.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
bin=build/bin
fixtures=build/tests/module/fixtures
run_dir=$(mktemp -d /tmp/plexus-example.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

cat > "$run_dir/modules.json" <<JSON
{"libraries": [{"file": "$PWD/$fixtures/libfixture_good_modules.so",
                "modules": [{"name": "fixture_hook", "parameters": [{"key": "label", "value": "example"}]},
                            {"name": "fixture_isolator"}]}]}
JSON

echo "== plexus-master --modules=$run_dir/modules.json --list-modules"
"$bin/plexus-master" --modules="$run_dir/modules.json" --list-modules

# Port 0: each daemon picks a free port and logs it; read it back from the log.
"$bin/plexus-master" --port=0 --work_dir="$run_dir/master" \
  --modules="$run_dir/modules.json" --hooks=fixture_hook 2>"$run_dir/master.log" &
pids+=($!)
"$bin/plexus-agent" --port=0 --work_dir="$run_dir/agent" \
  --modules="$run_dir/modules.json" --isolation=fixture_isolator 2>"$run_dir/agent.log" &
pids+=($!)

port_of() {
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$1" | head -n 1)
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    sleep 0.1
  done
  echo "run-example: no 'listening on' line in $1; logs follow" >&2
  cat "$run_dir"/*.log >&2
  return 1
}
master_port=$(port_of "$run_dir/master.log")
agent_port=$(port_of "$run_dir/agent.log")

wait_for() {
  for _ in $(seq 1 100); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "run-example: $1 did not answer; logs follow" >&2
  cat "$run_dir"/*.log >&2
  return 1
}
for port in "$master_port" "$agent_port"; do
  wait_for "http://127.0.0.1:$port/health"
  echo "== GET http://127.0.0.1:$port/health -> $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")"
  echo "== GET http://127.0.0.1:$port/version -> $(curl -s "http://127.0.0.1:$port/version")"
done
echo "== master log:"; cat "$run_dir/master.log"
echo "== agent log:"; cat "$run_dir/agent.log"
echo
echo "Plexus built into build/ (binaries in build/bin). Start a master with"
echo "  build/bin/plexus-master --help"
echo "and look at http://127.0.0.1:5050/health and /version; its log goes to stderr."
