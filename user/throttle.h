/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * QEMU's leaky buckets (util/throttle.c), "as a meter": a bucket's level
 * leaks at avg per second, every I/O is charged in full, and an I/O may pass
 * while the level is under the bucket size. iorate does not admit single
 * I/Os (blk-throttle does, through io.max), so it asks a bucket a different
 * question each tick: at what rate may this owner run next?
 *
 * The levels are not here: they live in a bucket set (include/iorate.h),
 * BPF memory that the BPF programs charge per I/O (iorate_bucket.h). A
 * throttle_bucket is a limit's configuration and a pointer to its level.
 */
#ifndef IORATE_THROTTLE_H
#define IORATE_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>
#include "iorate.h"

struct throttle_bucket {
	double avg;		/* units per second; 0 = no limit */
	double max;		/* burst rate; 0 = none */
	unsigned int burst_length;	/* seconds at max (QEMU's max-length) */
	double one;		/* fixed-point counts per unit: 1 (bytes), 65536 (ops) */
	struct iorate_bucket *state;	/* level, burst_level: in the bucket set */
	bool burst_spent;	/* left max at its edge; max again with THROTTLE_REENTER_S of room */
};

void throttle_bucket_init(struct throttle_bucket *b, uint64_t avg, uint64_t max,
			  unsigned int burst_length, double one, struct iorate_bucket *state);
/* QEMU's bucket size: avg/10 without a max, max x max-length with one. */
double throttle_bucket_size(const struct throttle_bucket *b);
/* Levels in units (bytes or operations). */
double throttle_level(const struct throttle_bucket *b);
double throttle_burst_level(const struct throttle_bucket *b);
void throttle_leak(struct throttle_bucket *b, double dt_s);
/* What BPF does per I/O, for callers that charge by hand (tests). */
void throttle_charge(struct throttle_bucket *b, double units);
/* One tick: leak what leaked during it (BPF charged the tick's I/O as it
 * happened, so this is QEMU's charge-then-leak). The level is capped at one
 * second of avg above the bucket: an overshoot from before iorate took
 * control (or from an io.max that was not yet in force) is repaid within a
 * second instead of starving the owner for long. A bucket with a max then
 * says whether it bursts next tick (throttle_target_rate). */
void throttle_settle(struct throttle_bucket *b, double dt_s);
/* The rate (units/s) the owner may run at until the next tick, dt_s from
 * now: max while a burst bucket has room, avg otherwise, less the debt of
 * any overshoot spread over repay_s ("delayed release"). Never negative. */
double throttle_target_rate(const struct throttle_bucket *b, double dt_s, double repay_s);
/* Level as a fraction of the bucket size (top's "burst bucket fill"). */
double throttle_fill(const struct throttle_bucket *b);
/* QEMU's operation count of one I/O of size bytes: fractional above
 * iops_size (8 KiB at 4 KiB is 2, 6 KiB is 1.5), 1 below or when unset. */
double throttle_io_units(uint64_t size, uint64_t iops_size);
/* Fill a set's configuration for these six limits, empty its levels;
 * active = false: a set that only counts (a pooled member's own). */
void throttle_set_configure(struct iorate_bucket_set *set, const struct throttle_bucket b[IORATE_NR_LIMITS],
			    uint64_t iops_size, bool active);

/* Limit id's size in the set, after b's rates changed (share = cluster). */
void throttle_set_resize(struct iorate_bucket_set *set, const struct throttle_bucket *b, int id);

#endif
