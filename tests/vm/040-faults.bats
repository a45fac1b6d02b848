#!/usr/bin/env bats
# Faults (issue #10, and issue #3's kill -9 / SIGTERM): whatever happens to
# the daemon, the cgroups, the disks, the state directory or the policy
# file, the daemon keeps running, keeps the other limits right and leaks
# nothing (open fds, VmRSS, entries of the BPF usage map), and io.max never
# keeps a line the policy does not ask for nor loses one the operator set.
# docs/faults.md is the table of these cases.
# Runs inside the VM (tools/vmtest --kernel 6.1 -- bats tests/vm/040-faults.bats).
#
# Loads are light (fio held by iorate or by --rate_iops, dd of one block):
# the TCG guest has 2 vCPUs on one host thread.

bats_require_minimum_version 1.5.0

load helpers

IORATE=${IORATE_BIN:-$IORATE}
TAB=$'\t'

setup() {
	vm_setup
	SOCK=$WORK/ctl/iorate.sock
	STATE=$WORK/state
}
teardown() { vm_teardown; }

# ---- helpers ---------------------------------------------------------------

# policy_file FILE [group sections...]: a policy with this test's [daemon]
# settings; mode 0600 (the daemon refuses files others can write)
policy_file() {
	local f=$1; shift
	{
		printf '[daemon]\nmetrics = off\nsocket = %s\nstate-dir = %s\n' "$SOCK" "${STATE_DIR_OVERRIDE:-$STATE}"
		printf '%s\n' "$@"
	} > "$f.new"
	chmod 600 "$f.new"
	mv -f "$f.new" "$f"
}

# group NAME MATCH DEVICE LIMIT-LINE...: one [group] section as a string
group() {
	local name=$1 match=$2 dev=$3; shift 3
	printf '[group %s]\nmatch = cgroup:%s\ndevice = /dev/%s\n' "$name" "$match" "$dev"
	printf '%s\n' "$@"
}

# Append-mode daemon start, for the restarts of one test: waits for this
# pid's "running" line.
start_daemon_again() {
	"$IORATE" run --policy "$POLICY" >> "$WORK/daemon.log" 2>&1 3>&- &
	DAEMON_PID=$!
	local i
	for i in $(seq 300); do
		grep -q "running (pid $DAEMON_PID)" "$WORK/daemon.log" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$WORK/daemon.log" >&2
	return 1
}

kill9() {
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
}

iomax_file() { cat "$CG$1/io.max"; }
# the io.max line of cgroup $1 for disk MAJ:MIN $2, "none" when it has none
iomax_line() {
	local l
	l=$(grep "^$2 " "$CG$1/io.max" 2>/dev/null) || true
	echo "${l:-none}"
}
# field $3 (riops, wiops, rbps, wbps) of that line; "max" without a line
iomax_field() {
	local l
	l=$(iomax_line "$1" "$2")
	[[ $l == none ]] && { echo max; return; }
	sed -E "s/.* $3=([0-9a-z]+).*/\1/" <<<"$l"
}

fds_of() { ls "/proc/$1/fd" | wc -l; }
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# entries of the daemon's BPF usage map (one per cgroup x disk that did I/O)
usage_entries() { bpftool -j map dump name usage | jq length; }
# usage maps loaded: 1 with one daemon; a killed daemon's must be gone
usage_maps() { bpftool -j map show | jq '[.[] | select(.name == "usage")] | length'; }

status_json() { "$IORATE" status --json --socket "$SOCK"; }
ticks() { status_json | jq .counters.ticks; }

