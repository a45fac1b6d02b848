#!/usr/bin/env bats
# iorate status / reload as clients, without a daemon: usage, and a clear
# message when nothing answers. The daemon's side is in tests/unit
# (test_ctlsock.c) and tests/vm/030-observe.bats.

bats_require_minimum_version 1.5.0

load ../need

IORATE=${IORATE:-build/iorate}

setup() { TMP=$(mktemp -d); }
teardown() { rm -rf "$TMP"; }

@test "status and reload say when no daemon answers" {
	run --separate-stderr "$IORATE" status --socket "$TMP/none.sock"
	[ "$status" -eq 1 ]
	[[ $stderr == *"no daemon answers on $TMP/none.sock"* ]]
	run --separate-stderr "$IORATE" reload --socket "$TMP/none.sock"
	[ "$status" -eq 1 ]
	[[ $stderr == *"no daemon answers on $TMP/none.sock"* ]]
}

@test "status and reload: usage errors exit 2, --help exits 0" {
	run "$IORATE" status --bogus
	[ "$status" -eq 2 ]
	run "$IORATE" status extra
	[ "$status" -eq 2 ]
	run "$IORATE" reload --json
	[ "$status" -eq 2 ]
	run "$IORATE" status --help
	[ "$status" -eq 0 ]
	[[ $output == *"--socket PATH"* ]]
	run "$IORATE" reload --help
	[ "$status" -eq 0 ]
}

@test "a socket that answers nonsense is reported, not trusted" {
	need python3 "install python3"
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); c.recv(300); c.sendall(b"not json\n"); c.close()' "$TMP/fake.sock" 3>&- &
	for _ in $(seq 50); do [ -S "$TMP/fake.sock" ] && break; sleep 0.1; done
	run --separate-stderr "$IORATE" status --socket "$TMP/fake.sock"
	wait
	[ "$status" -eq 1 ]
	[[ $stderr == *"not a JSON object"* ]]
}
