#!/usr/bin/env bats
# share = cluster without a Redis: the binary needs no Redis library until a
# policy has a cluster group (hiredis is loaded with dlopen), and check
# reads the keys and the password file as the daemon would.

bats_require_minimum_version 1.5.0

IORATE=${IORATE:-build/iorate}

setup() { WORK=$(mktemp -d); }
teardown() { rm -rf "$WORK"; }

policy() {
	cat > "$WORK/p.conf" <<-EOF
	[daemon]
	cluster = redis://10.0.0.5:6380/tenant-a
	cluster-host = hv-01
	${1:-}
	[group tenant-a]
	match = vm:tenant-a-*
	share = cluster
	iops-total = 6000
	cluster-fallback = 20%
	EOF
}

@test "cluster: the binary does not link hiredis (dlopen for cluster policies only)" {
	run ldd "$IORATE"
	[ "$status" -eq 0 ]
	[[ $output != *hiredis* ]]
}

@test "cluster: check counts the cluster groups and names the Redis" {
	policy
	run --separate-stderr "$IORATE" check "$WORK/p.conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"OK: 1 group (0 each, 0 pooled, 1 cluster through redis://10.0.0.5:6380/tenant-a)"* ]]
}

@test "cluster: check warns of a password file others can read, naming file, line and key" {
	echo secret > "$WORK/pass"
	chmod 644 "$WORK/pass"
	policy "cluster-password-file = $WORK/pass"
	run --separate-stderr "$IORATE" check "$WORK/p.conf"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $stderr == *"$WORK/p.conf:4: cluster-password-file: $WORK/pass: must be owned by root and readable by root only"* ]]
}

@test "cluster: share = cluster without a Redis is an error naming the share line" {
	printf '[group g]\nmatch = vm:a\nshare = cluster\niops-total = 10\n' > "$WORK/p.conf"
	run --separate-stderr "$IORATE" check "$WORK/p.conf"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$WORK/p.conf:3: share: share = cluster needs cluster = redis://HOST:PORT in [daemon]"* ]]
}
