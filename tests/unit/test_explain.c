// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* iorate explain's judgement (user/explain.c): which stage between QEMU's
 * syscalls and the disk adds most, from windows of counts. */
#include <string.h>
#include "explain.h"
#include "test.h"

#define WINDOWS 10

/* n one-second windows of a writer: sys syscalls, bio bios, req requests
 * each second, bg of them background; the disk sees disk_w. */
static void writer(struct explain_window *w, int n, double sys, double bio, double req,
		   double bg, double disk_w)
{
	memset(w, 0, n * sizeof(*w));
	for (int i = 0; i < n; i++) {
		w[i].seconds = 1;
		w[i].syscalls_known = true;
		w[i].count[EXPLAIN_SYSCALLS][EXPLAIN_WRITE] = sys;
		w[i].count[EXPLAIN_BIOS][EXPLAIN_WRITE] = bio;
		w[i].count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] = req;
		w[i].background = bg;
		w[i].disk[EXPLAIN_WRITE] = disk_w;
	}
}

TEST(explain_steady_direct_writer_no_stage_adds)
{
	struct explain_window w[WINDOWS];
	struct explain_result r;

	writer(w, WINDOWS, 300, 300, 300, 0, 300);
	explain_summarize(w, WINDOWS, &r);
	ASSERT_TRUE(r.dir == EXPLAIN_WRITE);
	ASSERT_TRUE(r.rate[EXPLAIN_REQUESTS][EXPLAIN_WRITE] == 300);
	ASSERT_TRUE(r.disk_share == 1);
	ASSERT_TRUE(!strncmp(r.verdict, "no stage adds: 300 writes/s at the disk for 300 syscalls/s", 58));
}

/* The seed's shape: QEMU writes 300/s steadily, the kernel flushes every
 * 5 s, the disk sees 1500 in one second of five; bg: flagged background. */
static void flushes(struct explain_window *w, bool bg)
{
	writer(w, WINDOWS, 300, 0, 0, 0, 0);
	for (int i = 0; i < WINDOWS; i += 5) {
		w[i].count[EXPLAIN_BIOS][EXPLAIN_WRITE] = 1500;
		w[i].count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] = 1500;
		w[i].background = bg ? 1500 : 0;
		w[i].disk[EXPLAIN_WRITE] = 1500;
	}
}

TEST(explain_writeback_bursts_named)
{
	struct explain_window w[WINDOWS];
	struct explain_result r;

	flushes(w, true);
	explain_summarize(w, WINDOWS, &r);
	ASSERT_TRUE(r.largest_s == 1500);
	ASSERT_TRUE(r.top_windows == 2);
	ASSERT_TRUE(r.background_share == 1);
	ASSERT_TRUE(!strncmp(r.verdict, "writeback: 100% of device writes came in 2 of every 10 seconds", 62));
}

/* The same flushes where the kernel sets no background flag: the steady
 * syscalls say where the bursts come from. */
TEST(explain_writeback_named_from_steady_syscalls)
{
	struct explain_window w[WINDOWS];
	struct explain_result r;

	flushes(w, false);
	explain_summarize(w, WINDOWS, &r);
	ASSERT_TRUE(r.background_share == 0);
	ASSERT_TRUE(r.largest_syscalls_s == 300);
	ASSERT_TRUE(!strncmp(r.verdict, "writeback: 100% of device writes came in 2 of every 10 seconds", 62));
}

TEST(explain_bursts_without_writeback_say_bursts)
{
	struct explain_window w[WINDOWS];
	struct explain_result r;

	writer(w, WINDOWS, 0, 0, 0, 0, 0);
	w[3].count[EXPLAIN_SYSCALLS][EXPLAIN_WRITE] = 1000;
	w[3].count[EXPLAIN_BIOS][EXPLAIN_WRITE] = 1000;
	w[3].count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] = 1000;
	explain_summarize(w, WINDOWS, &r);
	ASSERT_TRUE(!strncmp(r.verdict, "bursts: 100% of device writes came in 1 of every 10 seconds", 59));
}

