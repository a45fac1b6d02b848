#!/usr/bin/env bats
# iorate top on a terminal (curses), driven through tmux: it shows the
# rows, its keys change the view, it fits 80x24 and follows a resize, q
# quits cleanly. No daemon here (--socket names none): top falls back to
# its own meter and says so. tests/vm/035-top.bats covers the daemon.

load helpers

setup() {
	skip_if_not_root
	need tmux "install tmux"
	IMG=$(mktemp -p "$BATS_TEST_TMPDIR" loop.XXXX)
	truncate -s 64M "$IMG"
	LOOP=$(losetup -f --show "$IMG")
	LOOPNAME=${LOOP#/dev/}
	TMUX_SOCK=iorate-top-$$
}

teardown() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	[ -n "${LOOP:-}" ] && losetup -d "$LOOP" || true
}

screen() { tmux -L "$TMUX_SOCK" capture-pane -p; }
keys() { tmux -L "$TMUX_SOCK" send-keys "$@"; }

# start_top WIDTH HEIGHT [ARGS...]: iorate top in a tmux pane of that size
start_top_tmux() {
	local w=$1 h=$2; shift 2
	tmux -L "$TMUX_SOCK" new-session -d -x "$w" -y "$h" \
		"'$IORATE' top -d 0.5 --socket '$BATS_TEST_TMPDIR/none.sock' $* 2>'$BATS_TEST_TMPDIR/err'; echo exited \$? > '$BATS_TEST_TMPDIR/rc'; sleep 30"
}

quit_top() {
	keys q
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/rc" ] && break; sleep 0.1; done
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" = "exited 0" ]
}

# writes to the loop device in the background, for about 8 s
load_loop() {
	(
		end=$((SECONDS + 8))
		while [ $SECONDS -lt $end ]; do
			dd if=/dev/zero of="$LOOP" bs=4k count=4000 oflag=direct status=none
		done
	) 3>&- &
}

# wait_screen REGEX: until the screen shows it (5 s)
wait_screen() {
	for _ in $(seq 50); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	echo "screen never showed '$1':" >&2
	screen >&2
	return 1
}

@test "interactive top: rows, keys for level, sort and idle rows, q quits" {
	start_top_tmux 150 30
	wait_screen "level device"
	wait_screen "CGROUP"
	wait_screen "NO DAEMON: observe-only"
	grep -q attached "$BATS_TEST_TMPDIR/err"
	# keep writing while the screen is read: rates are per 0.5 s window
	dd if=/dev/zero of="$LOOP" bs=4k count=20000 oflag=direct status=none &
	wait_screen " $LOOPNAME "
	tmux -L "$TMUX_SOCK" send-keys l
	wait_screen "level bio"
	tmux -L "$TMUX_SOCK" send-keys s
	wait_screen "sort reads"
	tmux -L "$TMUX_SOCK" send-keys a
	wait_screen " rows "
	tmux -L "$TMUX_SOCK" send-keys +
	wait_screen "delay 1s"
	wait
	tmux -L "$TMUX_SOCK" send-keys q
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/rc" ] && break; sleep 0.1; done
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" = "exited 0" ]
}

@test "interactive top: sort < >, disk filter, group view, pause, help" {
	start_top_tmux 150 30
	wait_screen "CGROUP"
	load_loop
	wait_screen " $LOOPNAME "
	# > and s go to the next sort, < back; the limit columns need a daemon
	keys '>'
	wait_screen "sort reads"
	keys s
	wait_screen "sort writes"
	keys '<' '<'
	wait_screen "sort ops"
	keys '<'
	wait_screen "sort name"
	keys '<'
	wait_screen "sort await"
	keys '>' '>'
	wait_screen "sort ops"
	# d: one disk after the other, then all again
	for _ in $(seq 20); do
		screen | grep -q "disk $LOOPNAME" && break
		keys d
		sleep 0.2
	done
	wait_screen "disk $LOOPNAME"
	# only that disk's rows (and its header line)
	[ -z "$(screen | sed '1,/^CGROUP/d' | awk 'NF' | grep -v " $LOOPNAME ")" ]
	for _ in $(seq 20); do
		screen | grep -q "disk all" && break
		keys d
		sleep 0.2
	done
	wait_screen "disk all"
	# g: no groups without a daemon
	keys g
	wait_screen "no groups without a daemon"
	keys g
	wait_screen " $LOOPNAME "
	# p: the screen stays as it is until p again
	keys p
	wait_screen "PAUSED"
	before=$(screen | sed 1d)
	sleep 1.2
	[ "$(screen | sed 1d)" = "$before" ]
	keys p
	for _ in $(seq 30); do
		screen | grep -q PAUSED || break
		sleep 0.1
	done
	! screen | grep -q PAUSED
	# h: the help, any key back
	keys h
	wait_screen "iorate top: keys"
	wait_screen "g +group view"
	keys x
	wait_screen "^CGROUP"
	wait
	quit_top
}

@test "interactive top at 80x24: nothing wraps, it follows a resize" {
	start_top_tmux 80 24
	wait_screen "CGROUP"
	load_loop
	wait_screen " $LOOPNAME "
	screen
	[ "$(screen | awk 'length > 80' | wc -l)" = 0 ]
	[ "$(screen | wc -l)" -le 24 ]
	screen | grep -qE '^CGROUP +DEVICE +r/s +w/s +rMB/s +wMB/s +AWAIT'
	# the name column is as wide as its longest name (top_layout.c), not
	# as the screen: "/" and the loop device leave it at its minimum
	screen | grep -qE '^CGROUP {1,8}DEVICE'
	# narrower (SIGWINCH, KEY_RESIZE): the least useful columns go first,
	# AWAIT then rMB/s; back at 80 they return
	tmux -L "$TMUX_SOCK" resize-window -x 45 -y 20
	wait_screen '^CGROUP +DEVICE +r/s +w/s +wMB/s *$'
	[ "$(screen | awk 'length > 45' | wc -l)" = 0 ]
	tmux -L "$TMUX_SOCK" resize-window -x 80 -y 24
	wait_screen '^CGROUP +DEVICE +r/s +w/s +rMB/s +wMB/s +AWAIT'
	[ "$(screen | awk 'length > 80' | wc -l)" = 0 ]
	wait
	quit_top
}
