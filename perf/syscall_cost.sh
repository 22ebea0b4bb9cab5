#!/usr/bin/env bash
# What the eBPF driver adds to system calls, two ways, side by side in one
# run on the same machine:
#
#  1. In the kernel, per program run: the kernel's own BPF statistics
#     (kernel.bpf_stats_enabled=1; run_time_ns / run_cnt of each vigil
#     program over the loop), i.e. the nanoseconds one captured or one
#     filtered-out event costs in its BPF program. Precise, and immune to
#     the machine's other load.
#  2. End to end: the wall-clock time per iteration of a tight loop
#     (perf/syscall_loop.cpp) with the sensor attached against without it,
#     alternated ROUNDS times, as a ratio of medians. This includes the
#     kernel's tracepoint dispatch and vigil's userspace (trace to
#     /dev/null), and is as noisy as the machine.
#
# Scenarios: openat+close, fork+exec+wait, UDP connect, each with its kind
# captured; openat with the kind attached but every open filtered out in
# the kernel by a rule's path prefix; getppid (no program attached) while
# the sensor runs, which is the tax every system call pays once any
# syscall tracepoint is attached.
#
# Usage (root; build first: tools/build.sh):
#   perf/syscall_cost.sh [ROUNDS]      default 3
#   VIGIL_COST_ONLY=connect perf/syscall_cost.sh   only the scenarios named so
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vigil=$root/build/vigil
loop_bin=$root/build/perf/syscall_loop
rounds=${1:-3}
work=$(mktemp -d)
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
old_rt=$(sysctl -n kernel.sched_rt_runtime_us)
trap 'rm -rf "$work"; sysctl -qw kernel.bpf_stats_enabled="$old_stats"
      sysctl -qw kernel.sched_rt_runtime_us="$old_rt"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1
# No real-time throttling while the loop runs: a throttled loop would stall
# for tens of milliseconds inside whatever program it was running.
sysctl -qw kernel.sched_rt_runtime_us=-1

[[ -x $vigil && -x $loop_bin ]] || { echo "build first: tools/build.sh" >&2; exit 1; }

# The loop runs under SCHED_FIFO, so that the builds and tests of a shared
# machine do not preempt it: the kernel's run-time statistics would count
# the time a preempted program waits (syscall tracepoints are preemptible
# since 6.13) and the wall clock would count it twice.
loop() { chrt -f 50 "$loop_bin" "$@"; }

cat >"$work/filtered.yaml" <<'YAML'
- rule: open_under_nothing
  description: matches no open of the loop; every open is filtered in the kernel
  severity: low
  tags: [mitre.collection, mitre.T1005]
  kinds: [open]
  condition:
    file.path: {startswith: /vigil-nothing-here/}
YAML

# Sum of run_time_ns and run_cnt of every program named vigil_*, as "ns cnt".
prog_stats() {
  bpftool prog show -j | python3 -c '
import json, sys
ns = cnt = 0
for p in json.load(sys.stdin):
    if p.get("name", "").startswith("vigil_") and p.get("name") != "vigil_abi_anchor":
        ns += p.get("run_time_ns", 0); cnt += p.get("run_cnt", 0)
print(ns, cnt)'
}

start_vigil() {
  "$vigil" "$@" -o /dev/null 2>"$work/vigil.log" &
  vigil_pid=$!
  for _ in $(seq 300); do
    grep -q "pipeline: " "$work/vigil.log" && return 0
    kill -0 "$vigil_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/vigil.log" >&2
  echo "syscall_cost: vigil did not start" >&2
  exit 1
}

stop_vigil() {
  kill -TERM "$vigil_pid"
  wait "$vigil_pid" || true
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# run_scenario NAME LOOP ITERATIONS VIGIL-ARGS...
run_scenario() {
  local name=$1 what=$2 n=$3
  shift 3
  : >"$work/base" && : >"$work/with" && : >"$work/bpf"
  for _ in $(seq "$rounds"); do
    loop "$what" "$n" >>"$work/base"
    start_vigil "$@"
    read -r ns0 cnt0 < <(prog_stats)
    loop "$what" "$n" >>"$work/with"
    read -r ns1 cnt1 < <(prog_stats)
    stop_vigil
    echo "$((ns1 - ns0)) $((cnt1 - cnt0))" >>"$work/bpf"
  done
  local base with
  base=$(median <"$work/base")
  with=$(median <"$work/with")
  awk -v name="$name" -v base="$base" -v with="$with" '
    { ns += $1; cnt += $2 }
    END {
      per = cnt ? ns / cnt : 0
      printf "%-34s %12.1f %12.1f %8.3f %10.1f %12d\n", name, base, with, with / base, per, cnt
    }' "$work/bpf"
}

printf "%-34s %12s %12s %8s %10s %12s\n" scenario "base ns/op" "vigil ns/op" ratio \
  "bpf ns/run" "bpf runs"
only=${VIGIL_COST_ONLY:-}
scenario() { [[ -z $only || $1 == *"$only"* ]] && run_scenario "$@" || true; }
scenario "openat+close, open captured" open 200000 trace --kinds open
scenario "openat+close, open filtered" open 200000 run --rules "$work/filtered.yaml"
scenario "fork+exec+wait, exec captured" exec 2000 trace --kinds exec
scenario "UDP connect, connect captured" connect 100000 trace --kinds connect
scenario "getppid, nothing attached to it" getpid 1000000 trace --kinds connect
