// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The control loop and its actuator against blk-throttle itself
 * (blk_throttle_model.h): each kernel in the mode `iomax-mode = auto` picks
 * for it (6.1 steady, 6.12 follow), at ticks of 10 ms, 100 ms and 1 s, with
 * the VM tier's workloads: fio's direct writer (iodepth 8), writeback's
 * queue that never empties, randrw jobs whose reads wait behind their
 * writes, a read limit beside a write limit. The disk is counted in 1 s
 * windows from the fourth second, as the VM tests count it.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_sim.h"
#include "test.h"

struct plant_run {
	double mean, lo, hi;		/* the disk per 1 s window */
	uint32_t writes;		/* io.max writes */
	uint32_t lowered_waiting;	/* of them, lowerings with bios waiting */
	uint32_t wraps;			/* of those, 6.1 budgets wrapped */
};

enum workload { DIRECT, WRITEBACK, RANDRW_50, RANDRW_90, RANDRW_70, MIX_SHIFT, NR_WORKLOADS };

static const char *const workload_names[NR_WORKLOADS] = {
	"direct writer, iops-write 200", "writeback at 500/s, iops-write 200",
	"randrw 50/50 iodepth 8, iops-total 400", "randrw 90/10 iodepth 4, iops-total 400",
	"randrw 70/30 iodepth 8, iops-read 280 + iops-write 120",
	"randrw 90/10 + a writer for 15 s, iops-total 400",
};

/* The policy and the load of a workload (the VM tier's and the bench's
 * fio jobs); returns its limit in all, and in line[] io.max set once to
 * the policy (a total split evenly), the bench's "static" row. */
static double workload(enum workload w, struct policy_group *g, struct sim_load *l,
		       uint32_t line[CTL_NR_DIRS])
{
	*g = sim_group();
	memset(l, 0, sizeof(*l));
	l->bytes[CTL_READ] = l->bytes[CTL_WRITE] = 4096;
	switch (w) {
	case DIRECT:
	case WRITEBACK:
		if (w == DIRECT)
			l->depth[CTL_WRITE] = 8;
		else
			l->rate[CTL_WRITE] = 500;
		g->limits[POLICY_IOPS_WRITE].avg = 200;
		line[CTL_READ] = 0;
		line[CTL_WRITE] = 200;
		return 200;
	case MIX_SHIFT:
		/* 020's mix shift: a writer, then a 90/10 randrw alone */
		l->writer_depth = 4;
		l->writer_s = 15;
		/* the randrw job a second late: the writer's bios fill the
		 * write queue and the job's reads start at a sliver (the 6.12
		 * VM's failing runs: reads at 10/s for the writer's 9 s) */
		l->coupled_from_s = 1;
		/* fall through */
	case RANDRW_50:
	case RANDRW_90:
		l->coupled = true;
		l->depth[CTL_READ] = w == RANDRW_50 ? 8 : 4;
		l->read_share = w == RANDRW_50 ? 0.5 : 0.9;
		g->limits[POLICY_IOPS_TOTAL].avg = 400;
		line[CTL_READ] = line[CTL_WRITE] = 200;
		return 400;
	default:
		l->coupled = true;
		l->depth[CTL_READ] = 8;
		l->read_share = 0.7;
		g->limits[POLICY_IOPS_READ].avg = 280;
		g->limits[POLICY_IOPS_WRITE].avg = 120;
		line[CTL_READ] = 280;
		line[CTL_WRITE] = 120;
		return 400;
	}
}

/* The disk's 1 s window ending second sec, into r from second `from` */
static void count_window(struct plant_run *r, double *sum, double *total, int *n, int sec,
			 int from)
{
	if (sec >= from) {
		r->lo = fmin(r->lo, *sum);
		r->hi = fmax(r->hi, *sum);
		*total += *sum;
		(*n)++;
	}
	*sum = 0;
}

/* A workload on kernel k's blk-throttle, through the loop (in follow or
 * steady mode, its lowerings timed or not), or, static_line, against
 * io.max written once and no loop at all. */
