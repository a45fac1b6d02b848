#!/usr/bin/env bats
# iorate top against a fake daemon (a socket answering a canned status
# document, docs/status.md): no BPF, no root. At 80x24 each member shows
# as its VM's name, or its cgroup path, beside its group; the explain view
# (key e) judges windows between two answers, explain.c's judgement
# (tests/unit: test_top.c drives it with exact counts). The real daemon's
# side is tests/vm/035-top.bats.

bats_require_minimum_version 1.5.0

load ../need

IORATE=${IORATE:-build/iorate}

setup() {
	need tmux "tools/deps.txt"
	need python3 "install python3"
	TMP=$(mktemp -d)
	TMUX_SOCK=iorate-top-cli-$$
}

teardown() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	[ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null || true
	[ -n "${WRITER_PID:-}" ] && kill "$WRITER_PID" 2>/dev/null || true
	rm -rf "$TMP"
}

member() { # CGROUP VM WIOPS
	printf '{"cgroup": "%s", "cgroup_id": 1, "vm": %s, "device": "sdz", "dev": "8:0",
	  "rates": {"read_iops": 0, "write_iops": %s, "read_bps": 0, "write_bps": 4096000},
	  "bucket_fill": {"iops_total": 0.5}, "throttled_s": 1.0,
	  "await_ms": {"read": 0, "write": 0.5}, "iomax": null}' "$1" "$2" "$3"
}

fake_daemon() {
	cat > "$TMP/status.json" <<-EOF
	{"pid": 4242, "policy": "/etc/iorate/iorate.conf", "tick_ms": 100, "accounting": "device",
	 "uptime_s": 60, "window_s": 1.0, "counters": {"ticks": 600},
	 "groups": [
	  {"name": "guests", "share": "each", "limits": {"iops_total": {"avg": 300}},
	   "members": [$(member '/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope' '"web-1"' 290),
	               $(member '/machine.slice/machine-qemu\\x2d2\\x2dprod\\x2ddb\\x2dreplica\\x2d03.scope' '"prod-db-replica-03"' 250)]},
	  {"name": "batch-jobs-nightly", "share": "each", "limits": {"iops_total": {"avg": 400}},
	   "members": [$(member '/system.slice/backup-of-everything-we-have.service' null 100)]}
	 ]}
	EOF
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
doc = open(sys.argv[2], "rb").read().replace(b"\n", b" ") + b"\n"
while True:
    c, _ = s.accept(); c.recv(300); c.sendall(doc); c.close()' "$TMP/fake.sock" "$TMP/status.json" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 50); do [ -S "$TMP/fake.sock" ] && break; sleep 0.1; done
}

# growing_daemon PID: a fake daemon for the explain view (key e), whose status
# totals grow with each answer, as a real member's do: one member, web-1, whose n-th answer carries n x (200
# write bios, 150 of them the pieces of split bios, 200 write requests);
# its process is PID
growing_daemon() {
	python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
n = 0
def dirs(w):
    return {"read": {"ops": 0, "bytes": 0}, "write": {"ops": w, "bytes": w * 262144}}
while True:
    c, _ = s.accept(); c.recv(300); n += 1
    m = {"cgroup": "/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope", "cgroup_id": 7,
         "vm": "web-1", "device": "sdz", "dev": "8:0", "pids": [int(sys.argv[2])],
         "pids_truncated": False,
         "rates": {"read_iops": 0, "write_iops": 200, "read_bps": 0, "write_bps": 13107200},
         "totals": {"bio": dirs(200 * n), "device": dirs(200 * n),
                    "writeback": {"ops": 0, "bytes": 0},
                    "split_pieces": {"read": 0, "write": 150 * n}},
         "iomax": None}
    doc = {"pid": 4242, "policy": "/etc/iorate/iorate.conf", "tick_ms": 100,
           "accounting": "device", "uptime_s": 60, "window_s": 1.0, "counters": {"ticks": 600},
           "groups": [{"name": "guests", "share": "each",
                       "limits": {"iops_total": {"avg": 300}}, "members": [m]}]}
    c.sendall(json.dumps(doc).encode() + b"\n"); c.close()' "$TMP/fake.sock" "$1" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 50); do [ -S "$TMP/fake.sock" ] && break; sleep 0.1; done
}

