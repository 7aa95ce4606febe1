#!/usr/bin/env bash
# Installs what the compatibility suite (ctest -L compat) needs besides Debian's
# build packages: Node.js and npm (Debian's `nodejs npm` when `node` is missing),
# then the third-party Mesos client library mesos-framework and its dependencies,
# exactly as tests/compat/node/package-lock.json pins them (`npm ci`), into
# tests/compat/node/node_modules. Called by scripts/install-deps.sh.
# Idempotent and offline-safe: when node_modules already matches the lock file
# (a stamp holds the lock file's checksum), nothing is fetched.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "install-compat-deps: installing Debian's nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends nodejs npm
fi

dir=tests/compat/node
stamp="$dir/node_modules/.plexus-lock-sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f "$dir/node_modules/mesos-framework/package.json" ]; then
  echo "install-compat-deps: $dir/node_modules matches package-lock.json"
  exit 0
fi
echo "install-compat-deps: npm ci in $dir (node $(node --version), npm $(npm --version))"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
echo "install-compat-deps: installed $(cd "$dir" && npm ls --all --parseable 2>/dev/null | tail -n +2 | wc -l) packages, mesos-framework $(node -p "require('./$dir/node_modules/mesos-framework/package.json').version")"
