/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What io.max said before iorate touched it, kept in memory and in a file
 * under the state directory. The file is written (atomically) before the
 * first change to a line, so a daemon restarted after kill -9 knows what to
 * restore: it adopts the originals of the lines it still controls and
 * restores the others.
 */
#ifndef IORATE_STATE_H
#define IORATE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "iomax.h"

struct state_entry {
	char *cgroup;		/* path below the cgroup v2 root */
	uint32_t dev;
	struct iomax original;
	struct iomax current;	/* what iorate last wrote */
	uint64_t written_ns;	/* CLOCK_MONOTONIC of that write */
	uint32_t writes;	/* good writes by this run */
	bool waiting;		/* a change waits for the write gate (actuator.h) */
	bool in_use;		/* still wanted this tick */
	double bypass_s;	/* seconds the group has run far above io.max */
	int write_err;		/* -errno of the last failed write, 0 after a good one */
	/* iorate froze the cgroup (actuator.h) at this CLOCK_MONOTONIC time,
	 * 0: it did not. Saved as "frozen": a daemon killed before the thaw
	 * leaves the VM frozen, and the next start thaws it. */
	uint64_t frozen_ns;
	/* Where blk-throttle's carryover is unsigned (act_params): when a
	 * lowering waiting for its moment is due (0: none waits). Not saved:
	 * a new run times its own. */
	uint64_t lower_at_ns;
};

struct state {
	char *file;		/* NULL: in memory only (state dir unusable) */
	struct state_entry *entries;
	int nr, cap;
};

int state_open(struct state *s, const char *state_dir);
void state_close(struct state *s);
/* Entries the file lists from a previous run (loaded by state_open). */
struct state_entry *state_find(struct state *s, const char *cgroup, uint32_t dev);
struct state_entry *state_add(struct state *s, const char *cgroup, uint32_t dev,
			      const struct iomax *original);
void state_remove(struct state *s, struct state_entry *e);
int state_save(struct state *s);
/* Pure: text form, one entry a line; used by save/load and tests. */
int state_parse(struct state *s, const char *text);
char *state_format(const struct state *s);

#endif
