#!/usr/bin/env bash
# The one test command (README, "Quick start"; CI runs it through .ci/run):
# installs what is missing, checks the formatting, builds everything (tests and
# benchmarks included) and runs every test suite. The tests run as root,
# through sudo when test.sh is not: the live eBPF tests load programs.
#
# Runs the steps below in order and ends with a summary of each one's result
# and time. A failed step that later ones cannot do without (set-up, build)
# skips them; any other failure lets the rest run. Exits 1 if any step failed.
#
# Usage: tools/test.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

as_root=()
if ((EUID != 0)); then
  as_root=(sudo --)
fi

step_setup() { tools/setup.sh; }
step_format() { tools/check-format.sh; }
step_build() { tools/build.sh -DVIGIL_BUILD_TESTS=ON -DVIGIL_BUILD_BENCH=ON; }
step_ctest() { "${as_root[@]}" ctest --test-dir build --output-on-failure --no-tests=error; }

# The steps: "<name> <on failure>", run as step_<name>. On failure "stop"
# skips every later step, "go" lets them run.
#
# Steps yet to come go at the end of this list, each with its step_<name>
# function above: the kernel-module tests under qemu, the perf gate.
steps=(
  "setup stop"
  "format go"
  "build stop"
  "ctest go"
)

# EPOCHREALTIME is seconds and microseconds, split by the locale's radix.
now_ms() { echo $((${EPOCHREALTIME//[!0-9]/} / 1000)); }

results=()
failed=()
stopped=""
for entry in "${steps[@]}"; do
  read -r name on_failure <<<"$entry"
  if [[ -n $stopped ]]; then
    results+=("$(printf '%-10s skipped (after %s failed)' "$name" "$stopped")")
    continue
  fi

  echo "== $name"
  start=$(now_ms)
  # A subshell outside any condition, so that set -e holds inside the step.
  set +e
  (
    set -e
    "step_$name"
  )
  rc=$?
  set -e
  ms=$(($(now_ms) - start))
  time=$(printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)))

  if ((rc == 0)); then
    results+=("$(printf '%-10s ok      %8s' "$name" "$time")")
  else
    results+=("$(printf '%-10s FAILED  %8s  (exit %d)' "$name" "$time" "$rc")")
    failed+=("$name")
    [[ $on_failure == stop ]] && stopped=$name
  fi
done

echo
echo "== summary"
printf '  %s\n' "${results[@]}"
if ((${#failed[@]} > 0)); then
  echo "test.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "test.sh: all ${#steps[@]} steps ok"
