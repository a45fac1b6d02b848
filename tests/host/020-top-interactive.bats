#!/usr/bin/env bats
# iorate top on a terminal (curses), driven through tmux: it shows the
# rows, its keys change the view, q quits cleanly.

load helpers

setup() {
	skip_if_not_root
	command -v tmux >/dev/null || skip "tmux missing"
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

# wait_screen PATTERN: until the screen shows it (5 s)
wait_screen() {
	for _ in $(seq 50); do
		screen | grep -q -- "$1" && return 0
		sleep 0.1
	done
	echo "screen never showed '$1':" >&2
	screen >&2
	return 1
}

@test "interactive top: rows, keys for level, sort and idle rows, q quits" {
	tmux -L "$TMUX_SOCK" new-session -d -x 150 -y 30 \
		"'$IORATE' top -d 0.5 2>'$BATS_TEST_TMPDIR/err'; echo exited \$? > '$BATS_TEST_TMPDIR/rc'; sleep 30"
	wait_screen "level device"
	wait_screen "CGROUP"
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
