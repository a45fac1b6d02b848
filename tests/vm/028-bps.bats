#!/usr/bin/env bats
# Byte-rate limits at the disk (KiB/s as iostat shows them): bps-write,
# bps-read, bps-total over a read/write mix, and a bps burst. Tolerances as
# in 020 (helpers.bash: every 1 s window within +10%, the mean within -7%).
# On 6.1 and 6.12 (Makefile VM_TESTS_BOTH). On 6.1, steady mode (io.max
# at the base rate) measured 2026-12-06 bps-write 8 MiB/s windows
# 7360-9600 KiB/s (+17%); 2026-12-07, after that day's loop changes
# (not traced which one): bps-write max 8275, bps-read 12288, bps-total
# max 10496 against 10240 (steady mode's +15% under a total, as 020). A
# bps burst alternated 16-26 MiB/s windows with empty ones until lowerings
# were timed to blk-throttle's slice (2026-12-07: 3.86 s at 16 MiB/s,
# then 4096 KiB/s in every window); on 6.12 its end left a debt cycle
# (windows of 4992-5236 after it) until the lowerings a bucket forces were
# timed there too (docs/enforcement.md).

load helpers

setup() { vm_setup; }
teardown() { vm_teardown; }

# bps_policy NAME LIMIT-LINES...: a group on disk NAME with those limits
bps_policy() {
	local name=$1; shift
	# not a pipe into write_policy: it sets POLICY, a subshell would not
	write_policy < <(
		printf '[daemon]\nmetrics = off\nstate-dir = %s\n' "$WORK/state"
		printf '[group %s]\nmatch = cgroup:/%s\ndevice = /dev/%s\n' "$name" "$name" "$name"
		printf '%s\n' "$@"
	)
}

# run_bps NAME COL LIMIT_KIB FIO-ARGS...: 64 KiB I/O held at LIMIT_KIB in column COL
run_bps() {
	local name=$1 col=$2 limit=$3 tol=$WINDOW_TOL; shift 3
	start_daemon
	# STEADY_TOL: the window tolerance in steady mode (6.1), which splits a
	# total by each tick's mix (020's iops-total test measured 418-445
	# against 400 there)
	[ -n "${STEADY_TOL:-}" ] && grep -q "io.max steady" "$WORK/daemon.log" && tol=$STEADY_TOL
	fio_in "/$name" "$name" 18 --bs=64k --iodepth=8 "$@"
	wait_for 20 disk_busy "$name"
	sleep 2
	"$REPO/tests/vm/lib/diskrate" "$name" 12 bytes > "$WORK/win"
	cat "$WORK/win"
	WINDOW_TOL=$tol check_windows "$WORK/win" "$col" 0 "$limit" > "$WORK/held" || { cat "$WORK/held"; return 1; }
	cat "$WORK/held"
	echo "# $name: $(grep '^windows' "$WORK/held") KiB/s" >&3
	stop_daemon
}

@test "bps-write holds 64 KiB direct writes at the disk" {
	disk_create bpsw
	cg_create /bpsw
	bps_policy bpsw "bps-write = 8M"
	run_bps bpsw 2 8192 --rw=randwrite
}

@test "bps-read holds 64 KiB direct reads at the disk" {
	disk_create bpsr
	cg_create /bpsr
	bps_policy bpsr "bps-read = 12M"
	run_bps bpsr 1 12288 --rw=randread
}

@test "bps-total holds a 50/50 read/write mix at the disk (io.max has no total)" {
	disk_create bpst
	cg_create /bpst
	bps_policy bpst "bps-total = 10M"
	STEADY_TOL=0.15 run_bps bpst 3 10240 --rw=randrw --rwmixread=50
}

@test "bps burst: bps-write-max runs for QEMU's burst time, then bps-write" {
	disk_create bpsb
	cg_create /bpsb
	bps_policy bpsb "bps-write = 4M" "bps-write-max = 16M" "bps-write-max-length = 3"
	start_daemon
	# QEMU's math: a bucket of 16M x 3 s = 48 MiB fills at 16 - 4 = 12
	# MiB/s: 4 s at 16 MiB/s, then 4 MiB/s.
	"$REPO/tests/vm/lib/diskrate" bpsb 14 bytes > "$WORK/win" &
	local sampler=$!
	fio_in /bpsb bpsb 14 --rw=randwrite --bs=64k --iodepth=8
	wait "$sampler"
	cat "$WORK/win"
	local first last burst_s
	# the burst starts in the first window above the base rate (+20%):
	# fio starting late in a window gave a first window of 8128 KiB/s,
	# which a bar at half of max left out (3.47 s read for 3.80, CI
	# 2026-12-06)
	first=$(awk '$2 > 4915 { print NR; exit }' "$WORK/win")
	[ -n "$first" ]
	last=$(awk '$2 > 10240 { l = NR } END { print l + 0 }' "$WORK/win")
	# The burst's length in seconds, whatever the phase of fio's start
	# against the 1 s windows: the excess over the base rate, from the first
	# window through the one the burst ends in, over the burst's own excess
	# (16 - 4 MiB/s). Counting windows above 10 MiB/s instead read 3 when
	# the start fell mid-window (9695 16384 15296 17472 8384: 3.8 s).
	burst_s=$(awk -v f="$first" -v l="$last" 'NR >= f && NR <= l + 1 { x += $2 - 4096 }
		END { printf "%.2f", x / 12288 }' "$WORK/win")
	echo "# bps burst: $burst_s s at 16 MiB/s (QEMU: 4 s); windows $(awk '{ printf "%d ", $2 }' "$WORK/win")KiB/s" >&3
	awk -v b="$burst_s" 'BEGIN { exit !(b >= 3.5 && b <= 4.5) }'
	# inner burst windows at 16 MiB/s +-10%, as in 020's iops burst
	awk -v f="$first" 'NR >= f && $2 > 10240 { w[++n] = $2 }
		END { for (i = 2; i < n; i++) if (w[i] < 14746 || w[i] > 18022) { print "burst window off 16384 +-10%: " w[i]; bad = 1 }
		      exit bad || n < 3 }' "$WORK/win"
	# then the base rate, from the first window wholly after the burst: mean
	# within 10%, no window above +20%
	awk -v l="$last" 'NR >= l + 2 { n++; sum += $2; if ($2 > 4915) { print "after the burst above 4.8 MiB/s: " $2; bad = 1 } }
		END { m = n ? sum / n : 0; printf "after the burst: mean %.1f KiB/s\n", m; exit bad || n < 3 || m > 4506 || m < 3686 }' "$WORK/win"
	stop_daemon
}
