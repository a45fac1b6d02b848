// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The control loop against a simulated disk (ctl_sim.h): the simple disk
 * that passes what io.max allows, tick by tick.
 *
 * The policy's tick runs from 10 ms to 10 s (100 ms by default): the
 * holding tests run at 10 ms, 100 ms and 1 s and hold to the same bars,
 * unless a comment says why the physics of a longer tick cannot.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_sim.h"
#include "iorate_bucket.h"
#include "test.h"

/*
 * The loop's filters were tuned as weights per 100 ms tick (0.4 for the
 * smoothed rates, 0.1 for the trim's gain, 0.05 for the conversion factor,
 * five pressed ticks before the trim learns): as time constants they must
 * give back exactly those at 100 ms, so that the default tick (and every
 * VM test tuned at it) is unchanged; and ten 10 ms ticks must weigh what
 * one 100 ms tick does.
 */
TEST(controller_tick_factors_at_100ms_are_the_tuned_ones)
{
	struct ctl_tick_factors f = ctl_tick_factors(0.1), fast = ctl_tick_factors(0.01);

	ASSERT_NEAR(f.ewma, 0.4, 1e-9);
	ASSERT_NEAR(f.trim_gain, 0.1, 1e-9);
	ASSERT_NEAR(f.conv, 0.05, 1e-9);
	ASSERT_NEAR(f.settle_s / 0.1, 5, 1e-9);
	ASSERT_NEAR(1 - pow(1 - fast.ewma, 10), 0.4, 1e-9);
	ASSERT_NEAR(1 - pow(1 - fast.trim_gain, 10), 0.1, 1e-9);
	ASSERT_NEAR(1 - pow(1 - fast.conv, 10), 0.05, 1e-9);
}

static void total_limit_holds_any_mix(double dt)
{
	struct policy_group g = sim_group();
	struct sim_member m = { .want = { 5000, 5000 }, .gain = 1, .bytes_per_op = 4096 };
	struct ctl_binding b;
	double done, sum = 0, worst = 0;

	g.limits[POLICY_IOPS_TOTAL].avg = 400;
	sim_init(&b, &g, false);
	for (int t = 0; t < sim_ticks(10, dt); t++) {
		if (t == sim_ticks(5, dt)) {	/* writes drop to a trickle */
			m.want[CTL_READ] = 9000;
			m.want[CTL_WRITE] = 40;
		}
		sim_tick(&b, &m, 1, dt, &done);
		sum += done;
		if (sim_sec_end(t, dt)) {
			/* every whole second from the third */
			if (sim_sec(t, dt) >= 2)
				worst = fmax(worst, sum);
			sum = 0;
		}
	}
	if (!ASSERT_TRUE(worst <= 420 && worst >= 380))
		fprintf(stderr, "    tick %g s: worst 1 s window %.1f (limit 400)\n", dt, worst);
	/* after the shift, reads get most of it */
	if (!ASSERT_TRUE(b.slots[0].iomax[CTL_IOPS][CTL_READ] > 300))
		fprintf(stderr, "    tick %g s: riops %" PRIu64 "\n", dt,
			b.slots[0].iomax[CTL_IOPS][CTL_READ]);
	ctl_binding_free(&b);
}

TEST(controller_total_limit_holds_any_mix)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		total_limit_holds_any_mix(sim_dts[i]);
}

static void split_requests_converted(double dt)
{
	struct policy_group g = sim_group();
	struct sim_member m = { .want = { 0, 5000 }, .gain = 2, .bytes_per_op = 65536 };
	struct ctl_binding b;
	double done = 0, last = 0;

	g.limits[POLICY_IOPS_WRITE].avg = 300;
	sim_init(&b, &g, false);
	for (int t = 0; t < sim_ticks(6, dt); t++) {
		sim_tick(&b, &m, 1, dt, &done);
		if (t >= sim_ticks(5, dt))
			last += done;
	}
	/* device sees 2 requests per io.max op: io.max ends near 150 */
	if (!ASSERT_NEAR(last, 300, 15) ||
	    !ASSERT_NEAR(b.slots[0].iomax[CTL_IOPS][CTL_WRITE], 150, 10))
		fprintf(stderr, "    tick %g s: %.1f in the 6th second, wiops %" PRIu64 "\n", dt,
			last, b.slots[0].iomax[CTL_IOPS][CTL_WRITE]);
	ctl_binding_free(&b);
}

