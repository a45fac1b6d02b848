#!/usr/bin/env bats
# An image made outside the VM's cgroup, as libvirt, qemu-img or a copy
# make it. cgroup v2 charges an inode's writeback to the cgroup that made
# it until the kernel has seen enough foreign flushing to move it: about
# 30 s at a VM's pace, with the VM's flushes passing under the maker's
# io.max meanwhile (DESIGN.md "Measured later": 876-946 w/s against a cap
# of 100 for 29.8 s on 6.12, 29.9 s on 6.1).
#
# An image whose pages are still cached from its making (dd, cp, a volume
# libvirt preallocates) is worse: the VM dirties the maker's pages, which
# the kernel never counts as foreign, so it never moves the inode (6.12:
# flushes of 842-869 writes every 3 s outside the VM's io.max for all 30 s;
# the seed with real QEMU guests: all of both guests' writeback charged to
# / for the whole 40 s, 200 s after they started; docs/bench.md).
#
# The daemon sees the dirtying by another cgroup than the inode's
# writeback's (BPF, writeback_dirty_folio), names the VM and the cgroup
# charged, and flushes the file every 250 ms through the writer's own
# descriptor, dropping its clean pages, so that the writer's next writes
# bring pages of its own and the kernel moves the inode.
# What these tests assert is that, and the time the escape lasts; the
# first seconds are not held (no mechanism holds a root-owned inode's
# writeback: io.max has no line on the root cgroup). An image made in any
# other cgroup is held from the first flush: that cgroup takes the VM's
# io.max line on the disk until the kernel moves the inode.
#
# The /mk case runs through the hand-over: in CI (6.12, 2026-12-06) the
# owner's line given back when the dirtying stopped being foreign let what
# it had queued drain at the disk's pace beside the member's own flushes
# (158-202 w/s against 100); the owner now keeps its part of the line until
# it has drained, and the two share one line meanwhile.

load helpers

LIMIT=100

setup() {
	vm_setup
	old_expire=$(sysctl -n vm.dirty_expire_centisecs)
	old_wb=$(sysctl -n vm.dirty_writeback_centisecs)
	# a 3 s expiry, as DESIGN.md's measurement: a flush every few seconds
	sysctl -qw vm.dirty_expire_centisecs=300 vm.dirty_writeback_centisecs=100
}

teardown() {
	sysctl -qw vm.dirty_expire_centisecs="$old_expire" vm.dirty_writeback_centisecs="$old_wb"
	vm_teardown
}

foreign_policy() {
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group vm]
	match = cgroup:/w1
	device = /dev/fo0
	iops-write = $LIMIT
	EOF
}

# held FILE SKIP: the windows after SKIP held. 6.1 holds writeback in
# steady mode, as loosely as 020's writeback test asserts there (no window
# at twice the limit, the mean within +5%); 6.12 as any held load.
held_after() {
	if [[ $(uname -r) == 6.1.* ]]; then
		awk -v s="$2" -v l="$LIMIT" 'NR > s { n++; sum += $2; if ($2 > 2 * l) bad = 1 }
			END { printf "mean %.1f over %d windows\n", sum / n, n; exit bad || n < 3 || sum / n > 1.05 * l }' "$1"
		return
	fi
	check_windows "$1" 2 "$2" "$LIMIT"
}

# escape FILE: seconds until the escape's flushes end (0: none), as the
# last window of the first run above the limit + 10%. Charged to / they
# pass at the dirtying pace (300/s), and the kernel's move of the inode
# ends that at once: sampled at 0.1 s (6.12, 2026-12-07), flushes of 48-99
# writes every 0.25 s, then 10 every 0.1 s from the next sample. So the
# window the move falls in holds anything from the limit to 3x it (CI,
# 6.12, 2026-12-07: 260 359 148 103 100 ...): part of the escape, whatever
# its height. Windows before the first flush are not the escape; a window
# over +10% after the run is held_after's business (6.1, CI 2026-12-06:
# 110 and 111 at the 8th and 12th second).
escape_s() {
	awk -v l="$LIMIT" '$2 > l * 1.1 { if (!ended) last = NR; run = 1; next } run { ended = 1 }
		END { print last + 0 }' "$1"
}

