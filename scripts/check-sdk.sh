#!/usr/bin/env bash
# check-sdk.sh [BUILD_DIR]: the module SDK, end to end, as a module author outside
# this repository meets it. BUILD_DIR (default build/) must be built already.
#
#  1. installs BUILD_DIR into a temporary prefix (cmake --install);
#  2. builds examples/modules/binpack_allocator and examples/modules/env_hook from
#     their own folders with exactly the two commands docs/modules.md shows;
#  3. runs their tests with ctest: the allocator and hook conformance suites from
#     the installed package, and binpack_allocator's own packing test;
#     then the isolator suite on the installed isolator_posix and the
#     authenticator suite on tests/sdk/conformance_project's token_authenticator;
#  4. starts the installed plexus-master with binpack_allocator named in --modules
#     and two installed plexus-agents (one with env_hook), runs a long task and
#     then four short ones, and checks that all five ran on one agent while the
#     other stayed empty, and that env_hook's variable reached the tasks;
#  5. configures tests/sdk/abi_mismatch_module with a flag that changes the ABI
#     tag (-D_GLIBCXX_USE_CXX11_ABI=0): the installed package refuses it naming
#     both tags; built anyway (PLEXUS_ALLOW_ABI_MISMATCH=ON), the master refuses
#     to load it, naming both tags, and exits 1.
# Everything it starts and makes is stopped and removed on exit.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
work="$(mktemp -d /tmp/plexus-check-sdk.XXXXXX)"
prefix="$work/prefix"
pids=()

source "$repo/scripts/lib/daemons.sh"