# leak_mark / leak_check: open fds equal (+-1: a status client of the
# moment), VmRSS within RSS_TOL kB, usage map entries within +-MAP_TOL of
# the mark. 1 MiB is loose: it shows a leak of about 10 kB per reload (100
# of them) or 5 kB per churned cgroup (200); smaller ones are left to the
# sanitizer build of the unit tier.
RSS_TOL=${RSS_TOL:-1024}
MAP_TOL=${MAP_TOL:-3}
leak_mark() {
	FDS0=$(fds_of "$DAEMON_PID")
	RSS0=$(rss_of "$DAEMON_PID")
	MAP0=$(usage_entries)
	echo "# mark: fds $FDS0, rss $RSS0 kB, usage entries $MAP0"
}
leak_check() {
	local fds rss map
	kill -0 "$DAEMON_PID"
	fds=$(fds_of "$DAEMON_PID")
	rss=$(rss_of "$DAEMON_PID")
	map=$(usage_entries)
	echo "# now:  fds $fds, rss $rss kB (+$((rss - RSS0))), usage entries $map"
	# for the reader of a failure; not a check: an fd the daemon closes
	# while ls reads the directory fails ls (CI, 2026-12-08: "cannot
	# access '/proc/4021/fd/35'" with the count equal to the mark's)
	ls -l "/proc/$DAEMON_PID/fd" || true
	((fds <= FDS0 + 1 && fds >= FDS0 - 1))
	((rss <= RSS0 + RSS_TOL))
	((map <= MAP0 + MAP_TOL && map >= MAP0 - MAP_TOL))
	[ "$(usage_maps)" -eq 1 ]
}

# the loop keeps ticking: at least 5 ticks (of 100 ms) in 1.5 s
assert_ticking() {
	local t0 t1
	kill -0 "$DAEMON_PID"
	t0=$(ticks)
	sleep 1.5
	t1=$(ticks)
	echo "# ticks $t0 -> $t1"
	((t1 - t0 >= 5))
}

# A limited member on its own disk, the "other limit" each fault test
# keeps an eye on: group steady, iops-total 200, fio wanting 2x that.
STEADY_LIMIT=200
steady_group() { group steady /steady steady0 "iops-total = $STEADY_LIMIT"; }
steady_setup() {
	disk_create steady0
	cg_create /steady
}
steady_load() { fio_in /steady steady0 "$1" --rw=randrw --bs=4k --iodepth=2 --rate_iops=200; }
# every 1 s window of the steady disk within the limit + 15%, and the
# member still has its io.max line
assert_steady() {
	sample_disk steady0 "${1:-4}" "$WORK/steady.win"
	cat "$WORK/steady.win"
	awk -v l=$STEADY_LIMIT '{ if ($3 > l * 1.15) bad++; n++ } END { exit !(n >= 2 && !bad) }' "$WORK/steady.win"
	[ "$(iomax_line /steady "$(devnum steady0)")" != none ]
}

iomax_is() { [ "$(iomax_file "$1")" = "$2" ]; }
# the state file holds N lines besides its header
state_lines_are() { [ "$(grep -c . "$STATE/iomax.state")" -eq $(($1 + 1)) ]; }
one_usage_map() { [ "$(usage_maps)" -eq 1 ]; }
rejected_reloads_are() { [ "$(grep -c "reload of $POLICY rejected" "$WORK/daemon.log")" -eq "$1" ]; }

# ---- 1. kill -9, restart with a smaller policy, SIGTERM ----------------------