static struct plant_run run_plant(enum btm_kernel k, bool steady, enum act_timing timing,
				  bool static_line, enum workload w, double dt, double secs)
{
	struct plant_run r = { .lo = INFINITY };
	struct policy_group g;
	struct sim_load l;
	struct ctl_binding b;
	struct btm plant;
	uint32_t line[CTL_NR_DIRS];
	double sum = 0, total = 0;
	int n = 0;

	workload(w, &g, &l, line);
	if (static_line)
		g = sim_group();	/* no limits: the loop writes nothing */
	btm_init(&plant, k);
	sim_init(&b, &g, steady);
	sim_set_timing(timing);
	if (static_line)
		btm_set_limits(&plant, 0, 0, line[CTL_READ], line[CTL_WRITE]);
	for (int t = 0; t < sim_ticks(secs, dt); t++) {
		sum += sim_plant_tick(&b, 1, &plant, &l, dt);
		if (sim_sec_end(t, dt))
			count_window(&r, &sum, &total, &n, sim_sec(t, dt), 3);
	}
	r.mean = total / n;
	r.writes = sim_line_writes(1);
	r.lowered_waiting = plant.lowered_waiting;
	r.wraps = plant.wraps;
	ctl_binding_free(&b);
	return r;
}

static struct plant_run run_static(enum btm_kernel k, enum workload w, double secs)
{
	return run_plant(k, false, ACT_UNTIMED, true, w, 0.1, secs);
}

static struct plant_run run_timed(enum btm_kernel k, bool steady, enum act_timing timing,
				  enum workload w, double dt, double secs)
{
	return run_plant(k, steady, timing, false, w, dt, secs);
}

static struct plant_run run(enum btm_kernel k, bool steady, enum workload w, double dt,
			    double secs)
{
	/* as the daemon: every lowering timed where the carryover is
	 * unsigned, those a bucket forces where it is signed */
	return run_timed(k, steady, k == BTM_6_1 ? ACT_TIMED_ALL : ACT_TIMED_FORCED, w, dt, secs);
}

/* Every window within [lo, hi] x the limit, and the mean at least mean_lo
 * x it; says what it measured when not. */
static bool held(enum btm_kernel k, enum workload w, double dt, const struct plant_run *r,
		 double lo, double hi, double mean_lo)
{
	struct policy_group g;
	struct sim_load l;
	uint32_t line[CTL_NR_DIRS];
	double limit = workload(w, &g, &l, line);

	/* SIM_CELLS=1 ./build/unit-tests -t plant_: every cell's figures,
	 * for a tuning change (the bars below hold the last ones reached) */
	if (getenv("SIM_CELLS"))
		printf("CELL %s %-52s dt %-4g mean %.3f lo %.3f hi %.3f writes %u\n", k == BTM_6_1 ? "6.1 " : "6.12",
		       workload_names[w], dt, r->mean / limit, r->lo / limit, r->hi / limit, r->writes);

	if (r->lo >= lo * limit && r->hi <= hi * limit && r->mean >= mean_lo * limit)
		return true;
	test_fail(__FILE__, __LINE__,
		  "%s, %s, tick %g s: mean %.1f, windows %.0f-%.0f (limit %.0f, bars %.0f-%.0f, "
		  "mean from %.0f), %u io.max writes, %u lowered with bios waiting, %u wrapped",
		  k == BTM_6_1 ? "6.1" : "6.12", workload_names[w], dt, r->mean, r->lo, r->hi, limit,
		  lo * limit, hi * limit, mean_lo * limit, r->writes, r->lowered_waiting, r->wraps);
	return false;
}

/*
 * What the loop reaches against the model, cell by cell: every 1 s window
 * within [lo, hi] x the limit, the mean from `mean` x it. These are the
 * figures reached (rounded outward by under 1%), not the goals (issue 18:
 * 6.12 within +-3% on the mean and +5%/-10% per window, 6.1 +10%), so that
 * a change that loses ground fails here before it reaches the VM.
 */
struct cell_bars {
	double lo, hi, mean;
};

