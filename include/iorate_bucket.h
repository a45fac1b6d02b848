/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * QEMU's leaky buckets (util/throttle.c) as shared memory: BPF charges every
 * I/O into them the moment it is counted, the daemon leaks them once a tick
 * and reads the levels from the same memory (an mmap of the array map).
 * Written once for both sides: the BPF object and the unit tests compile
 * this very code.
 *
 * Lock-free: BPF only adds and the daemon only subtracts what it read, so a
 * level never goes below zero and a charge racing a leak is never lost.
 * Fixed point: bps buckets count bytes, iops buckets count operations in
 * units of 1/65536 (IORATE_UNIT_ONE), so an I/O above iops-size is charged
 * size / iops-size operations, fraction included, as QEMU charges it.
 */
#ifndef IORATE_BUCKET_H
#define IORATE_BUCKET_H

#include "iorate.h"

#ifndef __always_inline	/* user space: BPF gets it from bpf_helpers.h */
#define __always_inline inline __attribute__((always_inline))
#endif

/* iorate_bucket_charge() indexes IORATE_LIMIT_*_READ + dir */
_Static_assert(IORATE_DIR_READ == 0 && IORATE_DIR_WRITE == 1 &&
	       IORATE_LIMIT_BPS_WRITE == IORATE_LIMIT_BPS_READ + 1 &&
	       IORATE_LIMIT_IOPS_WRITE == IORATE_LIMIT_IOPS_READ + 1,
	       "a direction's limit is its read limit + dir");

#define IORATE_UNIT_SHIFT	16
#define IORATE_UNIT_ONE		(1ULL << IORATE_UNIT_SHIFT)

/* QEMU's operation count of one I/O of `bytes`: 1, or bytes / iops_size
 * above iops-size (8 KiB at 4 KiB is 2, 6 KiB is 1.5), in fixed point. */
static __always_inline __u64 iorate_io_units(__u64 bytes, __u64 iops_size)
{
	if (iops_size && bytes > iops_size)
		return (bytes << IORATE_UNIT_SHIFT) / iops_size;
	return IORATE_UNIT_ONE;
}

/* Charges one bucket; returns 1 when this charge took its level to or past
 * `full` (the bucket's size: from here the owner is held to avg). */
static __always_inline int iorate_bucket_charge_one(struct iorate_bucket_set *s, int id,
						    __u64 amount)
{
	__u64 old, full;

	if (!(s->active & (1U << id)))
		return 0;
	old = __sync_fetch_and_add(&s->bucket[id].level, amount);
	if (s->burst & (1U << id))
		__sync_fetch_and_add(&s->bucket[id].burst_level, amount);
	full = s->full[id];
	return old < full && old + amount >= full;
}

/* One I/O of `bytes` in direction dir (IORATE_DIR_READ or _WRITE): the
 * set's counters, then every active bucket it falls under (a total and its
 * direction). Returns 1 when a bucket passed full while the set was armed
 * (and disarms it). A request a driver
 * completes in parts charges the bytes of each part and its operation once,
 * with the last part (whole = 0 before it): the count equals diskstats'. */
static __always_inline int iorate_bucket_charge(struct iorate_bucket_set *s, int dir, __u64 bytes,
						int whole)
{
	__u64 units = whole ? iorate_io_units(bytes, s->iops_size) : 0;
	int crossed = 0;

	dir &= 1;
	__sync_fetch_and_add(&s->charged_bytes[dir], bytes);
	__sync_fetch_and_add(&s->charged_units[dir], units);
	crossed |= iorate_bucket_charge_one(s, IORATE_LIMIT_BPS_TOTAL, bytes);
	crossed |= iorate_bucket_charge_one(s, IORATE_LIMIT_BPS_READ + dir, bytes);
	crossed |= iorate_bucket_charge_one(s, IORATE_LIMIT_IOPS_TOTAL, units);
	crossed |= iorate_bucket_charge_one(s, IORATE_LIMIT_IOPS_READ + dir, units);
	/* one event per arming, however many CPUs cross at once */
	return crossed && s->armed && __sync_lock_test_and_set(&s->armed, 0);
}

/* Takes up to `amount` out of a level another CPU may be charging: what is
 * taken is what was read, so the level stays >= 0 and no charge is lost. */
static __always_inline void iorate_bucket_drain(__u64 *level, __u64 amount)
{
	__u64 cur = *(volatile __u64 *)level;

	if (amount > cur)
		amount = cur;
	if (amount)
		__sync_fetch_and_sub(level, amount);
}

#endif /* IORATE_BUCKET_H */
