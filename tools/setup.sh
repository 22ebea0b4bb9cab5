#!/usr/bin/env bash
# Installs every Debian package Vigil needs to build, test and run (Debian 12).
# Safe to run again: when all of them are installed it changes nothing and
# touches no network; otherwise it runs one 'apt-get update' and one
# 'apt-get install'. Non-interactive. As root it calls apt-get directly,
# otherwise through sudo. apt's output is shown only when it fails.
#
# Usage: tools/setup.sh
set -euo pipefail

packages=(
  # Build
  build-essential cmake ninja-build pkg-config git
  # eBPF driver: BPF compiler, libbpf, skeleton generator
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
  # Userspace libraries
  liburing-dev libhyperscan-dev libmimalloc-dev libconcurrentqueue-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libpcre2-dev libsystemd-dev libcurl4-openssl-dev libcap-dev libcpp-httplib-dev
  # Tests and benchmarks; the real counterparts the outputs are tested
  # against (rsyslogd; nginx with its echo module; openssl for a test
  # certificate) and systemd-analyze for the unit
  libgtest-dev libgmock-dev libbenchmark-dev
  rsyslog nginx-light openssl systemd
  # Tools: formatting, scripts, vmlinux.h regeneration (kernel images are
  # LZ4-, zstd- or xz-compressed)
  clang-format python3 lz4 zstd xz-utils
)

say() { echo "setup: $*"; }

# Runs a command as root, its output kept in $log and shown only on failure.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
as_root() {
  local sudo=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null; then
      say "not root and no sudo: run tools/setup.sh as root" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >"$log" 2>&1; then
    cat "$log" >&2
    say "'$*' failed" >&2
    exit 1
  fi
}

say "checking ${#packages[@]} packages"
# dpkg-query names installed packages with status "ii"; unknown ones only
# on stderr, so whatever is not listed "ii" is missing.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
  awk '$1 == "ii" { print $2 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  say "all installed"
  exit 0
fi

say "missing: ${missing[*]}"
say "apt-get update"
as_root apt-get -q update
say "apt-get install ${#missing[@]} packages"
as_root apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 install "${missing[@]}"
say "done"