screen() { tmux -L "$TMUX_SOCK" capture-pane -p; }

wait_screen() {
	local i
	for i in $(seq 100); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	echo "screen never showed '$1':" >&2
	screen >&2
	return 1
}

@test "top at 80x24 names members by VM and group, cuts long names at the front" {
	fake_daemon
	tmux -L "$TMUX_SOCK" new-session -d -x 80 -y 24 \
		"'$IORATE' top -d 0.5 --socket '$TMP/fake.sock' 2>'$TMP/top.err'; sleep 60"
	wait_screen '^MEMBER +GROUP +DEVICE +r/s +w/s +rMB/s +wMB/s +LIMIT +%LIM'
	screen | sed 's/^/# | /' >&3
	wait_screen '^web-1 +guests +sdz +0\.0 +290\.0 .* 300 +97'
	# a 16-column group leaves 13 for the name: its end stays
	wait_screen '^\.\.-replica-03 +guests +sdz '
	# no VM: the path, cut at the front; a long group cut at 16
	wait_screen '^\.\.[^ ]*\.service +\.\.[a-z-]*nightly +sdz '
	[ "$(screen | awk 'length > 80' | wc -l)" = 0 ]
	# c: paths for all
	tmux -L "$TMUX_SOCK" send-keys c
	wait_screen '^\.\.[^ ]*x2d1\.scope +guests +sdz '
	tmux -L "$TMUX_SOCK" send-keys q
}

@test "top on a wide screen adds the CGROUP column" {
	fake_daemon
	tmux -L "$TMUX_SOCK" new-session -d -x 200 -y 24 \
		"'$IORATE' top -d 0.5 --socket '$TMP/fake.sock' 2>'$TMP/top.err'; sleep 60"
	wait_screen '^MEMBER +GROUP +DEVICE .* IO\.MAX +CGROUP'
	wait_screen '^web-1 +guests +sdz .* (/machine\.slice/|\.\.)[^ ]*machine-qemu\\x2d1\\x2dweb\\x2d1\.scope$'
	tmux -L "$TMUX_SOCK" send-keys q
}

@test "top's explain view: a member's stages, its syscalls, and the block layer named for its split bios" {
	# the member's process: a writer of write syscalls (to /dev/null)
	( exec 3>&-; while :; do echo x; sleep 0.01; done > /dev/null ) &
	WRITER_PID=$!
	growing_daemon "$WRITER_PID"
	tmux -L "$TMUX_SOCK" new-session -d -x 160 -y 24 \
		"'$IORATE' top -d 0.5 --socket '$TMP/fake.sock' 2>'$TMP/top.err'; sleep 60"
	wait_screen '^web-1 +guests +sdz'
	wait_screen 'e explain'
	tmux -L "$TMUX_SOCK" send-keys e
	wait_screen '^MEMBER +DEVICE +DIR +SYSC/s +BIO/s +SPLIT/s +REQ/s +WB% +DISK% +PEAK/s +WIN'
	# 200 bios, 150 of them pieces: 50 as submitted became 200 requests,
	# at 400/s in windows of 0.5 s (no exact figure: TCG's and tmux's
	# timing set the windows)
	wait_screen '^web-1 +sdz +write +[0-9.]+ +[1-9][0-9.]* +[1-9][0-9.]* +[1-9][0-9.]* +0 +- +[0-9.]+ +[1-9]'
	wait_screen '^  the block layer: [1-9][0-9]* write bios/s became [1-9][0-9]* requests/s at the disk \([1-9][0-9]*/s pieces of split bios, 0/s merged\)'
	# the writer's syscalls, read from /proc/PID/io of the member's pids
	wait_screen '^web-1 +sdz +write +[1-9][0-9.]* '
	screen | sed 's/^/# /' >&3
	# e again: the table
	tmux -L "$TMUX_SOCK" send-keys e
	wait_screen '^MEMBER +GROUP +DEVICE'
	tmux -L "$TMUX_SOCK" send-keys h
	wait_screen '^  e +explain view'
	tmux -L "$TMUX_SOCK" send-keys q
}
