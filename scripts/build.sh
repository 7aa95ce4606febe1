#!/usr/bin/env bash
# Configures and builds Plexus into a build folder.
#   scripts/build.sh [--sanitize] [--build-dir DIR] [--target NAME]...
# --sanitize builds with AddressSanitizer and UndefinedBehaviorSanitizer (default dir build-asan).
# --target (repeatable) builds only those CMake targets and what they need; default: everything.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_dir=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=ON ;;
    --build-dir) build_dir="$2"; shift ;;
    --target) targets+=(--target "$2"); shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$build_dir" ]; then
  if [ "$sanitize" = ON ]; then build_dir=build-asan; else build_dir=build; fi
fi

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DPLEXUS_SANITIZE="$sanitize"
else
  cmake -S . -B "$build_dir" -DPLEXUS_SANITIZE="$sanitize" >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
echo "build.sh: built into $build_dir"
