/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The daemon's side of its status (status.h): the snapshot taken from
 * struct daemon after a tick.
 *
 * Rates come from a window of two meter snapshots about one second apart
 * (iostat's 1 s windows), not from the last tick: at a 100 ms tick a slow
 * member does a handful of I/Os per tick and the rate would jump about.
 */
#ifndef IORATE_DAEMON_STATUS_H
#define IORATE_DAEMON_STATUS_H

#include "daemon.h"
#include "status.h"
#include "usage.h"

/* The rate window: kept by the daemon's loop, fed after every tick. */
struct daemon_status_window {
	struct usage_table old, cur;	/* cur is the newest, old ~1 s before */
	uint64_t started_ns;		/* CLOCK_MONOTONIC of the daemon's start */
};

void daemon_status_window_init(struct daemon_status_window *w);
void daemon_status_window_fini(struct daemon_status_window *w);
/* After daemon_tick: move the window on when a second has passed. */
int daemon_status_window_update(struct daemon_status_window *w, const struct daemon *d);

int daemon_status_snapshot(struct daemon *d, const struct daemon_status_window *w,
			   struct status_snapshot *out);

#endif