TEST(explain_page_cache_and_block_layer_named)
{
	struct explain_window w[WINDOWS];
	struct explain_result r;

	/* 64 KiB syscalls written back as 4 KiB pages: 16 bios each */
	writer(w, WINDOWS, 100, 1600, 1600, 0, 1600);
	explain_summarize(w, WINDOWS, &r);
	ASSERT_TRUE(!strcmp(r.verdict, "the page cache: 100 write syscalls/s became 1600 bios/s"));
	/* 1 MiB direct writes split to a 128 KiB max_sectors_kb: 8
	 * requests each; the bio level counts the pieces, as io.max does */
	writer(w, WINDOWS, 100, 800, 800, 0, 800);
	for (int i = 0; i < WINDOWS; i++)
		w[i].split[EXPLAIN_WRITE] = 700;
	explain_summarize(w, WINDOWS, &r);
	ASSERT_NEAR(r.split_rate[EXPLAIN_WRITE], 700, 1e-9);
	ASSERT_TRUE(!strcmp(r.verdict, "the block layer: 100 write bios/s became 800 requests/s at the disk "
			    "(700/s pieces of split bios, 0/s merged)"));
	/* merges only take away: nothing adds */
	writer(w, WINDOWS, 400, 400, 100, 0, 100);
	for (int i = 0; i < WINDOWS; i++)
		w[i].merged[EXPLAIN_WRITE] = 300;
	explain_summarize(w, WINDOWS, &r);
	ASSERT_NEAR(r.merged_rate[EXPLAIN_WRITE], 300, 1e-9);
	ASSERT_TRUE(!strncmp(r.verdict, "no stage adds", 13));
}

TEST(explain_reads_judged_when_they_dominate_and_unknown_syscalls)
{
	struct explain_window w[2];
	struct explain_result r;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < 2; i++) {
		w[i].seconds = 0.5;
		w[i].count[EXPLAIN_BIOS][EXPLAIN_READ] = 100;
		w[i].count[EXPLAIN_REQUESTS][EXPLAIN_READ] = 100;
		w[i].count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] = 10;
		w[i].disk[EXPLAIN_READ] = 400;
	}
	explain_summarize(w, 2, &r);
	ASSERT_TRUE(r.dir == EXPLAIN_READ);
	ASSERT_TRUE(r.rate[EXPLAIN_SYSCALLS][EXPLAIN_READ] < 0);
	ASSERT_TRUE(r.rate[EXPLAIN_REQUESTS][EXPLAIN_READ] == 200);
	ASSERT_TRUE(r.disk_share == 0.25);
	ASSERT_TRUE(!strcmp(r.verdict, "no stage adds: 200 reads/s at the disk for 200 bios/s issued"));
	explain_summarize(w, 0, &r);
	ASSERT_TRUE(!strcmp(r.verdict, "no I/O at the disk"));
}

/* fio's libaio and io_uring make no read/write syscalls: /proc/PID/io
 * reads 0 for a member whose I/O came all the same (6.12 VM, 035). */
TEST(explain_names_bios_when_the_io_came_without_read_write_syscalls)
{
	struct explain_window w[2];
	struct explain_result r;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < 2; i++) {
		w[i].seconds = 1;
		w[i].syscalls_known = true;
		w[i].count[EXPLAIN_BIOS][EXPLAIN_WRITE] = 395;
		w[i].count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] = 395;
	}
	explain_summarize(w, 2, &r);
	ASSERT_TRUE(r.rate[EXPLAIN_SYSCALLS][EXPLAIN_WRITE] == 0);
	if (!ASSERT_TRUE(!strcmp(r.verdict, "no stage adds: 395 writes/s at the disk for 395 bios/s issued")))
		fprintf(stderr, "    %s\n", r.verdict);
}

/* A real QEMU (seed-qemu, docs/bench.md): ~280 write syscalls a second
 * for ~23 guest writes. With QEMU's own count (explain --qmp) the guest's
 * requests are judged from it: here the disk's writes equal them, no stage
 * adds, where against the syscalls the page cache seemed to take 12 to 1. */
TEST(explain_judges_from_qemus_own_count_where_read)
{
	struct explain_window w[WINDOWS];
	struct explain_result r;

	writer(w, WINDOWS, 280, 23, 23, 0, 23);
	for (int i = 0; i < WINDOWS; i++) {
		w[i].qemu_known = i > 0;	/* the first window: the baseline */
		w[i].qemu[EXPLAIN_WRITE] = 23;
	}
	explain_summarize(w, WINDOWS, &r);
	ASSERT_NEAR(r.qemu_rate[EXPLAIN_WRITE], 23, 1e-9);
	ASSERT_NEAR(r.qemu_rate[EXPLAIN_READ], 0, 1e-9);
	ASSERT_TRUE(!strncmp(r.verdict, "no stage adds: 23 writes/s at the disk for 23 QEMU requests/s", 61));
	for (int i = 0; i < WINDOWS; i++)
		w[i].qemu_known = false;
	explain_summarize(w, WINDOWS, &r);
	ASSERT_TRUE(r.qemu_rate[EXPLAIN_WRITE] < 0);
	ASSERT_TRUE(!strncmp(r.verdict, "no stage adds: 23 writes/s", 26));
}
