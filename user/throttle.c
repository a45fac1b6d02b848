// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "throttle.h"

void throttle_bucket_init(struct throttle_bucket *b, uint64_t avg, uint64_t max,
			  unsigned int burst_length)
{
	*b = (struct throttle_bucket){
		.avg = avg,
		.max = max,
		.burst_length = burst_length ? burst_length : 1,
	};
}

double throttle_bucket_size(const struct throttle_bucket *b)
{
	if (!b->max)
		return b->avg / 10;
	return b->max * b->burst_length;
}

void throttle_leak(struct throttle_bucket *b, double dt_s)
{
	if (dt_s <= 0)
		return;
	b->level -= b->avg * dt_s;
	if (b->level < 0)
		b->level = 0;
	if (b->burst_length > 1) {
		b->burst_level -= b->max * dt_s;
		if (b->burst_level < 0)
			b->burst_level = 0;
	}
}

void throttle_charge(struct throttle_bucket *b, double units)
{
	b->level += units;
	if (b->burst_length > 1)
		b->burst_level += units;
}

/*
 * QEMU lets I/O pass while level < size, which admits up to avg/10 more than
 * avg in any second. iorate's promise is tighter (every 1 s window within
 * 5% of the limit), so without a burst the debt threshold is half of QEMU's
 * size: 50 ms worth of avg. Lower, and measurement noise alone (a level that
 * never drains below one tick's jitter) keeps the rate under the limit.
 * With a burst, QEMU's size is the burst budget and the owner runs at max
 * until it is spent.
 */
double throttle_target_rate(const struct throttle_bucket *b, double repay_s)
{
	double threshold, rate, debt;

	if (!b->avg)
		return 0;
	if (b->max) {
		/* The room left in the bucket may be spent within the next
		 * repay_s, at no more than max: a continuous rate, so that a
		 * level hovering at the brim does not flip between max and avg
		 * every tick (measured: 90-100/s against 50 after a burst). */
		threshold = b->burst_length > 1 ? throttle_bucket_size(b) : b->max;
		if (b->level < threshold) {
			rate = b->avg + (threshold - b->level) / (repay_s > 0 ? repay_s : 1);
			return rate < b->max ? rate : b->max;
		}
	} else {
		threshold = throttle_bucket_size(b) / 2;
	}
	debt = b->level - threshold;
	rate = b->avg;
	if (debt > 0)
		rate -= debt / (repay_s > 0 ? repay_s : 1);
	/* Repay at no more than three quarters of avg: slamming io.max to its
	 * floor and back makes the loop oscillate (measured 10 <-> 94/s
	 * against 50 after a burst); the rest of the debt waits. */
	return rate > b->avg / 4 ? rate : b->avg / 4;
}

double throttle_fill(const struct throttle_bucket *b)
{
	double size = throttle_bucket_size(b);

	return size > 0 ? b->level / size : 0;
}

double throttle_io_units(uint64_t size, uint64_t iops_size)
{
	if (iops_size && size > iops_size)
		return (double)size / iops_size;
	return 1;
}

void throttle_settle(struct throttle_bucket *b, double units, double dt_s)
{
	double cap;

	throttle_charge(b, units);
	throttle_leak(b, dt_s);
	cap = throttle_bucket_size(b) + b->avg;
	if (b->level > cap)
		b->level = cap;
	if (b->burst_length > 1 && b->burst_level > b->max / 10 + b->max)
		b->burst_level = b->max / 10 + b->max;
}