/*
 * 6.1, steady mode, lowerings timed (actuator.h). The single-direction
 * workloads are exact at every tick, and no lowering ever wraps 6.1's
 * budget. Before the rates were measured over a whole slice, 10 ms ticks
 * held the direct writer at 216, writeback at 217 (the trim learnt the
 * slices' gaps).
 * A total over a randrw job is steady mode's weak cell: its split follows
 * the measured mix, so its lines move, and each direction waits behind the
 * other's bios (io.max set once at 200 + 200: 385.7; at 90/10 with iodepth
 * 4 the job's four bios sit in the read queue and 200 + 200 passes 222).
 * 50/50 at 100 ms: 382.3 (the VM, 020: means of 371.8-399.4); it was 360.7
 * with lowerings untimed, some of which wrapped. Split by the mix of the
 * last 0.2 s, the lines chased the mix's noise (51 writes in 30 s at
 * 100 ms) and the job ran at the lower line both ways; by the mix of the
 * last 2 s (CTL_MIX_TAU_S), 16 writes: 50/50 396.6 (370-436) and
 * 90/10 378.8 (302-428) at 100 ms, against 382.3 (343-419) and 321.6
 * (271-403) before. The mean comes back; the highest window rose, up to
 * 460 at 90/10 and 10 ms ticks (it was 403, the mean 351). Since a
 * direction presses by its latest use against what its line passes
 * (2026-12-08): 50/50 392.8 (372-408), 90/10 376.0 (306-402) at 100 ms,
 * and 90/10 at 10 ms 372.4 (288-420). The mix shift (the last column) is
 * not steady mode's to follow: 020 runs it on 6.12 only.
 */
static const struct cell_bars steady_61[SIM_NR_DTS][NR_WORKLOADS] = {
	/* 10 ms */
	{ { 0.99, 1.01, 0.99 }, { 0.99, 1.01, 0.99 }, { 0.84, 1.10, 0.99 },
	  { 0.72, 1.05, 0.93 }, { 0.83, 1.01, 0.96 },
	  { 0.22, 1.06, 0.90 } },
	/* 100 ms */
	{ { 0.99, 1.01, 0.99 }, { 0.99, 1.01, 0.99 }, { 0.93, 1.02, 0.98 },
	  { 0.76, 1.01, 0.94 }, { 0.83, 1.03, 0.96 },
	  { 0.21, 1.08, 0.82 } },
	/* 1 s */
	{ { 0.99, 1.01, 0.99 }, { 0.99, 1.01, 0.99 }, { 0.84, 1.09, 0.99 },
	  { 0.87, 1.10, 0.99 }, { 0.87, 1.08, 0.99 },
	  { 0.15, 1.12, 0.91 } },
};

/* Every cell of a kernel's table, in the mode auto picks for it; on 6.1
 * no lowering may wrap the budget. */
static void check_cells(enum btm_kernel k, const struct cell_bars bars[SIM_NR_DTS][NR_WORKLOADS])
{
	for (int i = 0; i < SIM_NR_DTS; i++) {
		for (int w = 0; w < NR_WORKLOADS; w++) {
			const struct cell_bars *c = &bars[i][w];
			struct plant_run r = run(k, k == BTM_6_1, w, sim_dts[i], 30);

			if (held(k, w, sim_dts[i], &r, c->lo, c->hi, c->mean))
				ASSERT_EQ(r.wraps, 0);
		}
	}
}

TEST(plant_61_steady_mode_at_every_tick)
{
	check_cells(BTM_6_1, steady_61);
}

/*
 * 6.12, follow mode, the lowerings a bucket forces to half or less timed
 * (actuator.h: a burst's end; no cell here has one). At 100 ms and 1 s
 * the single-direction workloads are exact. The bench's randrw 70/30 under iops-read 280 + iops-write 120
 * agrees with the VM: 385.8, windows 342-413, against io.max set once at
 * 385.2 (the VM, 2026-12-07: 383 and 381, worst windows 338 and 365). A
 * total over a randrw job was below io.max set once at 100 ms (50/50:
 * 370.9 against 385.7; 90/10 332.6 with a window of 126) while the split
 * followed the mix of the last 0.2 s; by that of the last 2 s, 395.6
 * (375-424) and 383.2 (331-409), and 020's mix shift 370.0 with its
 * worst window, the one the writer stops in, at 223 (controller.c,
 * CTL_MIX_TAU_S). Still short of the goal at 90/10 and in the shift.
 * At 10 ms ticks the loop is restless: QEMU's bucket without a max holds
 * a tenth of a second and blk-throttle grants a whole slice at once, so
 * the bucket touches full at each slice's start and the loop tightens and
 * lets go, 33-79 io.max writes in 27 s, each restarting a slice.
 */
