#!/usr/bin/env bats
# iorate import-libvirt: domain XML in, a policy `iorate check` accepts out,
# with the XML's numbers. The samples in tests/fixtures/libvirt name files
# and devices as @FILE@ / @FILE2@ / @DEV@: the tests put in paths that exist
# here, since mapping a drive to its host disk needs the real host.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../need.bash"

IORATE=${IORATE:-build/iorate}
FIX=tests/fixtures/libvirt

# The whole disk under a block device node, as /dev/NAME (empty when it is
# a stacked device: dm, md; the tests then check the form only).
whole_disk() {
	local sys ma mi
	read -r ma mi < <(stat -L -c '%t %T' "$1") || return
	sys=$(readlink -f "/sys/dev/block/$((16#$ma)):$((16#$mi))") || return
	[ -e "$sys/partition" ] && sys=${sys%/*}
	[ -n "$(ls -A "$sys/slaves" 2>/dev/null)" ] && return
	echo "/dev/${sys##*/}"
}

# A directory whose filesystem sits on a block device, and that device.
setup() {
	local d src
	for d in "$BATS_TEST_TMPDIR" "$PWD/build"; do
		src=$(df --output=source "$d" 2>/dev/null | tail -n 1)
		if [[ $src == /dev/* && -b $src ]]; then
			WORK=$(mktemp -d "$d/import.XXXXXX")
			DEV=$src
			break
		fi
	done
	[ -n "$WORK" ] || cannot_run "no directory here lives on a block device (tmpfs/overlay only)"
	DISK=$(whole_disk "$DEV")
	touch "$WORK/a.img" "$WORK/b.img"
	for f in "$FIX"/*.xml; do
		sed -e "s|@FILE@|$WORK/a.img|g" -e "s|@FILE2@|$WORK/b.img|g" -e "s|@DEV@|$DEV|g" \
			"$f" > "$WORK/${f##*/}"
	done
}

teardown() {
	[ -n "$WORK" ] && rm -rf "$WORK"
	true
}

# A policy value in plain numbers: 120M -> 125829120, 60s -> 60.
plain() {
	local v=${1%s}
	case $v in
	*[Kk]) echo $((${v%?} << 10)) ;;
	*[Mm]) echo $((${v%?} << 20)) ;;
	*[Gg]) echo $((${v%?} << 30)) ;;
	*[Tt]) echo $((${v%?} << 40)) ;;
	*) echo "$v" ;;
	esac
}

# The policy key a libvirt <iotune> element becomes.
key_of() {
	local e=$1 suffix=
	case $e in
	size_iops_sec) echo iops-size; return ;;
	*_max_length) suffix=-max-length; e=${e%_max_length} ;;
	*_max) suffix=-max; e=${e%_max} ;;
	esac
	case $e in
	total_bytes_sec) echo "bps-total$suffix" ;;
	read_bytes_sec) echo "bps-read$suffix" ;;
	write_bytes_sec) echo "bps-write$suffix" ;;
	total_iops_sec) echo "iops-total$suffix" ;;
	read_iops_sec) echo "iops-read$suffix" ;;
	write_iops_sec) echo "iops-write$suffix" ;;
	esac
}

# Every numeric limit element of a sample (one per line there) appears in
# the policy with the same number.
assert_same_numbers() {
	local xml=$1 conf=$2 el num key got n=0
	while read -r el num; do
		key=$(key_of "$el")
		[ -n "$key" ] || continue
		got=$(sed -n "s/^$key = //p" "$conf")
		[ -n "$got" ] || { echo "$key missing (<$el>$num)" >&2; return 1; }
		[ "$(plain "$got")" = "$num" ] ||
			{ echo "$key = $got, but <$el> is $num" >&2; return 1; }
		n=$((n + 1))
	done < <(sed -n 's/.*<\([a-z_]*\)>\([0-9][0-9]*\)<\/\1>.*/\1 \2/p' "$xml")
	[ "$n" -gt 0 ]
}

import() {
	run --separate-stderr "$IORATE" import-libvirt -o "$WORK/out.conf" "$@"
}

assert_checks() {
	run --separate-stderr "$IORATE" check "$WORK/out.conf"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; cat "$WORK/out.conf" >&2; false; }
}

@test "import-libvirt: --help and bad usage" {
	run --separate-stderr "$IORATE" import-libvirt --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage: iorate import-libvirt"* ]]
	run --separate-stderr "$IORATE" import-libvirt
	[ "$status" -eq 2 ]
	[[ $stderr == *"Usage: iorate import-libvirt"* ]]
	run --separate-stderr "$IORATE" import-libvirt --bogus x.xml
	[ "$status" -eq 2 ]
}

