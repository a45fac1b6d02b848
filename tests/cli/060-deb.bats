#!/usr/bin/env bats
# debian/ in step with the rest of the tree (the package itself is built by
# make deb and installed by tests/vm/050-deb.bats).

bats_require_minimum_version 1.5.0

# The words of tools/deps.txt's "# build" section, sorted, one a line.
deps_build() {
	awk '/^#/ { on = ($0 == "# build"); next } on' tools/deps.txt | tr ' ' '\n' |
		grep -v '^$' | sort
}

@test "deb: Build-Depends are tools/deps.txt's build packages, less build-essential" {
	run bash -c "sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control | sed '\$d' |
		sed 's/^Build-Depends://' | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
		grep -v -e '^$' -e '^debhelper-compat$' | sort"
	[ "$status" -eq 0 ]
	expected=$(deps_build | grep -vx -e make -e gcc)
	[ -n "$expected" ]
	[ "$output" = "$expected" ] || { diff <(echo "$expected") <(echo "$output") >&2; false; }
}

@test "deb: debhelper, dpkg-dev and lintian are in tools/deps.txt" {
	for p in debhelper dpkg-dev lintian; do
		sed 's/#.*//' tools/deps.txt | tr ' ' '\n' | grep -qx "$p"
	done
}