TEST(controller_split_requests_converted)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		split_requests_converted(sim_dts[i]);
}

/* QEMU's docs/throttle.txt example: 2000 IOPS for about 63 s, then 100. */
static void qemu_burst_example(double dt)
{
	struct policy_group g = sim_group();
	struct sim_member m = { .want = { 5000, 0 }, .gain = 1, .bytes_per_op = 4096 };
	struct ctl_binding b;
	double done, sec = 0;
	int burst_end = -1;

	g.limits[POLICY_IOPS_TOTAL] = (struct policy_limit){ 100, 2000, 60 };
	sim_init(&b, &g, false);
	for (int t = 0; t < sim_ticks(90, dt); t++) {
		sim_tick(&b, &m, 1, dt, &done);
		sec += done;
		if (sim_sec_end(t, dt)) {
			if (burst_end < 0 && sim_sec(t, dt) >= 2 && sec < 1000)
				burst_end = sim_sec(t, dt);
			sec = 0;
		}
	}
	if (!ASSERT_TRUE(burst_end >= 60 && burst_end <= 66))
		fprintf(stderr, "    tick %g s: burst ended after %d s\n", dt, burst_end);
	ctl_binding_free(&b);
}

TEST(controller_qemu_burst_example)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		qemu_burst_example(sim_dts[i]);
}

static void pooled_idle_share_goes_to_busy(double dt)
{
	struct policy_group g = sim_group();
	struct sim_member m[2] = {
		{ .want = { 2500, 2500 }, .gain = 1, .bytes_per_op = 4096 },
		{ .want = { 2500, 2500 }, .gain = 1, .bytes_per_op = 4096 },
	};
	struct ctl_binding b;
	double done[2], a = 0, both = 0;

	g.share = POLICY_SHARE_POOLED;
	g.limits[POLICY_IOPS_TOTAL].avg = 400;
	sim_init(&b, &g, false);
	for (int t = 0; t < sim_ticks(10, dt); t++) {
		sim_tick(&b, m, 2, dt, done);
		if (sim_sec(t, dt) == 4)
			both += done[0] + done[1];
		if (t == sim_ticks(5, dt) - 1)	/* the second member stops at 5 s */
			m[1].want[0] = m[1].want[1] = 0;
		if (sim_sec(t, dt) == 6)	/* the first full second, 1 s after */
			a += done[0];
	}
	if (!ASSERT_NEAR(both, 400, 20) || !ASSERT_TRUE(a >= 380 && a <= 420))
		fprintf(stderr, "    tick %g s: both %.1f, then the busy one %.1f\n", dt, both, a);
	ctl_binding_free(&b);
}

TEST(controller_pooled_idle_share_goes_to_busy)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		pooled_idle_share_goes_to_busy(sim_dts[i]);
}

/* share = cluster: the host's share scales the pool (rates and bucket
 * size), and its members divide it as a pool's do; the share moving
 * (another host woke) moves them within a second, and ctl_binding_use
 * reports what the members did, the host's entry in the cluster's split.
 * The tick in which the share fell ran under the old line: that excess is
 * repaid as any overshoot is (at 1 s ticks over the next three seconds:
 * 40, 68, 110 against 120, which puts the cluster's sum back). */
