/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * QEMU's leaky buckets (util/throttle.c), "as a meter": a bucket's level
 * leaks at avg per second, every I/O is charged in full, and an I/O may pass
 * while the level is under the bucket size. iorate does not admit single
 * I/Os (blk-throttle does, through io.max), so it asks a bucket a different
 * question each tick: at what rate may this owner run next?
 */
#ifndef IORATE_THROTTLE_H
#define IORATE_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct throttle_bucket {
	double avg;		/* units per second; 0 = no limit */
	double max;		/* burst rate; 0 = none */
	unsigned int burst_length;	/* seconds at max (QEMU's max-length) */
	double level;		/* units charged and not yet leaked */
	double burst_level;	/* the same, leaking at max (burst_length > 1) */
};

void throttle_bucket_init(struct throttle_bucket *b, uint64_t avg, uint64_t max,
			  unsigned int burst_length);
/* QEMU's bucket size: avg/10 without a max, max x max-length with one. */
double throttle_bucket_size(const struct throttle_bucket *b);
void throttle_leak(struct throttle_bucket *b, double dt_s);
void throttle_charge(struct throttle_bucket *b, double units);
/* One tick: what was done during it, and what leaked during it. Charging
 * before leaking keeps the level at 0 for an owner running exactly at avg
 * (leak first and every tick's own I/O would look like debt). The level is
 * capped at one second of avg above the bucket: an overshoot from before
 * iorate took control (or from an io.max that was not yet in force) is
 * repaid within a second instead of starving the owner for long. */
void throttle_settle(struct throttle_bucket *b, double units, double dt_s);
/* The rate (units/s) the owner may run at until the next tick: max while
 * a burst bucket has room, avg otherwise, less the debt of any overshoot
 * spread over repay_s ("delayed release"). Never negative. */
double throttle_target_rate(const struct throttle_bucket *b, double repay_s);
/* Level as a fraction of the bucket size (top's "burst bucket fill"). */
double throttle_fill(const struct throttle_bucket *b);
/* QEMU's operation count of one I/O of size bytes: fractional above
 * iops_size (8 KiB at 4 KiB is 2, 6 KiB is 1.5), 1 below or when unset. */
double throttle_io_units(uint64_t size, uint64_t iops_size);

#endif
