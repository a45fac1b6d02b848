#!/usr/bin/env bats
# iorate explain against the real thing: a writer in a cgroup on a null_blk
# disk, its stages against /proc/diskstats (what iostat counts) and its own
# syscalls, and writeback in flushes named as what it is. No daemon: explain
# attaches its own observe-only meter.

load helpers

setup() {
	vm_setup
	old_expire=$(sysctl -n vm.dirty_expire_centisecs)
	old_wb=$(sysctl -n vm.dirty_writeback_centisecs)
}

teardown() {
	sysctl -qw vm.dirty_expire_centisecs="$old_expire" vm.dirty_writeback_centisecs="$old_wb"
	vm_teardown
}

# member FILE CGROUP [DISK]: the JSON member of CGROUP on DISK (ex0)
member() {
	jq -c --arg c "$2" --arg d "${3:-ex0}" '.members[] | select(.cgroup == $c and .device == $d)' "$1"
}

@test "explain: a direct writer's requests equal iostat's within 1%, its syscalls within 5%, no stage adds" {
	disk_create ex0
	cg_create /e1
	# psync: one pwrite syscall per request, so each stage carries the same
	# long enough for both explains (5 s and 2 s, each loading its meter,
	# seconds under TCG): at 10 s, and once at 14 s in a fresh-clone CI,
	# the second found no I/O from /e1 on 6.1
	cg_run /e1 fio --name=w --filename=/dev/ex0 --direct=1 --ioengine=psync --rw=randwrite \
		--bs=4k --rate_iops=300 --time_based --runtime=24 --output=/dev/null
	sleep 2
	"$IORATE" explain -d 5 --json > "$WORK/ex.json" 2> "$WORK/ex.err"
	"$IORATE" explain -d 2 /e1 > "$WORK/ex.txt" 2>> "$WORK/ex.err"
	local m
	m=$(member "$WORK/ex.json" /e1)
	echo "# $m" >&3
	sed 's/^/# /' "$WORK/ex.txt" >&3
	jq -ne --argjson m "$m" '($m.requests.write - $m.disk.write | fabs) <= 0.01 * $m.disk.write'
	jq -ne --argjson m "$m" '$m.requests.write >= 270 and $m.requests.write <= 330'
	jq -ne --argjson m "$m" '($m.syscalls.write - $m.requests.write | fabs) <= 0.05 * $m.requests.write'
	jq -ne --argjson m "$m" '($m.bios.write - $m.requests.write | fabs) <= 0.01 * $m.requests.write'
	# one 4 KiB write at a time: nothing split, nothing to merge with
	jq -ne --argjson m "$m" '$m.split_pieces.write == 0 and $m.merged.write <= 0.01 * $m.requests.write'
	# O_DIRECT writes carry REQ_SYNC: none is writeback
	jq -ne --argjson m "$m" '$m.background_share <= 0.01'
	[[ $(jq -rn --argjson m "$m" '$m.verdict') == "no stage adds: "* ]]
	# NAME picks the member: the text names it and the verdict
	grep -q "^/e1 on ex0$" "$WORK/ex.txt"
	grep -q "=> no stage adds" "$WORK/ex.txt"
}

