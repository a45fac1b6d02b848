// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The actuator (user/actuator.c): which line is written and when, the
 * operator's ceiling, the bypass repair's freeze and its mark in the state
 * file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "actuator.h"
#include "state.h"
#include "test.h"

#define MS	1000000ULL

static struct state_entry entry(void)
{
	struct state_entry e = { .cgroup = "/m" };

	iomax_unlimited(&e.original);
	iomax_unlimited(&e.current);
	return e;
}

static struct iomax wiops(uint64_t v)
{
	struct iomax m;

	iomax_unlimited(&m);
	m.v[IOMAX_WIOPS] = v;
	return m;
}

/* A member's first line is the controller's guess before any I/O (an even
 * split of a total); the first line from measured rates follows it at
 * once, and from then on the write gate holds. */
TEST(actuator_first_two_lines_at_once_then_gated)
{
	struct state_entry e = entry();
	struct act_params p;
	struct iomax want = wiops(100), line;

	act_params_init(&p, false, ACT_UNTIMED);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, 900 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 100);
	act_written(&e, &line, 0, 900 * MS);
	want = wiops(200);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, 1000 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 200);
	act_written(&e, &line, 0, 1000 * MS);
	/* up by 10%: past the hysteresis, but the last write is 100 ms old */
	want = wiops(220);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, 1100 * MS, &line));
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, 1500 * MS, &line));
	/* down: at once only when a bucket filled or a reload asks */
	want = wiops(150);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, 1100 * MS, &line));
	ASSERT_TRUE(act_next_line(&p, &e, &want, true, 1100 * MS, &line));
	/* a raise is never at once, even then */
	want = wiops(300);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, true, 1100 * MS, &line));
}

TEST(actuator_hysteresis_by_mode)
{
	struct state_entry e = entry();
	struct act_params follow, steady;
	struct iomax want = wiops(200), line;

	act_params_init(&follow, false, ACT_UNTIMED);
	act_params_init(&steady, true, ACT_UNTIMED);
	act_written(&e, &want, 0, 0);
	act_written(&e, &want, 0, MS);
	want = wiops(206);	/* +3%: below both */
	ASSERT_TRUE(!act_next_line(&follow, &e, &want, false, 10000 * MS, &line));
	want = wiops(212);	/* +6%: follow moves, steady does not */
	ASSERT_TRUE(act_next_line(&follow, &e, &want, false, 10000 * MS, &line));
	ASSERT_TRUE(!act_next_line(&steady, &e, &want, false, 10000 * MS, &line));
	/* steady's gate is 2 s */
	want = wiops(240);
	ASSERT_TRUE(!act_next_line(&steady, &e, &want, false, 1900 * MS, &line));
	ASSERT_TRUE(act_next_line(&steady, &e, &want, false, 2001 * MS, &line));
}

TEST(actuator_operator_line_is_a_ceiling)
{
	struct state_entry e = entry();
	struct act_params p;
	struct iomax want = wiops(500), line;

	act_params_init(&p, false, ACT_UNTIMED);
	e.original.v[IOMAX_WIOPS] = 300;
	e.original.v[IOMAX_RBPS] = 1048576;
	e.current = e.original;
	/* above the operator's line: it is what is in force already */
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, MS, &line));
	want = wiops(250);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 250);
	ASSERT_U64_EQ(line.v[IOMAX_RBPS], 1048576);
	act_written(&e, &line, 0, MS);
	/* wanting unlimited gives back the operator's line, nothing wider */
	iomax_unlimited(&want);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, 10000 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 300);
	ASSERT_U64_EQ(line.v[IOMAX_RBPS], 1048576);
}

TEST(actuator_failed_write_keeps_line_and_paces_retry)
{
	struct state_entry e = entry();
	struct act_params p;
	struct iomax want = wiops(200), line;

	act_params_init(&p, false, ACT_UNTIMED);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, MS, &line));
	act_written(&e, &line, -EINVAL, MS);
	ASSERT_U64_EQ(e.current.v[IOMAX_WIOPS], IOMAX_UNLIMITED);
	ASSERT_EQ(e.write_err, -EINVAL);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, 200 * MS, &line));
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, 501 * MS, &line));
	/* the free second write, failing, is paced as any other */
	act_written(&e, &line, 0, 501 * MS);
	want = wiops(100);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, 600 * MS, &line));
	act_written(&e, &line, -EBUSY, 600 * MS);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, 700 * MS, &line));
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, 1000 * MS, &line));
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, 1100 * MS, &line));
}

