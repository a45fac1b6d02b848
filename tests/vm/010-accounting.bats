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

# A request the SCSI host sends back busy is requeued and issued again:
# scsi_debug answers every 3rd command SCSI_MLQUEUE_HOST_BUSY (opts 0x8000
# with every_nth). Each try fires block_rq_issue and a failed one
# block_rq_requeue (counted from the trace buffer); the request completes
# once, and that is where diskstats and iorate count it. SG_IO commands
# (what smartctl and udev's scsi_id send) are passthrough requests on the
# same queue: diskstats does not count them, and neither does iorate.
SG_INQUIRY_PY='
import ctypes, fcntl, os, struct, sys
SG_IO, SG_DXFER_FROM_DEV = 0x2285, -3
fd = os.open(sys.argv[1], os.O_RDONLY)
cdb = ctypes.create_string_buffer(bytes([0x12, 0, 0, 0, 96, 0]), 6)  # INQUIRY
data, sense = ctypes.create_string_buffer(96), ctypes.create_string_buffer(32)
for _ in range(int(sys.argv[2])):
    # struct sg_io_hdr, native layout (88 bytes on x86_64)
    hdr = bytearray(struct.pack("iiBBHIPPPIIiPBBBBHHiII4x", ord("S"), SG_DXFER_FROM_DEV, 6, 32, 0, 96,
                                ctypes.addressof(data), ctypes.addressof(cdb), ctypes.addressof(sense),
                                5000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    fcntl.ioctl(fd, SG_IO, hdr)
print("sent %s INQUIRY commands by SG_IO" % sys.argv[2])
'

@test "a request the SCSI host sent back busy is counted once; SG_IO commands are not counted" {
	need python3 "tools/deps.txt"
	tracefs=/sys/kernel/tracing
	[ -d $tracefs/events/block/block_rq_requeue ]
	# sd_mod makes the sdX disk (udev would load it: the VM has no udevd)
	modprobe sd_mod
	modprobe scsi_debug dev_size_mb=64 every_nth=3 opts=0x8000
	SCSI_DEBUG=1
	local sd= b
	for _ in $(seq 300); do
		for b in /sys/block/sd*; do
			grep -qs scsi_debug "$b/device/model" && sd=${b##*/}
		done
		[ -n "$sd" ] && [ -b "/dev/$sd" ] && break
		sleep 0.1
	done
	echo "scsi_debug disk: ${sd:-none}"
	[ -n "$sd" ]
	[ -b "/dev/$sd" ]
	udevadm settle 2>/dev/null || true
	cg_create /requeue
	read -r w0 < <(awk -v d="$sd" '$3 == d { print $8 }' /proc/diskstats)
	start_top "$WORK/top.json" -b --json -d 1
	echo 1024 > $tracefs/buffer_size_kb
	echo > $tracefs/trace
	echo 1 > $tracefs/events/block/block_rq_requeue/enable
	echo 1 > $tracefs/events/block/block_rq_issue/enable
	echo 1 > $tracefs/tracing_on
	cg_run /requeue fio --name=rq --filename=/dev/$sd --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --iodepth=8 --number_ios=48 --output=/dev/null
	wait "$CG_PID"
	cg_run /requeue /usr/bin/python3 -c "$SG_INQUIRY_PY" /dev/$sd 20
	wait "$CG_PID"
	echo 0 > $tracefs/tracing_on
	local tdev
	tdev=$(devnum "$sd" | tr : ,)
	issued=$(grep -c "block_rq_issue: $tdev W" $tracefs/trace || true)
	requeued=$(grep -c "block_rq_requeue: $tdev W" $tracefs/trace || true)
	echo 0 > $tracefs/events/block/block_rq_requeue/enable
	echo 0 > $tracefs/events/block/block_rq_issue/enable
	echo > $tracefs/trace
	echo 1 > $tracefs/buffer_size_kb
	sleep 2.5
	kill "$TOP_PID"
	wait "$TOP_PID" || true
	read -r w1 < <(awk -v d="$sd" '$3 == d { print $8 }' /proc/diskstats)
	counted=$(jq -s --arg d "$sd" '[.[].rows[] | select(.device == $d) | .write.ops] | add // 0' "$WORK/top.json")
	echo "# issued $issued times, requeued $requeued, completed $((w1 - w0)) (diskstats), iorate $counted writes" | tee /dev/fd/3
	[ "$((w1 - w0))" -eq 48 ]
	[ "$counted" -eq 48 ]
	# the host did send requests back, and they were issued again
	[ "$requeued" -gt 0 ]
	[ "$issued" -gt 48 ]
}
