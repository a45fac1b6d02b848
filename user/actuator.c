// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include "actuator.h"

void act_params_init(struct act_params *p, bool steady, enum act_timing timing)
{
	p->hysteresis = steady ? ACT_STEADY_HYSTERESIS : ACT_HYSTERESIS;
	p->min_write_ns = steady ? ACT_STEADY_MIN_WRITE_NS : ACT_MIN_WRITE_NS;
	p->timing = timing;
}

static int field_of(int kind, int dir)
{
	return kind == CTL_BPS ? IOMAX_RBPS + dir : IOMAX_RIOPS + dir;
}

void act_tighten(struct iomax *want, const uint64_t iomax[CTL_NR_KINDS][CTL_NR_DIRS])
{
	for (int k = 0; k < CTL_NR_KINDS; k++)
		for (int dir = 0; dir < CTL_NR_DIRS; dir++) {
			uint64_t v = iomax[k][dir];
			int f = field_of(k, dir);

			if (v && v < want->v[f])
				want->v[f] = v;
		}
}

void act_in_force(const struct iomax *line, uint64_t out[CTL_NR_KINDS][CTL_NR_DIRS])
{
	for (int k = 0; k < CTL_NR_KINDS; k++)
		for (int dir = 0; dir < CTL_NR_DIRS; dir++) {
			uint64_t v = line->v[field_of(k, dir)];

			out[k][dir] = v == IOMAX_UNLIMITED ? 0 : v;
		}
}

static bool differs(uint64_t cur, uint64_t want, double hysteresis)
{
	if (cur == want)
		return false;
	if (cur == IOMAX_UNLIMITED || want == IOMAX_UNLIMITED)
		return true;
	return fabs((double)want - (double)cur) > hysteresis * (double)cur;
}

/* The least new/old of the fields line lowers from a number (from max
 * nothing carries over); 1 when none goes down. */
static double deepest_lowering(const struct iomax *cur, const struct iomax *line)
{
	double r = 1;

	for (int f = 0; f < IOMAX_NR_FIELDS; f++)
		if (cur->v[f] != IOMAX_UNLIMITED && line->v[f] < cur->v[f])
			r = fmin(r, (double)line->v[f] / (double)cur->v[f]);
	return r;
}

/* The earliest phase of a slice at which a line may go down to r of
 * itself without wrapping the carryover. */
static uint64_t earliest_phase(double r)
{
	return (uint64_t)(ACT_SLICE_NS * (1 - r)) + ACT_PHASE_GUARD_NS;
}

/* Whether *line (which may lower something) is to be written now: at a
 * phase of the slice our last write started where it cannot wrap (above
 * ACT_SLICE_NS). Otherwise *line becomes the line in force again, an
 * anchor to time from, and true; or false, and e->lower_at_ns says when to
 * ask again. */
static bool timed_lowering(struct state_entry *e, uint64_t now_ns, struct iomax *line)
{
	double r = deepest_lowering(&e->current, line);
	uint64_t earliest, since, phase, next;
	bool stepped = false;

	if (r >= 1) {
		e->lower_at_ns = 0;
		return true;
	}
	if (r < ACT_LOWER_MAX_STEP) {
		for (int f = 0; f < IOMAX_NR_FIELDS; f++) {
			uint64_t cur = e->current.v[f];

			if (cur != IOMAX_UNLIMITED && line->v[f] < cur * ACT_LOWER_MAX_STEP)
				line->v[f] = (uint64_t)ceil(cur * ACT_LOWER_MAX_STEP);
		}
		r = ACT_LOWER_MAX_STEP;
		stepped = true;
	}
	earliest = earliest_phase(r);
	since = now_ns - e->written_ns;
	e->waiting = true;
	if (!e->written_ns || e->write_err || since > ACT_ANCHOR_FRESH_NS) {
		*line = e->current;
		e->lower_at_ns = now_ns + earliest;
		return true;
	}
	phase = since % ACT_SLICE_NS;
	if (phase >= earliest && phase <= ACT_PHASE_LATEST_NS) {
		/* the rest of a deep lowering one step later, by the timer */
		e->lower_at_ns = stepped ? now_ns + earliest_phase(ACT_LOWER_MAX_STEP) : 0;
		e->waiting = stepped;
		return true;
	}
	next = since - phase + earliest;
	if (next <= since)
		next += ACT_SLICE_NS;
	/* past a fresh anchor's life, anchor again */
	e->lower_at_ns = e->written_ns + (next <= ACT_ANCHOR_FRESH_NS ? next : ACT_ANCHOR_FRESH_NS + 1);
	return false;
}

uint64_t act_next_lowering(const struct state *s)
{
	uint64_t first = 0;

	for (int i = 0; i < s->nr; i++) {
		uint64_t at = s->entries[i].lower_at_ns;

		if (at && (!first || at < first))
			first = at;
	}
	return first;
}

