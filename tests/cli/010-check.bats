#!/usr/bin/env bats
# iorate check FILE: exit 0 with a one-line summary, 1 with every error as
# FILE:LINE: KEY: MESSAGE on stderr, 2 on bad usage.

bats_require_minimum_version 1.5.0

IORATE=${IORATE:-build/iorate}
FIX=tests/fixtures/policy

# Every error line (all but the closing count) is FILE:LINE: KEY: MESSAGE.
assert_error_lines() {
	local file=$1 line n=0
	while IFS= read -r line; do
		case $line in
		"$file: "*" error"*", nothing would be applied") ;;
		*)
			[[ $line =~ ^"$file":[0-9]+:\ [^\ ].*:\ .+ ]] || {
				echo "badly formed error line: $line" >&2
				return 1
			}
			n=$((n + 1)) ;;
		esac
	done <<<"$stderr"
	[ "$n" -gt 0 ]
}

@test "check --help prints usage and the grammar" {
	run --separate-stderr "$IORATE" check --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage: iorate check"* ]]
	[[ $output == *"[group NAME]"* ]]
	[[ $output == *"iops-total-max"* || $output == *"LIMIT-max"* ]]
	run --separate-stderr "$IORATE" check -h
	[ "$status" -eq 0 ]
}

@test "check: bad usage exits 2" {
	run --separate-stderr "$IORATE" check
	[ "$status" -eq 2 ]
	[[ $stderr == *"Usage: iorate check"* ]]
	run --separate-stderr "$IORATE" check a.conf b.conf
	[ "$status" -eq 2 ]
	run --separate-stderr "$IORATE" check --bogus "$FIX/good-minimal.conf"
	[ "$status" -eq 2 ]
}

@test "check: the examples are valid" {
	run --separate-stderr "$IORATE" check examples/iorate.conf
	[ "$status" -eq 0 ]
	[ "$output" = "examples/iorate.conf: OK: 2 groups (1 each, 1 pooled), tick 100ms, accounting device" ]
	run --separate-stderr "$IORATE" check examples/seed.conf
	[ "$status" -eq 0 ]
	[ "$output" = "examples/seed.conf: OK: 2 groups (2 each, 0 pooled), tick 100ms, accounting device" ]
}

@test "check: every good fixture passes with one summary line" {
	for f in "$FIX"/good-*.conf; do
		run --separate-stderr "$IORATE" check "$f"
		[ "$status" -eq 0 ] || { echo "$f: $stderr" >&2; false; }
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == "$f: OK: "* ]]
	done
}

@test "check: summary reflects the daemon section" {
	run --separate-stderr "$IORATE" check "$FIX/good-crlf.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "$FIX/good-crlf.conf: OK: 1 group (1 each, 0 pooled), tick 250ms, accounting bio" ]
	run --separate-stderr "$IORATE" check "$FIX/good-empty.conf"
	[ "$status" -eq 0 ]
	[[ $output == *"OK: 0 groups"* ]]
}

@test "check: every bad fixture fails with well-formed errors on stderr" {
	for f in "$FIX"/bad-*.conf; do
		run --separate-stderr "$IORATE" check "$f"
		[ "$status" -eq 1 ] || { echo "$f: status $status" >&2; false; }
		[ -z "$output" ]		# nothing on stdout
		assert_error_lines "$f"
	done
}

@test "check: syntax errors name line and key" {
	f=$FIX/bad-syntax.conf
	run --separate-stderr "$IORATE" check "$f"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$f:1: tick: key outside any section"* ]]
	[[ $stderr == *"$f:3: tick: expected 'key = value'"* ]]
	[[ $stderr == *"$f:4: tick: '5ms': must be from 10ms to 10s"* ]]
	[[ $stderr == *"$f:5: =: missing key"* ]]
	[[ $stderr == *"$f:6: [nonsense]: unknown section"* ]]
	[[ $stderr == *"$f:11: iops-total: repeated key (first set at line 10)"* ]]
	[[ $stderr == *"$f:12: bps-total: '120M trailing': unexpected text"* ]]
	[[ $stderr == *"$f:13: colour: unknown key"* ]]
	[[ $stderr == *"$f: 8 errors, nothing would be applied"* ]]
}

@test "check: QEMU's rules, reported on the later key" {
	f=$FIX/bad-qemu-rules.conf
	run --separate-stderr "$IORATE" check "$f"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$f:4: bps-read: bps-total and bps-read cannot be used together"* ]]
	[[ $stderr == *"$f:6: iops-total-max: iops-total-max (500) cannot be lower than iops-total (1000)"* ]]
	[[ $stderr == *"$f:7: iops-read-max-length: burst length set without burst rate"* ]]
	[[ $stderr == *"$f:9: bps-write-max: a burst rate needs the base rate"* ]]
	[[ $stderr == *"$f:11: [group nolimits]: group 'nolimits' sets no limit"* ]]
}

