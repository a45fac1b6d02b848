#!/usr/bin/env bats
# The block stacks VM hosts use, held at the physical disks: an LVM linear
# LV, an LV over two disks, two LVs of one PV limited apart, md RAID1; and
# the other names an operator gives a disk (a /dev/disk/by-id link, MAJ:MIN,
# a partition).
# A stacked volume (dm, md) completes no request of its own: its limit binds
# to the volume's node, where io.max is written and its bios are counted
# (docs/policy.md, "Disks"). Tolerances as in 020 (helpers.bash).

load helpers

# LVM without udev (the VM runs none): lvm makes the /dev/VG/LV links
# itself, and null_blk is not among its known device types.
LVM_CONFIG='activation { udev_sync = 0 udev_rules = 0 } devices { types = [ "nullb", 16 ] obtain_device_list_from_udev = 0 }'
lvm_cmd() { LVM_SUPPRESS_FD_WARNINGS=1 "$@" --config "$LVM_CONFIG"; }

setup() {
	vm_setup
	need lvcreate "Debian: lvm2 (tools/deps.txt)"
	need mdadm "Debian: mdadm (tools/deps.txt)"
	modprobe dm_mod
	VGS=()
	MDS=()
}

teardown() {
	local v m
	stop_daemon || true
	for v in "${VGS[@]}"; do lvm_cmd vgremove -f -y "$v" >/dev/null 2>&1 || true; done
	for m in "${MDS[@]}"; do mdadm --stop "$m" >/dev/null 2>&1 || true; done
	[[ -z ${LOOPDEV:-} ]] || losetup -d "$LOOPDEV" || true
	rm -f /dev/disk/by-id/iorate-test-*
	vm_teardown
}

# le32 N: N as four little-endian bytes, in printf's \x escapes
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# mbr_one_partition FILE: an MS-DOS label with one Linux partition from
# sector 2048 to the end (no fdisk in the VM: the 16-byte entry at 446 and
# the signature at 510)
mbr_one_partition() {
	local file=$1 sectors
	sectors=$(( $(stat -c %s "$file") / 512 - 2048 ))
	printf "\x00\x00\x00\x00\x83\x00\x00\x00$(le32 2048)$(le32 "$sectors")" |
		dd of="$file" bs=1 seek=446 conv=notrunc status=none
	printf '\x55\xaa' | dd of="$file" bs=1 seek=510 conv=notrunc status=none
}

# vg_create VG DISK...: a volume group over fresh null_blk disks
vg_create() {
	local vg=$1 d pvs=(); shift
	for d in "$@"; do
		disk_create "$d"
		pvs+=("/dev/$d")
	done
	lvm_cmd pvcreate -q -y "${pvs[@]}" >/dev/null
	lvm_cmd vgcreate -q "$vg" "${pvs[@]}" >/dev/null
	VGS+=("$vg")
}

# dm_name /dev/VG/LV: the kernel name of its node (dm-N; without udev,
# /dev/mapper holds nodes, not links to dm-N)
dm_name() { basename "$(readlink "/sys/dev/block/$(printf '%d:%d' "0x$(stat -L -c %t "$1")" "0x$(stat -L -c %T "$1")")")"; }

# held LABEL FILE COL LIMIT: check_windows, its verdict also on the TAP
# stream (fd 3), so that every run prints the figures
held() {
	local label=$1 rc=0; shift
	check_windows "$1" "$2" 0 "$3" > "$WORK/held" || rc=$?
	cat "$WORK/held"
	echo "# $label: $(grep '^windows' "$WORK/held")" >&3
	return $rc
}

# fio_file CG FILE SECS ARGS...: fio on a block device path
fio_file() {
	local cg=$1 file=$2 secs=$3; shift 3
	cg_run "$cg" fio --name=job --filename="$file" --direct=1 --ioengine=libaio \
		--time_based --runtime="$secs" --output=/dev/null "$@"
}

@test "LVM linear LV: iops-write on /dev/VG/LV holds the PV's disk; io.max on the LV's node" {
	vg_create vgs0 stk0
	lvm_cmd lvcreate -q -y -L 256M -n lv0 vgs0 >/dev/null
	local lv; lv=$(dm_name /dev/vgs0/lv0)
	cg_create /stk
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group stk]
	match = cgroup:/stk
	device = /dev/vgs0/lv0
	iops-write = 200
	EOF
	run "$IORATE" check --verbose "$POLICY"
	echo "$output"
	[[ $output == *"device = /dev/vgs0/lv0: $lv ($(devnum "$lv")), a volume: io.max on $(devnum "$lv"), its bios counted; on stk0"* ]]
	start_daemon
	fio_file /stk /dev/vgs0/lv0 18 --rw=randwrite --bs=4k --iodepth=8
	wait_for 20 disk_busy stk0
	sleep 2
	sample_disk stk0 12 "$WORK/win"
	cat "$WORK/win"
	held "linear LV, PV writes/s" "$WORK/win" 2 200
	# the limit sits on the LV's node, none on the PV's disk
	grep "^$(devnum "$lv") " $CG/stk/io.max
	! grep "^$(devnum stk0) " $CG/stk/io.max
	stop_daemon
}

