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
	start_top "$BATS_TEST_TMPDIR/top.json" -b --json -n 1 -d 4
	read -r r0 w0 < <(diskstats_rw "$LOOPNAME")
	dd if=/dev/zero of="$LOOP" bs=4k count=1234 oflag=direct status=none
	dd if="$LOOP" of=/dev/null bs=16k count=321 iflag=direct status=none
	read -r r1 w1 < <(diskstats_rw "$LOOPNAME")
	wait "$TOP_PID"
	TOP_PID=
	run jq -r --arg d "$LOOPNAME" '[.rows[] | select(.device == $d)] |
		"\(map(.read.ops) | add) \(map(.write.ops) | add) \(map(.write.bytes) | add)"' \
		"$BATS_TEST_TMPDIR/top.json"
	[ "$status" -eq 0 ]
	read -r reads writes wbytes <<<"$output"
	echo "diskstats: reads $((r1 - r0)) writes $((w1 - w0)); iorate: reads $reads writes $writes"
	[ "$((r1 - r0))" -eq 321 ]
	[ "$reads" -eq "$((r1 - r0))" ]
	[ "$writes" -eq "$((w1 - w0))" ]
	[ "$wbytes" -eq $((1234 * 4096)) ]
}

@test "bio level counts the same direct I/O once per bio" {
	start_top "$BATS_TEST_TMPDIR/top.json" -b --json --level bio -n 1 -d 3
	dd if=/dev/zero of="$LOOP" bs=64k count=100 oflag=direct status=none
	wait "$TOP_PID"
	TOP_PID=
	run jq -r --arg d "$LOOPNAME" '[.rows[] | select(.device == $d)] | map(.write.bytes) | add' \
		"$BATS_TEST_TMPDIR/top.json"
	[ "$output" -eq $((100 * 65536)) ]
}

@test "iorate top rejects bad options with a clear message" {
	run "$IORATE" top -d 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"-d: not a delay"* ]]
}
