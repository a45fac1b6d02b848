#!/usr/bin/env bats
# share = cluster (docs/cluster.md): three daemons as three hosts, each with
# its own state dir, socket, metrics port, cgroup and null_blk disk, share
# one limit of 600 IOPS through Debian's redis-server.

load helpers

REDIS_PORT=6390

setup() {
	vm_setup
	HOST_PIDS=()
	REDIS_PID=
}

teardown() {
	local h
	# the whole logs (--verbose: each exchange's share) where the runner
	# keeps files
	[[ -z ${IORATE_VM_OUTDIR:-} ]] || cp "$WORK"/h*.log "$IORATE_VM_OUTDIR/" 2>/dev/null || true
	for h in 1 2 3; do
		if [[ -s ${WORK:-/nonexistent}/h$h.log ]]; then
			echo "--- h$h log (last 12 lines, without --verbose's)"
			grep -v ": debug: " "$WORK/h$h.log" | tail -12
		fi
	done
	for pid in "${HOST_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${HOST_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	[[ -z $REDIS_PID ]] || kill -KILL "$REDIS_PID" 2>/dev/null || true
	vm_teardown
}

start_redis() {
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
		--logfile "$WORK/redis.log" 3>&- &
	REDIS_PID=$!
	wait_for 10 redis-cli -p "$REDIS_PORT" ping
}

# start_host N: host hN's daemon, limiting /hN/vm on disk cN
start_host() {
	local h=$1
	cat > "$WORK/h$h.conf" <<-EOF
	[daemon]
	metrics = 127.0.0.1:948$h
	socket = $WORK/h$h.sock
	state-dir = $WORK/state$h
	cluster = redis://127.0.0.1:$REDIS_PORT/t
	cluster-host = h$h
	[group pool]
	match = cgroup:/h$h/vm
	device = /dev/c$h
	share = cluster
	iops-total = 600
	EOF
	chmod 600 "$WORK/h$h.conf"
	"$IORATE" run --verbose --policy "$WORK/h$h.conf" > "$WORK/h$h.log" 2>&1 3>&- &
	HOST_PIDS+=($!)
	wait_for 30 grep -q "running (pid" "$WORK/h$h.log"
}

# mode_is N MODE: host hN's view of the group
mode_is() {
	"$IORATE" status --json --socket "$WORK/h$1.sock" |
		jq -e --arg m "$2" '.groups[0].cluster.mode == $m'
}

# windows FILE FROM TO: the sum of the three disks' writes/s, windows
# FROM..TO (1-based), one per line
windows() { sed -n "$2,$3p" "$1" | awk '{ print $4 }'; }