@test "two LVs of one PV, two drives of one VM: each LV's limit held apart" {
	vg_create vgs1 stk1
	lvm_cmd lvcreate -q -y -L 128M -n a vgs1 >/dev/null
	lvm_cmd lvcreate -q -y -L 128M -n b vgs1 >/dev/null
	local a b; a=$(dm_name /dev/vgs1/a) b=$(dm_name /dev/vgs1/b)
	cg_create /vm2
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group system-drive]
	match = cgroup:/vm2
	device = /dev/vgs1/a
	iops-write = 100
	[group data-drive]
	match = cgroup:/vm2
	# the same volume by its device-mapper name
	device = /dev/mapper/vgs1-b
	iops-write = 250
	EOF
	run "$IORATE" check --verbose "$POLICY"
	echo "$output"
	[[ $output == *"device = /dev/mapper/vgs1-b: $b ($(devnum "$b")), a volume: io.max on $(devnum "$b"), its bios counted; on stk1"* ]]
	start_daemon
	fio_file /vm2 /dev/vgs1/a 18 --rw=randwrite --bs=4k --iodepth=8
	fio_file /vm2 /dev/vgs1/b 18 --rw=randwrite --bs=4k --iodepth=8
	# both writers running before the warm-up (two fio starts under TCG:
	# a first window of 219 then 277 against 250 when one was late)
	wait_for 20 disk_busy "$a"
	wait_for 20 disk_busy "$b"
	sleep 2
	"$REPO/tests/vm/lib/diskrate" "$a" 12 > "$WORK/win-a" &
	"$REPO/tests/vm/lib/diskrate" "$b" 12 > "$WORK/win-b"
	wait %%
	held "LV a ($a) writes/s" "$WORK/win-a" 2 100
	held "LV b ($b) writes/s" "$WORK/win-b" 2 250
	stop_daemon
}

@test "an LV over two disks: one limit over both" {
	vg_create vgs2 stk2 stk3
	# striped, so that both disks take the writes at once
	lvm_cmd lvcreate -q -y -i 2 -I 64k -L 256M -n wide vgs2 >/dev/null
	cg_create /wide
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group wide]
	match = cgroup:/wide
	device = /dev/vgs2/wide
	iops-write = 300
	EOF
	start_daemon
	fio_file /wide /dev/vgs2/wide 18 --rw=randwrite --bs=4k --iodepth=8
	wait_for 20 disk_busy stk2
	sleep 2
	"$REPO/tests/vm/lib/diskrate" stk2 12 > "$WORK/win-2" &
	"$REPO/tests/vm/lib/diskrate" stk3 12 > "$WORK/win-3"
	wait %%
	paste -d' ' "$WORK/win-2" "$WORK/win-3" | awk '{ print $2, $5, $2 + $5 }' > "$WORK/win"
	cat "$WORK/win"
	# both disks busy, their sum held
	awk '{ a += $1; b += $2 } END { exit !(a > 0 && b > 0) }' "$WORK/win"
	held "LV over two disks, sum of both disks' writes/s" "$WORK/win" 3 300
	stop_daemon
}

@test "md RAID1: iops-write on /dev/mdN counts a write once; each leg takes it" {
	disk_create stk4
	disk_create stk5
	modprobe raid1
	mdadm --create /dev/md7 --run --quiet --level=1 --raid-devices=2 --assume-clean \
		--metadata=1.2 /dev/stk4 /dev/stk5
	MDS+=(/dev/md7)
	cg_create /md
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group md]
	match = cgroup:/md
	device = /dev/md7
	iops-write = 200
	EOF
	run "$IORATE" check --verbose "$POLICY"
	echo "$output"
	local line; line=$(echo "$output" | grep "device = /dev/md7: ")
	# both legs, in the order sysfs lists them
	[[ $line == *"md7 ($(devnum md7)), a volume: io.max on $(devnum md7), its bios counted; on stk"[45]", stk"[45] ]]
	[[ $line == *stk4* && $line == *stk5* ]]
	start_daemon
	fio_file /md /dev/md7 18 --rw=randwrite --bs=4k --iodepth=8
	wait_for 20 disk_busy stk4
	sleep 2
	"$REPO/tests/vm/lib/diskrate" stk4 12 > "$WORK/win-4" &
	"$REPO/tests/vm/lib/diskrate" stk5 12 > "$WORK/win-5"
	wait %%
	held "RAID1 leg stk4 writes/s" "$WORK/win-4" 2 200
	held "RAID1 leg stk5 writes/s" "$WORK/win-5" 2 200
	grep "^$(devnum md7) " $CG/md/io.max
	stop_daemon
}