# The original of every cgroup the operator touched, and what the state
# file must say iorate found there: the io.max text before iorate ran.
@test "kill -9 under load, restart without a group: its io.max goes back, the operator's lines survive; SIGTERM restores all" {
	disk_create k0
	cg_create /ka
	cg_create /kb
	cg_create /ko
	local dev
	dev=$(devnum k0)
	# the operator's own limits, set before iorate ever ran: a ceiling on a
	# member of each group, and a line on a cgroup no policy names
	echo "$dev rbps=104857600" > $CG/ka/io.max
	echo "$dev wiops=900" > $CG/kb/io.max
	echo "$dev riops=777" > $CG/ko/io.max
	local before_ka before_kb before_ko
	before_ka=$(iomax_file /ka) before_kb=$(iomax_file /kb) before_ko=$(iomax_file /ko)
	echo "before: ka[$before_ka] kb[$before_kb] ko[$before_ko]"

	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(group a /ka k0 'iops-total = 300')" "$(group b /kb k0 'iops-write = 200')"
	start_daemon
	fio_in /ka k0 30 --rw=randrw --bs=4k --iodepth=2 --rate_iops=200
	fio_in /kb k0 30 --rw=randwrite --bs=4k --iodepth=2 --rate_iops=300
	# both members limited by iorate, under the operator's ceilings
	wait_for 10 state_lines_are 2
	wait_for 10 grep -q "riops=[0-9]" $CG/ka/io.max
	sleep 2
	echo "limited: ka[$(iomax_file /ka)] kb[$(iomax_file /kb)]"
	[ "$(iomax_field /ka "$dev" rbps)" = 104857600 ]
	[ "$(iomax_field /kb "$dev" wiops)" -le 900 ]
	[ "$(iomax_field /kb "$dev" wiops)" != max ]
	cat $STATE/iomax.state

	kill9
	# the crash left iorate's lines behind, and the state file says what
	# was there before
	[ "$(iomax_file /ka)" != "$before_ka" ]
	grep -qxF "$dev rbps=104857600 wbps=max riops=max wiops=max$TAB/ka" $STATE/iomax.state
	grep -qxF "$dev rbps=max wbps=max riops=max wiops=900$TAB/kb" $STATE/iomax.state

	# restart with group b gone from the policy
	policy_file "$POLICY" "$(group a /ka k0 'iops-total = 300')"
	start_daemon_again
	wait_for 5 iomax_is /kb "$before_kb"
	echo "restarted: ka[$(iomax_file /ka)] kb[$(iomax_file /kb)] ko[$(iomax_file /ko)]"
	[ "$(iomax_file /kb)" = "$before_kb" ]
	[ "$(iomax_file /ko)" = "$before_ko" ]
	[ "$(iomax_field /ka "$dev" rbps)" = 104857600 ]
	[ "$(iomax_field /ka "$dev" riops)" != max ]
	# adopted, not re-read: /ka's original is still the operator's line
	grep -qxF "$dev rbps=104857600 wbps=max riops=max wiops=max$TAB/ka" $STATE/iomax.state
	run ! grep -q /kb $STATE/iomax.state
	grep -q "adopting 2 io.max line(s) left by a previous run" "$WORK/daemon.log"
	# the killed daemon's BPF maps went with it
	wait_for 5 one_usage_map
	leak_mark
	sleep 3
	leak_check

	stop_daemon
	echo "after SIGTERM: ka[$(iomax_file /ka)] kb[$(iomax_file /kb)] ko[$(iomax_file /ko)]"
	[ "$(iomax_file /ka)" = "$before_ka" ]
	[ "$(iomax_file /kb)" = "$before_kb" ]
	[ "$(iomax_file /ko)" = "$before_ko" ]
	[ ! -e $STATE/iomax.state ]
}

# The bypass repair freezes a cgroup for 150 ms (actuator.h); the state file
# says so before cgroup.freeze is written. What a daemon killed in between
# leaves: the cgroup frozen, its io.max line, the mark. The next start must
# thaw it (and restore or adopt its line), and leave alone a cgroup that
# somebody else froze.
frozen_is() { grep -qx "frozen $2" "$CG$1/cgroup.events"; }

