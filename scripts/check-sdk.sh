#!/usr/bin/env bash
# check-sdk.sh [BUILD_DIR]: the module SDK, end to end, as a module author outside
# this repository meets it. BUILD_DIR (default build/) must be built already.
#
#  1. runs the walkthrough of docs/modules.md as written: the ```sh blocks marked
#     `<!-- check_sdk runs this block -->`, in order, in one shell, from a folder
#     where `build` is BUILD_DIR, with HOME a temporary folder and /opt/plexus
#     standing for a temporary prefix (the only substitution): it installs the SDK,
#     copies spread_allocator out of the prefix's share folder, builds and tests it
#     with the guide's commands, and has a master load it (--list-modules);
#     then checks the guide against the installed package: the module API version
#     it gives, every Plexus:: target it names, and its C++ examples marked
#     `<!-- check_sdk compiles this block -->`, each built as a module and read
#     by plexus-module-info;
#  2. builds binpack_allocator and env_hook the same way from the share folder
#     (the guide's two commands) and runs their tests: the allocator and hook
#     conformance suites from the installed package, binpack's own test; then
#     the isolator suite on the installed isolator_posix and the authenticator
#     suite on tests/sdk/conformance_project's token_authenticator;
#  3. starts the installed plexus-master with spread_allocator and two agents,
#     runs four tasks (plexus-execute --instances=4 --placement=spread) and checks
#     in the master's /state that they ran two and two; then the same with
#     binpack_allocator (one agent with env_hook): four and none, and that
#     env_hook's variable reached the tasks on its agent;
#  4. refuses other C++ standards at configure time (-DCMAKE_CXX_STANDARD=20,
#     -std=c++20 in CMAKE_CXX_FLAGS) and a flag that changes the ABI tag
#     (-D_GLIBCXX_USE_CXX11_ABI=0) naming both tags; built anyway with
#     PLEXUS_ALLOW_ABI_MISMATCH=ON, the allocator links, plexus-module-info prints
#     both tags, and the master refuses to load it naming both tags (exit 1).
# Everything it starts and makes is stopped and removed on exit.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
work="$(mktemp -d /tmp/plexus-check-sdk.XXXXXX)"
prefix="$work/prefix"
share="$prefix/share/plexus/examples/modules"
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
# variable, so the author's commands stay exactly as the guide shows).
# The walkthrough runs with another HOME: keep ccache's folder.
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_DIR="${CCACHE_DIR:-$(ccache -k cache_dir)}"
fi
export CMAKE_GENERATOR="${CMAKE_GENERATOR:-Ninja}"

step "the walkthrough of docs/modules.md, as written (/opt/plexus is $prefix)"
walkthrough="$(awk '/<!-- check_sdk runs this block -->/ { marked = 1; next }
  marked && /^```sh$/ { inside = 1; next }
  inside && /^```$/ { inside = 0; marked = 0; next }
  inside { print }' "$repo/docs/modules.md")"
[[ "$(echo "$walkthrough" | grep -c .)" -ge 5 ]] || die "docs/modules.md has no marked walkthrough"
mkdir -p "$work/home" "$work/src"
ln -s "$build" "$work/src/build"
printf '%s\n' "$walkthrough" | sed 's/^/  $ /'
(cd "$work/src" && HOME="$work/home" bash -euo pipefail -c "${walkthrough//\/opt\/plexus/$prefix}") \
  >"$work/walkthrough.log" 2>&1 || die "the walkthrough of docs/modules.md (see walkthrough.log above)"
grep -E "tests passed|^Allocator spread_allocator " "$work/walkthrough.log"
grep -q "^100% tests passed" "$work/walkthrough.log" && grep -q "^Allocator spread_allocator " "$work/walkthrough.log" ||
  die "the walkthrough did not pass spread_allocator's tests and load it"