# run_writer [SECONDS]: buffered 4 KiB random writes at 300/s into $IMG
# from /w1, sampled for SECONDS (26) from its first dirtying. Like QEMU,
# it keeps what the page cache holds of the image (fio would drop it).
run_writer() {
	local secs=${1:-26}
	cg_create /w1
	foreign_policy
	start_daemon
	cg_run /w1 fio --name=vm --filename="$IMG" --size=64m --rw=randwrite --bs=4k --invalidate=0 \
		--ioengine=psync --rate_iops=300 --time_based --runtime=$((secs + 4)) --output=/dev/null
	sample_disk fo0 "$secs" "$WORK/win"
	cat "$WORK/win"
}

@test "an image made in the root cgroup and still cached: the VM is named, the cgroup charged too, and the escape is cut short" {
	fs_create fo0
	IMG=$FS_MNT/vm.img
	# written out whole, as cp or a preallocated volume: its pages stay
	# cached, the maker's
	( echo $BASHPID > $CG/cgroup.procs && exec dd if=/dev/zero of="$IMG" bs=1M count=64 status=none conv=fsync )
	run_writer
	local ino esc
	ino=$(stat -c %i "$IMG")
	esc=$(escape_s "$WORK/win")
	echo "# root-owned image: windows above ${LIMIT}+10% until ${esc} s; then $(awk -v s="$esc" 'NR > s { n++; sum += $2; if ($2 > m) m = $2 } END { printf "mean %.1f, max %.1f", sum / n, m }' "$WORK/win") (w/s)" >&3
	grep "writes inode $ino on" "$WORK/daemon.log" | sed 's/^/# /' >&3
	grep -q "warning: /w1 writes inode $ino on $(devnum fo0), whose writeback the kernel charges to / (the file was made there)" "$WORK/daemon.log"
	grep -q "iorate flushes the file every 250 ms" "$WORK/daemon.log"
	# the kernel alone: flushes of 842-869 writes every 3 s for all 30 s
	# (6.12, 2026-12-07, before the daemon dropped the maker's pages). With
	# the daemon: 0 291 266 269 355 268 274, then 100 (6.12), 15 270 265
	# 362 262 273 288, then 100 (6.1): escape 7 s; twice that is the bound
	(( esc <= 14 ))
	held_after "$WORK/win" "$esc"
	wait_for 10 grep -q "/w1: inode $ino on .* its writeback follows the writer's cgroup now" "$WORK/daemon.log"
	grep "/w1: inode $ino" "$WORK/daemon.log" | tail -1 | sed 's/^/# /' >&3
	stop_daemon
}

@test "an image made by another cgroup (as libvirtd.service would): that cgroup takes the VM's line on the disk until the kernel moves the inode" {
	fs_create fo0
	IMG=$FS_MNT/vm.img
	cg_create /mk
	cg_run /mk truncate -s 64M "$IMG"
	wait "$CG_PID"
	# the kernel moves the inode 23-38 s in (6.12, 2026-12-06): 42 s of
	# windows hold the hand-over
	run_writer 42
	local ino esc
	ino=$(stat -c %i "$IMG")
	esc=$(escape_s "$WORK/win")
	echo "# image made in /mk, /mk capped meanwhile: windows above ${LIMIT}+10% until ${esc} s; $(awk 'NR > 1 { n++; sum += $2; if ($2 > m) m = $2 } END { printf "from the 2nd second mean %.1f, max %.1f", sum / n, m }' "$WORK/win") (w/s)" >&3
	grep -q "warning: /w1 writes inode $ino on $(devnum fo0), whose writeback the kernel charges to /mk: .* iorate gives that cgroup the member's io.max meanwhile" "$WORK/daemon.log"
	# held from the first flush (the line is on /mk before it comes),
	# through the hand-over
	held_after "$WORK/win" 1
	wait_for 30 grep -q "/w1: inode $ino on .* its writeback follows the writer's cgroup now .* its owner's line goes back" "$WORK/daemon.log"
	grep "/w1: inode $ino" "$WORK/daemon.log" | tail -1 | sed 's/^/# /' >&3
	stop_daemon
	# and given back: /mk had no line before
	[ -z "$(cat $CG/mk/io.max)" ]
}