@test "kill -9 while cgroups were frozen for the bypass repair: the next start thaws them, not the operator's frozen cgroup" {
	disk_create k0
	cg_create /kf
	cg_create /kg
	cg_create /kop
	local dev c
	dev=$(devnum k0)
	# as the killed daemon left them: its lines on /kf and /kg, both
	# frozen, the state file's marks; the operator froze /kop on their own
	mkdir -p "$STATE"
	printf 'iorate-state 1\n' > "$STATE/iomax.state"
	for c in /kf /kg; do
		cg_run $c sleep 600
		echo "$dev wiops=123" > $CG$c/io.max
		printf '%s rbps=max wbps=max riops=max wiops=max frozen\t%s\n' "$dev" $c >> "$STATE/iomax.state"
	done
	cg_run /kop sleep 600
	for c in /kf /kg /kop; do
		echo 1 > $CG$c/cgroup.freeze
		wait_for 5 frozen_is $c 1
	done

	# /kf is no member of the new policy (its line goes back), /kg still
	# is (its line is adopted): both thawed at the start
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(group g /kg k0 'iops-write = 200')" "$(group o /kop k0 'iops-write = 200')"
	start_daemon
	wait_for 5 frozen_is /kf 0
	wait_for 5 frozen_is /kg 0
	wait_for 5 iomax_is /kf ""
	grep -q "/kf: thawing it: a previous run froze it" "$WORK/daemon.log"
	grep -q "/kg: thawing it: a previous run froze it" "$WORK/daemon.log"
	grep -q "adopting 2 io.max line(s)" "$WORK/daemon.log"
	wait_for 10 grep -q "wiops=[0-9]" $CG/kop/io.max
	run ! grep -q frozen "$STATE/iomax.state"
	# the operator's freeze is theirs: still frozen, limited as any member
	frozen_is /kop 1
	# SIGTERM neither thaws it
	stop_daemon
	frozen_is /kop 1
	frozen_is /kg 0
	echo 0 > $CG/kop/cgroup.freeze
}

# ---- 2. kill -9 at 20 random moments -----------------------------------------

