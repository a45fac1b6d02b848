# Shared by the tools/bench scripts that run inside tools/vmtest's guest:
# cgroups, null_blk disks, fio in a cgroup, the daemon, per-second samplers
# and the statistics of a series. Sourced, not run. Prints figures, asserts
# nothing.
BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IORATE=$BENCH_REPO/build/iorate
CG=/sys/fs/cgroup
. "$BENCH_REPO/tests/vm/lib/nullb.sh"

# Where series go: $IORATE_VM_OUTDIR (a host directory tools/vmtest shares
# read-write at the same path) or a directory under /run otherwise.
bench_outdir() { # bench_outdir SUBDIR
	local base=${IORATE_VM_OUTDIR:-/run/iorate-bench}
	mkdir -p "$base/$1"
	echo "$base/$1"
}

BENCH_CGS=() BENCH_DISKS=() BENCH_MOUNTS=() BENCH_PIDS=()
bench_cleanup() {
	bench_stop_daemon
	local p c d m
	for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for m in "${BENCH_MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done
	for c in "${BENCH_CGS[@]}"; do
		[[ -d $CG$c ]] || continue
		while read -r p; do echo "$p" > $CG/cgroup.procs 2>/dev/null || true; done < "$CG$c/cgroup.procs" 2>/dev/null
		find "$CG$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
	for d in "${BENCH_DISKS[@]}"; do nullb_destroy "$d" || true; done
	BENCH_CGS=() BENCH_DISKS=() BENCH_MOUNTS=() BENCH_PIDS=()
}

bench_cg() { # bench_cg /a/b: create with io + memory enabled on the path
	local cur=$CG part
	IFS=/ read -ra parts <<< "${1#/}"
	for part in "${parts[@]}"; do
		grep -qw io "$cur/cgroup.subtree_control" || echo "+io +memory" > "$cur/cgroup.subtree_control"
		cur=$cur/$part
		mkdir -p "$cur"
	done
	BENCH_CGS+=("/${parts[0]}")
}

bench_disk() { nullb_create "$@" && BENCH_DISKS+=("$1"); }

# bench_fs NAME [nullb key=value...]: ext4 on a null_blk disk; sets FS_MNT
bench_fs() {
	local name=$1; shift
	bench_disk "$name" "$@"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "/dev/$name"
	FS_MNT=/run/iorate-bench-mnt-$name
	mkdir -p "$FS_MNT"
	mount "/dev/$name" "$FS_MNT"
	BENCH_MOUNTS+=("$FS_MNT")
}

# bench_run /cg CMD...: CMD inside the cgroup, in the background
bench_run() {
	local cg=$1; shift
	( echo $BASHPID > "$CG$cg/cgroup.procs" && exec "$@" ) > /dev/null 2>&1 3>&- &
	BENCH_PIDS+=($!)
}

# bench_in /cg CMD...: CMD inside the cgroup, in the foreground. A file
# written so belongs to the cgroup's writeback (cgroup v2 ties an inode to
# the cgroup that first dirtied it), as a VM's image to its QEMU.
bench_in() {
	local cg=$1; shift
	( echo $BASHPID > "$CG$cg/cgroup.procs" && exec "$@" ) 3>&-
}

# bench_fio /cg DISK SECONDS fio-args...: direct libaio fio on a raw disk
bench_fio() {
	local cg=$1 disk=$2 secs=$3; shift 3
	bench_run "$cg" fio --name=job --filename="/dev/$disk" --direct=1 --ioengine=libaio \
		--time_based --runtime="$secs" --output=/dev/null "$@"
}

bench_stop() { # end the background workloads (fio ends cleanly on TERM)
	local p
	for p in "${BENCH_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	bench_wait
}

bench_wait() { # wait for the background workloads
	local p
	for p in "${BENCH_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	BENCH_PIDS=()
}

BENCH_WORK=$(mktemp -d /run/iorate-bench.XXXXXX)
bench_policy() { # policy text on stdin -> $BENCH_WORK/policy.conf
	cat > "$BENCH_WORK/policy.conf"
	chmod 600 "$BENCH_WORK/policy.conf"
}
bench_policy_head() { # the [daemon] section every bench policy uses
	printf '[daemon]\nmetrics = off\nstate-dir = %s/state\n' "$BENCH_WORK"
}

DAEMON_PID=
bench_start_daemon() {
	"$IORATE" run --policy "$BENCH_WORK/policy.conf" > "$BENCH_WORK/daemon.log" 2>&1 3>&- &
	DAEMON_PID=$!
	local i
	for i in $(seq 300); do
		grep -q "running (pid" "$BENCH_WORK/daemon.log" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "iorate run did not start:" >&2
	tail -5 "$BENCH_WORK/daemon.log" >&2
	return 1
}
bench_stop_daemon() {
	[[ -n $DAEMON_PID ]] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
}

# bench_wait_io DISK [TIMEOUT_S]: until the disk has completed a request
# since the call (fio takes seconds to start under TCG), at most TIMEOUT_S
bench_wait_io() {
	local f0 f i
	read -ra f0 < "/sys/block/$1/stat"
	for ((i = 0; i < ${2:-30} * 20; i++)); do
		read -ra f < "/sys/block/$1/stat"
		((f[0] + f[4] != f0[0] + f0[4])) && return 0
		sleep 0.05
	done
	return 1
}

