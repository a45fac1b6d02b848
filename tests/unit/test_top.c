// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What iorate top shows that is pure logic: the controller's throttled
 * time (docs/status.md, throttled_s), and top's group view and row
 * selection over a sample.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "controller.h"
#include "test.h"
#include "top.h"

/* One member against io.max on a simulated disk: it does min(want,
 * io.max) per second. Returns its throttled_s after secs at 100 ms. */
static double throttled_after(double want, double secs)
{
	static struct policy_device any = { .any = true, .spec = "*" };
	struct policy_group g = { .name = "t", .devices = &any, .nr_devices = 1 };
	struct ctl_binding b;
	double out;

	g.limits[POLICY_IOPS_TOTAL].avg = 400;
	/* no bucket sets: the controller holds from the meter's totals */
	ctl_binding_init(&b, &g, 1, false, NULL);
	for (int t = 0; t < (int)(secs * 10); t++) {
		struct ctl_slot *s = ctl_binding_slot(&b, 1, true);
		uint64_t lim = s->iomax[CTL_IOPS][CTL_WRITE];
		double ops = fmin(want, lim ? lim : INFINITY) * 0.1;

		memset(&s->dev, 0, sizeof(s->dev));
		memset(&s->thr, 0, sizeof(s->thr));
		s->thr.ops[CTL_WRITE] = s->dev.ops[CTL_WRITE] = ops;
		s->thr.bytes[CTL_WRITE] = s->dev.bytes[CTL_WRITE] = ops * 4096;
		ctl_binding_tick(&b, 0.1);
	}
	out = b.slots[0].throttled_s;
	ctl_binding_free(&b);
	return out;
}

TEST(controller_throttled_time_counts_held_members_only)
{
	double held = throttled_after(5000, 10), free_run = throttled_after(100, 10);

	/* flat out against 400: held nearly all the time */
	if (!ASSERT_TRUE(held >= 8 && held <= 10.01))
		fprintf(stderr, "    held member: %.1f s of 10\n", held);
	/* a quarter of the limit: never held */
	if (!ASSERT_TRUE(free_run == 0))
		fprintf(stderr, "    member below its limit: %.1f s of 10\n", free_run);
}

static struct top_row member(const char *name, int group, const char *dev, double w_s,
			     double pct, double await_ms)
{
	struct top_row r = { .group = group, .limit = 400, .pct = pct, .fill = 0.5,
			     .throttled_s = 1, .await_ms = await_ms, .members = 1 };

	r.name = strdup(name);
	snprintf(r.device, sizeof(r.device), "%s", dev);
	for (int l = 0; l < IORATE_NR_LEVELS; l++)
		r.ops_s[l][IORATE_DIR_WRITE] = w_s;
	r.acct_ops_s[IORATE_DIR_WRITE] = w_s;
	r.await_ops = w_s;
	return r;
}

TEST(top_group_view_sums_members_per_group_and_disk)
{
	struct top_group groups[2] = {
		{ .name = "each", .limit[POLICY_IOPS_TOTAL] = 400 },
		{ .name = "pool", .pooled = true, .limit[POLICY_IOPS_TOTAL] = 400 },
	};
	struct top_row rows[4] = {
		member("/a", 0, "sdb", 300, 75, 1),
		member("/b", 0, "sdb", 100, 25, 3),
		member("/c", 1, "sdb", 100, 25, 2),
		member("/d", 1, "sdb", 100, 25, 2),
	};
	struct top_sample s = { .daemon = true, .groups = groups, .nr_groups = 2,
				.rows = rows, .nr_rows = 4 };
	struct top_opts o = { .level = IORATE_LEVEL_DEVICE, .groups = true };
	struct top_row *g, *shown[4];
	size_t nr, n;

	ASSERT_EQ(top_group_rows(&s, &g, &nr), 0);
	ASSERT_EQ((int)nr, 2);
	ASSERT_TRUE(!strcmp(g[0].name, "each") && !strcmp(g[1].name, "pool"));
	ASSERT_NEAR(g[0].ops_s[IORATE_LEVEL_DEVICE][IORATE_DIR_WRITE], 400, 1e-9);
	/* each: every member has the whole limit, the busiest shows */
	ASSERT_NEAR(g[0].pct, 75, 1e-9);
	/* pooled: the sum's use of the pool */
	ASSERT_NEAR(g[1].pct, 50, 1e-9);
	/* latency weighted by completions */
	ASSERT_NEAR(g[0].await_ms, 1.5, 1e-9);
	ASSERT_EQ(g[0].members, 2);
	ASSERT_TRUE(!strcmp(g[0].iomax, "2 members"));

	o.sort = TOP_SORT_PCT;
	n = top_select(&o, g, nr, shown);
	ASSERT_EQ((int)n, 2);
	ASSERT_TRUE(shown[0] == &g[0]);
	/* the disk filter */
	snprintf(o.device, sizeof(o.device), "sdc");
	ASSERT_EQ((int)top_select(&o, g, nr, shown), 0);

	for (size_t i = 0; i < nr; i++)
		free(g[i].name);
	free(g);
	for (int i = 0; i < 4; i++)
		free(rows[i].name);
}

