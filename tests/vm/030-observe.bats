#!/usr/bin/env bats
# Observing the daemon: iorate status over the control socket, Prometheus
# /metrics, iorate reload, and a control socket that no client can stall.
# Runs inside the VM (tools/vmtest --kernel 6.12 -- bats tests/vm/030-observe.bats).

bats_require_minimum_version 1.5.0

# Not kernel-specific: on 6.12 only (the Makefile's one-kernel tag).
# bats file_tags=one-kernel

load helpers

# IORATE_BIN: a binary built elsewhere (make OUTPUT=...), default build/iorate
IORATE=${IORATE_BIN:-$IORATE}
PORT=19477

setup() {
	vm_setup
	ip link set lo up 2>/dev/null || busybox ip link set lo up || true
	SOCK=$WORK/ctl/iorate.sock
}
teardown() { vm_teardown; }

# policy_obs LIMIT [extra group lines...]
policy_obs() {
	local limit=$1; shift
	write_policy <<-EOF
	[daemon]
	metrics = 127.0.0.1:$PORT
	socket = $SOCK
	state-dir = $WORK/state
	[group obs]
	match = cgroup:/obs
	device = /dev/obs0
	iops-total = $limit
	$*
	EOF
}

scrape() {
	if command -v curl >/dev/null; then
		curl -sf "http://127.0.0.1:$PORT$1"
	else
		busybox wget -qO- "http://127.0.0.1:$PORT$1"
	fi
}

# wait_writes CGROUP: until the disk has seen writes from it (the first fio
# of a fresh VM takes seconds to load over 9p under TCG)
wait_writes() {
	local i
	for i in $(seq 200); do
		grep -qE 'wios=[1-9]' "$CG$1/io.stat" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no writes from $1 within 20 s" >&2
	return 1
}

status_json() {
	"$IORATE" status --json --socket "$SOCK"
}

@test "status under load shows the member's rate, io.max and buckets; /metrics parses" {
	disk_create obs0
	cg_create /obs
	policy_obs 400
	start_daemon
	# created 0600 in a directory the daemon made
	[ "$(stat -c %a "$SOCK")" = 600 ]
	[ -S "$SOCK" ]
	fio_in /obs obs0 15 --rw=randwrite --bs=4k --iodepth=4
	wait_writes /obs
	# two rate windows of 1 s, and the loop settled on io.max
	sleep 3
	run status_json
	echo "$output" | jq -c '.groups[].members[]'

	[ "$status" -eq 0 ]
	jq -e '.version and .pid and .tick_ms == 100 and .uptime_s > 0 and .counters.ticks > 0' <<<"$output"
	jq -e '.groups[0].name == "obs" and .groups[0].limits.iops_total.avg == 400' <<<"$output"
	jq -e '.groups[0].members[] | select(.cgroup == "/obs" and .device == "obs0")
		| .rates.write_iops > 100 and .rates.write_iops < 600
		  and .iomax.wiops != null and (.bucket_fill | has("iops_total"))
		  and .rates_by_level.bio.write_iops > 0
		  and .totals.device.write.ops > 0' <<<"$output"
	# the table names the member and its disk
	run "$IORATE" status --socket "$SOCK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"group obs (each): iops-total 400"* ]]
	[[ $output == *"/obs "*"obs0"* ]]

	run scrape /metrics
	[ "$status" -eq 0 ]
	echo "$output" > "$WORK/metrics.txt"
	grep -E '^iorate_io_operations_total\{group="obs",member="/obs",device="obs0",direction="write",level="device"\} [1-9][0-9]*$' "$WORK/metrics.txt"
	grep -E '^iorate_limit\{group="obs",kind="iops",direction="total"\} 400$' "$WORK/metrics.txt"
	grep -E '^iorate_iomax\{member="/obs",device="obs0",field="wiops"\} [0-9]+$' "$WORK/metrics.txt"
	grep -E '^iorate_bucket_fill\{group="obs",member="/obs",device="obs0",limit="iops-total"\} ' "$WORK/metrics.txt"
	grep -E '^iorate_ticks_total [1-9]' "$WORK/metrics.txt"
	grep -q '^# TYPE iorate_iomax_writes_total counter$' "$WORK/metrics.txt"
	# CI installs prometheus (tools/deps.txt): there a missing promtool fails
	if command -v promtool >/dev/null || [ "${CI:-}" = true ]; then
		promtool check metrics < "$WORK/metrics.txt"
	else
		echo "# promtool missing: format checked by the unit tests only" >&3
	fi
	# status and the scrape agree: under load, a scrape taken between two
	# status requests reads counters between theirs (the two cannot be
	# taken in the same tick: a process start alone takes ticks under TCG)
	fio_in /obs obs0 8 --rw=randwrite --bs=4k --iodepth=4
	sleep 2
	status_json > "$WORK/s1.json"
	scrape /metrics > "$WORK/m.txt"
	status_json > "$WORK/s2.json"
	ops() { jq '.groups[0].members[] | select(.cgroup == "/obs") | .totals.device.write.ops' "$1"; }
	s1=$(ops "$WORK/s1.json") s2=$(ops "$WORK/s2.json")
	m=$(awk '/^iorate_io_operations_total\{group="obs",member="\/obs",device="obs0",direction="write",level="device"\} / { print $2 }' "$WORK/m.txt")
	t1=$(jq .counters.ticks "$WORK/s1.json") t2=$(jq .counters.ticks "$WORK/s2.json")
	tm=$(awk '/^iorate_ticks_total / { print $2 }' "$WORK/m.txt")
	echo "write ops: status $s1, scrape $m, status $s2; ticks $t1, $tm, $t2"
	(( s1 < s2 ))	# the load was running
	(( s1 <= m && m <= s2 && t1 <= tm && tm <= t2 ))
	run scrape /nothing
	[ "$status" -ne 0 ]
	stop_daemon
	# the socket goes with the daemon
	[ ! -e "$SOCK" ]
}