@test "explain: buffered writes the kernel flushes every 5 s are named writeback, with the windows they came in" {
	fs_create ex0
	cg_create /e1
	# the kernel's default flush period (5 s), pages written once 1 s old
	sysctl -qw vm.dirty_expire_centisecs=100 vm.dirty_writeback_centisecs=500
	# past both explains' 10 s (after each loads its meter, seconds under
	# TCG): at 16 s fio ended 2 s early once on 6.1 in a fresh-clone CI,
	# its syscalls then read 239.9 and 12.8 for 300 and 16, 8 s of 10
	cg_run /e1 fio --name=w --filename="$FS_MNT/img" --size=64m --ioengine=psync --rw=randwrite \
		--bs=4k --rate_iops=300 --time_based --runtime=24 --output=/dev/null
	sleep 3
	"$IORATE" explain -d 10 /e1 > "$WORK/ex.txt" 2> "$WORK/ex.err" &
	local ex=$!
	"$IORATE" explain -d 10 --json > "$WORK/ex.json" 2>> "$WORK/ex.err"
	wait "$ex"
	local m
	m=$(member "$WORK/ex.json" /e1)
	echo "# $m" >&3
	sed 's/^/# /' "$WORK/ex.txt" >&3
	# flushes of 5 s of writes: most requests in at most 3 of 10 windows
	jq -ne --argjson m "$m" '$m.top_windows <= 3 and $m.largest_s >= 2 * $m.requests.write'
	# the writer's syscalls steady at its rate: the bursts are the page
	# cache's, written by the flushers without REQ_SYNC (ext4 sets no
	# REQ_BACKGROUND on them: that flag counted 0 of 2800 on 6.1)
	jq -ne --argjson m "$m" '$m.syscalls.write >= 270 and $m.syscalls.write <= 330'
	jq -ne --argjson m "$m" '$m.background_share >= 0.9'
	# the flushers' bios less those merged are the disk's requests
	jq -ne --argjson m "$m" '($m.bios.write - $m.merged.write - $m.requests.write | fabs) <= 0.02 * $m.requests.write + 5'
	[[ $(jq -rn --argjson m "$m" '$m.verdict') == "writeback: "*" of device writes came in "*" of every 10 seconds"* ]]
}

@test "explain: pieces of split bios and merged bios between bios and requests, bios less merged equal to the requests" {
	disk_create ex0
	disk_create ex1
	# 256 KiB writes to a disk taking 64 KiB: each bio split in four
	echo 64 > /sys/block/ex0/queue/max_sectors_kb
	cg_create /e1
	cg_create /e2
	cg_run /e1 fio --name=s --filename=/dev/ex0 --direct=1 --ioengine=psync --rw=write \
		--bs=256k --rate_iops=50 --time_based --runtime=20 --output=/dev/null
	# 32 contiguous 4 KiB writes in one io_submit, under one plug: merged
	# into a few requests there
	cg_run /e2 fio --name=m --filename=/dev/ex1 --direct=1 --ioengine=libaio --rw=write --bs=4k \
		--iodepth=32 --iodepth_batch_submit=32 --iodepth_batch_complete_min=32 \
		--thinktime=20ms --thinktime_blocks=32 --time_based --runtime=20 --output=/dev/null
	sleep 2
	"$IORATE" explain -d 6 --json > "$WORK/ex.json" 2> "$WORK/ex.err"
	local s m
	s=$(member "$WORK/ex.json" /e1 ex0)
	m=$(member "$WORK/ex.json" /e2 ex1)
	echo "# $s" >&3
	echo "# $m" >&3
	# /e1: three extra pieces a bio, each a request; the block layer named
	jq -ne --argjson s "$s" '($s.split_pieces.write - 0.75 * $s.bios.write | fabs) <= 0.02 * $s.bios.write'
	jq -ne --argjson s "$s" '($s.requests.write - $s.bios.write | fabs) <= 0.01 * $s.bios.write'
	jq -ne --argjson s "$s" '$s.requests.write >= 180 and $s.requests.write <= 220'
	[[ $(jq -rn --argjson s "$s" '$s.verdict') == "the block layer: "*" pieces of split bios"* ]]
	# /e2: merges, and the bios less those merged are the disk's requests
	jq -ne --argjson m "$m" '$m.merged.write >= 0.5 * $m.bios.write'
	jq -ne --argjson m "$m" '($m.bios.write - $m.merged.write - $m.requests.write | fabs) <= 0.01 * $m.requests.write + 1'
	jq -ne --argjson m "$m" '$m.split_pieces.write == 0'
}