static const struct cell_bars follow_612[SIM_NR_DTS][NR_WORKLOADS] = {
	/* 10 ms */
	{ { 0.92, 0.98, 0.96 }, { 0.89, 1.05, 0.98 }, { 0.88, 1.05, 0.96 },
	  { 0.86, 1.01, 0.95 }, { 0.82, 1.02, 0.95 },
	  { 0.62, 1.04, 0.92 } },
	/* 100 ms */
	{ { 0.99, 1.01, 0.99 }, { 0.99, 1.01, 0.99 }, { 0.93, 1.06, 0.98 },
	  { 0.82, 1.03, 0.95 }, { 0.85, 1.04, 0.96 },
	  { 0.55, 1.02, 0.92 } },
	/* 1 s */
	{ { 0.99, 1.01, 0.99 }, { 0.99, 1.01, 0.99 }, { 0.77, 1.10, 0.97 },
	  { 0.75, 1.10, 0.96 }, { 0.76, 1.16, 0.94 },
	  { 0.21, 1.08, 0.85 } },
};

TEST(plant_612_follow_mode_at_every_tick)
{
	check_cells(BTM_6_12, follow_612);
}

/* The yardstick of the cells above: io.max set once on the model, as the
 * figures in their comments say (the bench's "static" row). */
TEST(plant_static_iomax_on_coupled_jobs)
{
	struct plant_run r50 = run_static(BTM_6_12, RANDRW_50, 30);
	struct plant_run r90 = run_static(BTM_6_1, RANDRW_90, 30);
	struct plant_run r70 = run_static(BTM_6_12, RANDRW_70, 30);

	ASSERT_NEAR(r50.mean, 385.7, 0.5);
	ASSERT_NEAR(r90.mean, 222.3, 0.5);
	ASSERT_NEAR(r70.mean, 385.2, 0.5);
}

/*
 * Follow mode on 6.1 against writeback's queue at 1 s ticks, its lowerings
 * untimed: 32 of them with bios waiting, 6.1 wraps the budget and lets the
 * queue through, and the disk runs at 0 and 1000 in turns against 200 (the
 * VM, 2026-12-01: one run of three lost the limit 4 s in, windows to 503;
 * why 6.1 has run steady). Timed, no lowering wraps, and follow mode holds
 * the same queue at windows of 154-226.
 */
TEST(plant_61_follow_mode_writeback_untimed_and_timed)
{
	struct plant_run untimed = run_timed(BTM_6_1, false, ACT_UNTIMED, WRITEBACK, 1.0, 60);
	struct plant_run timed = run_timed(BTM_6_1, false, ACT_TIMED_ALL, WRITEBACK, 1.0, 60);

	if (!ASSERT_TRUE(untimed.hi > 2 * 200) || !ASSERT_TRUE(untimed.wraps > 0))
		fprintf(stderr, "    untimed: windows %.0f-%.0f, %u wrapped\n", untimed.lo, untimed.hi,
			untimed.wraps);
	ASSERT_EQ(timed.wraps, 0);
	held(BTM_6_1, WRITEBACK, 1.0, &timed, 0.765, 1.135, 0.955);
}

/*
 * A burst on 6.1 (steady mode): `iops-read = 50`, 200 for 3 s, fio reading
 * at iodepth 4. The line goes from 200 to 50 when the bucket fills, with
 * bios waiting: 6.1 wraps the budget at 3 phases in 4, and the reads run
 * free (the bench on 6.1, 2026-12-07: windows to 1120 against 50). Timed,
 * the line goes down in halves at safe phases: no wrap, and from the sixth
 * second every window is within 34% of 50 at every tick (one window of 67
 * at 1 s ticks, the descent's extra 100-200 ms at 100/s).
 */
static struct plant_run burst_61(bool timed, double dt)
{
	struct plant_run r = { .lo = INFINITY };
	struct policy_group g = sim_group();
	struct sim_load l = { .depth = { 4, 0 }, .bytes = { 4096, 4096 } };
	struct ctl_binding b;
	struct btm plant;
	double sum = 0, total = 0;
	int n = 0;

	g.limits[POLICY_IOPS_READ] = (struct policy_limit){ .avg = 50, .max = 200, .max_length_s = 3 };
	btm_init(&plant, BTM_6_1);
	sim_init(&b, &g, true);
	sim_set_timing(timed ? ACT_TIMED_ALL : ACT_UNTIMED);
	for (int t = 0; t < sim_ticks(16, dt); t++) {
		sum += sim_plant_tick(&b, 1, &plant, &l, dt);
		if (sim_sec_end(t, dt))
			count_window(&r, &sum, &total, &n, sim_sec(t, dt), 5);
	}
	r.wraps = plant.wraps;
	ctl_binding_free(&b);
	return r;
}

