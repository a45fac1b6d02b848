#!/usr/bin/env bats
# The meter inside the VM (Debian's kernel): per cgroup x disk device-level
# counts for direct I/O exactly as issued, and writeback charged to the
# cgroup that dirtied the pages, not to the flusher thread or the root.

load helpers

setup() { vm_setup; }
teardown() { vm_teardown; }

@test "direct I/O from two cgroups to two disks is counted exactly" {
	disk_create acct0
	disk_create acct1
	cg_create /acct-a
	cg_create /acct-b
	start_top "$WORK/top.json" -b --json -n 1 -d 8
	cg_run /acct-a dd if=/dev/zero of=/dev/acct0 bs=4k count=1111 oflag=direct status=none
	pa=$CG_PID
	cg_run /acct-b dd if=/dev/acct1 of=/dev/null bs=4k count=2222 iflag=direct status=none
	pb=$CG_PID
	wait "$pa" "$pb"
	wait "$TOP_PID"
	jq -c '.rows[] | [.cgroup, .device, .read.ops, .write.ops]' "$WORK/top.json"
	run jq -r '.rows[] | select(.cgroup == "/acct-a" and .device == "acct0") | "\(.read.ops) \(.write.ops) \(.write.bytes)"' "$WORK/top.json"
	[ "$output" = "0 1111 $((1111 * 4096))" ]
	run jq -r '.rows[] | select(.cgroup == "/acct-b" and .device == "acct1") | "\(.read.ops) \(.write.ops) \(.read.bytes)"' "$WORK/top.json"
	[ "$output" = "2222 0 $((2222 * 4096))" ]
	# and nothing of theirs landed anywhere else
	run jq -r '[.rows[] | select((.device == "acct0" or .device == "acct1") and .cgroup != "/acct-a" and .cgroup != "/acct-b")] | length' "$WORK/top.json"
	[ "$output" = 0 ]
}

@test "buffered writes flushed by writeback are charged to the writer's cgroup" {
	fs_create acct2
	mnt=$FS_MNT
	cg_create /acct-c
	start_top "$WORK/top.json" -b --json -n 1 -d 10
	cg_run /acct-c sh -c "dd if=/dev/zero of=$mnt/file bs=1M count=20 status=none && sync"
	wait "$CG_PID"
	wait "$TOP_PID"
	jq -c '.rows[] | select(.device == "acct2") | [.cgroup, .write.ops, .write.bytes, .background_ops]' "$WORK/top.json"
	run jq -r '[.rows[] | select(.device == "acct2" and .cgroup == "/acct-c") | .write.bytes] | add // 0' "$WORK/top.json"
	echo "charged to /acct-c: $output of $((20 << 20)) bytes"
	[ "$output" -ge $(( (20 << 20) * 95 / 100 )) ]
}

@test "bio level sees the writeback bios, device level the requests they became" {
	fs_create acct3 max_sectors=64
	mnt=$FS_MNT
	cg_create /acct-d
	start_top "$WORK/bio.json" -b --json --level bio -n 1 -d 10
	cg_run /acct-d sh -c "dd if=/dev/zero of=$mnt/file bs=1M count=8 status=none && sync"
	wait "$CG_PID"
	wait "$TOP_PID"
	bio_ops=$(jq -r '[.rows[] | select(.device == "acct3" and .cgroup == "/acct-d") | .write.ops] | add // 0' "$WORK/bio.json")
	echo "bio-level write ops (pieces counted as io.max does): $bio_ops"
	# 8 MiB in 32 KiB requests is 256 at the device; io.max counts every piece too
	[ "$bio_ops" -ge 256 ]
}
