// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The meter: every bio past blk-throttle and every request a driver
 * completes, charged to (cgroup of the bio's blkcg, whole disk). BPF cannot
 * delay a bio, so enforcement is user space moving io.max; this side only
 * has to measure exactly and cheaply.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "iorate.h"
#include "iorate_bucket.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Stable across every kernel with enum req_op (4.10+). */
#define IORATE_REQ_OP_MASK	0xff
#define IORATE_REQ_OP_READ	0
#define IORATE_REQ_OP_WRITE	1
#define IORATE_REQ_OP_FLUSH	2
#define IORATE_REQ_OP_DISCARD	3
#define IORATE_REQ_OP_SECURE_ERASE 5
/* REQ_OP_DRV_IN and up: passthrough (SG_IO, NVMe admin), no block I/O */
#define IORATE_REQ_OP_DRV_IN	34

/* Shared, not per-CPU: a per-CPU value is allocated for every possible CPU
 * (include/iorate.h). Preallocated, so a charge never allocates and the
 * footprint is known at load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IORATE_MAX_USAGE_ENTRIES);
	__type(key, struct iorate_usage_key);
	__type(value, struct iorate_usage);
} usage SEC(".maps");

/* The buckets themselves, shared with the daemon by mmap: it leaks them
 * and reads their levels there (iorate_bucket.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, IORATE_MAX_BUCKET_SETS);
	__type(key, __u32);
	__type(value, struct iorate_bucket_set);
} bucket_sets SEC(".maps");

/* (cgroup, disk) -> the bucket sets its I/O is charged to; written by the
 * daemon for every member and descendant, absent for everything else. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IORATE_MAX_CHARGE_ENTRIES);
	__type(key, struct iorate_usage_key);
	__type(value, struct iorate_charge);
} charges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IORATE_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IORATE_EVENTS_RING_BYTES);
} events SEC(".maps");

/* pid -> 1: processes the daemon placed (exit events only for these) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IORATE_MAX_WATCHED_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} watched_pids SEC(".maps");

/* inode -> when its last foreign-dirty event was posted */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IORATE_MAX_FOREIGN_INODES);
	__type(key, __u64);
	__type(value, __u64);
} foreign_posted SEC(".maps");

/* Set by the daemon while its policy selects processes (pid:, exe:, a
 * bare QEMU by vm:); otherwise no exec costs more than this test. */
bool watch_exec = false;

/* Bit per enum iorate_level that some pair in charges is charged at, set
 * by the daemon before it writes such a pair: a level no pair uses makes
 * no lookup (the default policy charges at the device level, so no bio
 * pays for one, and neither of `top`'s or explain's programs does). */
__u32 charge_levels = 0;

static const struct iorate_usage zero_usage;

static __always_inline void stat_inc(__u32 which)
{
	__u64 *count = bpf_map_lookup_elem(&stats, &which);

	if (count)
		*count += 1;
}

static __always_inline int op_dir(__u64 opf)
{
	switch (opf & IORATE_REQ_OP_MASK) {
	case IORATE_REQ_OP_READ:
		return IORATE_DIR_READ;
	case IORATE_REQ_OP_FLUSH:
		return IORATE_DIR_FLUSH;
	case IORATE_REQ_OP_DISCARD:
	case IORATE_REQ_OP_SECURE_ERASE:
		return IORATE_DIR_DISCARD;
	default:	/* write, write zeroes, zone appends */
		return IORATE_DIR_WRITE;
	}
}

static __always_inline struct iorate_usage *usage_of(const struct iorate_usage_key *key)
{
	struct iorate_usage *u;

	u = bpf_map_lookup_elem(&usage, key);
	if (u)
		return u;
	/* First I/O of this cgroup on this disk: EEXIST from a racing CPU is
	 * fine, the lookup below finds its entry. */
	bpf_map_update_elem(&usage, key, &zero_usage, BPF_NOEXIST);
	u = bpf_map_lookup_elem(&usage, key);
	if (!u)
		stat_inc(IORATE_STAT_USAGE_FULL);
	return u;
}

