// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What one I/O's BPF time is made of on this machine, beside the meter's
 * own programs (tools/bench/bpf-cost): each program here is one piece of
 * bio_queue alone, on the same tracepoint, so the kernel's bpf_stats give
 * each piece's cost per event in the same fio run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "iorate.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* the usage map's shape: a shared, preallocated hash */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IORATE_MAX_USAGE_ENTRIES);
	__type(key, struct iorate_usage_key);
	__type(value, struct iorate_usage);
} floor_usage SEC(".maps");

static const struct iorate_usage zero_usage;

static __always_inline void key_of(struct bio *bio, struct iorate_usage_key *key)
{
	struct gendisk *disk = bio->bi_bdev->bd_disk;

	key->dev = (__u32)disk->major << 20 | (__u32)disk->first_minor;
	key->cgroup_id = bio->bi_blkg->blkcg->css.cgroup->kn->id;
}

/* what any program costs here: entry, exit and bpf_stats' own clock */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(floor_empty, struct bio *bio)
{
	return 0;
}

/* + the pointer walk to (cgroup, disk) */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(floor_key, struct bio *bio)
{
	struct iorate_usage_key key = {};

	key_of(bio, &key);
	return key.dev == 0;
}

/* + one hash lookup that hits */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(floor_lookup, struct bio *bio)
{
	struct iorate_usage_key key = {};

	key_of(bio, &key);
	if (!bpf_map_lookup_elem(&floor_usage, &key))
		bpf_map_update_elem(&floor_usage, &key, &zero_usage, BPF_NOEXIST);
	return 0;
}

/* + two atomic adds on the entry every CPU shares (the meter's count) */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(floor_lookup_add, struct bio *bio)
{
	struct iorate_usage_key key = {};
	struct iorate_usage *u;

	key_of(bio, &key);
	key.pad = 1;	/* its own entry: not the line floor_lookup reads */
	u = bpf_map_lookup_elem(&floor_usage, &key);
	if (!u) {
		bpf_map_update_elem(&floor_usage, &key, &zero_usage, BPF_NOEXIST);
		return 0;
	}
	__sync_fetch_and_add(&u->io[IORATE_LEVEL_BIO][IORATE_DIR_WRITE].ops, 1);
	__sync_fetch_and_add(&u->io[IORATE_LEVEL_BIO][IORATE_DIR_WRITE].bytes, bio->bi_iter.bi_size);
	return 0;
}

/* one clock read (rq_complete's await) */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(floor_ktime, struct bio *bio)
{
	return bpf_ktime_get_ns() == 0;
}