@test "share = cluster: three hosts hold 600 IOPS together through a demand shift, Redis silent, lost and back" {
	need redis-server "tools/deps.txt"
	need redis-cli "tools/deps.txt"
	start_redis
	for h in 1 2 3; do
		disk_create c$h
		cg_create /h$h/vm
		start_host $h
	done
	# per second: c1 c2 c3 writes/s and their sum, iostat's windows
	S_TIME_FORMAT=ISO iostat -d -x -y -o JSON c1 c2 c3 1 44 |
		jq -r '.sysstat.hosts[0].statistics[].disk | map(."w/s") | "\(.[0]) \(.[1]) \(.[2]) \(add)"' \
		> "$WORK/rates" &
	local sampler=$!
	# 0-8 s: h1 alone
	cg_run /h1/vm fio --name=job --filename=/dev/c1 --direct=1 --ioengine=libaio --rw=randwrite \
		--bs=4k --iodepth=4 --time_based --runtime=44 --output=/dev/null
	sleep 8
	# 8 s: the demand shift, h2 and h3 start
	for h in 2 3; do
		cg_run /h$h/vm fio --name=job --filename=/dev/c$h --direct=1 --ioengine=libaio \
			--rw=randwrite --bs=4k --iodepth=4 --time_based --runtime=36 --output=/dev/null
	done
	sleep 8
	for h in 1 2 3; do mode_is $h shared; done
	"$IORATE" status --json --socket "$WORK/h1.sock" | jq -c '.groups[0].cluster, .cluster'
	# 16 s: Redis stops answering (SIGSTOP: connections stay open, no
	# reply within 50 ms); holding for 2 s, then fallback; then it answers
	kill -STOP "$REDIS_PID"
	sleep 4
	for h in 1 2 3; do mode_is $h fallback; done
	kill -CONT "$REDIS_PID"
	wait_for 5 mode_is 1 shared
	wait_for 5 mode_is 2 shared
	wait_for 5 mode_is 3 shared
	# ~22 s: Redis lost
	kill -KILL "$REDIS_PID"
	wait "$REDIS_PID" 2>/dev/null || true
	REDIS_PID=
	sleep 4
	for h in 1 2 3; do mode_is $h fallback; done
	if command -v curl >/dev/null; then
		curl -sf http://127.0.0.1:9481/metrics > "$WORK/metrics"
	else
		busybox wget -qO "$WORK/metrics" http://127.0.0.1:9481/metrics
	fi
	sleep 3
	# ~30 s: Redis back, empty
	start_redis
	wait_for 5 mode_is 1 shared
	wait_for 5 mode_is 2 shared
	wait_for 5 mode_is 3 shared
	"$IORATE" status --json --socket "$WORK/h2.sock" | jq -c '.groups[0].cluster'
	wait "$sampler"

	echo "c1 c2 c3 sum, per 1 s window:"
	awk '{ printf "%2d: %s\n", NR, $0 }' "$WORK/rates"
	# the shift: the first window where h2 and h3 write (fio takes a
	# second or two to start under TCG)
	local shift rc=0
	shift=$(awk 'NR > 3 && $2 + $3 >= 20 { print NR; exit }' "$WORK/rates")
	echo "the demand shift in window $shift"
	[[ -n $shift ]]
	# h1 alone (the 5 windows before): the pool, less the idle hosts' floors
	awk -v s="$shift" 'NR >= s - 5 && NR < s { t += $1; n++ }
		END { printf "h1 alone: mean %.1f\n", t / n; exit !(t / n >= 480) }' "$WORK/rates"
	# from 2 s after the shift to the end: the sum within +5% of 600 in
	# every window (check_windows' one hiccup allowed: a slice's grant
	# across a window's edge), Redis lost and back included
	windows "$WORK/rates" $((shift + 2)) 44 > "$WORK/sum"
	WINDOW_TOL=0.05 MEAN_TOL=0.10 check_windows "$WORK/sum" 1 0 600 > "$WORK/held" || rc=1
	cat "$WORK/held"
	# the figures on the TAP stream too, pass or fail
	echo "# shift in window $shift; from 2 s after it, the sum: $(grep '^windows' "$WORK/held")" >&3
	echo "# sums: $(paste -sd' ' "$WORK/sum")" >&3
	[ "$rc" -eq 0 ]
	# shared, before Redis stops: each host near a third
	awk -v s="$shift" 'NR >= s + 2 && NR <= s + 6 { for (i = 1; i <= 3; i++) t[i] += $i; n++ }
		END { for (i = 1; i <= 3; i++) { m = t[i] / n; printf "h%d %.1f ", i, m; if (m < 150 || m > 250) bad++ }
		      print ""; exit bad > 0 }' "$WORK/rates"
	# said for each outage, in the log, the status and the metrics: a line
	# for each change of mode, so at least two (a fresh-clone CI saw a
	# count other than two on some host, not printed then: a host that
	# flaps between an answer and a miss says each)
	for h in 1 2 3; do
		echo "# h$h: $(grep -c "does not answer" "$WORK/h$h.log") 'does not answer', $(grep -c "falling back" "$WORK/h$h.log") 'falling back'" >&3
		(( $(grep -c "does not answer" "$WORK/h$h.log") >= 2 ))
		(( $(grep -c "falling back to an even share among the hosts last seen" "$WORK/h$h.log") >= 2 ))
		grep -q "does not answer ([A-Z ]*: no reply within 50 ms)" "$WORK/h$h.log"
		grep -q "does not answer (connect: Connection refused)" "$WORK/h$h.log"
	done
	grep -qx 'iorate_cluster_up 0' "$WORK/metrics"
	grep -q 'iorate_cluster_fallback{group="pool",mode="fallback"} 1' "$WORK/metrics"
	grep -q 'iorate_cluster_share{group="pool",limit="iops_total"} 200' "$WORK/metrics"
}

@test "share = cluster: a password file others can read is refused, naming the file, line and key" {
	need redis-server "tools/deps.txt"
	cg_create /hp/vm
	echo secret > "$WORK/pass"
	chmod 644 "$WORK/pass"
	write_policy <<-EOF
	[daemon]
	metrics = off
	socket = $WORK/hp.sock
	state-dir = $WORK/state
	cluster = redis://127.0.0.1:$REDIS_PORT
	cluster-password-file = $WORK/pass
	[group pool]
	match = cgroup:/hp/vm
	share = cluster
	iops-total = 600
	EOF
	run "$IORATE" run --policy "$POLICY"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"$POLICY:6: cluster-password-file: $WORK/pass: must be owned by root and readable by root only"* ]]
}
