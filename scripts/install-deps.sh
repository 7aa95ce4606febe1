#!/usr/bin/env bash
# Installs every Debian 12 package that Plexus needs to build and to run its tests,
# then (scripts/install-compat-deps.sh) Node.js and the npm packages of the
# compatibility suite. Idempotent: what is already present is left alone, so a
# second run is fast.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  libboost1.81-all-dev
  libprotobuf-dev protobuf-compiler
  libzookeeper-mt-dev zookeeper
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libssl-dev
  curl procps iproute2 file
  jq bc python3  # scripts/check-sdk.sh (jq), scripts/bench-wordcount.sh (bc, python3)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
  echo "install-deps: done"
fi

# The compatibility suite's third-party client library (Node.js and npm packages).
# Its failure (e.g. no registry) does not stop the build: compat_node_test then
# fails, naming scripts/install-compat-deps.sh.
if ! "$(dirname "$0")/install-compat-deps.sh"; then
  echo "install-deps: WARNING: scripts/install-compat-deps.sh failed; compat_node_test will fail" >&2
fi