TEST(actuator_tightest_field_of_all_groups)
{
	uint64_t a[CTL_NR_KINDS][CTL_NR_DIRS] = { 0 }, b[CTL_NR_KINDS][CTL_NR_DIRS] = { 0 };
	struct iomax want;

	a[CTL_IOPS][CTL_WRITE] = 300;
	a[CTL_BPS][CTL_READ] = 4096;
	b[CTL_IOPS][CTL_WRITE] = 200;
	b[CTL_IOPS][CTL_READ] = 50;
	iomax_unlimited(&want);
	act_tighten(&want, a);
	act_tighten(&want, b);
	ASSERT_U64_EQ(want.v[IOMAX_WIOPS], 200);
	ASSERT_U64_EQ(want.v[IOMAX_RIOPS], 50);
	ASSERT_U64_EQ(want.v[IOMAX_RBPS], 4096);
	ASSERT_U64_EQ(want.v[IOMAX_WBPS], IOMAX_UNLIMITED);
}

/* The repair fires after 0.4 s far above the line, whatever the tick,
 * and not in the 0.3 s after a write, whose rates still show the old line. */
static int ticks_to_freeze(double dt)
{
	struct state_entry e = entry();
	double rate[CTL_NR_KINDS][CTL_NR_DIRS] = { { 0 } };
	struct iomax line = wiops(200);
	uint64_t now = 1000 * MS;

	act_written(&e, &line, 0, now);
	rate[CTL_IOPS][CTL_WRITE] = 2400;
	for (int t = 1; t < 1000; t++) {
		now += (uint64_t)(dt * 1e9);
		if (act_bypassed(&e, rate, dt, now))
			return t;
	}
	return -1;
}

TEST(actuator_bypass_repair_in_seconds_not_ticks)
{
	/* muted up to 0.3 s after the write, then four 0.1 s ticks above */
	ASSERT_EQ(ticks_to_freeze(0.1), 6);
	ASSERT_EQ(ticks_to_freeze(0.01), 69);
	ASSERT_EQ(ticks_to_freeze(1.0), 1);
}

TEST(actuator_no_repair_near_the_line_or_while_frozen)
{
	struct state_entry e = entry();
	double rate[CTL_NR_KINDS][CTL_NR_DIRS] = { { 0 } };
	struct iomax line = wiops(200);
	uint64_t now = 1000 * MS;

	act_written(&e, &line, 0, now);
	rate[CTL_IOPS][CTL_WRITE] = 415;	/* 2x + less than the margin */
	for (int t = 0; t < 50; t++)
		ASSERT_TRUE(!act_bypassed(&e, rate, 0.1, now += 100 * MS));
	rate[CTL_IOPS][CTL_WRITE] = 2400;
	act_frozen(&e, now);
	ASSERT_U64_EQ(act_thaw_at(&e), now + ACT_FREEZE_NS);
	for (int t = 0; t < 10; t++)
		ASSERT_TRUE(!act_bypassed(&e, rate, 0.1, now += 100 * MS));
}

TEST(actuator_next_thaw_is_the_first_due)
{
	struct state_entry es[3] = { entry(), entry(), entry() };
	struct state s = { .entries = es, .nr = 3 };

	ASSERT_U64_EQ(act_next_thaw(&s), 0);
	act_frozen(&es[1], 900 * MS);
	act_frozen(&es[2], 700 * MS);
	ASSERT_U64_EQ(act_next_thaw(&s), 700 * MS + ACT_FREEZE_NS);
}

/* A daemon killed between freeze and thaw leaves "frozen" in its state
 * file; the next start reads it as a thaw due at once. */
