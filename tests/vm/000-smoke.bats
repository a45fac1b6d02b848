#!/usr/bin/env bats
# Smoke test for the VM environment itself (tools/vmtest): runs inside the
# guest, as `tools/vmtest -- bats tests/vm/000-smoke.bats`. If this fails,
# nothing else under tests/vm can be trusted.

CG=/sys/fs/cgroup
NULLB=/sys/kernel/config/nullb

setup() {
	if [[ ${IORATE_VM:-} != 1 ]]; then
		skip "not inside the vmtest VM (run via tools/vmtest)"
	fi
	dev=vmsmoke$$
	cgroup=$CG/vmsmoke$$
}

teardown() {
	[[ ${IORATE_VM:-} == 1 ]] || return 0
	if [[ -d $cgroup ]]; then
		rmdir "$cgroup" || true
	fi
	if [[ -d $NULLB/$dev ]]; then
		echo 0 >"$NULLB/$dev/power" || true
		rmdir "$NULLB/$dev" || true
	fi
}

# Creates /dev/$dev, a 64 MiB memory-backed null_blk disk, via configfs.
make_nullb() {
	mkdir "$NULLB/$dev"
	echo 64 >"$NULLB/$dev/size"
	echo 1 >"$NULLB/$dev/memory_backed"
	echo 1 >"$NULLB/$dev/power"
	for _ in $(seq 50); do
		[[ -b /dev/$dev ]] && return 0
		sleep 0.1
	done
	echo "/dev/$dev did not appear" >&2
	return 1
}

@test "running the requested kernel" {
	[[ -n ${IORATE_VM_KERNEL:-} ]]
	run uname -r
	[[ $status -eq 0 ]]
	[[ $output == "$IORATE_VM_KERNEL" ]]
}

@test "cgroup v2 with io and memory controllers enabled at the root" {
	run stat -f -c %T "$CG"
	[[ $output == cgroup2fs ]]
	for c in io memory; do
		grep -qw "$c" "$CG/cgroup.controllers"
		grep -qw "$c" "$CG/cgroup.subtree_control"
	done
}

@test "io.max throttles direct writes to a null_blk disk" {
	make_nullb
	majmin=$(cat "/sys/block/$dev/dev")
	mkdir "$cgroup"
	echo "$majmin wiops=1000" >"$cgroup/io.max"
	run cat "$cgroup/io.max"
	[[ $output == "$majmin rbps=max wbps=max riops=max wiops=1000" ]]

	# 300 writes at 1000 IOPS take ~0.3 s; unthrottled, far less.
	start=$(date +%s%N)
	bash -c 'echo $$ >"$1/cgroup.procs" && exec dd if=/dev/zero of="$2" bs=4k count=300 oflag=direct status=none' \
		_ "$cgroup" "/dev/$dev"
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	echo "300 writes took ${elapsed_ms} ms" >&3
	((elapsed_ms >= 200))
}

@test "bpffs mounted and kernel BTF available" {
	run stat -f -c %T /sys/fs/bpf
	[[ $output == bpf_fs ]]
	[[ -s /sys/kernel/btf/vmlinux ]]
}

@test "full module tree available to modprobe" {
	[[ -e /lib/modules/$(uname -r)/modules.dep ]]
	modprobe -n -v null_blk >/dev/null
}