bool act_next_line(const struct act_params *p, struct state_entry *e,
		   const struct iomax *want, bool lower_at_once, uint64_t now_ns,
		   struct iomax *line)
{
	bool moved = false, lowered = false;

	e->waiting = false;
	*line = *want;
	for (int f = 0; f < IOMAX_NR_FIELDS; f++) {
		if (e->original.v[f] < line->v[f])
			line->v[f] = e->original.v[f];
		if (differs(e->current.v[f], line->v[f], p->hysteresis))
			moved = true;
	}
	if (!moved) {
		e->lower_at_ns = 0;
		return false;
	}
	/* The first line of a new member is the controller's guess before any
	 * I/O was measured (an even split of a total); the first line from
	 * measured rates follows at once. Gated, a VM that starts writing
	 * at once ran at half of a total for 0.5 s (the simulation's
	 * first-second test: 74 against QEMU's 110 at a limit of 100). A
	 * failed second write is retried at the gate's pace, as any (040:
	 * 37 retries in 3.5 s when it was not). */
	if (!e->written_ns || (e->writes == 1 && !e->write_err) ||
	    now_ns - e->written_ns >= p->min_write_ns || e->lower_at_ns)
		return p->timing == ACT_TIMED_ALL ? timed_lowering(e, now_ns, line) : true;
	e->waiting = true;
	/* a kernel that refused the last write is asked again at the gate's
	 * pace, a bucket's event or a reload notwithstanding: on 6.1 each
	 * refused lowering was retried at the next event, 12 in 3 s (040) */
	if (!lower_at_once || e->write_err)
		return false;
	/* Between writes only what goes down moves. A total's split can
	 * raise the idle direction's floor in the tick that lowers the busy
	 * one, and a line that had to go down as a whole kept a burst's max
	 * for 0.35 s after its bucket filled (the simulation at 10 ms ticks). */
	for (int f = 0; f < IOMAX_NR_FIELDS; f++) {
		if (line->v[f] > e->current.v[f])
			line->v[f] = e->current.v[f];
		else if (differs(e->current.v[f], line->v[f], p->hysteresis))
			lowered = true;
	}
	if (lowered && (p->timing == ACT_TIMED_ALL ||
			(p->timing == ACT_TIMED_FORCED &&
			 deepest_lowering(&e->current, line) <= ACT_FORCED_TIMED_UPTO)))
		return timed_lowering(e, now_ns, line);
	return lowered;
}

void act_written(struct state_entry *e, const struct iomax *line, int err, uint64_t now_ns)
{
	/* A failed write is retried at the pace of good ones, not every tick,
	 * nor at a timed lowering's moment: that was timed from a write that
	 * did not happen. */
	e->written_ns = now_ns;
	e->write_err = err;
	if (err)
		e->lower_at_ns = 0;
	if (!err) {
		e->current = *line;
		e->writes++;
	}
}

/* Far above: twice the line plus a margin the counting noise of a tick
 * stays under (20 I/Os, 1 MiB). */
static bool field_bypassed(uint64_t line, double measured, double margin)
{
	return line != IOMAX_UNLIMITED && measured > 2.0 * (double)line + margin;
}

bool act_bypassed(struct state_entry *e, const double thr_rate[CTL_NR_KINDS][CTL_NR_DIRS],
		  double dt_s, uint64_t now_ns)
{
	const struct iomax *m = &e->current;
	bool bypassed = false;

	if (e->frozen_ns || !e->written_ns || now_ns - e->written_ns < ACT_BYPASS_AFTER_WRITE_NS) {
		e->bypass_s = 0;
		return false;
	}
	for (int dir = 0; dir < CTL_NR_DIRS; dir++)
		bypassed |= field_bypassed(m->v[field_of(CTL_IOPS, dir)],
					   thr_rate[CTL_IOPS][dir], 20) ||
			    field_bypassed(m->v[field_of(CTL_BPS, dir)],
					   thr_rate[CTL_BPS][dir], 1048576);
	e->bypass_s = bypassed ? e->bypass_s + dt_s : 0;
	/* 1e-9: four 100 ms ticks add up to a hair under 0.4 */
	return e->bypass_s >= ACT_BYPASS_S - 1e-9;
}

void act_frozen(struct state_entry *e, uint64_t now_ns)
{
	e->frozen_ns = now_ns ? now_ns : 1;
	e->bypass_s = 0;
}

uint64_t act_thaw_at(const struct state_entry *e)
{
	return e->frozen_ns ? e->frozen_ns + ACT_FREEZE_NS : 0;
}

uint64_t act_next_thaw(const struct state *s)
{
	uint64_t first = 0;

	for (int i = 0; i < s->nr; i++) {
		uint64_t at = act_thaw_at(&s->entries[i]);

		if (at && (!first || at < first))
			first = at;
	}
	return first;
}
