/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * blk-throttle, one cgroup on one disk, jiffy by jiffy: the plant the
 * control loop's simulation drives (tests/unit/test_controller.c).
 *
 * Modelled from reading Debian's own sources of the two kernels the VM tier
 * runs (linux-source-6.1 6.1.192-3 and linux-source-6.12 6.12.118-1~deb12u1,
 * block/blk-throttle.c), with their integer widths, since the widths are
 * the difference: each io.max write while bios wait adds what the old
 * limit allowed since the slice began, less what was dispatched, to a
 * carryover; 6.1 keeps the carryover and the budget it is added to
 * unsigned, so a group ahead of its budget wraps the budget to "anything
 * goes" until a slice trim clears it; 6.12 keeps both signed (a debt).
 * Everything else (100 ms slices at HZ 250, a slice's budget granted at
 * its start, trims after each dispatch, slices renewed only when nothing
 * waits) is the same in both.
 *
 * Not modelled: the parent's own limits (the root's: none), the dispatch
 * quantum (every bio that may go, goes in the jiffy it may), splits.
 */
#ifndef IORATE_BLK_THROTTLE_MODEL_H
#define IORATE_BLK_THROTTLE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define BTM_HZ		250		/* Debian's CONFIG_HZ on both kernels */
#define BTM_SLICE	(BTM_HZ / 10)	/* throtl_slice: 100 ms */
#define BTM_NO_BPS	UINT64_MAX
#define BTM_NO_IOPS	UINT32_MAX

enum btm_kernel { BTM_6_1, BTM_6_12 };

struct btm_dir {
	uint64_t bps;			/* BTM_NO_BPS: none */
	uint32_t iops;			/* BTM_NO_IOPS: none */
	uint64_t slice_start, slice_end;
	uint64_t bytes_disp;
	uint32_t io_disp;
	/* the kernel's bits: unsigned on 6.1, read as signed on 6.12 */
	uint64_t carryover_bytes;
	uint32_t carryover_ios;
	uint32_t queued;		/* bios waiting, each bio_bytes long */
	uint32_t bio_bytes;
	uint64_t dispatched, dispatched_bytes;	/* past blk-throttle, in all */
};

struct btm {
	enum btm_kernel kernel;
	uint64_t jiffies;
	uint64_t disptime;		/* when a waiting head may go */
	/* io.max writes that lowered a limit of a direction with bios
	 * waiting: each a chance for 6.1 to let the queue through */
	uint32_t lowered_waiting;
	/* of them, those that wrapped 6.1's budget: the queue goes out */
	uint32_t wraps;
	struct btm_dir dir[2];		/* 0 read, 1 write */
};

void btm_init(struct btm *m, enum btm_kernel kernel);
/* An io.max write: the four limits at once (BTM_NO_*: max), as the
 * kernel applies one line. */
void btm_set_limits(struct btm *m, uint64_t rbps, uint64_t wbps, uint32_t riops, uint32_t wiops);
/* A bio of `bytes` submitted now: passes at once (true) or waits. */
bool btm_submit(struct btm *m, int rw, uint32_t bytes);
/* One jiffy on: the waiting bios that may go now go. Returns how many. */
uint32_t btm_tick(struct btm *m);

#endif