TEST(plant_61_burst_ends_without_letting_the_queue_through)
{
	for (int i = 0; i < SIM_NR_DTS; i++) {
		struct plant_run timed = burst_61(true, sim_dts[i]);

		if (!ASSERT_EQ(timed.wraps, 0) || !ASSERT_TRUE(timed.hi <= 67 && timed.lo >= 45))
			fprintf(stderr, "    tick %g s, timed: windows %.0f-%.0f after the burst, %u wrapped\n",
				sim_dts[i], timed.lo, timed.hi, timed.wraps);
	}
	/* the failure it fixes, at 10 ms ticks in the model (at 1 s it
	 * wrapped too until a burst needed 0.2 s of room at max to start
	 * again, throttle.c: then the untimed line held 50 there) */
	struct plant_run untimed = burst_61(false, sim_dts[0]);

	if (!ASSERT_TRUE(untimed.wraps > 0) || !ASSERT_TRUE(untimed.hi > 2 * 50))
		fprintf(stderr, "    tick %g s, untimed: windows %.0f-%.0f, %u wrapped\n",
			sim_dts[0], untimed.lo, untimed.hi, untimed.wraps);
}

/*
 * Steady mode's trim is how a line delivers the base rate, and is learnt
 * only there: a burst at max passes 190 against 198 (whole I/Os per slice)
 * and a stall after it leaves room that a line of 55, passing 50, never
 * spends. Learnt from those, the trim held the base rate of 50 at 60 in
 * the 6.1 VM (020's burst test, CI 2026-12-07); here the trim stood at
 * 1.02-1.07 after the burst, a window of 57 after it.
 */
TEST(plant_61_steady_burst_and_its_credit_teach_no_trim)
{
	for (int stall_at = 60; stall_at < 120; stall_at += 3) {
		struct policy_group g = sim_group();
		struct sim_load l = { .depth = { 4, 0 }, .bytes = { 4096, 4096 } };
		struct plant_run r = { .lo = INFINITY };
		struct ctl_binding b;
		struct btm plant;
		double sum = 0, total = 0, trim;
		int n = 0;

		g.limits[POLICY_IOPS_TOTAL] = (struct policy_limit){ .avg = 50, .max = 200, .max_length_s = 5 };
		btm_init(&plant, BTM_6_1);
		sim_init(&b, &g, true);
		sim_set_timing(ACT_TIMED_ALL);
		for (int t = 0; t < sim_ticks(25, 0.1); t++) {
			/* the member stalls for 0.2 s, somewhere around the burst's end */
			l.depth[CTL_READ] = t >= stall_at && t < stall_at + 2 ? 0 : 4;
			sum += sim_plant_tick(&b, 1, &plant, &l, 0.1);
			if (sim_sec_end(t, 0.1))
				count_window(&r, &sum, &total, &n, sim_sec(t, 0.1), 13);
		}
		trim = b.slots[0].trim[CTL_IOPS][CTL_READ];
		if (!ASSERT_TRUE(trim == 1.0 && r.hi <= 50 && r.lo >= 44))
			fprintf(stderr, "    stall at %.1f s: trim %.3f, windows %.0f-%.0f from 13 s\n",
				stall_at * 0.1, trim, r.lo, r.hi);
		ctl_binding_free(&b);
	}
}


/*
 * 028's bps burst on 6.12 (follow mode, 100 ms ticks): bps-write 4 MiB/s,
 * 16 MiB/s for 3 s, fio writing 64 KiB at iodepth 8. The line that ends
 * the burst, written early in a slice, leaves the group in debt for the
 * 16 MiB/s slice's budget; the member stalls, the full bucket leaks, and
 * the credit spent fills it again: untimed, the windows after the burst
 * went 2816 4416 4928 round and round (the VM: 4992 and 5248 against the
 * test's 4915, CI 2026-12-07). Timed, every window from the second after
 * the burst is within 5% of 4096 KiB/s. The stall a missed phase still
 * left put max back for a tick (the VM: 4992 and 4736, CI 2026-12-07 again)
 * until a burst was entered again only with 0.2 s of room at max
 * (throttle.c): since then the untimed lowering holds within 5% too, and
 * this test keeps both.
 */
