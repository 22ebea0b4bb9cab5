#!/usr/bin/env bash
# Checks that every C and C++ file of the repository is formatted as its
# .clang-format says (kernel style in bpf/, kmod/ and core/abi/, Google style
# at 100 columns elsewhere); with --fix, reformats them in place instead.
#
# Files: those git tracks plus new ones it does not ignore, minus the
# patterns of .clang-format-ignore, which clang-format 14 does not read itself.
# Exits 1 when a file needs formatting, naming each one; 2 on a usage or
# configuration error.
#
# Usage: tools/check-format.sh [--fix]
# CLANG_FORMAT picks the binary (default: clang-format; the configs are
# written for version 14, the one Debian 12 ships).
set -euo pipefail

fix=false
case "${1:-}" in
  "") ;;
  --fix) fix=true ;;
  *)
    echo "usage: tools/check-format.sh [--fix]" >&2
    exit 2
    ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "check-format: '$clang_format' not found; install Debian package 'clang-format'" \
    "(tools/setup.sh does)" >&2
  exit 2
fi

# The ignore patterns, a leading "/" dropped. Negated patterns ("!x") are
# refused rather than half-supported.
ignore=()
if [[ -f .clang-format-ignore ]]; then
  while read -r pattern; do
    [[ -z $pattern || $pattern == \#* ]] && continue
    if [[ $pattern == !* ]]; then
      echo "check-format: .clang-format-ignore: negated pattern '$pattern' is not supported" >&2
      exit 2
    fi
    ignore+=("${pattern#/}")
  done <.clang-format-ignore
fi

# A glob matches a path as in POSIX pathname matching, where no wildcard
# matches "/". Bash's [[ == ]] lets "*" cross "/", so the "/" counts must agree.
ignored() {
  local path=$1 pattern
  local slashes=${path//[!\/]/}
  for pattern in "${ignore[@]}"; do
    # shellcheck disable=SC2053 # the right-hand side is a glob on purpose
    if [[ $path == $pattern && ${pattern//[!\/]/} == "$slashes" ]]; then
      return 0
    fi
  done
  return 1
}

files=()
while IFS= read -r -d '' f; do
  if [[ -f $f ]] && ! ignored "$f"; then
    files+=("$f")
  fi
done < <(git ls-files -z --cached --others --exclude-standard -- \
  '*.c' '*.h' '*.cc' '*.cpp' '*.hpp' | sort -zu)
if ((${#files[@]} == 0)); then
  echo "check-format: no C or C++ files found" >&2
  exit 2
fi

if $fix; then
  "$clang_format" -i -- "${files[@]}"
  echo "check-format: formatted ${#files[@]} files"
  exit 0
fi

# One file at a time, so that each offender is named once. Any other error
# (a bad .clang-format, an unreadable file) is shown as it is.
bad=0
for f in "${files[@]}"; do
  if ! err=$("$clang_format" --dry-run --Werror -- "$f" 2>&1); then
    if [[ $err != *clang-format-violations* ]]; then
      printf 'check-format: clang-format failed on %s:\n%s\n' "$f" "$err" >&2
      exit 2
    fi
    echo "check-format: $f is not formatted; run: clang-format -i $f"
    bad=$((bad + 1))
  fi
done
if ((bad > 0)); then
  echo "check-format: $bad of ${#files[@]} files need formatting" \
    "(tools/check-format.sh --fix formats them all)"
  exit 1
fi
echo "check-format: ${#files[@]} files ok"
