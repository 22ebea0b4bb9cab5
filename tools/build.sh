#!/usr/bin/env bash
# Configures and builds Vigil in build/ with Ninja, RelWithDebInfo. Quiet when
# it works: each step's output goes to build/logs/<step>.log and is shown only
# when that step fails. Used by tools/run.sh and tools/test.sh.
#
# Usage: tools/build.sh [--target NAME] [cmake configure options...]
#   --target NAME  build only NAME (and what it needs) instead of everything
#   e.g. tools/build.sh -DVIGIL_SANITIZE=address,undefined
set -euo pipefail

target=()
if [[ ${1:-} == --target ]]; then
  target=(--target "${2:?usage: tools/build.sh [--target NAME] [cmake options...]}")
  shift 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
mkdir -p "$build/logs"

# Runs one step with its output in its log, which is shown if the step fails.
step() {
  local name=$1
  shift
  local log=$build/logs/$name.log
  echo "build: $name"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build: $name failed (output above, also in build/logs/$name.log)" >&2
    exit 1
  fi
}

step configure cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
step compile cmake --build "$build" "${target[@]}"
