#!/usr/bin/env bash
# Regenerates bpf/vmlinux/vmlinux.h, the kernel types the CO-RE programs are
# compiled against, from a pinned Debian kernel package and never from the
# build host's own BTF, so that every machine writes the same file:
#   1. apt-get download the kernel image package;
#   2. dpkg-deb -x it and take boot/vmlinuz-*, an x86 bzImage;
#   3. cut the compressed kernel out where the bzImage's boot header says it
#      lies (payload_offset, payload_length) and decompress it by its magic
#      (LZ4 for Debian 6.1, zstd, xz or gzip for others) into an ELF vmlinux,
#      checked against the uncompressed size the kernel build appends;
#   4. bpftool btf dump file <vmlinux> format c.
#
# Reproduced: with the default package, linux-image-6.1.0-57-cloud-amd64
# 6.1.192-3, and Debian 12's bpftool 7.1.0, this writes the committed
# bpf/vmlinux/vmlinux.h byte for byte (md5 63ffc76cc5423e56acb6343b6953c935).
# Another bpftool may print the same types in another order or form.
#
# Usage: tools/gen-vmlinux-h.sh [-o FILE] [PACKAGE[=VERSION] | FILE.deb]
#   PACKAGE  a Debian x86 kernel image package that apt can download
#            (default: the one above; needs apt lists: apt-get update),
#            or such a package already downloaded
#   -o FILE  write FILE instead of bpf/vmlinux/vmlinux.h
set -euo pipefail

default_package=linux-image-6.1.0-57-cloud-amd64=6.1.192-3

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bpf/vmlinux/vmlinux.h
usage="usage: tools/gen-vmlinux-h.sh [-o FILE] [PACKAGE[=VERSION] | FILE.deb]"
while getopts o: opt; do
  case $opt in
    o) out=$OPTARG ;;
    *)
      echo "$usage" >&2
      exit 2
      ;;
  esac
done
shift $((OPTIND - 1))
(($# <= 1)) || {
  echo "$usage" >&2
  exit 2
}
package=${1:-$default_package}

say() { echo "gen-vmlinux-h: $*"; }
die() {
  echo "gen-vmlinux-h: $*" >&2
  exit 1
}

# bpftool lives in /usr/sbin, which is not on a Debian user's PATH.
bpftool=$(PATH=$PATH:/usr/sbin:/sbin command -v bpftool) ||
  die "bpftool not found; install Debian package 'bpftool' (tools/setup.sh does)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The package, unless a .deb file was given. As root, apt fetches as its
# '_apt' user, which must be able to write the directory.
if [[ $package == *.deb && -f $package ]]; then
  deb=$package
else
  say "downloading $package"
  if ((EUID == 0)) && id _apt >/dev/null 2>&1; then
    chown _apt "$tmp"
  fi
  (cd "$tmp" && apt-get -q download "$package" >"$tmp/apt.log" 2>&1) || {
    cat "$tmp/apt.log" >&2
    die "cannot download '$package' (run 'apt-get update'; or name another package)"
  }
  debs=("$tmp"/*.deb)
  deb=${debs[0]}
fi
say "$(basename "$deb"), sha256 $(sha256sum "$deb" | cut -d' ' -f1)"

# 2. The bzImage.
dpkg-deb -x "$deb" "$tmp/pkg"
images=("$tmp"/pkg/boot/vmlinuz-*)
[[ -f ${images[0]} ]] || die "no boot/vmlinuz-* in $(basename "$deb")"
image=${images[0]}

# 3. The compressed kernel. Boot header fields (the kernel's x86 boot
# protocol, 2.08 and later): setup_sects at 0x1f1, "HdrS" at 0x202, the
# protocol version at 0x206, payload_offset and payload_length at 0x248 and
# 0x24c, the offset counted from the end of the setup sectors.
u() { od -An -v --endian=little -t "u$2" -j "$1" -N "$2" "$image" | tr -d ' '; }
[[ $(dd if="$image" bs=1 skip=$((0x202)) count=4 status=none) == HdrS ]] ||
  die "$(basename "$image") is not an x86 bzImage"
(($(u $((0x206)) 2) >= 0x208)) || die "boot protocol older than 2.08: no payload fields"
setup_sects=$(u $((0x1f1)) 1)
((setup_sects != 0)) || setup_sects=4
start=$(((setup_sects + 1) * 512 + $(u $((0x248)) 4)))
length=$(u $((0x24c)) 4)

# Every payload ends with the uncompressed size as a little-endian u32:
# gzip's own trailer, or one the kernel build appends to the other formats,
# which their decompressors must not be given.
magic=$(od -An -v -t x1 -j "$start" -N 6 "$image" | tr -d ' \n')
case $magic in
  0221*) format=lz4 decompress=(lz4 -dc) ;;
  28b52ffd*) format=zstd decompress=(zstd -dc) ;;
  fd377a585a00) format=xz decompress=(xz -dc) ;;
  1f8b*) format=gzip decompress=(gzip -dc) ;;
  *) die "unknown compression (magic $magic)" ;;
esac
command -v "${decompress[0]}" >/dev/null ||
  die "${decompress[0]} not found (tools/setup.sh installs it)"
stream=$length
[[ $format == gzip ]] || stream=$((length - 4))
expected=$(u $((start + length - 4)) 4)

say "decompressing the $format kernel ($length bytes at offset $start)"
dd if="$image" of="$tmp/payload" iflag=skip_bytes,count_bytes skip="$start" count="$stream" \
  status=none
"${decompress[@]}" "$tmp/payload" >"$tmp/vmlinux" || die "$format decompression failed"
actual=$(stat -c %s "$tmp/vmlinux")
((actual % (1 << 32) == expected)) || die "decompressed $actual bytes, the image says $expected"

# 4. The header, written in place only once complete.
version=$("$bpftool" version)
say "dumping BTF with ${version%%$'\n'*}"
"$bpftool" btf dump file "$tmp/vmlinux" format c >"$tmp/vmlinux.h"
mkdir -p "$(dirname "$out")"
mv "$tmp/vmlinux.h" "$out"
say "wrote $out, md5 $(md5sum "$out" | cut -d' ' -f1)"