# bench_explain SECONDS OUT: iorate explain over SECONDS (one interval,
# its own observe-only meter, beside the daemon or not) into OUT
bench_explain() {
	"$IORATE" explain -d "$1" -n 1 > "$2" 2>&1 3>&- &
	BENCH_EXPLAIN_PID=$!
}
# bench_explain_show OUT REGEX: the members of explain's output whose
# header line matches REGEX, indented under a '#'
bench_explain_show() {
	wait "$BENCH_EXPLAIN_PID" 2>/dev/null || true
	awk -v re="$2" '/^[^ ]/ { show = $0 ~ re && !/^iorate/ } show { print "#   " $0 }' "$1"
}

# bench_foreign_images DIR: each guest's image for the seeds' foreign
# phase, DIR/guest-N-foreign.img, written out whole by this script (the
# root cgroup), as qemu-img or a copy makes it: its pages stay cached, the
# maker's
bench_foreign_images() {
	local g
	for g in 1 2; do
		dd if=/dev/zero of="$1/guest-$g-foreign.img" bs=1M count=64 status=none conv=fsync
	done
}
# bench_foreign_log: what the daemon said of writeback charged elsewhere
bench_foreign_log() {
	grep -E "writes inode|writeback follows" "$BENCH_WORK/daemon.log" | sed 's/^/# foreign: /' || true
}

# bench_seed_series NAME LIMIT DAT: the seed benches' series from
# $BENCH_WORK/disk (bench_diskrate) and $BENCH_WORK/cg (bench_cgrate of two
# guests) into DAT ("t disk_w/s guest-1 guest-2 limit sum"), and its line
# of figures
bench_seed_series() {
	local name=$1 l=$2 dat=$3
	paste -d' ' "$BENCH_WORK/disk" "$BENCH_WORK/cg" |
		awk -v l="$l" '{ print NR, $2, $5, $6, l, 2 * l }' > "$dat"
	awk -v l="$l" -v name="$name" '{ n++; s += $2; if ($2 > m) m = $2; if ($2 > 2 * l) over++; g1 += $3; g2 += $4 }
		END { printf "%-28s disk w/s mean %6.1f, worst window %6.0f, windows above %d: %2d of %d; guests (io.stat) mean %.1f + %.1f\n",
			name, s / n, m, 2 * l, over, n, g1 / n, g2 / n }' "$dat"
}

# The disk as iostat sees it, one line per 1 s window: r/s w/s total/s
# (tests/vm/lib/diskrate: iostat -x JSON, paced by iostat itself).
bench_diskrate() { "$BENCH_REPO/tests/vm/lib/diskrate" "$@"; }

# bench_cgrate DISK SECONDS /cg...: per cgroup, requests per second from
# io.stat (rios + wios: bios as blk-cgroup counts them), one line per
# window: "t cg1 cg2 ...". Paced with read -t on an idle pipe (no fork per
# sample) and divided by the time that really passed.
bench_cgrate() {
	local disk=$1 n=$2; shift 2
	local dev; dev=$(devnum "$disk")
	local -a prev cur
	local idle t0 tp tn i c line r w k v
	exec {idle}<> <(:)
	_cg_ios() { # -> REPLY: rios + wios of $1 on $dev
		REPLY=0
		local l_
		while read -r l_; do
			[[ $l_ == "$dev "* ]] || continue
			r=0 w=0
			for k in $l_; do
				case $k in rios=*) r=${k#rios=} ;; wios=*) w=${k#wios=} ;; esac
			done
			REPLY=$((r + w))
		done < "$CG$1/io.stat"
	}
	for ((c = 1; c <= $#; c++)); do _cg_ios "${!c}"; prev[c]=$REPLY; done
	t0=${EPOCHREALTIME/./}; tp=$t0
	for ((i = 1; i <= n; i++)); do
		# sleep to the next whole second after t0
		while :; do
			tn=${EPOCHREALTIME/./}
			((tn - t0 >= i * 1000000)) && break
			v=$((i * 1000000 - (tn - t0)))
			printf -v v '%d.%06d' $((v / 1000000)) $((v % 1000000))
			read -r -t "$v" -u "$idle" _ || true
		done
		v=$(( (tn - t0) / 1000 ))
		printf -v line '%d.%03d' $((v / 1000)) $((v % 1000))
		for ((c = 1; c <= $#; c++)); do
			_cg_ios "${!c}"; cur[c]=$REPLY
			v=$(( (cur[c] - prev[c]) * 10000000 / (tn - tp) ))
			line+=" $((v / 10)).$((v % 10))"
			prev[c]=${cur[c]}
		done
		tp=$tn
		echo "$line"
	done
	exec {idle}<&-
}

# bench_stats FILE COLUMN SKIP LIMIT [PROFILE]: one table row's figures,
# "mean mean_err% worst worst_err%" over the windows after SKIP. The worst
# window is the one farthest from the limit (either side). With PROFILE
# (a file, one limit per window, aligned with FILE) each window is judged
# against its own line of PROFILE and LIMIT is only printed.
bench_stats() {
	local file=$1 col=$2 skip=$3 limit=$4 profile=${5:-/dev/null}
	awk -v c="$col" -v s="$skip" -v l="$limit" -v pf="$profile" '
		BEGIN { np = 0; while ((getline x < pf) > 0) p[++np] = x }
		NR > s {
			lim = np ? p[NR] : l
			n++; v = $c; sum += v; lsum += lim
			d = v - lim; if (d < 0) d = -d
			if (n == 1 || d > wd) { wd = d; wv = v; wl = lim }
		}
		END {
			if (!n || !lsum) { print "- - - -"; exit }
			mean = sum / n
			printf "%.0f %+.1f %.0f %+.1f\n", mean, (sum - lsum) * 100 / lsum, wv, wl ? (wv - wl) * 100 / wl : 0
		}' "$file"
}