static void cluster_scale_holds_the_hosts_share(double dt)
{
	struct policy_group g = sim_group();
	struct sim_member m[2] = {
		{ .want = { 2500, 2500 }, .gain = 1, .bytes_per_op = 4096 },
		{ .want = { 2500, 2500 }, .gain = 1, .bytes_per_op = 4096 },
	};
	double half[POLICY_NR_LIMITS] = { 1, 1, 1, 0.5, 1, 1 };
	double fifth[POLICY_NR_LIMITS] = { 1, 1, 1, 0.2, 1, 1 };
	struct ctl_binding b;
	double done[2], at_half = 0, at_fifth = 0, later = 0, use = 0;

	g.share = POLICY_SHARE_CLUSTER;
	g.limits[POLICY_IOPS_TOTAL].avg = 600;
	sim_init(&b, &g, false);
	ctl_binding_set_scale(&b, half);
	for (int t = 0; t < sim_ticks(10, dt); t++) {
		sim_tick(&b, m, 2, dt, done);
		if (sim_sec(t, dt) == 3)
			at_half += done[0] + done[1];
		if (t == sim_ticks(4, dt) - 1) {
			use = ctl_binding_use(&b, POLICY_IOPS_TOTAL);
			ctl_binding_set_scale(&b, fifth);
		}
		if (sim_sec(t, dt) == 6)	/* the first full second, 1 s after */
			at_fifth += done[0] + done[1];
		if (sim_sec(t, dt) >= 8)
			later += (done[0] + done[1]) / 2;
	}
	if (!ASSERT_NEAR(at_half, 300, 15) || !ASSERT_NEAR(use, 300, 20) ||
	    (dt < 1 && !ASSERT_NEAR(at_fifth, 120, 8)) || !ASSERT_NEAR(later, 120, 8) ||
	    !ASSERT_NEAR(b.pool[POLICY_IOPS_TOTAL].avg, 120, 0))
		fprintf(stderr, "    tick %g s: %.1f at half, use %.1f, %.1f at a fifth, then %.1f\n", dt,
			at_half, use, at_fifth, later);
	/* a reload to share = pooled: the whole limit again */
	{
		struct policy_group pooled = g;

		pooled.share = POLICY_SHARE_POOLED;
		ctl_binding_set_group(&b, &pooled);
		ASSERT_NEAR(b.pool[POLICY_IOPS_TOTAL].avg, 600, 0);
		ASSERT_NEAR(b.scale[POLICY_IOPS_TOTAL], 1, 0);
	}
	ctl_binding_free(&b);
}

TEST(controller_cluster_scale_holds_the_hosts_share)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		cluster_scale_holds_the_hosts_share(sim_dts[i]);
}

/* A pool's lines pass what the pool does: blk-throttle passes whole I/Os
 * per slice (iomax.h), and a pool of 400 cut as 24 and 376 passed 390
 * (020's pooled test on 6.12). */
static void pooled_lines_in_whole_steps(double dt)
{
	struct policy_group g = sim_group();
	struct sim_member m[2] = {
		{ .want = { 0, 22 }, .gain = 1, .bytes_per_op = 4096 },
		{ .want = { 0, 2500 }, .gain = 1, .bytes_per_op = 4096 },
	};
	struct ctl_binding b;
	double done[2];
	uint64_t a, c;

	g.share = POLICY_SHARE_POOLED;
	g.limits[POLICY_IOPS_WRITE].avg = 400;
	sim_init(&b, &g, false);
	for (int t = 0; t < sim_ticks(5, dt); t++)
		sim_tick(&b, m, 2, dt, done);
	a = b.slots[0].iomax[CTL_IOPS][CTL_WRITE];
	c = b.slots[1].iomax[CTL_IOPS][CTL_WRITE];
	if (!ASSERT_TRUE(a % 10 == 0 && c % 10 == 0 && a + c >= 390 && a + c <= 410))
		fprintf(stderr, "    tick %g s: lines %lu and %lu\n", dt, (unsigned long)a,
			(unsigned long)c);
	ctl_binding_free(&b);
}

TEST(controller_pooled_lines_in_whole_steps)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		pooled_lines_in_whole_steps(sim_dts[i]);
}

static void iops_size_counts_large_io_as_several(double dt)
{
	struct policy_group g = sim_group();
	struct sim_member m = { .want = { 5000, 0 }, .gain = 1, .bytes_per_op = 16384 };
	struct ctl_binding b;
	double done;

	g.limits[POLICY_IOPS_READ].avg = 400;
	g.iops_size = 4096;
	sim_init(&b, &g, false);
	for (int t = 0; t < sim_ticks(5, dt); t++)
		sim_tick(&b, &m, 1, dt, &done);
	/* 16 KiB reads count 4 each: 100 reads/s hold 400 operations/s */
	if (!ASSERT_NEAR(b.slots[0].iomax[CTL_IOPS][CTL_READ], 100, 6))
		fprintf(stderr, "    tick %g s\n", dt);
	ctl_binding_free(&b);
}

TEST(controller_iops_size_counts_large_io_as_several)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		iops_size_counts_large_io_as_several(sim_dts[i]);
}

TEST(throttle_units_follow_qemu)
{
	ASSERT_NEAR(throttle_io_units(8192, 4096), 2.0, 1e-12);
	ASSERT_NEAR(throttle_io_units(6144, 4096), 1.5, 1e-12);
	ASSERT_NEAR(throttle_io_units(512, 4096), 1.0, 1e-12);
	ASSERT_NEAR(throttle_io_units(1 << 20, 0), 1.0, 1e-12);
}

