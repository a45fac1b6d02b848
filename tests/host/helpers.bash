# Shared setup for the host tier (root, this machine's kernel).
IORATE=${IORATE:-$BATS_TEST_DIRNAME/../../build/iorate}

skip_if_not_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# Start `iorate top --json` in the background and wait until its BPF
# programs are attached, so that I/O issued afterwards is counted.
start_top() {
	local out=$1; shift
	"$IORATE" top "$@" >"$out" 2>"$out.err" 3>&- &
	TOP_PID=$!
	for _ in $(seq 100); do
		grep -q "attached" "$out.err" 2>/dev/null && return 0
		kill -0 $TOP_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$out.err" >&2
	return 1
}

# reads, writes (completed) of one disk from /proc/diskstats
diskstats_rw() {
	awk -v d="$1" '$3 == d { print $4, $8 }' /proc/diskstats
}
