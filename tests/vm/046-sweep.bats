#!/usr/bin/env bats
# The meter frees a gone cgroup's entries whether or not its rmdir event
# reached the daemon (issue #15): the rescan's sweep. Split from
# 047-footprint so that it runs in make test (047 needs 255 possible
# CPUs). On 6.12 only: the sweep compares the meter's keys with the
# cgroups it finds, the daemon's work alike on both kernels (26 s of the
# 6.1 tier, CI 2026-12-07).
# bats file_tags=one-kernel

load helpers

setup() { vm_setup; }
teardown() { vm_teardown; }

# The rescan's sweep frees what no rmdir event freed: here the events are
# lost (the daemon stopped while 4000 others filled its ring); a cgroup
# charged by writeback after its rmdir is the other case.
@test "rmdir events lost: the rescan's sweep frees the gone cgroups' entries" {
	disk_create sw0
	cg_create /sw/c0
	write_policy <<-EOF
	[daemon]
	metrics = off
	state-dir = $WORK/state
	[group sw]
	match = cgroup:/sw/c*
	device = /dev/sw0
	iops-write = 5000
	EOF
	start_daemon
	local i ids=()
	io_from_each /sw 10 sw0
	for ((i = 0; i < 10; i++)); do ids+=("$(stat -c %i "$CG/sw/c$i")"); done
	kill -STOP "$DAEMON_PID"
	mkdir "$CG"/sw/x{1..2000}
	rmdir "$CG"/sw/x{1..2000}
	rmdir "$CG"/sw/c{0..9}
	for i in "${ids[@]}"; do entry_of "$i"; done
	kill -CONT "$DAEMON_PID"
	# the ring overflowed: the daemon says so and rescans; the sweep
	# runs with every rescan and at least every 10 s
	wait_for 25 no_entries_of "${ids[@]}"
	grep "ring overflowed" "$WORK/daemon.log"
	"$IORATE" status --json | jq -c .counters
	"$IORATE" status --json | jq -e '.counters.meter_entries_freed >= 10'
}