for file in bin/plexus-master bin/plexus-agent bin/plexus-executor bin/plexus-module-info \
  lib/cmake/Plexus/PlexusConfig.cmake lib/plexus/modules/libplexus_allocator_drf.so \
  lib/plexus/modules/libplexus_isolator_posix.so include/plexus/module.hpp \
  include/plexus/v1/mesos.pb.h include/plexus/scheduler/mesos.hpp \
  share/plexus/examples/modules/binpack_allocator/CMakeLists.txt \
  share/plexus/examples/modules/spread_allocator/spread_allocator.cpp \
  share/plexus/examples/modules/env_hook/env_hook.cpp; do
  [[ -e "$prefix/$file" ]] || die "the install has no $file"
done
spread="$work/home/spread_allocator/build/libplexus_spread_allocator.so"
[[ -f "$spread" ]] || die "the walkthrough did not build $spread"

step "docs/modules.md against the installed package: API version, targets, C++ examples"
api_version="$(sed -n 's|^set(PLEXUS_MODULE_API_VERSION "\(.*\)")$|\1|p' "$prefix/lib/cmake/Plexus/PlexusConfig.cmake")"
grep -q "(\`plexus::kModuleApiVersion\`, now $api_version)" "$repo/docs/modules.md" ||
  die "docs/modules.md does not give the module API version as $api_version"
