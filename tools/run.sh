#!/usr/bin/env bash
# Installs what is missing, builds the sensor and runs it on this host with
# the default rule set (README, "Quick start"). Arguments are passed on to
# 'vigil run'. The sensor loads eBPF programs, so it runs as root: through
# sudo when run.sh is not.
#
# Usage: tools/run.sh [vigil run flags...]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/setup.sh"
"$root/tools/build.sh" --target vigil

# Absolute paths, so that relative paths among the flags keep meaning what
# they meant in the caller's directory.
cmd=("$root/build/vigil" run --rules "$root/rules/" "$@")
if ((EUID != 0)); then
  cmd=(sudo -- "${cmd[@]}")
fi
exec "${cmd[@]}"
