#!/bin/busybox sh
# vmtest stage 2: PID 1 after switch_root, run by the host's busybox on the
# overlay root that init (stage 1) prepared. Runs the command
# (/run/vmtest/cmd.sh, written by the runner) with its output on ttyS1, which
# is the runner's stdout, stores its exit status in /run/vmtest/rc and powers
# off.
# As PID 1 this must never exit (the kernel would panic), hence no `set -e`.
set -o pipefail

job=/run/vmtest
out=/dev/ttyS1

step() { echo "vmtest-guest: [$(cut -d' ' -f1 /proc/uptime)] $*" >/dev/console; }

poweroff_now() {
	sync
	poweroff -f
	# No ACPI poweroff: sysrq "o" is the other way to stop the machine.
	echo o >/proc/sysrq-trigger
	while :; do sleep 1000; done
}

# Raw: no \n -> \r\n translation and no echo, so the runner can pass ttyS1
# through as is.
if ! stty -F $out raw -echo; then
	echo "cannot configure $out" >$job/setup-error
	poweroff_now
fi

step "starting command"
: >$job/started
if [ -e $job/tty ]; then
	# The runner's stdout is a terminal: give the command one too so that
	# tools pick their interactive output format.
	bash $job/cmd.sh </dev/null >$out 2>&1
else
	# Otherwise a pipe, like on the host (no colours, no progress bars).
	bash $job/cmd.sh </dev/null 2>&1 | cat >$out
fi
rc=$?

# tcsetattr(TCSADRAIN) waits until the UART has sent everything; without it
# the tail of the output could be lost to the poweroff.
stty -F $out raw -echo
echo $rc >$job/rc
step "command exited with $rc"
poweroff_now