for target in $(grep -o 'Plexus::[a-z_]*[a-z]' "$repo/docs/modules.md" | sort -u); do
  grep -qF "add_library($target " "$prefix"/lib/cmake/Plexus/*Targets.cmake ||
    die "docs/modules.md names $target, which the installed package does not define"
done
echo "module API version $api_version; targets: $(grep -o 'Plexus::[a-z_]*[a-z]' "$repo/docs/modules.md" | sort -u | tr '\n' ' ')"
mkdir -p "$work/guide"
awk -v dir="$work/guide" '/<!-- check_sdk compiles this block -->/ { marked = 1; next }
  marked && /^```cpp$/ { inside = 1; n++; next }
  inside && /^```$/ { inside = 0; marked = 0; next }
  inside { print > (dir "/example_" n ".cpp") }' "$repo/docs/modules.md"
examples=("$work"/guide/example_*.cpp)
[[ ${#examples[@]} -ge 3 ]] || die "docs/modules.md has fewer than 3 marked C++ examples"
{
  echo 'cmake_minimum_required(VERSION 3.25)'
  echo 'project(guide_examples LANGUAGES CXX)'
  echo 'find_package(Plexus REQUIRED)'
  for source in "${examples[@]}"; do
    echo "plexus_add_module(NAME guide_$(basename "$source" .cpp) SOURCES $(basename "$source"))"
  done
} >"$work/guide/CMakeLists.txt"
(cd "$work/guide" && cmake -S . -B build -DCMAKE_PREFIX_PATH="$prefix" && cmake --build build) \
  >"$work/guide-build.log" 2>&1 || die "the guide's C++ examples do not build (see guide-build.log above)"
for library in "$work"/guide/build/libplexus_guide_example_*.so; do
  "$prefix/bin/plexus-module-info" "$library" >"$work/guide-info.log" 2>&1 ||
    die "plexus-module-info refuses the guide's example $(basename "$library"): $(cat "$work/guide-info.log")"
  echo "  $(basename "$library"): $(grep -E "^(Allocator|Isolator|Hook|RegistryStore|ContainerLogger) " "$work/guide-info.log")"
done

for example in binpack_allocator env_hook; do
  step "build $example from the installed share folder with the guide's two commands"
  cp -r "$share/$example" "$work/$example"
  (cd "$work/$example" && cmake -S . -B build -DCMAKE_PREFIX_PATH="$prefix" &&
    cmake --build build) >"$work/$example-build.log" 2>&1 ||
    die "building $example (see $example-build.log above)"
  step "tests of $example (conformance suite from the installed package)"
  ctest --test-dir "$work/$example/build" --output-on-failure >"$work/$example-ctest.log" 2>&1 ||
    die "$example's tests"
  grep -E "tests passed" "$work/$example-ctest.log"
done
step "isolator and authenticator conformance suites from the installed package"
(cd "$repo/tests/sdk/conformance_project" &&
  cmake -S . -B "$work/conformance_project" -DCMAKE_PREFIX_PATH="$prefix" &&
  cmake --build "$work/conformance_project") >"$work/conformance-build.log" 2>&1 ||
  die "building tests/sdk/conformance_project"
ctest --test-dir "$work/conformance_project" --output-on-failure >"$work/conformance-ctest.log" 2>&1 ||
  die "the isolator or authenticator conformance suite"
grep -E "tests passed" "$work/conformance-ctest.log"

binpack="$work/binpack_allocator/build/libplexus_binpack_allocator.so"
env_hook="$work/env_hook/build/libplexus_env_hook.so"
[[ -f "$binpack" && -f "$env_hook" ]] || die "the examples' libraries are missing"

state() { curl -sf "http://127.0.0.1:$master_port/state"; }

# run_four NAME LIBRARY MODULE [HOOK_AGENT_FLAGS...]: a master with the allocator,
# two agents (cpus:2;mem:1024; the first with the extra flags), four tasks spread
# one per offer; leaves /state in $work/NAME-state.json and "agent count" lines,
# every agent listed, in $per_agent.
run_four() {
  local name="$1" library="$2" module="$3"
  shift 3
  start_daemon "$name-master" "$prefix/bin/plexus-master" --work_dir="$work/$name-master" \
    --allocation_interval=100ms --allocator="$module" \
    --modules="{\"libraries\": [{\"file\": \"$library\", \"modules\": [{\"name\": \"$module\"}]}]}"
  master_port=$port
  start_daemon "$name-agent1" "$prefix/bin/plexus-agent" --master="127.0.0.1:$master_port" \
    --work_dir="$work/$name-agent1" --resources="cpus:2;mem:1024" "$@"
  agent1_port=$port
  start_daemon "$name-agent2" "$prefix/bin/plexus-agent" --master="127.0.0.1:$master_port" \
    --work_dir="$work/$name-agent2" --resources="cpus:2;mem:1024"
  for _ in $(seq 1 200); do
    [[ "$(state | jq '.slaves | length')" == 2 ]] && break
    sleep 0.05
  done
  [[ "$(state | jq '.slaves | length')" == 2 ]] || die "$name: the agents did not register"
  "$prefix/bin/plexus-execute" --master="127.0.0.1:$master_port" --name="$name" --instances=4 \
    --placement=spread --resources="cpus:0.2;mem:32" --command='echo "site=$PLEXUS_SITE"' \
    >"$work/$name-execute.log" 2>&1 || die "$name: the tasks failed"
  state >"$work/$name-state.json"
  per_agent="$(jq -r '([.. | objects | select(has("slave_id") and (.state? // "" | startswith("TASK_")))]
    | unique_by([.framework_id, .id])) as $tasks | .slaves[] | .id as $agent
    | "\($agent) \([$tasks[] | select(.slave_id == $agent)] | length)"' "$work/$name-state.json")"
  echo "$name: tasks per agent (master /state):"
  echo "$per_agent" | sed 's/^/  /'
}

step "master with spread_allocator, two agents, four tasks one per offer"
run_four spread "$spread" spread_allocator
[[ "$(echo "$per_agent" | awk '{print $2}' | sort | tr '\n' ' ')" == "2 2 " ]] ||
  die "spread_allocator did not run the four tasks two and two"
stop_started
pids=()

step "master with binpack_allocator, two agents (the first with env_hook), four tasks one per offer"
run_four binpack "$binpack" binpack_allocator --hooks=env_hook \
  --modules="{\"libraries\": [{\"file\": \"$env_hook\", \"modules\":
    [{\"name\": \"env_hook\", \"parameters\": [{\"key\": \"variables\", \"value\": \"PLEXUS_SITE=check-sdk\"}]}]}]}"
[[ "$(echo "$per_agent" | awk '{print $2}' | sort | tr '\n' ' ')" == "0 4 " ]] ||
  die "binpack_allocator did not run the four tasks on one agent"
packed="$(echo "$per_agent" | awk '$2 == 4 {print $1}')"
if [[ "$(jq -r --arg id "$packed" '.slaves[] | select(.id == $id) | .pid' "$work/binpack-state.json")" == *":$agent1_port" ]]; then
  grep -rqs "site=check-sdk" "$work/binpack-agent1" || die "env_hook's variable did not reach the tasks"
  echo "env_hook: the tasks saw PLEXUS_SITE=check-sdk"
else
  grep -rqs "site=check-sdk" "$work/binpack-agent2" && die "a task saw env_hook's variable on the agent without it"
  echo "env_hook: the tasks ran on the agent without the hook and saw no variable"
fi
stop_started
pids=()

step "another C++ standard is refused at configure time"
for flag in -DCMAKE_CXX_STANDARD=20 -DCMAKE_CXX_FLAGS=-std=c++20; do
  if (cd "$share/spread_allocator" && cmake -S . -B "$work/std" -DCMAKE_PREFIX_PATH="$prefix" "$flag") \
    >"$work/std-configure.log" 2>&1; then
    die "the package accepted $flag"
  fi
  message="$(tr -s ' \n' ' ' <"$work/std-configure.log")"
  [[ "$message" == *"Plexus modules are C++23"* ]] || die "the refusal of $flag does not say why: $message"
  echo "refused $flag: $(echo "$message" | grep -o '[^.]*Plexus modules are C++23[^.]*' | head -n 1)"
  rm -rf "$work/std"
done

step "an allocator built with another ABI tag (-D_GLIBCXX_USE_CXX11_ABI=0)"
if (cd "$share/spread_allocator" && cmake -S . -B "$work/mismatch" -DCMAKE_PREFIX_PATH="$prefix" \
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
(cd "$share/spread_allocator" && cmake -S . -B "$work/mismatch" -DPLEXUS_ALLOW_ABI_MISMATCH=ON &&
  cmake --build "$work/mismatch" --target spread_allocator) >"$work/mismatch-build.log" 2>&1 ||
  die "building the mismatched allocator anyway"
mismatched="$work/mismatch/libplexus_spread_allocator.so"
echo "built anyway: $(basename "$mismatched")"
set +e
"$prefix/bin/plexus-module-info" "$mismatched" >"$work/mismatch-info.log" 2>&1
status=$?
set -e
[[ $status == 1 ]] || die "plexus-module-info on the mismatched allocator exited $status, not 1"
grep -qF "ABI tag:            $other_tag" "$work/mismatch-info.log" &&
  grep -qF "this SDK's tag:     $installed_tag (DIFFERENT)" "$work/mismatch-info.log" ||
  die "plexus-module-info does not print both tags: $(cat "$work/mismatch-info.log")"
sed 's/^/  /' "$work/mismatch-info.log"
set +e
"$prefix/bin/plexus-master" --work_dir="$work/mismatch-master" --list-modules \
  --allocator=spread_allocator --modules="{\"libraries\": [{\"file\": \"$mismatched\",
  \"modules\": [{\"name\": \"spread_allocator\"}]}]}" >"$work/mismatch-master.log" 2>&1
status=$?
set -e
[[ $status == 1 ]] || die "the master loading a mismatched module exited $status, not 1"
refusal="$(tail -n 1 "$work/mismatch-master.log")"
[[ "$refusal" == *"'$other_tag'"* && "$refusal" == *"'$installed_tag'"* ]] ||
  die "the refusal does not name both tags: $refusal"
[[ "$refusal" != *"undefined symbol"* ]] || die "the refusal is an undefined symbol: $refusal"
echo "master refused (exit 1): $refusal"
echo "check-sdk: OK"