TEST(throttle_bucket_sizes_follow_qemu)
{
	struct iorate_bucket level = { 0 };
	struct throttle_bucket b;

	throttle_bucket_init(&b, 100, 0, 0, IORATE_UNIT_ONE, &level);
	ASSERT_NEAR(throttle_bucket_size(&b), 10, 1e-12);
	throttle_bucket_init(&b, 100, 2000, 60, IORATE_UNIT_ONE, &level);
	ASSERT_NEAR(throttle_bucket_size(&b), 120000, 1e-9);
	throttle_charge(&b, 500);
	throttle_leak(&b, 1.0);
	ASSERT_NEAR(throttle_level(&b), 400, 1e-9);
	ASSERT_NEAR(throttle_burst_level(&b), 0, 1e-9);
}

/* A burst bucket left at max's edge goes back to max only with 0.2 s of
 * room at max; less is spent at no more than 2.5% over avg, whatever the
 * tick (028's burst: the room a stall left put max back for a tick). */
TEST(throttle_burst_reentered_with_room_for_0_2s_at_max)
{
	for (int i = 0; i < SIM_NR_DTS; i++) {
		double dt = sim_dts[i];
		struct iorate_bucket level = { 0 };
		struct throttle_bucket b;

		throttle_bucket_init(&b, 50, 200, 3, IORATE_UNIT_ONE, &level);
		throttle_settle(&b, dt);
		ASSERT_NEAR(throttle_target_rate(&b, dt, 1.0), 200, 1e-9);
		/* full: the burst is over */
		level.level = (uint64_t)llround((600 + 50 * dt) * IORATE_UNIT_ONE);
		throttle_settle(&b, dt);
		ASSERT_NEAR(throttle_target_rate(&b, dt, 1.0), 50, 1e-9);
		/* a stall: 39 of room, under 0.2 s at max, over a tick's
		 * 150 x 0.01 at 10 ms ticks */
		level.level = (uint64_t)llround((600 - 39 + 50 * dt) * IORATE_UNIT_ONE);
		throttle_settle(&b, dt);
		if (!ASSERT_NEAR(throttle_target_rate(&b, dt, 1.0), 50 * 1.025, 1e-9))
			fprintf(stderr, "    tick %g s: %.2f with 39 of room\n", dt,
				throttle_target_rate(&b, dt, 1.0));
		/* a pause: 41 of room, a burst again where a tick at max fits */
		level.level = (uint64_t)llround((600 - 41 + 50 * dt) * IORATE_UNIT_ONE);
		throttle_settle(&b, dt);
		/* and where it does not (1 s ticks), spent over 1 s as QEMU's
		 * last second of a burst (022: the bucket fills between ticks) */
		if (!ASSERT_NEAR(throttle_target_rate(&b, dt, 1.0), 41 >= 150 * dt ? 200 : 50 + 41, 1e-9))
			fprintf(stderr, "    tick %g s: %.2f with 41 of room\n", dt,
				throttle_target_rate(&b, dt, 1.0));
	}
}

/* An overshoot io.max did not stop (6.1's wrapped carryover lets a burst
 * through): follow mode repays it by pulling io.max down, steady mode
 * leaves io.max at the base rate for blk-throttle to hold. */
static uint64_t wiops_after_bypass(bool steady)
{
	struct policy_group g = sim_group();
	struct ctl_binding b;
	struct ctl_slot *s;
	uint64_t v;

	g.limits[POLICY_IOPS_WRITE].avg = 200;
	sim_init(&b, &g, steady);
	for (int t = 0; t < 30; t++) {
		s = sim_slot(&b, 1);
		/* 600/s past io.max for 1 s, then io.max holds again */
		double thr = (t < 10 ? 600 : fmin(1000, sim_in_force(s, CTL_IOPS, CTL_WRITE))) * 0.1;

		s->thr.ops[CTL_WRITE] = thr;
		s->thr.bytes[CTL_WRITE] = thr * 4096;
		sim_io(&b, s, CTL_WRITE, thr, 4096);
		sim_step(&b, 0.1);
		if (t == 11)
			break;
	}
	v = ctl_binding_slot(&b, 1, false)->iomax[CTL_IOPS][CTL_WRITE];
	ctl_binding_free(&b);
	return v;
}