TEST(state_file_keeps_the_freeze_mark)
{
	struct state s = { 0 }, back = { 0 };
	struct iomax orig = wiops(300);
	struct state_entry *e;
	char *text;

	e = state_add(&s, "/machine.slice/vm 1", iorate_mkdev(8, 0), &orig);
	ASSERT_TRUE(e != NULL);
	state_add(&s, "/other", iorate_mkdev(8, 16), &orig);
	act_frozen(e, 5000 * MS);
	text = state_format(&s);
	ASSERT_TRUE(text && strstr(text, " frozen\t/machine.slice/vm 1\n"));
	ASSERT_EQ(state_parse(&back, text), 0);
	ASSERT_EQ(back.nr, 2);
	e = state_find(&back, "/machine.slice/vm 1", iorate_mkdev(8, 0));
	ASSERT_TRUE(e && e->frozen_ns && act_thaw_at(e) <= 1 + ACT_FREEZE_NS);
	ASSERT_U64_EQ(e->original.v[IOMAX_WIOPS], 300);
	e = state_find(&back, "/other", iorate_mkdev(8, 16));
	ASSERT_TRUE(e && !e->frozen_ns);
	/* a file of a run before the mark existed reads as before */
	state_close(&back);
	ASSERT_EQ(state_parse(&back, "iorate-state 1\n8:0 rbps=max wbps=max riops=max wiops=7\t/a\n"), 0);
	ASSERT_TRUE(back.nr == 1 && !back.entries[0].frozen_ns);
	free(text);
	state_close(&back);
	state_close(&s);
}

/* A member whose line is wiops=v, written at `at` and again once (past the
 * first-two-lines rule), in steady mode with lowerings timed (6.1). */
static struct state_entry timed_entry(uint64_t v, uint64_t at)
{
	struct state_entry e = entry();
	struct iomax line = wiops(v);

	act_written(&e, &line, 0, at - 1000 * MS);
	act_written(&e, &line, 0, at);
	return e;
}

/* On 6.1 a line goes down only at a phase of the slice our own last write
 * started where blk-throttle cannot wrap the carryover: slice x (1 -
 * new/old) plus a guard. After a write too old to time from, the line in
 * force goes out again first, as the anchor. */
TEST(actuator_timed_lowering_anchors_then_lowers_at_a_safe_phase)
{
	struct state_entry e = timed_entry(200, 1000 * MS);
	struct act_params p;
	struct iomax want = wiops(150), line;
	uint64_t anchor = 10000 * MS, due = anchor + 25 * MS + ACT_PHASE_GUARD_NS;

	act_params_init(&p, true, ACT_TIMED_ALL);
	/* 9 s after the last write: the anchor, the line in force again */
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, anchor, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 200);
	ASSERT_TRUE(e.waiting);
	ASSERT_U64_EQ(e.lower_at_ns, due);
	act_written(&e, &line, 0, anchor);
	ASSERT_U64_EQ(act_next_lowering(&(struct state){ .entries = &e, .nr = 1 }), due);
	/* before the phase, the write gate notwithstanding: wait */
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, anchor + 20 * MS, &line));
	ASSERT_U64_EQ(e.lower_at_ns, due);
	/* at it: 150 */
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, due, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 150);
	ASSERT_U64_EQ(e.lower_at_ns, 0);
	ASSERT_TRUE(!e.waiting);
}

/* Past the window's end (3 jiffies before the next slice) the lowering
 * waits for the same phase of the next slice; past two slices from the
 * anchor it anchors again. */
