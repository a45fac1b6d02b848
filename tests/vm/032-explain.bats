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

# member FILE CGROUP: the JSON member of CGROUP on ex0
member() {
	jq -c --arg c "$2" '.members[] | select(.cgroup == $c and .device == "ex0")' "$1"
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
	[[ $(jq -rn --argjson m "$m" '$m.verdict') == "writeback: "*" of device writes came in "*" of every 10 seconds"* ]]
}