static void bps_burst_612(enum act_timing timing, double after[8])
{
	struct policy_group g = sim_group();
	struct sim_load l = { .depth = { 0, 8 }, .bytes = { 65536, 65536 } };
	struct ctl_binding b;
	struct btm plant;
	uint64_t last = 0;

	g.limits[POLICY_BPS_WRITE] = (struct policy_limit){
		.avg = 4 << 20, .max = 16 << 20, .max_length_s = 3 };
	btm_init(&plant, BTM_6_12);
	sim_init(&b, &g, false);
	sim_set_timing(timing);
	for (int t = 0; t < sim_ticks(13, 0.1); t++) {
		sim_plant_tick(&b, 1, &plant, &l, 0.1);
		if (sim_sec_end(t, 0.1)) {
			uint64_t d = plant.dir[CTL_WRITE].dispatched_bytes;
			int sec = sim_sec(t, 0.1);

			/* 4 s at 16 MiB/s, then the fifth's descent */
			if (sec >= 5)
				after[sec - 5] = (double)(d - last) / 1024;
			last = d;
		}
	}
	ctl_binding_free(&b);
}

TEST(plant_612_bps_burst_ends_without_a_debt_cycle)
{
	double timed[8], untimed[8];

	bps_burst_612(ACT_TIMED_FORCED, timed);
	bps_burst_612(ACT_UNTIMED, untimed);
	for (int i = 1; i < 8; i++) {
		if (!ASSERT_TRUE(fabs(timed[i] - 4096) <= 0.05 * 4096))
			fprintf(stderr, "    timed: window %d after the burst %.0f KiB/s\n", i + 1,
				timed[i]);
		if (!ASSERT_TRUE(fabs(untimed[i] - 4096) <= 0.05 * 4096))
			fprintf(stderr, "    untimed: window %d after the burst %.0f KiB/s\n", i + 1,
				untimed[i]);
	}
}

/*
 * A loaded host (027 on 6.1 in CI: a 2-core TCG VM, steady mode, 100 ms
 * ticks) delays the guest in two ways, both run here against fio's direct
 * writer under iops-write = 200 for 60 s, the disk counted per second of
 * the guest's clock as iostat counts it:
 * - the whole VM stalls (its vCPUs descheduled): nothing runs, then the
 *   jiffies catch up and the daemon's overdue tick spans the stall
 *   (sim_load.stall_s). 6.1 forgives the budget a stall leaves unspent
 *   (its slice trim), so a stall costs I/O, no catch-up burst follows,
 *   and the rates fall under CTL_PRESSED_SHARE, which resets the
 *   trim's averaged error: no lesson, whatever the stalls.
 * - the daemon wakes a little late on the timer's grid: a tick a jiffy or
 *   two late takes the first bios of the next slice's grant (ticks of 32
 *   and 8 I/Os against 20), and the swings above 1.15 x the line, left out
 *   of the trim's averaged error, left the dips to be learnt: 0-8 ms late,
 *   the trim went to 1.13 and the line to 222 after 54 s at 200, windows
 *   of 220-228 after it (learn_trim; CI's windows: 223.76, 222.22). Over
 *   9 phases of the slices against the grid and 6 seeds, the line moved
 *   in 6, 3, 6 and 11 runs of 54 at 0-4, 0-8, 0-20 and 0-48 ms (trims to
 *   1.23, windows to 248); counted in the average, in none.
 * Late by up to a whole tick (0-100 ms) the trim still climbs in 10 runs
 * of 54: the rates of irregular ticks that each hold one slice's grant
 * smooth to a little under their mean. Not modelled: drift between the
 * daemon's clock and the jiffies (the same clocksource in the guest).
 */
struct stall_run {
	double win[64];			/* the disk per second of the guest */
	double trim_max;
	uint64_t line;			/* the line in force at the end */
	uint32_t writes;		/* io.max writes */
};

/* In jiffies (4 ms): between stalls and of each, how late the daemon
 * wakes at most, and how long after the timer's grid the slices start. */
struct stall_params {
	uint32_t every_lo, every_hi, len_lo, len_hi, late, phase;
};

/* lo..hi from a fixed pseudo-random sequence */
static uint32_t stall_rand(uint64_t *seed, uint32_t lo, uint32_t hi)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return lo + (uint32_t)((double)(*seed >> 11) / 9007199254740992.0 * (hi - lo + 1));
}

