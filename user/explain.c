// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "explain.h"

/* A stage "adds" when it carries this much more than the one before it:
 * the VM tier's own noise is 6% per window (tests/vm/helpers.bash), a
 * merge-free direct writer runs at 1.00, and the seed's excess is 2.6x
 * and more (shared/seeds). */
#define EXPLAIN_ADDS		1.2
/* "Most" of a direction's requests, for the windows that hold them. */
#define EXPLAIN_MOST		0.8
/* Bursty: the largest window at twice the mean, most requests in at most
 * half the windows. Writeback every 5 s (the kernel's default) puts all
 * of them in 1 window of 5; a steady writer's windows are within 6%. */
#define EXPLAIN_BURST_RATIO	2.0
/* Bursts at the disk from a writer whose syscalls were steady (their
 * largest window under 1.5x their mean) come from the page cache's
 * flushes: writeback. So do bursts of which half the requests or more
 * were the flushers' own (no REQ_SYNC: include/iorate.h). */
#define EXPLAIN_STEADY_RATIO	1.5
#define EXPLAIN_WRITEBACK	0.5

static const char *const dir_noun[EXPLAIN_NR_DIRS] = { "reads", "writes" };
static const char *const dir_adj[EXPLAIN_NR_DIRS] = { "read", "write" };

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The fewest windows that hold EXPLAIN_MOST of dir's requests. */
static void concentration(const struct explain_window *w, int n, int dir, double total,
			  struct explain_result *r)
{
	double *v = malloc((n ? n : 1) * sizeof(*v)), sum = 0;

	r->top_windows = n;
	r->top_share = 1;
	if (!v || total <= 0) {
		free(v);
		return;
	}
	for (int i = 0; i < n; i++)
		v[i] = w[i].count[EXPLAIN_REQUESTS][dir];
	qsort(v, n, sizeof(*v), cmp_desc);
	for (int k = 0; k < n; k++) {
		sum += v[k];
		if (sum >= EXPLAIN_MOST * total) {
			r->top_windows = k + 1;
			r->top_share = sum / total;
			break;
		}
	}
	free(v);
}

static void judge(struct explain_result *r)
{
	int d = r->dir;
	/* what the guest's side issued: QEMU's own count where it was read,
	 * else its processes' syscalls (a real QEMU makes ~12 of them per
	 * guest request: docs/bench.md) */
	bool qemu = r->qemu_rate[d] >= 0;
	double sys = qemu ? r->qemu_rate[d] : r->rate[EXPLAIN_SYSCALLS][d];
	double largest_sys = qemu ? r->largest_qemu_s : r->largest_syscalls_s;
	const char *issued = qemu ? "QEMU requests" : "syscalls";
	double bio = r->rate[EXPLAIN_BIOS][d];
	double req = r->rate[EXPLAIN_REQUESTS][d];
	/* bios as submitted: the page cache's doing is up to here, a split's
	 * pieces are the block layer's */
	double whole = bio - r->split_rate[d];
	double burst = 0, cache = 0, block = 0;

	if (req <= 0) {
		snprintf(r->verdict, sizeof(r->verdict), "no I/O at the disk");
		return;
	}
	if (r->nr_windows >= 2 && r->largest_s >= EXPLAIN_BURST_RATIO * req &&
	    2 * r->top_windows <= r->nr_windows)
		burst = r->largest_s / req;
	if (sys >= 1)
		cache = whole / sys;
	if (whole > 0)
		block = req / whole;
	if (burst >= EXPLAIN_ADDS && burst >= cache && burst >= block)
		snprintf(r->verdict, sizeof(r->verdict),
			 "%s: %.0f%% of device %s came in %d of every %d seconds (the largest %.0f/s, the mean %.0f/s)",
			 r->background_share >= EXPLAIN_WRITEBACK ||
			 (sys >= 1 && largest_sys < EXPLAIN_STEADY_RATIO * sys) ?
			 "writeback" : "bursts",
			 100 * r->top_share, dir_noun[d], r->top_windows, r->nr_windows,
			 r->largest_s, req);
	else if (cache >= EXPLAIN_ADDS && cache >= block)
		snprintf(r->verdict, sizeof(r->verdict),
			 "the page cache: %.0f %s%s %s/s became %.0f bios/s", sys, qemu ? "QEMU " : "",
			 dir_adj[d], qemu ? "requests" : "syscalls", whole);
	else if (block >= EXPLAIN_ADDS)
		snprintf(r->verdict, sizeof(r->verdict),
			 "the block layer: %.0f %s bios/s became %.0f requests/s at the disk (%.0f/s pieces of split bios, %.0f/s merged)",
			 whole, dir_adj[d], req, r->split_rate[d], r->merged_rate[d]);
	else
		/* no read/write syscalls for I/O that came: io_submit and
		 * io_uring count none in /proc/PID/io, so name the bios */
		snprintf(r->verdict, sizeof(r->verdict),
			 "no stage adds: %.0f %s/s at the disk for %.0f %s/s issued", req, dir_noun[d],
			 sys >= 1 ? sys : bio, sys >= 1 ? issued : "bios");
}

