#!/usr/bin/env bats
# The Debian package (make deb) installed with dpkg, as an operator would:
# the binary on PATH checks the shipped policy, dpkg knows the unit, both
# man pages, the completion and the conffile, the unit is not enabled, and
# dpkg -r / --purge take it away again. In the VM the host root is
# read-only 9p under a tmpfs overlay, so dpkg's writes (/usr/sbin, /etc,
# /var/lib/dpkg) land on the overlay and leave with the VM. Nothing here
# depends on the kernel: make test-vm runs it on 6.12 only.

load helpers

# Checks in setup, not setup_file: bats 1.8 (Debian 12) cannot skip from
# setup_file. The first test installs; the last removes.
setup() {
	[[ ${IORATE_VM:-} == 1 ]] || skip "not inside the vmtest VM (run via tools/vmtest)"
	need dpkg "install dpkg"
	DEB=$REPO/build/deb/iorate_$(cat "$REPO/VERSION")_$(dpkg --print-architecture).deb
	need_file "$DEB" "run make deb"
	[[ ! -e $BATS_FILE_TMPDIR/installed ]] || return 0
	if dpkg-query -W iorate >/dev/null 2>&1; then
		echo "iorate is already installed here: this test installs it itself" >&2
		return 1
	fi
	# man-db's trigger would re-index every man page over 9p (minutes
	# under TCG); its flag file is on the overlay, the host's stays.
	rm -f /var/lib/man-db/auto-update
	run dpkg -i "$DEB"
	echo "$output"
	[[ $status -eq 0 ]]
	touch "$BATS_FILE_TMPDIR/installed"
}

teardown_file() {
	[[ ${IORATE_VM:-} == 1 ]] || return 0
	dpkg --purge iorate >/dev/null 2>&1 || true
}

@test "deb: iorate is on PATH and checks the shipped policy" {
	run command -v iorate
	[[ $output == /usr/sbin/iorate ]]
	run iorate --version
	echo "$output"
	[[ $status -eq 0 ]]
	[[ $output == *"$(cat "$REPO/VERSION")"* ]]
	run iorate check /etc/iorate/iorate.conf
	echo "$output"
	[[ $status -eq 0 ]]
	cmp "$REPO/examples/iorate.conf" /etc/iorate/iorate.conf
}

@test "deb: dpkg -L lists the unit, both man pages and the completion" {
	run dpkg -L iorate
	echo "$output"
	[[ $status -eq 0 ]]
	for f in /usr/sbin/iorate /lib/systemd/system/iorate.service \
		/usr/share/man/man8/iorate.8.gz /usr/share/man/man5/iorate.conf.5.gz \
		/usr/share/bash-completion/completions/iorate /etc/iorate/iorate.conf; do
		grep -qx "$f" <<< "$output" || { echo "not listed: $f" >&2; false; }
		[[ -e $f ]]
	done
	grep -qx 'ExecStart=/usr/sbin/iorate run --policy /etc/iorate/iorate.conf' \
		/lib/systemd/system/iorate.service
}

@test "deb: /etc/iorate/iorate.conf is a conffile" {
	run dpkg-query -W -f='${Conffiles}' iorate
	echo "$output"
	[[ $output == *"/etc/iorate/iorate.conf "* ]]
}

@test "deb: the unit is not enabled on install" {
	[[ ! -e /etc/systemd/system/multi-user.target.wants/iorate.service ]]
}

@test "deb: dpkg -r removes the binary and keeps the policy; --purge removes that" {
	run dpkg -r iorate
	echo "$output"
	[[ $status -eq 0 ]]
	[[ ! -e /usr/sbin/iorate ]]
	[[ ! -e /lib/systemd/system/iorate.service ]]
	run command -v iorate
	[[ $status -ne 0 ]]
	[[ -f /etc/iorate/iorate.conf ]]
	run dpkg --purge iorate
	[[ $status -eq 0 ]]
	[[ ! -e /etc/iorate/iorate.conf ]]
}
