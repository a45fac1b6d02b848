# Shared setup for the host tier (root, this machine's kernel).
source "$BATS_TEST_DIRNAME/../need.bash"
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

# Stop a `top --json -d 1` started by start_top once it has printed one
# whole sample after the I/O ended, so every completion is inside the
# samples whatever this machine's speed (a fixed window once cut the last
# read off on a slow CI machine).
stop_top_after_next_sample() {
	local out=$1 lines
	lines=$(wc -l <"$out")
	for _ in $(seq 50); do
		[ "$(wc -l <"$out")" -ge $((lines + 2)) ] && break
		sleep 0.1
	done
	kill "$TOP_PID"
	wait "$TOP_PID" || true
	TOP_PID=
	[ "$(wc -l <"$out")" -ge $((lines + 2)) ]
}

# FIELD (e.g. read.ops) of DEVICE summed over every row of every sample
top_sum() {
	jq -s --arg d "$2" "[.[].rows[] | select(.device == \$d) | .$1] | add // 0" "$3"
}
