#!/usr/bin/env bash
# Installs what is missing, builds the sensor and runs it on this host with
# the default rule set (README, "Quick start"). Arguments are passed on to
# 'vigil run'. The sensor loads eBPF programs, so it runs as root: through
# sudo when run.sh is not.
#
# Usage: tools/run.sh [vigil run flags...]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Set-up and build talk on stderr: stdout carries nothing but alerts.
"$root/tools/setup.sh" >&2
"$root/tools/build.sh" --target vigil >&2

# The checkout's rules, unless the caller names rules of their own. An
# absolute path, so that relative paths among the flags keep meaning what
# they meant in the caller's directory.
rules=(--rules "$root/rules/")
for arg in "$@"; do
  case $arg in
    -r | --rules | --rules=* | -r*) rules=() ;;
  esac
done
cmd=("$root/build/vigil" run "${rules[@]}" "$@")
if ((EUID != 0)); then
  cmd=(sudo -- "${cmd[@]}")
fi
exec "${cmd[@]}"