cleanup() {
  local status=$?
  stop_started
  if [[ $status -ne 0 ]]; then
    for log in "$work"/*.log; do
      [[ -f "$log" ]] && { echo "== $log"; tail -n 30 "$log"; }
    done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

step() { echo "== $*"; }
die() { echo "check-sdk: FAILED: $*" >&2; exit 1; }

# Module builds reuse the compiler cache when there is one (an environment
# variable, so the author's two commands stay exactly as the guide shows).
if command -v ccache >/dev/null; then export CMAKE_CXX_COMPILER_LAUNCHER=ccache; fi
export CMAKE_GENERATOR="${CMAKE_GENERATOR:-Ninja}"

step "install $build into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for file in bin/plexus-master bin/plexus-agent bin/plexus-executor lib/cmake/Plexus/PlexusConfig.cmake \
  lib/plexus/modules/libplexus_allocator_drf.so lib/plexus/modules/libplexus_isolator_posix.so \
  include/plexus/module.hpp include/plexus/v1/mesos.pb.h include/plexus/scheduler/mesos.hpp; do
  [[ -e "$prefix/$file" ]] || die "the install has no $file"
done

for example in binpack_allocator env_hook; do
  step "build examples/modules/$example against the installed SDK"
  (cd "$repo/examples/modules/$example" &&
    cmake -S . -B "$work/$example" -DCMAKE_PREFIX_PATH="$prefix" &&
    cmake --build "$work/$example") >"$work/$example-build.log" 2>&1 ||
    die "building $example (see $example-build.log above)"
  step "tests of $example (conformance suite from the installed package)"
  ctest --test-dir "$work/$example" --output-on-failure >"$work/$example-ctest.log" 2>&1 ||
    die "$example's conformance suite"
  grep -E "tests passed" "$work/$example-ctest.log"
  grep -E "^\[  PASSED  \]" "$work/$example-ctest.log" || true
done
step "isolator and authenticator conformance suites from the installed package"
(cd "$repo/tests/sdk/conformance_project" &&
  cmake -S . -B "$work/conformance_project" -DCMAKE_PREFIX_PATH="$prefix" &&
  cmake --build "$work/conformance_project") >"$work/conformance-build.log" 2>&1 ||
  die "building tests/sdk/conformance_project"
ctest --test-dir "$work/conformance_project" --output-on-failure >"$work/conformance-ctest.log" 2>&1 ||
  die "the isolator or authenticator conformance suite"
grep -E "tests passed" "$work/conformance-ctest.log"

binpack="$work/binpack_allocator/libplexus_binpack_allocator.so"
env_hook="$work/env_hook/libplexus_env_hook.so"
[[ -f "$binpack" && -f "$env_hook" ]] || die "the examples' libraries are missing"

state() { curl -sf "http://127.0.0.1:$master_port/state"; }

step "master with binpack_allocator, two agents (one with env_hook)"
start_daemon master "$prefix/bin/plexus-master" --work_dir="$work/master" --allocation_interval=100ms \
  --modules="{\"libraries\": [{\"file\": \"$binpack\", \"modules\": [{\"name\": \"binpack_allocator\"}]}]}" \
  --allocator=binpack_allocator
master_port=$port
for i in 1 2; do
  hook_flags=()
  if [[ $i == 1 ]]; then
    hook_flags=(--hooks=env_hook --modules="{\"libraries\": [{\"file\": \"$env_hook\", \"modules\":
      [{\"name\": \"env_hook\", \"parameters\": [{\"key\": \"variables\", \"value\": \"PLEXUS_SITE=check-sdk\"}]}]}]}")
  fi
  start_daemon "agent$i" "$prefix/bin/plexus-agent" --master="127.0.0.1:$master_port" \
    --work_dir="$work/agent$i" --resources="cpus:2;mem:1024" "${hook_flags[@]}"
done
for _ in $(seq 1 200); do
  [[ "$(state | jq '.slaves | length')" == 2 ]] && break
  sleep 0.05
done
[[ "$(state | jq '.slaves | length')" == 2 ]] || die "the agents did not register"

step "a long task, then four short ones"
"$prefix/bin/plexus-execute" --master="127.0.0.1:$master_port" --name=long \
  --command='sleep 60' >"$work/long.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 400); do
  [[ "$(state | jq '[.frameworks[].tasks[] | select(.state == "TASK_RUNNING")] | length')" == 1 ]] && break
  sleep 0.05
done
"$prefix/bin/plexus-execute" --master="127.0.0.1:$master_port" --name=short --instances=4 \
  --resources="cpus:0.2;mem:32" --command='echo "site=$PLEXUS_SITE"' >"$work/short.log" 2>&1 ||
  die "the short tasks failed"

state >"$work/state.json"
per_agent="$(jq -r '[.. | objects | select(has("slave_id") and (.state? // "" | startswith("TASK_")))]
  | unique_by([.framework_id, .id]) | group_by(.slave_id) | map("\(.[0].slave_id) \(length)") | .[]' \
  "$work/state.json")"
echo "tasks per agent:"
echo "$per_agent" | sed 's/^/  /'
[[ "$(echo "$per_agent" | wc -l)" == 1 && "$(echo "$per_agent" | awk '{print $2}')" == 5 ]] ||
  die "binpack_allocator spread the tasks over more than one agent"
packed="$(echo "$per_agent" | awk '{print $1}')"
empty="$(jq -r --arg packed "$packed" '.slaves[] | select(.id != $packed) | .id' "$work/state.json")"
[[ -n "$empty" ]] || die "no second agent in /state"
echo "packed onto $packed; $empty stayed empty (used: $(jq -c --arg id "$empty" \
  '.slaves[] | select(.id == $id) | .used_resources' "$work/state.json"))"
[[ "$(jq --arg id "$empty" '.slaves[] | select(.id == $id) | .used_resources.cpus' "$work/state.json")" == 0 ]] ||
  die "the other agent is not empty"
if [[ "$(jq -r --arg id "$packed" '.slaves[] | select(.id == $id) | .pid' "$work/state.json")" == *":$(
  sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/agent1.log" | head -n 1)" ]]; then
  grep -rqs "site=check-sdk" "$work/agent1" || die "env_hook's variable did not reach the tasks"
  echo "env_hook: the tasks saw PLEXUS_SITE=check-sdk"
else
  grep -rqs "site=check-sdk" "$work/agent2" && die "a task saw env_hook's variable on the agent without it"
  echo "env_hook: the tasks ran on the agent without the hook and saw no variable"
fi

step "a module built with another ABI tag"
mismatch_src="$repo/tests/sdk/abi_mismatch_module"
if (cd "$mismatch_src" && cmake -S . -B "$work/mismatch" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=0) >"$work/mismatch-configure.log" 2>&1; then
  die "the package accepted a compiler flag that changes the ABI tag"
fi
installed_tag="$(sed -n 's|^set(PLEXUS_ABI_TAG "\(.*\)")$|\1|p' "$prefix/lib/cmake/Plexus/PlexusConfig.cmake")"
other_tag="${installed_tag/cxx11abi1/cxx11abi0}"
[[ -n "$installed_tag" && "$other_tag" != "$installed_tag" ]] || die "cannot read the installed ABI tag"
configure_message="$(tr -s ' \n' ' ' <"$work/mismatch-configure.log")"
[[ "$configure_message" == *"'$other_tag'"* && "$configure_message" == *"'$installed_tag'"* ]] ||
  die "the configure-time refusal does not name both tags"
echo "configure refused, naming '$other_tag' and '$installed_tag'"
(cd "$mismatch_src" && cmake -S . -B "$work/mismatch" -DPLEXUS_ALLOW_ABI_MISMATCH=ON &&
  cmake --build "$work/mismatch") >"$work/mismatch-build.log" 2>&1 || die "building the mismatched module anyway"
"$prefix/bin/plexus-module-info" "$work/mismatch/libplexus_abi_mismatch_hook.so" >"$work/mismatch-info.log" 2>&1 &&
  die "plexus-module-info accepted the mismatched module"
set +e
"$prefix/bin/plexus-master" --work_dir="$work/mismatch-master" --list-modules \
  --modules="{\"libraries\": [{\"file\": \"$work/mismatch/libplexus_abi_mismatch_hook.so\",
  \"modules\": [{\"name\": \"abi_mismatch_hook\"}]}]}" >"$work/mismatch-master.log" 2>&1
status=$?
set -e
[[ $status == 1 ]] || die "the master loading a mismatched module exited $status, not 1"
refusal="$(tail -n 1 "$work/mismatch-master.log")"
[[ "$refusal" == *"'$other_tag'"* && "$refusal" == *"'$installed_tag'"* ]] ||
  die "the refusal does not name both tags: $refusal"
echo "master refused (exit 1): $refusal"
echo "check-sdk: OK"
