#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
#   scripts/test.sh [--sanitize] [ctest arguments...]
# --sanitize runs the same tests on the AddressSanitizer + UBSan build (build-asan).
set -euo pipefail
cd "$(dirname "$0")/.."

build_args=()
build_dir=build
if [ "${1:-}" = "--sanitize" ]; then
  build_args=(--sanitize)
  build_dir=build-asan
  shift
fi

scripts/install-deps.sh
scripts/build.sh "${build_args[@]}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