@test "device = * covers the disks beneath a volume, not the volume: held once, at the PV" {
	vg_create vgs3 stk6
	lvm_cmd lvcreate -q -y -L 256M -n lv0 vgs3 >/dev/null
	local lv; lv=$(dm_name /dev/vgs3/lv0)
	cg_create /any
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group any]
	match = cgroup:/any
	iops-write = 200
	EOF
	start_daemon
	fio_file /any /dev/vgs3/lv0 18 --rw=randwrite --bs=4k --iodepth=8
	wait_for 20 disk_busy stk6
	sleep 2
	sample_disk stk6 12 "$WORK/win"
	cat "$WORK/win"
	held "device = *, PV writes/s" "$WORK/win" 2 200
	grep "^$(devnum stk6) " $CG/any/io.max
	! grep "^$(devnum "$lv") " $CG/any/io.max
	stop_daemon
}

@test "import-libvirt: drives on two LVs of one PV get a group each, on the volumes; a file on an LV's filesystem too" {
	vg_create vgs5 stk5
	lvm_cmd lvcreate -q -y -L 128M -n sys vgs5 >/dev/null
	lvm_cmd lvcreate -q -y -L 128M -n data vgs5 >/dev/null
	lvm_cmd lvcreate -q -y -L 128M -n files vgs5 >/dev/null
	mkfs.ext4 -q -F /dev/vgs5/files
	mkdir -p "$WORK/files"
	mount /dev/vgs5/files "$WORK/files"
	MOUNTS+=("$WORK/files")
	: > "$WORK/files/img.raw"
	cat > "$WORK/dom.xml" <<-EOF
	<domain type='kvm'><name>web-1</name><devices>
	  <disk type='block' device='disk'><source dev='/dev/vgs5/sys'/><target dev='vda'/>
	    <iotune><total_iops_sec>100</total_iops_sec></iotune></disk>
	  <disk type='block' device='disk'><source dev='/dev/vgs5/data'/><target dev='vdb'/>
	    <iotune><write_iops_sec>250</write_iops_sec></iotune></disk>
	  <disk type='file' device='disk'><source file='$WORK/files/img.raw'/><target dev='vdc'/>
	    <iotune><read_bytes_sec>1048576</read_bytes_sec></iotune></disk>
	</devices></domain>
	EOF
	run "$IORATE" import-libvirt "$WORK/dom.xml"
	echo "$output"
	[ "$status" -eq 0 ]
	# QEMU limited each drive apart: so does the policy, one group per LV
	[[ $output == *"[group web-1-vgs5-sys]"*"device = /dev/mapper/vgs5-sys"*"iops-total = 100"* ]]
	[[ $output == *"[group web-1-vgs5-data]"*"device = /dev/mapper/vgs5-data"*"iops-write = 250"* ]]
	[[ $output == *"[group web-1-vgs5-files]"*"device = /dev/mapper/vgs5-files"*"bps-read = 1M"* ]]
	# not on the PV's disk
	[[ $output != *"device = /dev/stk5"* ]]
}

@test "a disk by /dev/disk/by-id, by MAJ:MIN and by a partition: each binds to the whole disk" {
	disk_create stk8
	mkdir -p /dev/disk/by-id
	# the link udev makes (no udev in the VM)
	ln -sf ../../stk8 /dev/disk/by-id/iorate-test-stk8
	truncate -s 256M "$WORK/parted.img"
	mbr_one_partition "$WORK/parted.img"
	modprobe loop
	LOOPDEV=$(losetup -P -f --show "$WORK/parted.img")
	local loop=${LOOPDEV#/dev/}
	wait_for 5 test -b "${LOOPDEV}p1"
	cg_create /byid
	cg_create /bynum
	cg_create /part
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group byid]
	match = cgroup:/byid
	device = /dev/disk/by-id/iorate-test-stk8
	iops-write = 150
	[group bynum]
	match = cgroup:/bynum
	device = $(devnum stk8)
	iops-read = 300
	[group part]
	match = cgroup:/part
	device = ${LOOPDEV}p1
	iops-write = 200
	EOF
	run "$IORATE" check --verbose "$POLICY"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"device = /dev/disk/by-id/iorate-test-stk8: stk8 ($(devnum stk8)): io.max on $(devnum stk8), its requests counted"* ]]
	[[ $output == *"device = $(devnum stk8): stk8 ($(devnum stk8)): io.max on $(devnum stk8)"* ]]
	[[ $output == *"device = ${LOOPDEV}p1: $loop ($(devnum "$loop")): io.max on $(devnum "$loop"), its requests counted"* ]]
	start_daemon
	wait_for 5 grep -q "^$(devnum stk8) .*wiops=150" $CG/byid/io.max
	wait_for 5 grep -q "^$(devnum stk8) .*riops=300" $CG/bynum/io.max
	# the partition's writes, held at its disk (the requests iostat counts)
	fio_file /part "${LOOPDEV}p1" 18 --rw=randwrite --bs=4k --iodepth=8
	wait_for 20 disk_busy "$loop"
	sleep 2
	sample_disk "$loop" 12 "$WORK/win"
	cat "$WORK/win"
	held "partition ${loop}p1, the disk's writes/s" "$WORK/win" 2 200
	grep "^$(devnum "$loop") " $CG/part/io.max
	! grep "^$(devnum "${loop}p1") " $CG/part/io.max
	stop_daemon
}
