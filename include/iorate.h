/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one header shared by the BPF programs and user space. It must compile
 * under vmlinux.h (BPF) and under libc (user space), so it uses only __u32 /
 * __u64 and spells out padding: a hole in a hash key is part of the key.
 */
#ifndef IORATE_H
#define IORATE_H

#ifndef __VMLINUX_H__	/* user space; BPF gets the types from vmlinux.h */
#include <linux/types.h>
#endif

/* Upper bounds sized for a KVM host: a few hundred VMs x a few disks. */
#define IORATE_MAX_USAGE_ENTRIES	16384
#define IORATE_EVENTS_RING_BYTES	(1024 * 1024)
#define IORATE_EVENT_PATH_MAX		512
#define IORATE_MAX_WATCHED_PIDS		4096

/* Where an I/O is counted. */
enum iorate_level {
	IORATE_LEVEL_BIO = 0,	 /* bios past blk-throttle: what io.max counts */
	IORATE_LEVEL_DEVICE = 1, /* requests issued to the driver: what iostat counts */
	IORATE_NR_LEVELS,
};

enum iorate_dir {
	IORATE_DIR_READ = 0,
	IORATE_DIR_WRITE,
	IORATE_DIR_DISCARD,
	IORATE_DIR_FLUSH,
	IORATE_NR_DIRS,
};

/* One cgroup on one whole disk. dev is the kernel's dev_t (MKDEV encoding:
 * major << 20 | minor) of the disk, never of a partition. */
struct iorate_usage_key {
	__u64 cgroup_id;
	__u32 dev;
	__u32 pad;
};

struct iorate_io_count {
	__u64 ops;
	__u64 bytes;
};

/* Value of the usage map: one copy shared by every CPU, charged with atomic
 * adds, so its kernel memory does not grow with the number of possible
 * CPUs (a per-CPU value of this size took 829 MiB at 255 possible CPUs,
 * DESIGN.md "Measured later"). The counters only grow: readers difference
 * two samples, so several readers never disturb each other.
 *
 * The device level is counted when a request completes, as
 * /proc/diskstats does: a request requeued by its driver (BLK_STS_RESOURCE)
 * and issued again still completes once. */
struct iorate_usage {
	struct iorate_io_count io[IORATE_NR_LEVELS][IORATE_NR_DIRS];
	/* device level: summed issue-to-completion time of the requests
	 * counted in io[IORATE_LEVEL_DEVICE] (iostat's await) */
	__u64 latency_ns[IORATE_NR_DIRS];
	/* device-level writes without REQ_SYNC, on behalf of this cgroup:
	 * the writeback the kernel's flushers start on their own, not an
	 * fsync's nor an O_DIRECT write */
	__u64 background_ops;
	__u64 background_bytes;
	/* bio level, reads and writes, for iorate explain: the extra pieces
	 * block_split made (counted in io[IORATE_LEVEL_BIO] as well), and the
	 * bios and requests merged into a request another bio started
	 * (counted only by a meter opened with METER_SEE_MERGES) */
	__u64 split_pieces[2];
	__u64 merged[2];
};

/* QEMU's six limits, in QEMU's order (the policy's enum follows it). */
enum iorate_limit {
	IORATE_LIMIT_BPS_TOTAL = 0,
	IORATE_LIMIT_BPS_READ,
	IORATE_LIMIT_BPS_WRITE,
	IORATE_LIMIT_IOPS_TOTAL,
	IORATE_LIMIT_IOPS_READ,
	IORATE_LIMIT_IOPS_WRITE,
	IORATE_NR_LIMITS,
};

/* A member's (each) or a group's (pooled) buckets on one disk: 8192 sets
 * of 200 B are 1.6 MB whatever the CPU count, room for a thousand VMs with
 * a few disks and groups each. */
#define IORATE_MAX_BUCKET_SETS		8192
/* (cgroup, disk) pairs that charge buckets: every member and each of its
 * descendant cgroups (libvirt's emulator, vcpu and iothread cgroups). */
#define IORATE_MAX_CHARGE_ENTRIES	16384
/* Sets one pair charges: its own and its pool's, for up to three groups
 * that cover the disk. */
#define IORATE_CHARGE_SETS		6

