#!/usr/bin/env bats
# iorate explain as a command: its usage and example, and bad options
# refused before any meter is attached. Its counts against the kernel's are
# in tests/host/010-accounting.bats and tests/vm/032-explain.bats; its
# judgement in tests/unit/test_explain.c.

load ../need

IORATE=${IORATE:-build/iorate}

@test "explain --help names every stage and shows an example with its verdict" {
	run "$IORATE" explain --help
	[ "$status" -eq 0 ]
	for stage in syscalls bios requests disk; do
		[[ $output == *"  $stage  "* ]]
	done
	[[ $output == *"syscalls of its processes"*"of which pieces of split bios"*"merged into another request"*"requests at the disk"* ]]
	[[ $output == *"=> writeback: 88% of device writes came in 2 of every 10 seconds"* ]]
}

@test "explain rejects bad options with a clear message" {
	run "$IORATE" explain -d 0
	[ "$status" -eq 2 ]
	[[ $output == *"-d: not a whole number of seconds from 1 to 3600: 0"* ]]
	run "$IORATE" explain -n x
	[ "$status" -eq 2 ]
	[[ $output == *"-n: not a count"* ]]
	run "$IORATE" explain web-1 extra
	[ "$status" -eq 2 ]
	[[ $output == *"unexpected argument: extra"* ]]
	# a QMP socket is one QEMU's: whose must be said
	run "$IORATE" explain --qmp /run/db-1.qmp
	[ "$status" -eq 2 ]
	[[ $output == *"--qmp /run/db-1.qmp: whose? give the VM's NAME too"* ]]
	run "$IORATE" explain --help
	[[ $output == *"--qmp SOCKET"*"QMP monitor"* ]]
}