TEST(top_select_hides_idle_members_and_sorts)
{
	struct top_row rows[3] = {
		member("/idle", -1, "sdb", 0, -1, -1),
		member("/slow", -1, "sdb", 10, -1, 9),
		member("/busy", -1, "sdb", 500, -1, 1),
	};
	struct top_opts o = { .level = IORATE_LEVEL_DEVICE };
	struct top_row *shown[3];

	ASSERT_EQ((int)top_select(&o, rows, 3, shown), 2);
	ASSERT_TRUE(shown[0] == &rows[2]);
	o.sort = TOP_SORT_AWAIT;
	o.all = true;
	ASSERT_EQ((int)top_select(&o, rows, 3, shown), 3);
	ASSERT_TRUE(shown[0] == &rows[1]);
	o.sort = TOP_SORT_NAME;
	top_select(&o, rows, 3, shown);
	ASSERT_TRUE(shown[0] == &rows[2] && shown[2] == &rows[1]);
	for (int i = 0; i < 3; i++)
		free(rows[i].name);
}

/* One sample of two members for top's explain view: "wb" writes back in
 * bursts (its flushes every 5th second), "split" writes 50 bios/s that
 * the disk splits into 4 requests each. Cumulative counts, as the
 * daemon's status totals carry them. */
static void explain_sample(struct top_sample *s, struct top_row rows[2], struct top_disk *disk,
			   int sec)
{
	double wb = 500.0 * (sec / 5 + (sec % 5 != 0));	/* 500 in seconds 1, 6, 11, ... */

	memset(s, 0, sizeof(*s));
	memset(rows, 0, 2 * sizeof(*rows));
	rows[0].name = "/wb";
	rows[0].cgroup_id = 10;
	rows[1].name = "/split";
	rows[1].cgroup_id = 11;
	for (int i = 0; i < 2; i++) {
		snprintf(rows[i].device, sizeof(rows[i].device), "vdz");
		rows[i].totals.syscalls_known = true;
		rows[i].totals.pids_sig = 42;
	}
	rows[0].totals.ops[IORATE_LEVEL_BIO][1] = wb;
	rows[0].totals.ops[IORATE_LEVEL_DEVICE][1] = wb;
	rows[0].totals.writeback = wb;
	rows[0].totals.syscalls[1] = 100.0 * sec;	/* steady: 100 write syscalls/s */
	rows[1].totals.ops[IORATE_LEVEL_BIO][1] = 200.0 * sec;	/* pieces counted, as io.max */
	rows[1].totals.split[1] = 150.0 * sec;
	rows[1].totals.ops[IORATE_LEVEL_DEVICE][1] = 200.0 * sec;
	rows[1].totals.syscalls[1] = 50.0 * sec;
	snprintf(disk->name, sizeof(disk->name), "vdz");
	disk->wr = (uint64_t)(wb + 200.0 * sec);
	s->rows = rows;
	s->nr_rows = 2;
	s->disks = disk;
	s->nr_disks = 1;
	s->taken_ms = 1000 + 1000ULL * sec;
}

TEST(top_explain_names_the_stage_that_adds_over_the_last_windows)
{
	struct top_explain te = { 0 };
	struct top_sample s;
	struct top_row rows[2];
	struct top_disk disk;

	for (int sec = 0; sec <= 12; sec++) {
		explain_sample(&s, rows, &disk, sec);
		if (!ASSERT_EQ(top_explain_take(&te, &s), 0))
			goto cleanup;
		/* the first sample is a baseline: no window yet */
		if (sec == 0 && !ASSERT_TRUE(!rows[0].explained && !rows[1].explained))
			goto cleanup;
	}
	/* the last 10 windows, as iorate explain's default interval */
	ASSERT_EQ(rows[0].ex.nr_windows, TOP_EXPLAIN_WINDOWS);
	if (!ASSERT_TRUE(!strncmp(rows[0].ex.verdict, "writeback: 100% of device writes came in 2 of every 10 seconds", 62)))
		fprintf(stderr, "    /wb: %s\n", rows[0].ex.verdict);
	ASSERT_TRUE(fabs(rows[0].ex.background_share - 1) < 1e-9);
	ASSERT_TRUE(fabs(rows[0].ex.rate[EXPLAIN_SYSCALLS][EXPLAIN_WRITE] - 100) < 1e-9);
	if (!ASSERT_TRUE(!strcmp(rows[1].ex.verdict, "the block layer: 50 write bios/s became 200 requests/s at the disk (150/s pieces of split bios, 0/s merged)")))
		fprintf(stderr, "    /split: %s\n", rows[1].ex.verdict);
	/* the disk's writes are both members' */
	ASSERT_TRUE(fabs(rows[0].ex.disk_share + rows[1].ex.disk_share - 1) < 1e-9);

	/* counts that go back (a cgroup below a member went) start again */
	explain_sample(&s, rows, &disk, 13);
	rows[1].totals.ops[IORATE_LEVEL_DEVICE][1] = 5;
	ASSERT_EQ(top_explain_take(&te, &s), 0);
	ASSERT_TRUE(!rows[1].explained);
	ASSERT_TRUE(rows[0].explained);
	/* a member gone from the sample is forgotten */
	explain_sample(&s, rows, &disk, 14);
	s.nr_rows = 1;
	ASSERT_EQ(top_explain_take(&te, &s), 0);
	ASSERT_EQ(te.nr, 1);
cleanup:
	top_explain_free(&te);
}