TEST(controller_steady_mode_holds_base_rate_after_overshoot)
{
	uint64_t follow = wiops_after_bypass(false), steady = wiops_after_bypass(true);

	ASSERT_TRUE(follow < 100);	/* repaying: down towards avg/4 */
	ASSERT_U64_EQ(steady, 200);
}

/*
 * blk-throttle at low rates: io.max lets whole I/Os through per 100 ms
 * slice, so a line of 36 passes 30/s. After a startup overshoot has taught
 * the trim its floor, the loop must still find the io.max that delivers
 * the limit, in either mode. The slices are blk-throttle's, whatever the
 * tick: a tick passes floor(io.max / 10) per 100 ms of it. Returns the
 * mean rate over seconds 10-20.
 */
static double delivered_with_whole_slices(bool steady, double dt)
{
	struct policy_group g = sim_group();
	struct ctl_binding b;
	struct ctl_slot *s;
	double sum = 0, carry = 0;

	g.limits[POLICY_IOPS_TOTAL].avg = 40;
	sim_init(&b, &g, steady);
	for (int t = 0; t < sim_ticks(20, dt); t++) {
		s = sim_slot(&b, 1);
		/* 1 s of 600/s past io.max, then io.max holds, slice by slice */
		double rate = t < sim_ticks(1, dt) ? 600 :
			      floor(sim_in_force(s, CTL_IOPS, CTL_WRITE) * 0.1) * 10;
		double thr = floor(rate * dt + carry + 1e-9);

		carry += rate * dt - thr;
		s->thr.ops[CTL_WRITE] = thr;
		s->thr.bytes[CTL_WRITE] = thr * 4096;
		sim_io(&b, s, CTL_WRITE, thr, 4096);
		s->thr.ops[CTL_READ] = s->thr.bytes[CTL_READ] = 0;
		sim_step(&b, dt);
		if (t >= sim_ticks(10, dt))
			sum += thr;
	}
	ctl_binding_free(&b);
	return sum / 10.0;
}

/*
 * Over seconds 10-20: the trim then walks down while 40/s is delivered
 * against a target of 39.6 (reads keep their 1% floor) until the line
 * crosses a slice edge (39 passes 30/s) and climbs back, a tick at 30/s
 * every ~15 s at any tick; at 1 s that tick is a whole second (37/s over
 * a 3 s window). Not at 10 ms: 30/s is 0-1 I/O a tick, and the smoothed
 * rate's noise keeps dropping below the pressing bar, so the trim never
 * settles and the member stays at 30/s, before and after the loop's
 * constants became time constants.
 */
TEST(controller_learns_past_whole_slice_shortfall)
{
	static const double dts[] = { 0.1, 1.0 };

	for (int i = 0; i < 2; i++) {
		double dt = dts[i];
		double follow = delivered_with_whole_slices(false, dt);
		double steady = delivered_with_whole_slices(true, dt);

		if (!ASSERT_TRUE(follow >= 38 && follow <= 42) ||
		    !ASSERT_TRUE(steady >= 38 && steady <= 42))
			fprintf(stderr, "    tick %g s: follow %.1f/s, steady %.1f/s (limit 40)\n",
				dt, follow, steady);
	}
}

/* One 100 ms tick of a writer: thr bios as io.max counts them, dev
 * requests at the disk. Returns the disk's last 1 s (ring: its ten ticks). */
static double sim_write_tick(struct ctl_binding *b, struct ctl_slot *s, double thr, double dev,
			     double bytes_per_op, double ring[10], int t)
{
	double sum = 0;

	s->thr.ops[CTL_WRITE] = thr;
	s->thr.bytes[CTL_WRITE] = thr * bytes_per_op;
	sim_io(b, s, CTL_WRITE, dev, bytes_per_op);
	s->thr.ops[CTL_READ] = s->thr.bytes[CTL_READ] = 0;
	sim_step(b, 0.1);
	ring[t % 10] = dev;
	for (int i = 0; i < 10; i++)
		sum += ring[i];
	return sum;
}

/*
 * Writeback in flushes: blk-throttle counts a large bio when its first piece
 * passes and each further piece when it is split off, so at the start of a
 * flush the io.max count runs ahead of the disk and at its end behind it
 * (measured on 6.12: 40 counted against 20 requests per tick). The disk
 * must still see the limit in every 1 s window: neither the conversion
 * factor nor the trim may take the lead for a shortfall.
 */