static struct stall_run run_stalls(const struct stall_params *p, uint64_t seed, int secs)
{
	struct stall_run r = { .writes = 0 };
	struct policy_group g;
	struct sim_load l;
	struct ctl_binding b;
	struct btm plant;
	uint32_t line[CTL_NR_DIRS];
	/* the guest's clock in ms, every figure whole jiffies */
	int now = 4 * (int)p->phase, stall_at = 4 * stall_rand(&seed, p->every_lo, p->every_hi);

	workload(DIRECT, &g, &l, line);
	btm_init(&plant, BTM_6_1);
	sim_init(&b, &g, true);
	sim_set_timing(ACT_TIMED_ALL);
	while (now < secs * 1000) {
		/* the timer's grid, read late (a second's last tick on time,
		 * so that windows end on a tick) */
		int next = (now / 100 + 1) * 100, sec = now / 1000, end = 0;
		uint64_t before = plant.dir[CTL_WRITE].dispatched;
		double done;

		if (next % 1000)
			next += 4 * (int)stall_rand(&seed, 0, p->late);
		if (p->every_hi && stall_at < next) {
			end = stall_at + 4 * (int)stall_rand(&seed, p->len_lo, p->len_hi);
			l.stall_at_s = (stall_at - now) / 1000.0;
			l.stall_s = (end - stall_at) / 1000.0;
		}
		done = sim_plant_tick(&b, 1, &plant, &l, (next - now) / 1000.0);
		if (end) {
			double early = (double)(l.stall_passed - before);

			r.win[stall_at / 1000] += early;
			r.win[end / 1000] += done - early;
			/* an overdue tick comes a jiffy after the stall */
			now = end < next ? next : end + 4;
			stall_at = end + 4 * stall_rand(&seed, p->every_lo, p->every_hi);
		} else {
			r.win[sec] += done;
			now = next;
		}
		if (now >= 3000)
			r.trim_max = fmax(r.trim_max, b.slots[0].trim[CTL_IOPS][CTL_WRITE]);
	}
	r.line = sim_in_force(&b.slots[0], CTL_IOPS, CTL_WRITE);
	r.writes = sim_line_writes(1);
	ctl_binding_free(&b);
	return r;
}

/* io.max written once, and from the fourth second no window past 221:
 * 027's bound of 220, and the bio a stall's end lets through before its
 * slice is trimmed (with the line at 200 throughout, a window with a stall
 * in it holds up to 221 here). Without stalls the trim stays inside its
 * deadband; a stall's loss, which 6.1 never repays, is a real shortfall,
 * learnt to 1.054 at worst here, the line unmoved. */
static bool stalls_held(const struct stall_params *p, uint64_t seed, const char *what)
{
	struct stall_run r = run_stalls(p, seed, 60);
	double hi = 0;

	for (int i = 3; i < 60; i++)
		hi = fmax(hi, r.win[i]);
	if ((p->every_hi || r.trim_max < 1.03) && r.writes == 1 && hi <= 221)
		return true;
	test_fail(__FILE__, __LINE__,
		  "%s (slices %u jiffies after the grid, seed %" PRIu64 "): trim up to %.3f, "
		  "line %" PRIu64 ", %u io.max writes, windows up to %.0f",
		  what, p->phase, seed, r.trim_max, r.line, r.writes, hi);
	return false;
}

TEST(plant_61_steady_vm_stalls_and_late_ticks_teach_no_trim)
{
	static const struct {
		const char *what;
		struct stall_params p;
	} cases[] = {
		{ "stalls of 0.2-0.6 s every 3-7 s", { 750, 1750, 50, 150 } },
		{ "stalls of 0.1-0.3 s every 1-3 s", { 250, 750, 25, 75 } },
		{ "stalls of 4-40 ms every 0.2-1 s", { 50, 250, 1, 10 } },
		{ "ticks 0-4 ms late", { .late = 1 } },
		{ "ticks 0-8 ms late", { .late = 2 } },
		{ "ticks 0-20 ms late", { .late = 5 } },
		{ "ticks 0-48 ms late", { .late = 12 } },
	};

	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (uint32_t phase = 0; phase < BTM_SLICE; phase += 3) {
			for (uint64_t seed = 1; seed <= 6; seed++) {
				struct stall_params p = cases[c].p;

				p.phase = phase;
				if (!stalls_held(&p, seed * 7919, cases[c].what))
					goto next;
			}
		}
next:;
	}
}
