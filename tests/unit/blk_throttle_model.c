// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * blk-throttle's arithmetic for one group (blk_throttle_model.h). Every
 * sum keeps the kernel's width, wrapping where the kernel's wraps; the
 * only branch on the kernel is how a budget with a carryover in it is
 * read: unsigned on 6.1, signed and required positive on 6.12.
 */
#include <string.h>
#include "blk_throttle_model.h"

static int ilog2_u64(uint64_t v)
{
	return v ? 63 - __builtin_clzll(v) : -1;
}

static uint64_t round_up(uint64_t x, uint64_t to)
{
	return (x + to - 1) / to * to;
}

/* I/Os a limit allows over j jiffies, saturating at 32 bits */
static uint32_t ios_in(uint32_t iops, uint64_t j)
{
	uint64_t n = (uint64_t)iops * j / BTM_HZ;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* bytes a limit allows over j jiffies, "all" where the product would pass
 * 62 bits (the kernel's test, on whole log2s) */
static uint64_t bytes_in(uint64_t bps, uint64_t j)
{
	if (ilog2_u64(bps) + ilog2_u64(j) - ilog2_u64(BTM_HZ) > 62)
		return UINT64_MAX;
	return (uint64_t)((unsigned __int128)bps * j / BTM_HZ);
}

static bool unlimited(const struct btm_dir *d)
{
	return d->bps == BTM_NO_BPS && d->iops == BTM_NO_IOPS;
}

static bool slice_over(const struct btm *m, const struct btm_dir *d)
{
	return m->jiffies < d->slice_start || m->jiffies > d->slice_end;
}

static void slice_restart(const struct btm *m, struct btm_dir *d, bool clear_carryover)
{
	d->bytes_disp = 0;
	d->io_disp = 0;
	d->slice_start = m->jiffies;
	d->slice_end = m->jiffies + BTM_SLICE;
	if (clear_carryover) {
		d->carryover_bytes = 0;
		d->carryover_ios = 0;
	}
}

static void slice_stretch(struct btm_dir *d, uint64_t end)
{
	d->slice_end = round_up(end, BTM_SLICE);
}

/* 0 when the next I/O fits the iops budget, else jiffies to wait */
static uint64_t iops_wait(const struct btm *m, const struct btm_dir *d)
{
	uint64_t elapsed, rounded, wait;
	uint32_t budget, next = d->io_disp + 1;
	bool fits;

	if (d->iops == BTM_NO_IOPS)
		return 0;
	elapsed = m->jiffies - d->slice_start;
	/* a whole slice's budget from its first jiffy */
	rounded = round_up(elapsed + 1, BTM_SLICE);
	budget = ios_in(d->iops, rounded) + d->carryover_ios;
	if (m->kernel == BTM_6_1)
		fits = next <= budget;
	else
		fits = (int32_t)budget > 0 && next <= budget;
	if (fits)
		return 0;
	wait = rounded - elapsed;
	if (m->kernel == BTM_6_12 && wait < BTM_HZ / d->iops + 1)
		wait = BTM_HZ / d->iops + 1;
	return wait;
}

static uint64_t bps_wait(const struct btm *m, const struct btm_dir *d, uint32_t bytes)
{
	uint64_t elapsed, rounded, budget, over, wait;
	bool fits;

	if (d->bps == BTM_NO_BPS)
		return 0;
	elapsed = m->jiffies - d->slice_start;
	rounded = round_up(elapsed ? elapsed : BTM_SLICE, BTM_SLICE);
	budget = bytes_in(d->bps, rounded) + d->carryover_bytes;
	if (m->kernel == BTM_6_1)
		fits = d->bytes_disp + bytes <= budget;
	else
		fits = (int64_t)budget > 0 && d->bytes_disp + bytes <= budget;
	if (fits)
		return 0;
	over = d->bytes_disp + bytes - budget;
	wait = over * BTM_HZ / d->bps;
	if (!wait)
		wait = 1;
	return wait + rounded - elapsed;
}

/* Whether the bio at the head of d may go now; *wait how long it waits */
static bool may_go(struct btm *m, struct btm_dir *d, uint32_t bytes, uint64_t *wait)
{
	uint64_t bw, iw, longest;

	*wait = 0;
	if (unlimited(d))
		return true;
	/* a fresh slice (and carryover gone) only when nothing waits */
	if (slice_over(m, d) && !d->queued)
		slice_restart(m, d, true);
	else if (d->slice_end < m->jiffies + BTM_SLICE)
		slice_stretch(d, m->jiffies + BTM_SLICE);
	bw = bps_wait(m, d, bytes);
	/* 6.1 asks the iops budget only when the bytes fit */
	iw = m->kernel == BTM_6_1 && bw ? 0 : iops_wait(m, d);
	if (!bw && !iw)
		return true;
	longest = bw > iw ? bw : iw;
	if (d->slice_end < m->jiffies + longest)
		slice_stretch(d, m->jiffies + longest);
	*wait = longest;
	return false;
}

/* After each dispatch: whole slices behind us leave the budget, with the
 * carryover, when that leaves anything to take away. */
static void trim(struct btm *m, struct btm_dir *d)
{
	uint64_t behind;
	int64_t bytes_gone;
	int32_t ios_gone;

	if (slice_over(m, d))
		return;
	d->slice_end = round_up(m->jiffies + BTM_SLICE, BTM_SLICE);
	behind = (m->jiffies - d->slice_start) / BTM_SLICE * BTM_SLICE;
	if (!behind)
		return;
	bytes_gone = (int64_t)(bytes_in(d->bps, behind) + d->carryover_bytes);
	ios_gone = (int32_t)(ios_in(d->iops, behind) + d->carryover_ios);
	if (bytes_gone <= 0 && ios_gone <= 0)
		return;
	d->carryover_bytes = 0;
	d->bytes_disp = (int64_t)d->bytes_disp >= bytes_gone ? d->bytes_disp - bytes_gone : 0;
	d->carryover_ios = 0;
	d->io_disp = (int32_t)d->io_disp >= ios_gone ? d->io_disp - ios_gone : 0;
	d->slice_start += behind;
}

static void charge(struct btm *m, struct btm_dir *d, uint32_t bytes)
{
	d->bytes_disp += bytes;
	d->io_disp++;
	d->dispatched++;
	d->dispatched_bytes += bytes;
	trim(m, d);
}

static void update_disptime(struct btm *m)
{
	uint64_t soonest = UINT64_MAX;

	for (int rw = 0; rw < 2; rw++) {
		struct btm_dir *d = &m->dir[rw];
		uint64_t wait;

		if (!d->queued)
			continue;
		may_go(m, d, d->bio_bytes, &wait);
		if (wait < soonest)
			soonest = wait;
	}
	m->disptime = soonest == UINT64_MAX ? UINT64_MAX : m->jiffies + soonest;
}

void btm_init(struct btm *m, enum btm_kernel kernel)
{
	memset(m, 0, sizeof(*m));
	m->kernel = kernel;
	m->jiffies = 1000;
	m->disptime = UINT64_MAX;
	for (int rw = 0; rw < 2; rw++) {
		m->dir[rw].bps = BTM_NO_BPS;
		m->dir[rw].iops = BTM_NO_IOPS;
	}
}

void btm_set_limits(struct btm *m, uint64_t rbps, uint64_t wbps, uint32_t riops, uint32_t wiops)
{
	const uint64_t bps[2] = { rbps, wbps };
	const uint32_t iops[2] = { riops, wiops };
	bool waiting = false;

	for (int rw = 0; rw < 2; rw++) {
		struct btm_dir *d = &m->dir[rw];
		uint64_t elapsed = m->jiffies - d->slice_start;

		if (!d->queued)
			continue;
		if ((bps[rw] ? bps[rw] : BTM_NO_BPS) < d->bps ||
		    (iops[rw] ? iops[rw] : BTM_NO_IOPS) < d->iops)
			m->lowered_waiting++;
		/* what the old line still owed (or was owed) for this slice */
		if (d->bps != BTM_NO_BPS)
			d->carryover_bytes += bytes_in(d->bps, elapsed) - d->bytes_disp;
		if (d->iops != BTM_NO_IOPS)
			d->carryover_ios += ios_in(d->iops, elapsed) - d->io_disp;
		waiting = true;
	}
	for (int rw = 0; rw < 2; rw++) {
		struct btm_dir *d = &m->dir[rw];

		d->bps = bps[rw] ? bps[rw] : BTM_NO_BPS;
		d->iops = iops[rw] ? iops[rw] : BTM_NO_IOPS;
		slice_restart(m, d, false);
		/* the new line's first budget, read as 6.1 reads it */
		if (m->kernel == BTM_6_1 && d->queued &&
		    ((d->iops != BTM_NO_IOPS &&
		      (int32_t)(ios_in(d->iops, BTM_SLICE) + d->carryover_ios) < 0) ||
		     (d->bps != BTM_NO_BPS &&
		      (int64_t)(bytes_in(d->bps, BTM_SLICE) + d->carryover_bytes) < 0)))
			m->wraps++;
	}
	if (waiting)
		update_disptime(m);
}

bool btm_submit(struct btm *m, int rw, uint32_t bytes)
{
	struct btm_dir *d = &m->dir[rw];
	uint64_t wait;

	if (!d->queued && may_go(m, d, bytes, &wait)) {
		charge(m, d, bytes);
		return true;
	}
	d->bio_bytes = bytes;
	if (!d->queued++)
		update_disptime(m);
	return false;
}

uint32_t btm_tick(struct btm *m)
{
	uint32_t n = 0;
	bool went;

	m->jiffies++;
	if (m->disptime > m->jiffies)
		return 0;
	do {
		went = false;
		for (int rw = 0; rw < 2; rw++) {
			struct btm_dir *d = &m->dir[rw];
			uint64_t wait;

			while (d->queued && may_go(m, d, d->bio_bytes, &wait)) {
				d->queued--;
				charge(m, d, d->bio_bytes);
				n++;
				went = true;
			}
		}
	} while (went);
	update_disptime(m);
	return n;
}
