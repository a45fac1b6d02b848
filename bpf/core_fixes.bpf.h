/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel differences, one accessor per upstream change. Each accessor tests
 * for the field or type with CO-RE and never compares kernel versions:
 * distributions backport block-layer changes (libbpf-tools learnt this from
 * the block_rq_issue argument change in 5.10.137).
 *
 * The hot path uses direct BTF pointer loads, which tp_btf programs allow and
 * which cost a third of a BPF_CORE_READ chain (DESIGN.md §5: 89 vs 326 ns per
 * event). The fallbacks for older layouts are off the path of every kernel
 * this project tests, so they use BPF_CORE_READ for safety.
 */
#ifndef IORATE_CORE_FIXES_BPF_H
#define IORATE_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* 5.16 ("block: remove the ->rq_disk field in struct request") moved the
 * request's disk to rq->q->disk. */
struct request___old {
	struct gendisk *rq_disk;
};

/* 5.12 ("block: switch bio to bi_bdev") replaced bio->bi_disk. */
struct bio___old {
	struct gendisk *bi_disk;
};


static __always_inline struct gendisk *rq_disk(struct request *rq)
{
	struct request___old *old = (void *)rq;

	if (bpf_core_field_exists(rq->q->disk))
		return rq->q->disk;
	return BPF_CORE_READ(old, rq_disk);
}

static __always_inline struct gendisk *bio_disk(struct bio *bio)
{
	struct bio___old *old = (void *)bio;

	if (bpf_core_field_exists(bio->bi_bdev)) {
		struct block_device *bdev = bio->bi_bdev;

		return bdev ? bdev->bd_disk : NULL;
	}
	return BPF_CORE_READ(old, bi_disk);
}

static __always_inline __u32 disk_dev(struct gendisk *disk)
{
	if (!disk)
		return 0;
	return ((__u32)disk->major << 20) | (__u32)disk->first_minor;
}

/* The cgroup a bio is charged to: its blkcg, which writeback sets to the
 * cgroup that dirtied the pages (not the flusher thread that submits). The
 * kernfs id is the cgroup's inode number in the hierarchy io/blkio lives in. */
static __always_inline __u64 bio_cgroup_id(struct bio *bio)
{
	struct blkcg_gq *blkg;
	struct blkcg *blkcg;

	if (!bio)
		return 0;
	blkg = bio->bi_blkg;
	if (!blkg)
		return 0;
	blkcg = blkg->blkcg;
	if (!blkcg)
		return 0;
	return blkcg->css.cgroup->kn->id;
}

/* REQ_SYNC's bit: enum req_flag_bits moved it between releases. */
static __always_inline __u64 req_sync_mask(void)
{
	return 1ULL << bpf_core_enum_value(enum req_flag_bits, __REQ_SYNC);
}

#endif /* IORATE_CORE_FIXES_BPF_H */