TEST(actuator_timed_lowering_missed_window_waits_for_the_next)
{
	uint64_t at = 10000 * MS, earliest = 25 * MS + ACT_PHASE_GUARD_NS;
	struct state_entry e = timed_entry(200, at);
	struct act_params p;
	struct iomax want = wiops(150), line;

	act_params_init(&p, true, ACT_TIMED_ALL);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, true, at + 95 * MS, &line));
	ASSERT_U64_EQ(e.lower_at_ns, at + 100 * MS + earliest);
	ASSERT_TRUE(act_next_line(&p, &e, &want, true, at + 100 * MS + earliest, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 150);
	/* 250 ms after a write: too old, the anchor first */
	e = timed_entry(200, at);
	ASSERT_TRUE(act_next_line(&p, &e, &want, true, at + 250 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 200);
}

/* 200 -> 50 (a burst's end) goes down in halves, each at its own phase:
 * a quarter's window would be 13 ms, too short for a timer to hit. */
TEST(actuator_timed_lowering_halves_a_deep_one)
{
	uint64_t at = 10000 * MS, half = 50 * MS + ACT_PHASE_GUARD_NS;
	struct state_entry e = timed_entry(200, at);
	struct act_params p;
	struct iomax want = wiops(50), line;

	act_params_init(&p, true, ACT_TIMED_ALL);
	ASSERT_TRUE(act_next_line(&p, &e, &want, true, at + half, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 100);
	ASSERT_TRUE(e.waiting);
	ASSERT_U64_EQ(e.lower_at_ns, at + 2 * half);
	act_written(&e, &line, 0, at + half);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, at + 2 * half, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 50);
}

/* Raising, and lowering from max (nothing to carry over), are not timed;
 * nor is anything where there is no carryover. */
TEST(actuator_timed_lowering_only_where_it_can_wrap)
{
	uint64_t at = 10000 * MS;
	struct state_entry e = timed_entry(200, at);
	struct act_params p, signed_p;
	struct iomax want = wiops(300), line;

	act_params_init(&p, true, ACT_TIMED_ALL);
	act_params_init(&signed_p, true, ACT_UNTIMED);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, at + 2500 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 300);
	e = timed_entry(IOMAX_UNLIMITED, at);
	want = wiops(50);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, at + 2500 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 50);
	e = timed_entry(200, at);
	ASSERT_TRUE(act_next_line(&signed_p, &e, &want, false, at + 2500 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 50);
}

/* Where the carryover is signed (6.12) only a lowering to half or less
 * forced between the gate's writes (a bucket filled at a burst's end)
 * waits for its phase, so that it leaves no debt of the old line's slice
 * behind; a shallower one, or one past the gate, goes at once, and one
 * left waiting goes at the next tick at the latest (the gate's path:
 * e->lower_at_ns is set). */
TEST(actuator_signed_carryover_times_deep_forced_lowerings_only)
{
	uint64_t at = 10000 * MS, earliest = 50 * MS + ACT_PHASE_GUARD_NS;
	struct state_entry e = timed_entry(200, at);
	struct act_params p;
	struct iomax want = wiops(100), line;

	act_params_init(&p, false, ACT_TIMED_FORCED);
	/* a bucket filled 10 ms after a write: wait for the phase */
	ASSERT_TRUE(!act_next_line(&p, &e, &want, true, at + 10 * MS, &line));
	ASSERT_U64_EQ(e.lower_at_ns, at + earliest);
	ASSERT_TRUE(act_next_line(&p, &e, &want, true, at + earliest, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 100);
	/* waiting, the next tick writes it whatever the phase */
	e = timed_entry(200, at);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, true, at + 10 * MS, &line));
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, at + 20 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 100);
	/* past the gate, at once */
	e = timed_entry(200, at);
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, at + 1000 * MS + 5 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 100);
	/* shallower than half, at once */
	e = timed_entry(200, at);
	want = wiops(150);
	ASSERT_TRUE(act_next_line(&p, &e, &want, true, at + 10 * MS, &line));
	ASSERT_U64_EQ(line.v[IOMAX_WIOPS], 150);
}

/* A failed write cancels the timed moment it set: retried at the write
 * gate's pace, not at the timer's (040 on 6.1: 80 EINVALs in 3 s when it
 * did not). */
TEST(actuator_timed_lowering_failed_write_retries_at_the_gates_pace)
{
	uint64_t at = 10000 * MS;
	struct state_entry e = timed_entry(200, at);
	struct act_params p;
	struct iomax want = wiops(150), line;

	act_params_init(&p, true, ACT_TIMED_ALL);
	ASSERT_TRUE(act_next_line(&p, &e, &want, true, at + 5000 * MS, &line));
	act_written(&e, &line, -EINVAL, at + 5000 * MS);
	ASSERT_U64_EQ(e.lower_at_ns, 0);
	ASSERT_TRUE(!act_next_line(&p, &e, &want, false, at + 5040 * MS, &line));
	ASSERT_U64_EQ(e.lower_at_ns, 0);
	/* nor at a bucket's event: at the gate's pace */
	ASSERT_TRUE(!act_next_line(&p, &e, &want, true, at + 5100 * MS, &line));
	ASSERT_TRUE(act_next_line(&p, &e, &want, false, at + 7000 * MS, &line));
}