static __always_inline void add_io(struct iorate_io_count *c, __u64 bytes)
{
	/* One value shared by every CPU: atomic adds (lock-free, exact). */
	__sync_fetch_and_add(&c->ops, 1);
	__sync_fetch_and_add(&c->bytes, bytes);
}

/* An event without a path: a process's exec or exit (pid), or a bucket
 * set that filled (its index in pid: the daemon tightens that member's
 * io.max now rather than at its next tick). */
/* A ring slot with every field but the kind's own zeroed (ring memory is
 * not), or NULL counted as lost. */
static __always_inline struct iorate_event *event_reserve(__u32 kind, __u64 now)
{
	struct iorate_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		stat_inc(IORATE_STAT_EVENTS_LOST);
		return NULL;
	}
	ev->kind = kind;
	ev->pid = 0;
	ev->cgroup_id = 0;
	ev->ts_ns = now;
	ev->owner_id = 0;
	ev->ino = 0;
	ev->dev = 0;
	ev->pad3 = 0;
	ev->path_len = 0;
	ev->pad2 = 0;
	ev->path[0] = '\0';
	return ev;
}

static __always_inline int post_id_event(__u32 id, __u32 kind)
{
	struct iorate_event *ev = event_reserve(kind, bpf_ktime_get_ns());

	if (!ev)
		return 0;
	ev->pid = id;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* Charges one read or write at this level to the buckets of the (cgroup,
 * disk) pair, if a policy limits it: one hash lookup for everyone else
 * while any pair is charged at this level, none otherwise. */
static __always_inline void charge_buckets(const struct iorate_usage_key *key, int level,
					   int dir, __u64 bytes, int whole)
{
	struct iorate_charge *c;

	if (dir > IORATE_DIR_WRITE || !(charge_levels & (1U << level)))
		return;
	c = bpf_map_lookup_elem(&charges, key);
	if (!c || c->level != level)
		return;
	for (int i = 0; i < IORATE_CHARGE_SETS; i++) {
		struct iorate_bucket_set *s;
		__u32 idx;

		if (i >= c->nr)
			break;
		idx = c->set[i];
		s = bpf_map_lookup_elem(&bucket_sets, &idx);
		if (s && iorate_bucket_charge(s, dir, bytes, whole))
			post_id_event(idx, IORATE_EVENT_BUCKET_FULL);
	}
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(bio_queue, struct bio *bio)
{
	__u32 dev = disk_dev(bio_disk(bio));
	struct iorate_usage_key key = {};
	struct iorate_usage *u;
	int dir;

	if (!dev) {
		stat_inc(IORATE_STAT_NO_DISK);
		return 0;
	}
	key.cgroup_id = bio_cgroup_id(bio);
	key.dev = dev;
	dir = op_dir(bio->bi_opf) & 3;
	u = usage_of(&key);
	if (u)
		add_io(&u->io[IORATE_LEVEL_BIO][dir], bio->bi_iter.bi_size);
	charge_buckets(&key, IORATE_LEVEL_BIO, dir, bio->bi_iter.bi_size, 1);
	return 0;
}

/* blk-throttle charges each piece of a split bio as one more I/O (6.1,
 * 6.12), but block_bio_queue saw the bio once: count the extra piece so
 * the bio level counts ops as io.max does. Bytes were counted already. */
SEC("tp_btf/block_split")
int BPF_PROG(bio_split, struct bio *bio, unsigned int new_sector)
{
	__u32 dev = disk_dev(bio_disk(bio));
	struct iorate_usage_key key = {};
	struct iorate_usage *u;
	int dir;

	if (!dev)
		return 0;
	key.cgroup_id = bio_cgroup_id(bio);
	key.dev = dev;
	dir = op_dir(bio->bi_opf) & 3;
	u = usage_of(&key);
	if (!u)
		return 0;
	__sync_fetch_and_add(&u->io[IORATE_LEVEL_BIO][dir].ops, 1);
	if (dir <= IORATE_DIR_WRITE)
		__sync_fetch_and_add(&u->split_pieces[dir], 1);
	return 0;
}

/* One bio or request fewer at the disk than bios past blk-throttle: a bio
 * merged into a request (at the plug or the scheduler), or a request into
 * another. iorate explain's; the daemon leaves these programs out
 * (METER_SEE_MERGES), a lookup per merge that enforcement does not use. */
static __always_inline int count_merge(struct gendisk *disk, struct bio *bio, __u64 opf)
{
	__u32 dev = disk_dev(disk);
	struct iorate_usage_key key = {};
	struct iorate_usage *u;
	int dir = op_dir(opf);

	if (!dev || !bio || dir > IORATE_DIR_WRITE)
		return 0;
	key.cgroup_id = bio_cgroup_id(bio);
	key.dev = dev;
	u = usage_of(&key);
	if (u)
		__sync_fetch_and_add(&u->merged[dir & 1], 1);
	return 0;
}

SEC("tp_btf/block_bio_backmerge")
int BPF_PROG(bio_backmerge, struct bio *bio)
{
	return count_merge(bio_disk(bio), bio, bio->bi_opf);
}

SEC("tp_btf/block_bio_frontmerge")
int BPF_PROG(bio_frontmerge, struct bio *bio)
{
	return count_merge(bio_disk(bio), bio, bio->bi_opf);
}

SEC("tp_btf/block_rq_merge")
int BPF_PROG(rq_merge, struct request *rq)
{
	return count_merge(rq_disk(rq), rq->bio, rq->cmd_flags);
}

/*
 * The device level, counted where /proc/diskstats counts it: at completion.
 * One program per request instead of one at issue and one at completion,
 * and a request that its driver requeued (BLK_STS_RESOURCE) and issued
 * again is counted once. A request completed in parts fires once per part:
 * its bytes add up, its op counts when the last part is done.
 */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u32 dev = disk_dev(rq_disk(rq));
	struct iorate_usage_key key = {};
	struct iorate_usage *u;
	__u64 start, now;
	int dir, whole;

	if (!dev) {
		stat_inc(IORATE_STAT_NO_DISK);
		return 0;
	}
	/* A request's bios all belong to one blkcg: blk-mq merges only bios
	 * of the same blkg. Flushes built by the block layer carry no bio and
	 * land on cgroup id 0 ("unattributed"). */
	/* diskstats skips passthrough requests (smartctl's, udev's SG_IO on
	 * a SCSI disk's own queue): so do we */
	if ((rq->cmd_flags & IORATE_REQ_OP_MASK) >= IORATE_REQ_OP_DRV_IN)
		return 0;
	key.cgroup_id = bio_cgroup_id(rq->bio);
	key.dev = dev;
	dir = op_dir(rq->cmd_flags) & 3;
	whole = nr_bytes >= rq->__data_len;
	charge_buckets(&key, IORATE_LEVEL_DEVICE, dir, nr_bytes, whole);
	u = usage_of(&key);
	if (!u)
		return 0;
	if (!whole) {
		__sync_fetch_and_add(&u->io[IORATE_LEVEL_DEVICE][dir].bytes, nr_bytes);
		return 0;
	}
	add_io(&u->io[IORATE_LEVEL_DEVICE][dir], nr_bytes);
	/* Writeback no one waits for: O_DIRECT writes and the writeback an
	 * fsync or sync starts carry REQ_SYNC, the flushers' own (periodic,
	 * background, memory pressure) do not. ext4 sets no REQ_BACKGROUND
	 * on them (032 counted 0 of 2800 on 6.1), so that flag would not do. */
	if (dir == IORATE_DIR_WRITE && !(rq->cmd_flags & req_sync_mask())) {
		__sync_fetch_and_add(&u->background_ops, 1);
		__sync_fetch_and_add(&u->background_bytes, nr_bytes);
	}
	/* start_time_ns is what iostat's await is measured from (set when
	 * the queue does I/O accounting); 0 when it does not. */
	start = rq->start_time_ns;
	if (!start)
		start = rq->io_start_time_ns;
	now = bpf_ktime_get_ns();
	if (start && start < now)
		__sync_fetch_and_add(&u->latency_ns[dir], now - start);
	return 0;
}

/* Only cgroup v2 (the default hierarchy, id 0) carries io.max. */
static __always_inline int post_cgroup_event(struct cgroup *cgrp, const char *path, __u32 kind)
{
	struct iorate_event *ev;
	long len = 0;

	if (cgrp->root->hierarchy_id != 0)
		return 0;
	/* none (counted lost): the daemon rescans when it sees that count move */
	ev = event_reserve(kind, bpf_ktime_get_ns());
	if (!ev)
		return 0;
	ev->cgroup_id = cgrp->kn->id;
	if (kind == IORATE_EVENT_CGROUP_MKDIR && path)
		len = bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), path);
	if (len <= 0) {
		ev->path[0] = '\0';
		len = 0;
	} else {
		len--;	/* the NUL */
	}
	ev->path_len = len;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	return post_cgroup_event(cgrp, path, IORATE_EVENT_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	return post_cgroup_event(cgrp, NULL, IORATE_EVENT_CGROUP_RMDIR);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!watch_exec)
		return 0;
	return post_id_event(p->tgid, IORATE_EVENT_EXEC);
}

