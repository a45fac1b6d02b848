#!/usr/bin/env bats
# limits = libvirt with a real libvirtd: libvirt's own daemon, started in
# the test VM (no systemd there, so libvirt makes its own cgroups:
# /machine/qemu-N-NAME.libvirt-qemu), defines and starts a tiny guest whose
# drive has an <iotune>. iorate finds the guest by name, takes its limits
# from the status file libvirt keeps (/run/libvirt/qemu/NAME.xml), holds
# them at the host disk, and follows `virsh blkdeviotune`.
#
# The guest is SeaBIOS with nothing to boot (a TCG guest nested in the TCG
# test VM takes minutes to boot a kernel; 026 does that). Its QEMU throttles
# the guest's own requests; what iorate holds is what the host disk sees
# from the VM's cgroup, so the load is fio in a cgroup below the domain's:
# the host I/O a guest's throttle does not see (writeback, splits), which
# is the user's problem (DESIGN.md §1).
#
# On 6.12 only (Makefile VM_TESTS_612). On 6.1 (steady mode) lowering
# io.max from 198 to 96 under this load once lost blk-throttle's limit for
# seconds (6.1's unsigned carryover: windows 0 0 35 89 98 100 112 120
# against 100). With lowerings timed to the slice there it held in three
# runs (2026-12-07: at 200 means 207.6, 206.0, 206.6; at 100 99.9, 99.3,
# 100.0), then failed in the fourth, a fresh-clone CI: after blkdeviotune
# to 100 steady mode held io.max at riops=10 wiops=110 and every window at
# 109-111 against 100 (bar 110). Not traced: issue 18's 6.1 cell.

load helpers

DOM=lvt-1

setup() {
	vm_setup
	need libvirtd "tools/deps.txt: libvirt-daemon-system"
	need virsh "tools/deps.txt: libvirt-clients"
	need qemu-system-x86_64 "tools/deps.txt: qemu-system-x86"
	SOCK=$WORK/ctl/iorate.sock
	# the VM's /etc is a tmpfs overlay: this changes nothing on the host
	cp /etc/libvirt/qemu.conf "$WORK/qemu.conf.orig"
	# root without a security driver: the test VM has no libvirt-qemu
	# owned paths, no AppArmor; virtlogd is not running
	cat > /etc/libvirt/qemu.conf <<-EOF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	stdio_handler = "file"
	EOF
	LIBVIRT_LOG_OUTPUTS="3:file:$WORK/libvirtd.log" libvirtd -d
	wait_for 30 virsh -c qemu:///system version
}

teardown() {
	local pid
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	virsh -c qemu:///system destroy "$DOM" >/dev/null 2>&1 || true
	virsh -c qemu:///system undefine "$DOM" >/dev/null 2>&1 || true
	pkill -TERM -x libvirtd 2>/dev/null || true
	local i
	for i in $(seq 50); do pgrep -x libvirtd >/dev/null || break; sleep 0.1; done
	[[ -f ${WORK:-/nonexistent}/qemu.conf.orig ]] && cp "$WORK/qemu.conf.orig" /etc/libvirt/qemu.conf
	if [[ -s ${WORK:-/nonexistent}/libvirtd.log ]]; then
		echo "--- libvirtd log (errors)"
		grep -E " error " "$WORK/libvirtd.log" | tail -5
	fi
	vm_teardown
}

# domain_xml IOPS: the guest, its one drive on /dev/lv0 limited by QEMU
domain_xml() {
	cat <<-EOF
	<domain type='qemu'>
	  <name>$DOM</name>
	  <memory unit='MiB'>64</memory>
	  <vcpu>1</vcpu>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <disk type='block' device='disk'>
	      <driver name='qemu' type='raw' cache='none' io='native'/>
	      <source dev='/dev/lv0'/>
	      <target dev='vda' bus='virtio'/>
	      <iotune><total_iops_sec>$1</total_iops_sec></iotune>
	    </disk>
	    <video><model type='none'/></video>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	EOF
}

# iomax_iops_above N: lv0's riops or wiops in the domain's io.max is
# above N. Bash alone, no fork: it is polled every few ms under TCG.
iomax_iops_above() {
	local line
	while read -r line; do
		[[ $line == "$LV0 "* ]] || continue
		[[ $line =~ riops=([0-9]+) ]] && (( BASH_REMATCH[1] > $1 )) && return 0
		[[ $line =~ wiops=([0-9]+) ]] && (( BASH_REMATCH[1] > $1 )) && return 0
		return 1
	done < "$CG$DOMCG/io.max"
	return 1
}