void explain_summarize(const struct explain_window *w, int n, struct explain_result *r)
{
	double count[EXPLAIN_NR_STAGES][EXPLAIN_NR_DIRS] = { { 0 } }, disk[EXPLAIN_NR_DIRS] = { 0 };
	double split[EXPLAIN_NR_DIRS] = { 0 }, merged[EXPLAIN_NR_DIRS] = { 0 };
	double qemu[EXPLAIN_NR_DIRS] = { 0 };
	double background = 0, secs = 0, sys_secs = 0, qemu_secs = 0;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < n; i++) {
		secs += w[i].seconds;
		background += w[i].background;
		if (w[i].syscalls_known)
			sys_secs += w[i].seconds;
		if (w[i].qemu_known)
			qemu_secs += w[i].seconds;
		for (int d = 0; d < EXPLAIN_NR_DIRS; d++) {
			if (w[i].qemu_known)
				qemu[d] += w[i].qemu[d];
			disk[d] += w[i].disk[d];
			split[d] += w[i].split[d];
			merged[d] += w[i].merged[d];
			for (int s = 0; s < EXPLAIN_NR_STAGES; s++)
				if (s != EXPLAIN_SYSCALLS || w[i].syscalls_known)
					count[s][d] += w[i].count[s][d];
		}
	}
	r->seconds = secs;
	r->nr_windows = n;
	for (int d = 0; d < EXPLAIN_NR_DIRS; d++) {
		for (int s = 0; s < EXPLAIN_NR_STAGES; s++)
			r->rate[s][d] = secs > 0 ? count[s][d] / secs : 0;
		/* over the windows they were read in (a member's first window
		 * has none: its processes' counts start there) */
		r->rate[EXPLAIN_SYSCALLS][d] = sys_secs > 0 ? count[EXPLAIN_SYSCALLS][d] / sys_secs : -1;
		r->qemu_rate[d] = qemu_secs > 0 ? qemu[d] / qemu_secs : -1;
		r->disk_rate[d] = secs > 0 ? disk[d] / secs : 0;
		r->split_rate[d] = secs > 0 ? split[d] / secs : 0;
		r->merged_rate[d] = secs > 0 ? merged[d] / secs : 0;
	}
	r->dir = count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] >= count[EXPLAIN_REQUESTS][EXPLAIN_READ] ?
		EXPLAIN_WRITE : EXPLAIN_READ;
	r->disk_share = disk[r->dir] > 0 ? count[EXPLAIN_REQUESTS][r->dir] / disk[r->dir] : -1;
	r->background_share = count[EXPLAIN_REQUESTS][EXPLAIN_READ] + count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] > 0 ?
		background / (count[EXPLAIN_REQUESTS][EXPLAIN_READ] + count[EXPLAIN_REQUESTS][EXPLAIN_WRITE]) : 0;
	for (int i = 0; i < n; i++) {
		double req = w[i].seconds > 0 ? w[i].count[EXPLAIN_REQUESTS][r->dir] / w[i].seconds : 0;
		double sys = w[i].seconds > 0 ? w[i].count[EXPLAIN_SYSCALLS][r->dir] / w[i].seconds : 0;
		double q = w[i].seconds > 0 ? w[i].qemu[r->dir] / w[i].seconds : 0;

		if (req > r->largest_s)
			r->largest_s = req;
		if (w[i].syscalls_known && sys > r->largest_syscalls_s)
			r->largest_syscalls_s = sys;
		if (w[i].qemu_known && q > r->largest_qemu_s)
			r->largest_qemu_s = q;
	}
	concentration(w, n, r->dir, count[EXPLAIN_REQUESTS][r->dir], r);
	judge(r);
}