static double worst_window_in_flushes(bool steady, uint64_t *worst_line)
{
	struct policy_group g = sim_group();
	struct ctl_binding b;
	double ring[10] = { 0 }, worst = 0;

	g.limits[POLICY_IOPS_WRITE].avg = 200;
	sim_init(&b, &g, steady);
	*worst_line = 0;
	for (int t = 0; t < 400; t++) {
		struct ctl_slot *s = sim_slot(&b, 1);
		int phase = t % 20;	/* 1.2 s flush at up to 250/s, 0.8 s idle */
		double dev = 0, thr = 0, sum;

		if (phase < 12) {
			dev = fmin(25, floor(sim_in_force(s, CTL_IOPS, CTL_WRITE) * 0.1));
			thr = phase < 3 ? dev + 20 : phase >= 9 ? fmax(0, dev - 20) : dev;
		}
		sum = sim_write_tick(&b, s, thr, dev, 131072, ring, t);
		if (t >= 60 && sum > worst)
			worst = sum;
		if (t >= 60 && sim_in_force(s, CTL_IOPS, CTL_WRITE) > *worst_line)
			*worst_line = sim_in_force(s, CTL_IOPS, CTL_WRITE);
	}
	ctl_binding_free(&b);
	return worst;
}

TEST(controller_writeback_count_lead_does_not_raise_io_max)
{
	uint64_t line;
	double follow = worst_window_in_flushes(false, &line);

	ASSERT_TRUE(follow <= 210);
	ASSERT_TRUE(line <= 230);
	ASSERT_TRUE(worst_window_in_flushes(true, &line) <= 210);
}

/*
 * Steady writeback at the line, with the jitter of blk-throttle's slices
 * against the ticks: every 2.5 s one tick passes 3 I/Os fewer and the next
 * ten make them up, 0.3 each (6.1 VM, 031's image: the smoothed rate at
 * 84-91 for a tick or two every 2-3 s, 100.0-100.7 in between, a mean of
 * 100.3 over 11 s).
 * The dips are noise around the line, not io.max falling short: learnt
 * tick by tick past a deadband, each one moved the trim up 2-3% and the
 * small excess after it, inside the deadband, never took it back, until
 * the line jumped to 111 and the disk ran at 110 (then lowered again,
 * which 6.1 can punish: docs/enforcement.md, steady mode). Returns the
 * highest line in force; *worst the worst 1 s window (103 is the jitter's
 * own: a window with the ten ticks of 0.3 more and not the one of 3 fewer).
 */
static uint64_t steady_line_with_dips(double *worst)
{
	struct policy_group g = sim_group();
	struct ctl_binding b;
	double ring[10] = { 0 };
	uint64_t highest = 0;

	g.limits[POLICY_IOPS_WRITE].avg = 100;
	sim_init(&b, &g, true);
	*worst = 0;
	for (int t = 0; t < 600; t++) {
		struct ctl_slot *s = sim_slot(&b, 1);
		double line = (double)sim_in_force(s, CTL_IOPS, CTL_WRITE);
		double dev = line * 0.1 + (t % 25 == 0 ? -3 : t % 25 <= 10 ? 0.3 : 0), sum;

		sum = sim_write_tick(&b, s, dev, dev, 4096, ring, t);
		if (t >= 10 && sum > *worst)
			*worst = sum;
		if (sim_in_force(s, CTL_IOPS, CTL_WRITE) > highest)
			highest = sim_in_force(s, CTL_IOPS, CTL_WRITE);
	}
	ctl_binding_free(&b);
	return highest;
}

TEST(controller_steady_trim_does_not_learn_writeback_gaps)
{
	double worst;
	uint64_t highest = steady_line_with_dips(&worst);

	if (!ASSERT_U64_EQ(highest, 100) || !ASSERT_TRUE(worst <= 103))
		fprintf(stderr, "    highest line %" PRIu64 ", worst window %.1f (limit 100)\n",
			highest, worst);
}

/*
 * QEMU's throttling (util/throttle.c), modelled from its rules for one
 * limit: level leaks at avg and burst_level at max (max-length > 1 only);
 * an I/O waits while level > the bucket size (max x max-length, or avg/10
 * without a max) or burst_level > max/10. A greedy client that can issue at
 * most client_rate requests/s, in 1 ms steps. Returns requests per window
 * of win_ms.
 */