@test "reload takes a good policy and rejects a bad one, keeping the running policy" {
	disk_create obs0
	cg_create /obs
	policy_obs 400
	start_daemon
	policy_obs 300
	run "$IORATE" reload --socket "$SOCK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "reloaded $POLICY: 1 group(s)" ]]
	[ "$(status_json | jq '.groups[0].limits.iops_total.avg')" = 300 ]

	# iops-total with iops-write: QEMU rejects the pair, and so does iorate
	policy_obs 200 "iops-write = 100"
	run --separate-stderr "$IORATE" reload --socket "$SOCK"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"rejected; the running policy stays"* ]]
	[[ $stderr == *"$POLICY:"[0-9]*": iops-write: "* ]]
	[ "$(status_json | jq '.groups[0].limits.iops_total.avg')" = 300 ]
	grep -q "reload of $POLICY rejected" "$WORK/daemon.log"

	# SIGHUP still reloads
	policy_obs 250
	kill -HUP "$DAEMON_PID"
	sleep 1
	[ "$(status_json | jq '.groups[0].limits.iops_total.avg')" = 250 ]
}

@test "malformed requests get an error; silent clients stall neither the daemon nor status" {
	need python3 "tools/deps.txt"
	disk_create obs0
	cg_create /obs
	policy_obs 400
	start_daemon
	run /usr/bin/python3 - "$SOCK" <<-'EOF'
	import socket, sys
	def ask(data):
	    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
	    s.sendall(data); s.shutdown(socket.SHUT_WR)
	    out = b""
	    while True:
	        b = s.recv(65536)
	        if not b: break
	        out += b
	    return out.decode()
	print(ask(b"bogus\n").strip())
	print(ask(b"x" * 300).strip())
	print(ask(b"\n").strip())
	EOF
	echo "$output"
	[ "${lines[0]}" = '{"error":"unknown request (expected status or reload)"}' ]
	[ "${lines[1]}" = '{"error":"request longer than 256 bytes"}' ]
	[[ ${lines[2]} == '{"error":"empty request'* ]]

	# A daemon that read its clients blocking would hang on a silent one
	# until it closes (10 s here): status must answer long before. The
	# times printed include starting iorate and jq under TCG.
	start=$(date +%s%N)
	ticks0=$(status_json | jq .counters.ticks)
	echo "status alone: $(( ($(date +%s%N) - start) / 1000000 )) ms"
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(10)' "$SOCK" 3>&- &
	sleep 0.5
	start=$(date +%s%N)
	run timeout 5 "$IORATE" status --json --socket "$SOCK"
	echo "status with one silent client: $(( ($(date +%s%N) - start) / 1000000 )) ms"
	[ "$status" -eq 0 ]
	ticks1=$(jq .counters.ticks <<<"$output")

	# more silent clients than the daemon serves at once (16): the others
	# wait in the backlog, each silent one is dropped after 1 s, and
	# status still answers
	/usr/bin/python3 -c '
import socket, sys, time
ss = []
for i in range(40):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); ss.append(s)
time.sleep(10)' "$SOCK" 3>&- &
	sleep 0.5
	start=$(date +%s%N)
	run timeout 8 "$IORATE" status --json --socket "$SOCK"
	echo "status behind 40 silent clients: $(( ($(date +%s%N) - start) / 1000000 )) ms"
	[ "$status" -eq 0 ]
	ticks2=$(jq .counters.ticks <<<"$output")
	# the loop kept ticking (every 100 ms) all along
	echo "ticks $ticks0 -> $ticks1 -> $ticks2"
	[ "$ticks1" -gt "$ticks0" ]
	[ $((ticks2 - ticks1)) -ge 5 ]
}

@test "a second daemon on the same socket refuses to start" {
	disk_create obs0
	cg_create /obs
	policy_obs 400
	start_daemon
	run timeout 20 "$IORATE" run --policy "$POLICY"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"another iorate daemon answers there"* ]]
	# the first one still answers
	status_json | jq -e '.pid'
}