@test "check: value errors" {
	f=$FIX/bad-values.conf
	run --separate-stderr "$IORATE" check "$f"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$f:2: metrics: '127.0.0.1:70000': port must be"* ]]
	[[ $stderr == *"$f:8: match: 'cgroup:/machine.slice/../user.slice': must not contain '..'"* ]]
	[[ $stderr == *"$f:14: device: '/dev/../etc/passwd': must not contain '..'"* ]]
	[[ $stderr == *"$f:16: bps-total: '-5': must not be negative"* ]]
	[[ $stderr == *"$f:17: iops-total: '1.5': must be a whole number"* ]]
	[[ $stderr == *"$f:18: iops-read-max-length: '1500ms': must be a whole number of seconds"* ]]
	[[ $stderr == *"$f:20: iops-write: '1000000000000001': must be within [0, 1000000000000000]"* ]]
}

@test "check: groups, long lines, NUL bytes" {
	run --separate-stderr "$IORATE" check "$FIX/bad-groups.conf"
	[ "$status" -eq 1 ]
	[[ $stderr == *"bad-groups.conf:4: [group web]: duplicate group name 'web' (first at line 1)"* ]]
	[[ $stderr == *"bad-groups.conf:12: [daemon]: repeated section (first at line 11)"* ]]
	run --separate-stderr "$IORATE" check "$FIX/bad-longline.conf"
	[ "$status" -eq 1 ]
	[[ $stderr == *"bad-longline.conf:2: line: longer than 4096 bytes"* ]]
	run --separate-stderr "$IORATE" check "$FIX/bad-nul.conf"
	[ "$status" -eq 1 ]
	[[ $stderr == *"bad-nul.conf:2: line: contains a NUL byte"* ]]
}

@test "check: unreadable file is a clear error, exit 1" {
	run --separate-stderr "$IORATE" check /nonexistent/iorate.conf
	[ "$status" -eq 1 ]
	[[ $stderr == *"cannot read /nonexistent/iorate.conf: No such file or directory"* ]]
	run --separate-stderr "$IORATE" check "$FIX"
	[ "$status" -eq 1 ]
	[[ $stderr == *"cannot read $FIX: Is a directory"* ]]
}

@test "check: warns about a file others may write, still exit 0" {
	cp "$FIX/good-minimal.conf" "$BATS_TEST_TMPDIR/p.conf"
	chmod 0666 "$BATS_TEST_TMPDIR/p.conf"
	run --separate-stderr "$IORATE" check "$BATS_TEST_TMPDIR/p.conf"
	[ "$status" -eq 0 ]
	[[ $stderr == *"warning:"*"writable by others"* ]]
	[[ $output == *"OK: 1 group"* ]]
}

@test "check: QEMU's and libvirt's key names pass, each named once with iorate's key" {
	run --separate-stderr "$IORATE" check "$FIX/good-qemu-names.conf"
	[ "$status" -eq 0 ]
	[[ $output == *"OK: 2 groups (1 each, 1 pooled)"* ]]
	[[ $stderr == *"good-qemu-names.conf:6: total_iops_sec: note: iorate's name is iops-total"* ]]
	[[ $stderr == *"good-qemu-names.conf:11: group_name: note: a QEMU throttle group"* ]]
	[[ $stderr == *"good-qemu-names.conf:16: throttling.iops-write: note: iorate's name is iops-write"* ]]
	[ "$(grep -c 'note:' <<<"$stderr")" -eq 10 ]
	# an error names the key as written
	printf '[group a]\nmatch = cgroup:/a\ntotal_iops_sec = 100\nread_iops_sec = 5\n' > "$BATS_TEST_TMPDIR/p.conf"
	run --separate-stderr "$IORATE" check "$BATS_TEST_TMPDIR/p.conf"
	[ "$status" -eq 1 ]
	[[ $stderr == *"p.conf:4: read_iops_sec: iops-total and iops-read cannot be used together"* ]]
}

@test "check --verbose: each device line as this host resolves it" {
	printf '[group a]\nmatch = cgroup:/a\ndevice = /dev/null\ndevice = /dev/iorate-none\niops-total = 5\n[group b]\nmatch = cgroup:/b\niops-total = 3\n' > "$BATS_TEST_TMPDIR/p.conf"
	run --separate-stderr "$IORATE" check --verbose "$BATS_TEST_TMPDIR/p.conf"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[1]}" = "  [group a] device = /dev/null: not a block device" ]
	[[ ${lines[2]} == "  [group a] device = /dev/iorate-none: not on this host now"* ]]
	[[ ${lines[3]} == "  [group b] device = *: every disk that completes requests"* ]]
}