# loop_ok WITH_B: io.max as policy A (WITH_B=1: groups a and b) or B (group
# a only) asks, the operator's lines intact, and the state file's originals
# the operator's. Builtins only (mapfile, [[ ]]): it runs after each of 20
# restarts, and a fork costs tens of ms under TCG.
loop_ok() {
	local with_b=$1 dev=$KDEV ka kb ko st w IFS=$'\n'
	mapfile -t ka < $CG/ka/io.max
	mapfile -t kb < $CG/kb/io.max
	mapfile -t ko < $CG/ko/io.max
	mapfile -t st < $STATE/iomax.state || return 1
	[[ "${ko[*]}" == "$BEFORE_KO" ]] || { echo "ko: ${ko[*]}"; return 1; }
	[[ ${#ka[@]} -eq 1 && ${ka[0]} == "$dev rbps=104857600 wbps=max riops="[0-9]*" wiops="[0-9]* ]] ||
		{ echo "ka: ${ka[*]}"; return 1; }
	[[ $IFS${st[*]}$IFS == *"$IFS$dev rbps=104857600 wbps=max riops=max wiops=max$TAB/ka$IFS"* ]] ||
		{ echo "state: ka's original lost: ${st[*]}"; return 1; }
	if ((with_b)); then
		[[ ${#kb[@]} -eq 1 && ${kb[0]} == "$dev rbps=max wbps=max riops=max wiops="[0-9]* ]] &&
			w=${kb[0]##*wiops=} && ((w <= 900)) || { echo "kb: ${kb[*]}"; return 1; }
		[[ $IFS${st[*]}$IFS == *"$IFS$dev rbps=max wbps=max riops=max wiops=900$TAB/kb$IFS"* ]] ||
			{ echo "state: kb's original lost: ${st[*]}"; return 1; }
	else
		[[ "${kb[*]}" == "$BEFORE_KB" ]] || { echo "kb left: ${kb[*]}"; return 1; }
		[[ "${st[*]}" != *"$TAB/kb"* ]] || { echo "state: kb still there: ${st[*]}"; return 1; }
	fi
	# the header and one line per member
	[[ ${#st[@]} -eq $((2 + with_b)) ]] || { echo "state: ${st[*]}"; return 1; }
}

# What it checks, the state file and every io.max given back or adopted,
# is the daemon's and cgroupfs's, alike on both kernels; a kill -9 under
# load on 6.1's carryover is the test above's, and the soak's (2.2 min of
# the 6.1 tier, CI 2026-12-07).
# bats test_tags=one-kernel
@test "kill -9 at 20 random moments under load, reloads among them: 20 of 20 restarts lose nothing and leave nothing" {
	disk_create k0
	cg_create /ka
	cg_create /kb
	cg_create /ko
	KDEV=$(devnum k0)
	echo "$KDEV rbps=104857600" > $CG/ka/io.max
	echo "$KDEV wiops=900" > $CG/kb/io.max
	echo "$KDEV riops=777" > $CG/ko/io.max
	local before_ka
	before_ka=$(iomax_file /ka) BEFORE_KB=$(iomax_file /kb) BEFORE_KO=$(iomax_file /ko)

	POLICY=$WORK/policy.conf
	local pa=$WORK/a.conf pb=$WORK/b.conf
	policy_file "$pa" "$(group a /ka k0 'iops-total = 300')" "$(group b /kb k0 'iops-write = 200')"
	policy_file "$pb" "$(group a /ka k0 'iops-total = 300')"
	cp -p "$pa" "$POLICY"
	local with_b=1
	: > "$WORK/daemon.log"
	start_daemon_again
	fio_in /ka k0 120 --rw=randrw --bs=4k --iodepth=2 --rate_iops=150
	fio_in /kb k0 120 --rw=randwrite --bs=4k --iodepth=2 --rate_iops=300
	wait_for 15 loop_ok $with_b

	local ok=0 i t0=$SECONDS how t1 starts=0
	for i in $(seq 20); do
		how=plain
		if ((i % 3 == 0)); then
			# switch the policy and reload, then kill at once or soon
			if ((with_b)); then cp -p "$pb" "$POLICY.new"; with_b=0
			else cp -p "$pa" "$POLICY.new"; with_b=1; fi
			mv -f "$POLICY.new" "$POLICY"
			if ((i % 2)); then
				how=SIGHUP
				kill -HUP "$DAEMON_PID"
			else
				how=reload
				timeout 5 "$IORATE" reload --socket "$SOCK" >/dev/null 2>&1 3>&- &
			fi
			sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
		else
			sleep "0.$((RANDOM % 10))"
		fi
		kill9
		t1=$(date +%s%N)
		start_daemon_again
		starts=$((starts + $(date +%s%N) - t1))
		if wait_for 5 loop_ok $with_b; then
			ok=$((ok + 1))
		else
			echo "kill $i ($how): FAILED"
			iomax_file /ka; iomax_file /kb; cat $STATE/iomax.state
		fi
	done
	echo "$ok of 20 in $((SECONDS - t0)) s"
	echo "# kill -9 loop: $ok of 20 in $((SECONDS - t0)) s (daemon start $((starts / 20000000)) ms on average)" >&3
	[ "$ok" -eq 20 ]
	# the killed daemons' BPF objects went with them
	wait_for 5 one_usage_map
	# none of the restarts failed to start, nor logged a bad state file
	run ! grep -E "state file .*(unreadable|not starting)" "$WORK/daemon.log"

	stop_daemon
	[ "$(iomax_file /ka)" = "$before_ka" ]
	[ "$(iomax_file /kb)" = "$BEFORE_KB" ]
	[ "$(iomax_file /ko)" = "$BEFORE_KO" ]
	[ ! -e $STATE/iomax.state ]
}

# ---- 3. cgroups and disks going away under load ------------------------------

# One python process makes and removes the 200 members (a fork and exec
# per cgroup costs more than the cgroup under TCG); the odd ones get one
# direct write from inside, and so a usage map entry that must be freed.
# The members' parent enables io only: a memory controller makes each
# rmdir wait for its own teardown.
CHURN_PY='
import mmap, os, sys, time
parent, disk, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
home = "/sys/fs/cgroup" + open("/proc/self/cgroup").read().strip().split("::")[1]
buf = mmap.mmap(-1, 4096)
buf.write(b"x" * 4096)
fd = os.open(disk, os.O_WRONLY | os.O_DIRECT)
t0, retries = time.monotonic(), 0
for i in range(n):
    d = "%s/m-%d" % (parent, i)
    os.mkdir(d)
    if i % 2:
        open(d + "/cgroup.procs", "w").write(str(os.getpid()))
        os.pwrite(fd, buf, (i % 256) * 4096)
        open(home + "/cgroup.procs", "w").write(str(os.getpid()))
    for k in range(100):
        try:
            os.rmdir(d)
            break
        except OSError:
            retries += 1
            time.sleep(0.01)
print("%d cgroups made and removed in %.1f s (%d rmdir retries)" % (n, time.monotonic() - t0, retries))
'

@test "200 member cgroups created and removed while the daemon writes their io.max" {
	need python3 "tools/deps.txt"
	steady_setup
	disk_create c0
	cg_create /churn
	echo "+io" > $CG/churn/cgroup.subtree_control
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(steady_group)" "$(group churn '/churn/m-*' c0 'iops-total = 300')"
	start_daemon
	steady_load 60
	sleep 3
	leak_mark
	run /usr/bin/python3 -c "$CHURN_PY" $CG/churn /dev/c0 200
	echo "$output"
	echo "# $output" >&3
	[ "$status" -eq 0 ]
	sleep 2
	assert_ticking
	# no io.max line of a removed member stays in the state file
	cat $STATE/iomax.state
	run ! grep -q /churn/ $STATE/iomax.state
	assert_steady 3
	leak_check
	echo "log lines about the members: $(grep -c "/churn/m-" "$WORK/daemon.log")"
	stop_daemon
	[ -z "$(iomax_file /steady)" ]
}

@test "a disk removed under load (null_blk power=0): the daemon drops its lines, keeps the others" {
	# Seen in a CI run on 6.1: the shell writing power=0 spun in the
	# kernel (soft lockup, 10+ minutes) while the disk's bios waited in
	# blk-throttle. A kernel livelock, not iorate's: on 6.1 the removed
	# disk's load stays under its limit, so that no bio waits there.
	local rm_rate=300
	[[ ${IORATE_VM_KERNEL_SERIES:-} != 6.1 ]] || rm_rate=100
	steady_setup
	disk_create r0
	cg_create /rm
	local rdev
	rdev=$(devnum r0)
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(steady_group)" "$(group rm /rm r0 'iops-total = 200')"
	start_daemon
	steady_load 40
	fio_in /rm r0 40 --rw=randwrite --bs=4k --iodepth=2 --rate_iops=$rm_rate
	local rm_fio=$CG_PID
	wait_for 10 grep -q "$rdev" $STATE/iomax.state
	sleep 2
	leak_mark
	local warns0
	warns0=$(grep -c "warning" "$WORK/daemon.log" || true)
	echo 0 > /sys/kernel/config/nullb/r0/power
	wait "$rm_fio" 2>/dev/null || true
	[ ! -e /dev/r0 ]
	sleep 3
	assert_ticking
	# the gone disk's line leaves the state; io.max writes to it are not
	# retried (and logged) every tick
	run ! grep -q "^$rdev " $STATE/iomax.state
	[ "$(grep -c "/rm: disk $rdev is gone; its io.max line is dropped" "$WORK/daemon.log")" -eq 1 ]
	local warns
	warns=$(grep -c "warning" "$WORK/daemon.log" || true)
	grep warning "$WORK/daemon.log" | tail -5
	((warns - warns0 <= 3))
	assert_steady 3
	leak_check
	stop_daemon
	[ -z "$(iomax_file /steady)" ]
	[ -z "$(iomax_file /rm)" ]
}

# ---- 3b. io.max writes failing ------------------------------------------------

# The kernel refuses a good io.max value only in corner cases (EBUSY while
# a queue is torn down, EINVAL from a driver's checks), so the refusal is
# injected: tests/vm/lib/failwrite.c, preloaded into the daemon, fails its
# writes to /fw/io.max with the errno named in $WORK/fail while that file
# exists.
fw_errors() { status_json | jq .counters.iomax_errors; }
log_count() { grep -c "$1" "$WORK/daemon.log" || true; }

# bats test_tags=one-kernel
@test "io.max writes failing with EINVAL, then EBUSY: said once each, retried, the line keeps its value, the other limit holds" {
	steady_setup
	disk_create fw0
	cg_create /fw
	cc -shared -fPIC -o "$WORK/failwrite.so" "$REPO/tests/vm/lib/failwrite.c" -ldl
	local dev before errs0 errs1
	dev=$(devnum fw0)
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(steady_group)" "$(group fw /fw fw0 'iops-write = 300')"
	LD_PRELOAD=$WORK/failwrite.so FAILWRITE_SUFFIX=/fw/io.max FAILWRITE_CTL=$WORK/fail start_daemon
	tr '\0' '\n' < /proc/$DAEMON_PID/environ | grep -qx "LD_PRELOAD=$WORK/failwrite.so"
	fio_in /fw fw0 40 --rw=randwrite --bs=4k --iodepth=4
	steady_load 40
	wait_for 10 grep -q "^$dev .*wiops=[0-9]" $CG/fw/io.max
	sleep 2
	leak_mark
	echo EINVAL > "$WORK/fail"
	sleep 0.5
	before=$(iomax_line /fw "$dev")
	errs0=$(fw_errors)
	# a change the daemon has to write: the limit halves
	policy_file "$POLICY" "$(steady_group)" "$(group fw /fw fw0 'iops-write = 150')"
	kill -HUP "$DAEMON_PID"
	wait_for 5 grep -q "fw/io.max: writing .*: Invalid argument" "$WORK/daemon.log"
	sleep 3
	errs1=$(fw_errors)
	echo "# EINVAL: iomax_errors $errs0 -> $errs1, io.max $(iomax_line /fw "$dev")"
	# said once, retried (every 500 ms, or 2 s in steady mode), not every tick
	[ "$(log_count 'fw/io.max: writing .*: Invalid argument')" -eq 1 ]
	((errs1 - errs0 >= 2 && errs1 - errs0 <= 12))
	[ "$(iomax_line /fw "$dev")" = "$before" ]
	echo EBUSY > "$WORK/fail"
	wait_for 5 grep -q "fw/io.max: writing .*: Device or resource busy" "$WORK/daemon.log"
	sleep 2
	[ "$(log_count 'fw/io.max: writing .*: Device or resource busy')" -eq 1 ]
	[ "$(iomax_line /fw "$dev")" = "$before" ]
	assert_ticking
	assert_steady 3
	# the kernel takes writes again: the new limit goes in, said once
	rm "$WORK/fail"
	wait_for 5 grep -q "fw/io.max: written again (after Device or resource busy)" "$WORK/daemon.log"
	wait_for 5 test "$(iomax_field /fw "$dev" wiops)" -le 200
	echo "# after: io.max $(iomax_line /fw "$dev")"
	leak_check
	stop_daemon
	[ -z "$(iomax_file /fw)" ]
	[ -z "$(iomax_file /steady)" ]
}

# ---- 4. state directory unwritable -------------------------------------------

# bats test_tags=one-kernel
@test "the state directory turns read-only: the daemon warns and keeps enforcing, SIGTERM still restores" {
	steady_setup
	cg_create /sw1
	local dev
	dev=$(devnum steady0)
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(steady_group)" "$(group sw '/sw*' steady0 'iops-write = 150')"
	start_daemon
	steady_load 30
	wait_for 10 grep -q /sw1 $STATE/iomax.state
	leak_mark
	mount --bind "$STATE" "$STATE"
	MOUNTS+=("$STATE")
	mount -o remount,bind,ro "$STATE"
	# a new member: limited, although its original cannot be saved
	mkdir $CG/sw2
	CGROUPS+=(/sw2)
	wait_for 5 grep -q "^$dev .*wiops=[0-9]" $CG/sw2/io.max
	wait_for 5 grep -q "warning: state file .*a crash now would leave io.max behind" "$WORK/daemon.log"
	assert_ticking
	assert_steady 3
	leak_check
	stop_daemon
	[ -z "$(iomax_file /steady)" ]
	[ -z "$(iomax_file /sw1)" ]
	[ -z "$(iomax_file /sw2)" ]
}

# bats test_tags=one-kernel
@test "a file where the state directory should be: the daemon warns, starts and enforces" {
	steady_setup
	: > "$WORK/notadir"
	STATE_DIR_OVERRIDE=$WORK/notadir
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(steady_group)"
	start_daemon
	grep -q "warning: state dir $WORK/notadir is not a directory" "$WORK/daemon.log"
	steady_load 20
	sleep 2
	assert_steady 3
	stop_daemon
	[ -z "$(iomax_file /steady)" ]
}

# ---- 5. the policy file half-written or deleted, then SIGHUP -----------------

# bats test_tags=one-kernel
@test "a half-written or deleted policy file on SIGHUP: an error in the log, the running policy stays" {
	steady_setup
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(steady_group)"
	start_daemon
	steady_load 30
	sleep 2
	leak_mark
	# cut mid-key, as an editor that writes in place might leave it
	head -c -12 "$POLICY" > "$POLICY.half"
	cat "$POLICY.half" > "$POLICY"
	kill -HUP "$DAEMON_PID"
	wait_for 5 grep -q "reload of $POLICY rejected; the running policy stays" "$WORK/daemon.log"
	[ "$(status_json | jq '.groups[0].limits.iops_total.avg')" = $STEADY_LIMIT ]
	rm -f "$POLICY"
	kill -HUP "$DAEMON_PID"
	wait_for 5 rejected_reloads_are 2
	grep "error:" "$WORK/daemon.log"
	[ "$(status_json | jq '.groups[0].limits.iops_total.avg')" = $STEADY_LIMIT ]
	assert_steady 3
	leak_check
	stop_daemon
	[ -z "$(iomax_file /steady)" ]
}

# ---- 6. 100 reloads in one second --------------------------------------------

# bats test_tags=one-kernel
@test "100 reloads in one second under load: alive, limits right, fds and RSS stable" {
	need python3 "tools/deps.txt"
	steady_setup
	POLICY=$WORK/policy.conf
	policy_file "$POLICY" "$(steady_group)"
	start_daemon
	steady_load 40
	sleep 2
	# a first burst settles the heap; the second is measured
	local burst
	burst=$(cat <<-'EOF'
	import os, signal, socket, sys, time
	path, pid = sys.argv[1], int(sys.argv[2])
	t0 = time.monotonic(); ok = 0
	for i in range(100):
	    if i % 2:
	        os.kill(pid, signal.SIGHUP); ok += 1
	    else:
	        s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path)
	        s.sendall(b"reload\n"); s.shutdown(socket.SHUT_WR)
	        if b'"ok":true' in s.recv(4096): ok += 1
	        s.close()
	    time.sleep(max(0, t0 + (i + 1) / 100 - time.monotonic()))
	print("%d reloads asked, %d taken or signalled, in %.2f s" % (100, ok, time.monotonic() - t0))
	EOF
	)
	/usr/bin/python3 -c "$burst" "$SOCK" "$DAEMON_PID"
	sleep 1
	leak_mark
	local n0
	n0=$(grep -c "reloaded $POLICY" "$WORK/daemon.log")
	run /usr/bin/python3 -c "$burst" "$SOCK" "$DAEMON_PID"
	echo "$output"
	echo "# $output" >&3
	[[ $output == "100 reloads asked, 100 taken or signalled, in "[01].* ]]
	sleep 1
	echo "reloads done: $(( $(grep -c "reloaded $POLICY" "$WORK/daemon.log") - n0 ))"
	(( $(grep -c "reloaded $POLICY" "$WORK/daemon.log") - n0 >= 50 ))
	assert_ticking
	[ "$(status_json | jq '.groups[0].limits.iops_total.avg')" = $STEADY_LIMIT ]
	assert_steady 3
	leak_check
	stop_daemon
	[ -z "$(iomax_file /steady)" ]
}