static void qemu_greedy(double avg, double max, int len, double client_rate, int windows,
			int win_ms, double out[])
{
	double level = 0, burst_level = 0, next = 0;
	double size = max ? max * len : avg / 10;

	for (int w = 0; w < windows; w++) {
		out[w] = 0;
		for (int ms = 0; ms < win_ms; ms++) {
			double now = (w * win_ms + ms) / 1000.0;

			level = fmax(0, level - avg / 1000);
			if (len > 1)
				burst_level = fmax(0, burst_level - max / 1000);
			while (next <= now + 1e-12 && level <= size &&
			       (len <= 1 || burst_level <= max / 10)) {
				level += 1;
				if (len > 1)
					burst_level += 1;
				out[w]++;
				next += 1 / client_rate;
			}
			if (next < now)
				next = now;
		}
	}
}

/* iorate's loop, the same greedy client behind io.max, per tick. */
static void iorate_greedy(const struct policy_group *g, double dt, int ticks, double out[])
{
	struct sim_member m = { .want = { 0, 5000 }, .gain = 1, .bytes_per_op = 4096 };
	struct ctl_binding b;
	double done;

	sim_init(&b, g, false);
	for (int t = 0; t < ticks; t++) {
		sim_tick(&b, &m, 1, dt, &done);
		out[t] = done;
	}
	ctl_binding_free(&b);
}

/* The start of the first window, after the first, below 95% of max. */
static double burst_end_s(const double per_win[], int n, double max, double win_s)
{
	for (int t = 1; t < n; t++)
		if (per_win[t] < 0.95 * max * win_s)
			return t * win_s;
	return n * win_s;
}

/*
 * The edge is compared in windows of 100 ms, or of a tick when that is
 * longer: io.max changes only at a tick, so at 1 s the edge is known to a
 * second, not to the 0.2 s a 100 ms tick shows (QEMU's 1.33 s falls in the
 * second window either way). Not in 10 ms windows: 200/s is two whole I/Os
 * in one, and one I/O more or less is not an edge.
 */
static void burst_shape_as_qemu(int len, double dt)
{
	struct policy_group g = sim_group();
	double win = fmax(dt, 0.1), tol = fmax(0.2, dt);
	int n = sim_ticks(15, dt), nw = sim_ticks(15, win), per = sim_ticks(win, dt);
	double *qemu = calloc(nw, sizeof(*qemu)), *ticks = calloc(n, sizeof(*ticks));
	double *ours = calloc(nw, sizeof(*ours));
	double qemu_end, our_end, after = 0;

	if (!ASSERT_TRUE(qemu && ticks && ours))
		goto out;
	g.limits[POLICY_IOPS_TOTAL] = (struct policy_limit){ 50, 200, len };
	/* the client can go no faster than io.max at max lets it */
	qemu_greedy(50, 200, len, 200, nw, (int)lround(win * 1000), qemu);
	iorate_greedy(&g, dt, n, ticks);
	for (int t = 0; t < n; t++)
		ours[t / per] += ticks[t];
	qemu_end = burst_end_s(qemu, nw, 200, win);
	our_end = burst_end_s(ours, nw, 200, win);
	if (!ASSERT_TRUE(fabs(our_end - qemu_end) <= tol + 1e-9))
		fprintf(stderr, "    tick %g s, max-length %d: iorate left max after %.2f s, QEMU after %.2f s\n",
			dt, len, our_end, qemu_end);
	for (int w = sim_ticks(10, win); w < nw; w++)
		after += ours[w];
	/* then avg: 50/s over seconds 10-15 */
	if (!ASSERT_NEAR(after / 5, 50, 2.5))
		fprintf(stderr, "    tick %g s: after the burst: %.1f/s\n", dt, after / 5);
	/* in every 1 s window, not on average: a line that bounced between
	 * max and the floor after the burst averaged 51.6 over windows of
	 * 38-64 (6.12 VM, 020's burst test, when the bucket-full event
	 * could go unarmed) */
	for (int sec = 10; sec < 15; sec++) {
		double sum = 0;

		for (int t = sim_ticks(sec, dt); t < sim_ticks(sec + 1, dt); t++)
			sum += ticks[t];
		if (!ASSERT_TRUE(sum >= 45 && sum <= 55))
			fprintf(stderr, "    tick %g s, max-length %d: window %d s: %.0f (avg 50)\n",
				dt, len, sec, sum);
	}
out:
	free(qemu);
	free(ticks);
	free(ours);
}

