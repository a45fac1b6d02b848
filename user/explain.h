/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * iorate explain's judgement, pure: one member's I/O on one disk through
 * each stage between QEMU and the disk, window by window, summed up and
 * the stage that adds most named in one line. cmd_explain.c takes the
 * samples (QEMU's QMP monitor, the meter, /proc/PID/io, /proc/diskstats)
 * and prints.
 */
#ifndef IORATE_EXPLAIN_H
#define IORATE_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

enum explain_stage {
	EXPLAIN_SYSCALLS,	/* read/write syscalls by the member's processes */
	EXPLAIN_BIOS,		/* bios past blk-throttle: what io.max counts */
	EXPLAIN_REQUESTS,	/* requests completed by the disk: what iostat counts */
	EXPLAIN_NR_STAGES,
};

enum { EXPLAIN_READ, EXPLAIN_WRITE, EXPLAIN_NR_DIRS };
_Static_assert(EXPLAIN_READ == 0 && EXPLAIN_WRITE == 1, "procio.h indexes reads 0, writes 1");

/* One window (about 1 s) of one member on one disk: counts, not rates. */
struct explain_window {
	double seconds;
	double count[EXPLAIN_NR_STAGES][EXPLAIN_NR_DIRS];
	bool syscalls_known;	/* its processes' /proc/PID/io could be read */
	/* requests QEMU completed on the drives whose images are on the disk,
	 * by its own count (QMP query-blockstats: explain --qmp) */
	double qemu[EXPLAIN_NR_DIRS];
	bool qemu_known;
	double background;	/* its writes the flushers issued (no REQ_SYNC) */
	double disk[EXPLAIN_NR_DIRS];	/* the whole disk, every cgroup */
	/* between bios and requests: the extra pieces split bios made
	 * (counted in count[EXPLAIN_BIOS] too, as io.max counts them), and
	 * the bios and requests merged into another request */
	double split[EXPLAIN_NR_DIRS];
	double merged[EXPLAIN_NR_DIRS];
};

struct explain_result {
	double seconds;
	int nr_windows;
	/* per second over the windows; syscalls < 0: unknown */
	double rate[EXPLAIN_NR_STAGES][EXPLAIN_NR_DIRS];
	double disk_rate[EXPLAIN_NR_DIRS];
	double split_rate[EXPLAIN_NR_DIRS], merged_rate[EXPLAIN_NR_DIRS];
	int dir;		/* the direction judged: the one with more requests */
	double disk_share;	/* the member's requests / the disk's, in dir; < 0 none */
	double background_share;	/* the flushers' writes / all its requests */
	double largest_s;	/* dir's requests: the largest window's rate */
	double largest_syscalls_s;	/* ... and of its syscalls, where known */
	/* QEMU's own requests per second, over the windows they were read
	 * in; < 0: unknown (no --qmp). Where known, the stage the guest's
	 * requests are judged from instead of the syscalls. */
	double qemu_rate[EXPLAIN_NR_DIRS];
	double largest_qemu_s;
	int top_windows;	/* the fewest windows holding most of dir's requests */
	double top_share;	/* ... and the share they hold */
	char verdict[192];
};

/* Sums n windows up into *r and names the stage that adds most. */
void explain_summarize(const struct explain_window *w, int n, struct explain_result *r);

#endif