@test "import-libvirt: the seed's 125829120 B/s comes out as bps-total = 120M" {
	import "$WORK/seed.xml"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	grep -qx 'bps-total = 120M' "$WORK/out.conf"
	grep -qx 'iops-total = 3000' "$WORK/out.conf"
	grep -qx 'match = vm:virtual-machine-1' "$WORK/out.conf"
	grep -q '^# match = cgroup:/machine.slice/machine-qemu\*.*\.scope$' "$WORK/out.conf"
	[ -z "$DISK" ] || grep -qx "device = $DISK" "$WORK/out.conf"
	grep -q '^device = /dev/' "$WORK/out.conf"
	assert_same_numbers "$WORK/seed.xml" "$WORK/out.conf"
	assert_checks
}

@test "import-libvirt: a block device drive maps to its whole disk" {
	import "$WORK/block.xml"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ -z "$DISK" ] || grep -qx "device = $DISK" "$WORK/out.conf"
	grep -q "^#   vdb: block device $DEV " "$WORK/out.conf"
	assert_same_numbers "$WORK/block.xml" "$WORK/out.conf"
	assert_checks
}

@test "import-libvirt: bursts, burst lengths and size_iops_sec carry over" {
	import "$WORK/burst.xml"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	grep -qx 'iops-total-max-length = 60s' "$WORK/out.conf"
	grep -qx 'iops-size = 16K' "$WORK/out.conf"
	assert_same_numbers "$WORK/burst.xml" "$WORK/out.conf"
	# the empty cdrom has no limits: no warning about it
	[[ $stderr != *sda* ]]
	assert_checks
}

@test "import-libvirt: network, volume and missing drives are comments and warnings" {
	import "$WORK/network.xml"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^# cannot map ' "$WORK/out.conf")" -eq 4 ]
	grep -q '^# cannot map vda (network rbd pool/image1): a network disk' "$WORK/out.conf"
	grep -q '^# cannot map vdb (network iscsi ' "$WORK/out.conf"
	grep -q '^# cannot map vdc (volume default/data.qcow2): a storage pool volume' "$WORK/out.conf"
	grep -q '^# cannot map vdd (block /dev/iorate-nonexistent): .*no such device' "$WORK/out.conf"
	[ "$(grep -c 'warning: net1: cannot map' <<<"$stderr")" -eq 4 ]
	[[ $stderr == *"4 drives not mapped"* ]]
	# the drive that does map still gets its group
	grep -qx 'iops-write = 700' "$WORK/out.conf"
	[ "$(grep -c '^\[group ' "$WORK/out.conf")" -eq 1 ]
	assert_checks
}

@test "import-libvirt: a throttle group counts once, other drives on the disk add up" {
	import "$WORK/group.xml"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ "$(grep -c '^\[group ' "$WORK/out.conf")" -eq 1 ]
	# group 'shared' (1000 IOPS, 100M, for vda and vdb together) + vdc (500, 50M)
	grep -qx 'iops-total = 1500' "$WORK/out.conf"
	grep -qx 'bps-total = 150M' "$WORK/out.conf"
	grep -q 'throttle group shared: vda, vdb' "$WORK/out.conf"
	assert_checks
}

@test "import-libvirt: blkiotune device limits are imported as they are, with a warning" {
	import "$WORK/blkiotune.xml"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	grep -q '^\[group legacy1-blkio-' "$WORK/out.conf"
	assert_same_numbers "$WORK/blkiotune.xml" "$WORK/out.conf"
	[[ $stderr == *"libvirt writes these limits to io.max too"* ]]
	# weights are not limits
	! grep -q weight "$WORK/out.conf"
	assert_checks
}

@test "import-libvirt: several domains, stdin, stdout" {
	run --separate-stderr "$IORATE" import-libvirt "$WORK/seed.xml" - "$WORK/burst.xml" \
		< "$WORK/block.xml"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ "$(grep -c '^\[group ' <<<"$output")" -eq 3 ]
	[[ $stderr == *"3 domains, 3 groups"* ]]
	printf '%s\n' "$output" > "$WORK/out.conf"
	assert_checks
}

@test "import-libvirt: a bad file stops everything, nothing is written" {
	import "$WORK/seed.xml" "$FIX/truncated.xml"
	[ "$status" -eq 1 ]
	[[ $stderr == *"truncated.xml: not well-formed XML"* ]]
	[ ! -e "$WORK/out.conf" ]
	import "$FIX/bad-number.xml"
	[ "$status" -eq 1 ]
	[[ $stderr == *"bad-number.xml: disk vda: <total_iops_sec>12abc</total_iops_sec>: not a whole number"* ]]
	import "$WORK/nonexistent.xml"
	[ "$status" -eq 1 ]
	[[ $stderr == *"nonexistent.xml: No such file or directory"* ]]
}

@test "import-libvirt: a file on a filesystem without a block device cannot be mapped" {
	sed -e "s|$WORK/a.img|/proc/version|" "$WORK/seed.xml" > "$WORK/proc.xml"
	import "$WORK/proc.xml"
	[ "$status" -eq 1 ]
	grep -q '^# cannot map vda (file /proc/version): /proc/version: its filesystem has no block device' \
		"$WORK/out.conf"
	assert_checks
}