/* A bucket's level: bytes, or operations in 1/65536 (iorate_bucket.h).
 * burst_level leaks at max and is charged only with max-length > 1. */
struct iorate_bucket {
	__u64 level;
	__u64 burst_level;
};

/* Value of the bucket_sets array (mmapped by the daemon). The daemon
 * writes the configuration (iops_size, full, active, burst) before it
 * points any pair at the set; BPF only adds, the daemon only leaks. */
struct iorate_bucket_set {
	struct iorate_bucket bucket[IORATE_NR_LIMITS];
	/* what was charged, active or not, read and write: the exact
	 * per-request units of a tick come from the difference */
	__u64 charged_bytes[2];
	__u64 charged_units[2];
	__u64 iops_size;		/* bytes; 0 = none */
	__u64 full[IORATE_NR_LIMITS];	/* a bucket's size, in its units */
	__u32 active;			/* bit per limit with an avg */
	__u32 burst;			/* bit per limit with max-length > 1 */
	/* 1 while the daemon lets the owner run above avg (a burst, or
	 * credit): the first charge that fills a bucket then posts one
	 * event and disarms. Unarmed, a member held at avg, whose level
	 * crosses the brim every tick, posts nothing. */
	__u32 armed;
	__u32 pad;
};

/* Value of the charges map (key: struct iorate_usage_key): the bucket
 * sets one cgroup's I/O on one disk is charged to, and where. */
struct iorate_charge {
	__u32 level;			/* enum iorate_level */
	__u32 nr;
	__u32 set[IORATE_CHARGE_SETS];
};

/* Per-CPU counters of things the BPF side could not do. */
enum iorate_stat {
	IORATE_STAT_USAGE_FULL = 0,	/* usage map full: an I/O was not counted */
	IORATE_STAT_NO_CGROUP,		/* bio or request with no blkcg */
	IORATE_STAT_NO_DISK,		/* request with no disk */
	IORATE_STAT_EVENTS_LOST,	/* event ring full: a cgroup event was dropped */
	IORATE_NR_STATS,
};

/* Lifecycle events on the ring buffer: the daemon applies a new VM's
 * limits as soon as its cgroup appears, and frees a dead one's state. */
enum iorate_event_kind {
	IORATE_EVENT_CGROUP_MKDIR = 1,
	IORATE_EVENT_CGROUP_RMDIR = 2,
	IORATE_EVENT_EXEC = 3,		/* only while the daemon watches processes */
	IORATE_EVENT_EXIT = 4,		/* only for pids the daemon watches */
	IORATE_EVENT_BUCKET_FULL = 5,	/* pid holds the bucket set's index */
	/* A page dirtied by cgroup_id (pid: the dirtier) in a file whose
	 * writeback the kernel charges to another cgroup (owner_id): an
	 * image made elsewhere. At most one per inode per
	 * IORATE_FOREIGN_EVERY_NS while the dirtying goes on. */
	IORATE_EVENT_FOREIGN_DIRTY = 6,
};

#define IORATE_FOREIGN_EVERY_NS		1000000000ULL
#define IORATE_MAX_FOREIGN_INODES	4096

struct iorate_event {
	__u32 kind;
	__u32 pid;		/* exec/exit: the process (thread group) id */
	__u64 cgroup_id;
	__u64 ts_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	/* foreign dirty: the inode's writeback cgroup, the inode, and its
	 * filesystem's dev_t (MKDEV encoding); 0 for the other kinds */
	__u64 owner_id;
	__u64 ino;
	__u32 dev;
	__u32 pad3;
	/* mkdir: the cgroup's path from the hierarchy's root, as the
	 * tracepoint gives it; path_len is the length read (a full buffer
	 * means it may be cut: the reader then scans instead) */
	__u32 path_len;
	__u32 pad2;
	char path[IORATE_EVENT_PATH_MAX];
};

static inline __u32 iorate_mkdev(__u32 major, __u32 minor)
{
	return (major << 20) | minor;
}

static inline __u32 iorate_dev_major(__u32 dev)
{
	return dev >> 20;
}

static inline __u32 iorate_dev_minor(__u32 dev)
{
	return dev & ((1U << 20) - 1);
}

#endif /* IORATE_H */