/* 50/s with bursts of 200/s: QEMU holds max until its bucket of max x
 * max-length has filled at max - avg (4.0 s for 3, 1.33 s for 1). */
TEST(controller_burst_of_3s_leaves_max_when_qemu_does)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		burst_shape_as_qemu(3, sim_dts[i]);
}

TEST(controller_burst_of_1s_leaves_max_when_qemu_does)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		burst_shape_as_qemu(1, sim_dts[i]);
}

/* Without a max QEMU's bucket is avg/10: a greedy client's first second
 * gets avg plus that. iorate admits no more than QEMU, and not much less
 * (the new member's static io.max is the base rate). */
static void first_second_without_burst_as_qemu(double dt)
{
	struct policy_group g = sim_group();
	int n = sim_ticks(1, dt);
	double qemu[100], ours[100], q = 0, o = 0;
	/* The first tick runs at the new member's static io.max (the total
	 * split evenly between reads and writes: 50/s), the rest at about
	 * avg. A 1 s tick is the whole first second: the static line's 50. */
	double least = dt < 1 ? 90 : 50;

	g.limits[POLICY_IOPS_TOTAL].avg = 100;
	qemu_greedy(100, 0, 1, 10000, 10, 100, qemu);
	iorate_greedy(&g, dt, n, ours);
	for (int t = 0; t < 10; t++)
		q += qemu[t];
	for (int t = 0; t < n; t++)
		o += ours[t];
	if (!ASSERT_TRUE(o <= q && o >= least))
		fprintf(stderr, "    tick %g s, first second: iorate %.0f, QEMU %.0f (limit 100)\n",
			dt, o, q);
}

TEST(controller_first_second_without_burst_as_qemu)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		first_second_without_burst_as_qemu(sim_dts[i]);
}

static void mixed_sizes_held_at_qemus_request_rate(double dt)
{
	static const double sizes[] = { 512, 512, 512, 65536 };
	struct policy_group g = sim_group();
	struct ctl_binding b;
	double carry = 0, reqs = 0;
	long issued = 0;

	g.limits[POLICY_IOPS_TOTAL].avg = 1000;
	g.iops_size = 4096;
	sim_init(&b, &g, false);
	for (int t = 0; t < sim_ticks(10, dt); t++) {
		struct ctl_slot *s = sim_slot(&b, 1);
		uint64_t line = sim_in_force(s, CTL_IOPS, CTL_WRITE);
		double allowed = (line ? line : 5000) * dt + carry;
		long n = (long)floor(allowed);
		uint32_t sets[2];
		int nr_sets = ctl_slot_sets(&b, s, sets);

		carry = allowed - n;
		memset(&s->thr, 0, sizeof(s->thr));
		memset(&s->dev, 0, sizeof(s->dev));
		for (long r = 0; r < n; r++, issued++) {
			double size = sizes[issued % 4];

			for (int j = 0; j < nr_sets; j++)
				iorate_bucket_charge(bucket_sets_at(b.sets, sets[j]), CTL_WRITE,
						     (uint64_t)size, 1);
			s->thr.ops[CTL_WRITE]++;
			s->thr.bytes[CTL_WRITE] += size;
		}
		s->dev = s->thr;
		sim_step(&b, dt);
		if (t >= sim_ticks(5, dt))
			reqs += n;
	}
	ctl_binding_free(&b);
	if (!ASSERT_NEAR(reqs / 5, 1000.0 * 4 / 19, 0.03 * 1000.0 * 4 / 19))
		fprintf(stderr, "    tick %g s: %.1f requests/s, QEMU 210.5\n", dt, reqs / 5);
}

/* issue 15's mixed writer at iops-total = 1000, iops-size = 4K: three
 * 512 B writes and one 64 KiB per cycle, 19 QEMU operations per 4
 * requests, so QEMU runs it at 1000 x 4 / 19 = 210.5 requests/s (the
 * per-tick rule let 373/s through in the VM). */
TEST(controller_mixed_sizes_held_at_qemus_request_rate)
{
	for (int i = 0; i < SIM_NR_DTS; i++)
		mixed_sizes_held_at_qemus_request_rate(sim_dts[i]);
}