held() {
	local label=$1 rc=0; shift
	check_windows "$1" 3 0 "$2" > "$WORK/held" || rc=$?
	cat "$WORK/held"
	echo "# $label: $(grep '^windows' "$WORK/held")" >&3
	return $rc
}

@test "limits = libvirt: a real libvirtd's guest found by name, its <iotune> held at the host disk, virsh blkdeviotune followed" {
	disk_create lv0
	LV0=$(devnum lv0)
	write_policy <<-EOF
	[daemon]
	metrics = off
	socket = $SOCK
	state-dir = $WORK/state
	[group vms]
	match = vm:lvt-*
	limits = libvirt
	EOF
	# before the guest: the daemon waits for libvirt's status file
	start_daemon
	domain_xml 200 > "$WORK/dom.xml"
	virsh -c qemu:///system define "$WORK/dom.xml" >/dev/null
	virsh -c qemu:///system start "$DOM"
	DOMCG=$(sed -n 's/^0:://p' "/proc/$(cat /run/libvirt/qemu/$DOM.pid)/cgroup")
	DOMCG=${DOMCG%/emulator}
	echo "domain cgroup: $DOMCG"
	[[ $DOMCG == /machine/qemu-*-$DOM.libvirt-qemu ]]
	wait_for 10 grep -q "^$(devnum lv0) .*iops=" "$CG$DOMCG/io.max"
	grep -q "libvirt /run/libvirt/qemu: 1 status file, 1 domain matched, 1 group" "$WORK/daemon.log"
	"$IORATE" check --verbose "$POLICY" | tee "$WORK/check.txt"
	grep -q "vms.$DOM-lv0" "$WORK/check.txt"
	"$IORATE" status --socket "$SOCK" | tee "$WORK/status.txt"
	grep -q "vms.$DOM-lv0" "$WORK/status.txt"

	# the host I/O of the VM's cgroup that QEMU's throttle does not see.
	# In the domain's own cgroup: libvirt made it a threaded domain (its
	# emulator and vcpu children are threaded), where a new child cgroup
	# takes no process.
	cg_run "$DOMCG" fio --name=job --filename=/dev/lv0 --direct=1 --ioengine=libaio \
		--time_based --runtime=40 --output=/dev/null --rw=randwrite --bs=4k --iodepth=8
	wait_for 20 disk_busy lv0
	sleep 2
	sample_disk lv0 10 "$WORK/at200"
	held "iotune 200, host disk IOPS" "$WORK/at200" 200

	# the operator lowers the drive's limit live: libvirt rewrites its
	# status file, iorate's io.max follows at its next tick
	virsh -c qemu:///system blkdeviotune "$DOM" vda --total-iops-sec 100 --live
	local t0 t1 rewritten in_ms
	t0=${EPOCHREALTIME/./}
	# io.max in follow mode sits near the limit, not on it: within the
	# windows' tolerance of the new one
	while iomax_iops_above 110 && (( ${EPOCHREALTIME/./} - t0 < 5000000 )); do sleep 0.005; done
	t1=${EPOCHREALTIME/./}
	rewritten=$(stat -c %.6Y "/run/libvirt/qemu/$DOM.xml" | tr -d .)
	grep "^$LV0 " "$CG$DOMCG/io.max"
	# the daemon's own figure: the inotify event read to io.max written
	in_ms=$(sed -n 's/.*libvirt: the domains. limits in io.max \([0-9.]*\) ms after.*/\1/p' "$WORK/daemon.log" | tail -1)
	echo "# io.max at most 110 IOPS $(( (t1 - rewritten) / 1000 )) ms after libvirt rewrote $DOM.xml, $(( (t1 - t0) / 1000 )) ms after virsh blkdeviotune returned; the daemon: $in_ms ms from the status file's change to io.max" >&3
	(( t1 - t0 <= 1000000 ))
	# within one tick of 100 ms, with room for a TCG VM's late timer
	awk -v ms="$in_ms" 'BEGIN { exit !(ms != "" && ms <= 150) }'
	sleep 2
	sample_disk lv0 8 "$WORK/at100"
	held "after blkdeviotune 100, host disk IOPS" "$WORK/at100" 100

	# the guest stops: libvirt removes its status file, iorate its group
	virsh -c qemu:///system destroy "$DOM"
	wait_for 10 grep -q "libvirt /run/libvirt/qemu: 0 status files, 0 domains matched, 0 groups" "$WORK/daemon.log"
	stop_daemon
}
