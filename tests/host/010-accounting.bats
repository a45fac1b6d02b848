#!/usr/bin/env bats
# The meter on this machine's kernel: device-level totals for I/O to a loop
# device equal the /proc/diskstats delta exactly.

load helpers

setup() {
	skip_if_not_root
	IMG=$(mktemp -p "$BATS_TEST_TMPDIR" loop.XXXX)
	truncate -s 64M "$IMG"
	LOOP=$(losetup -f --show "$IMG")
	LOOPNAME=${LOOP#/dev/}
}

teardown() {
	[ -n "${TOP_PID:-}" ] && kill "$TOP_PID" 2>/dev/null || true
	[ -n "${LOOP:-}" ] && losetup -d "$LOOP" || true
}

@test "device-level counts for a loop device equal /proc/diskstats" {
	local out=$BATS_TEST_TMPDIR/top.json t0 t1
	start_top "$out" -b --json -d 1
	read -r r0 w0 < <(diskstats_rw "$LOOPNAME")
	t0=$(date +%s.%N)
	dd if=/dev/zero of="$LOOP" bs=4k count=1234 oflag=direct status=none
	dd if="$LOOP" of=/dev/null bs=16k count=321 iflag=direct status=none
	t1=$(date +%s.%N)
	read -r r1 w1 < <(diskstats_rw "$LOOPNAME")
	stop_top_after_next_sample "$out"
	reads=$(top_sum read.ops "$LOOPNAME" "$out")
	writes=$(top_sum write.ops "$LOOPNAME" "$out")
	wbytes=$(top_sum write.bytes "$LOOPNAME" "$out")
	echo "dd took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s over $(wc -l <"$out") samples"
	echo "diskstats: reads $((r1 - r0)) writes $((w1 - w0)); iorate: reads $reads writes $writes"
	[ "$((r1 - r0))" -eq 321 ]
	[ "$reads" -eq "$((r1 - r0))" ]
	[ "$writes" -eq "$((w1 - w0))" ]
	[ "$wbytes" -eq $((1234 * 4096)) ]
}

@test "bio level counts the same direct I/O once per bio" {
	local out=$BATS_TEST_TMPDIR/top.json
	start_top "$out" -b --json --level bio -d 1
	dd if=/dev/zero of="$LOOP" bs=64k count=100 oflag=direct status=none
	stop_top_after_next_sample "$out"
	run top_sum write.bytes "$LOOPNAME" "$out"
	[ "$output" -eq $((100 * 65536)) ]
}

@test "iorate top rejects bad options with a clear message" {
	run "$IORATE" top -d 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"-d: not a delay"* ]]
}