/* Every thread's exit passes here: only a watched process's leader posts. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p)
{
	__u32 pid = p->tgid;

	if (p->pid != p->tgid || !bpf_map_lookup_elem(&watched_pids, &pid))
		return 0;
	bpf_map_delete_elem(&watched_pids, &pid);
	return post_id_event(pid, IORATE_EVENT_EXIT);
}

/*
 * cgroup v2 charges an inode's writeback to the cgroup that owns it (first
 * dirtied it: created the image) until the kernel has seen enough foreign
 * flushing to move it, ~30 s at a VM's pace (DESIGN.md "Measured later").
 * Meanwhile the VM's writes reach the disk under the owner's io.max.
 *
 * The kernel counts a dirtying as foreign only when the page belongs to
 * another memcg than the inode's writeback: an image whose pages are still
 * cached from its making (dd, cp, a preallocated volume) is dirtied in the
 * maker's pages, the kernel sees nothing foreign and never moves the inode
 * (6.12: a writer in /w1 into such a file made in /, every flush of 842-869
 * writes passed outside w1's io.max for all 30 s, and its track_foreign_dirty
 * never fired). So this looks at every page that becomes dirty and posts when
 * the dirtier's io cgroup is not the inode's writeback's: a few loads per
 * newly dirtied page, a lookup only when they differ.
 */
SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(foreign_dirty, struct folio *folio, struct address_space *mapping)
{
	__u64 now, key, *last, owner;
	struct cgroup_subsys_state *css;
	struct bdi_writeback *wb;
	struct task_struct *task;
	struct iorate_event *ev;
	struct inode *inode;

	if (!mapping)
		return 0;
	inode = mapping->host;
	if (!inode)
		return 0;
	wb = inode->i_wb;
	if (!wb || !wb->blkcg_css)
		return 0;
	owner = wb->blkcg_css->cgroup->kn->id;
	task = bpf_get_current_task_btf();
	css = task->cgroups->subsys[bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id)];
	if (!css || css->cgroup->kn->id == owner)
		return 0;
	now = bpf_ktime_get_ns();
	key = (__u64)inode;
	last = bpf_map_lookup_elem(&foreign_posted, &key);
	if (last && now - *last < IORATE_FOREIGN_EVERY_NS)
		return 0;
	bpf_map_update_elem(&foreign_posted, &key, &now, BPF_ANY);
	ev = event_reserve(IORATE_EVENT_FOREIGN_DIRTY, now);
	if (!ev)
		return 0;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->owner_id = owner;
	ev->ino = inode->i_ino;
	ev->dev = inode->i_sb->s_dev;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}
