#!/bin/sh
# Regenerate vmlinux.h from a kernel's BTF. The committed copy comes from the
# build host's kernel; CO-RE relocations make the one BPF object portable to
# every kernel the project tests (6.1, 6.12, 6.18), so regenerate only to pick
# up types a newer kernel added.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
out=${2:-$(dirname "$0")/../vmlinux.h}
command -v bpftool >/dev/null || { echo "gen-vmlinux: bpftool not found (apt-get install bpftool)" >&2; exit 1; }
[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable: kernel built without BTF?" >&2; exit 1; }
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-vmlinux: wrote $out from $btf"
