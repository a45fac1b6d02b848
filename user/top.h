/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * iorate top, split by job: top_source.c takes samples (the daemon's status
 * over its control socket, or top's own observe-only meter, and the host's
 * /proc/diskstats), top_view.c draws them with curses and takes keys,
 * cmd_top.c parses options, prints batch output and runs the loop.
 */
#ifndef IORATE_TOP_H
#define IORATE_TOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroupfs.h"
#include "explain.h"
#include "iorate.h"
#include "meter.h"
#include "policy.h"
#include "usage.h"

enum top_sort {
	TOP_SORT_OPS, TOP_SORT_READ, TOP_SORT_WRITE, TOP_SORT_RBYTES, TOP_SORT_WBYTES,
	TOP_SORT_PCT, TOP_SORT_FILL, TOP_SORT_THROTTLED, TOP_SORT_AWAIT, TOP_SORT_NAME,
	TOP_NR_SORTS
};

struct top_opts {
	double delay_s;
	long iterations;	/* 0 = forever */
	bool batch;
	bool json;
	bool all;		/* rows without I/O in the interval too */
	int level;
	const char *socket;	/* the daemon's control socket */
	/* the interactive view's */
	enum top_sort sort;	/* batch sorts by ops */
	bool groups;		/* group view: one row per group and disk */
	bool paused;
	bool help;
	bool paths;		/* the name column shows cgroup paths, not VM names */
	bool explain;		/* explain view: each row's stages and the one that adds */
	char device[32];	/* filter: only this disk, "" all */
};

/* A policy group as the daemon reports it. */
struct top_group {
	char *name;
	bool pooled;
	uint64_t limit[POLICY_NR_LIMITS];	/* avg per second, 0 unset */
};

/* A row's cumulative counts, for the explain view's windows (< 0
 * unknown): ops by level and direction, the flushers' writes at the
 * device, the extra pieces split bios made, the read and write syscalls
 * of its processes (read only while the view is on) and which processes
 * they were. */
struct top_counts {
	double ops[IORATE_NR_LEVELS][2];
	double writeback;
	double split[2];
	double syscalls[2];
	uint64_t pids_sig;
	bool syscalls_known;
};

/* One member cgroup on one disk (or, in the group view, one group on one
 * disk). Unknown values are < 0. */
struct top_row {
	char *name;		/* cgroup path, or group name */
	char *vm;		/* the guest's name, NULL none (or a group row) */
	int group;		/* index into top_sample.groups, -1 none (meter) */
	char device[32];
	uint64_t cgroup_id;
	double ops_s[IORATE_NR_LEVELS][2];	/* by IORATE_DIR_READ / WRITE */
	double bytes_s[IORATE_NR_LEVELS][2];
	double acct_ops_s[2], acct_bytes_s[2];	/* at the daemon's accounting level */
	double await_ms;	/* mean completion latency, reads and writes */
	double await_ops;	/* completions it is the mean of (for sums) */
	double limit;		/* the most used limit: avg per second, 0 none */
	bool limit_bytes;	/* ... a bps limit (else iops) */
	double pct;		/* use of that limit, percent */
	double fill;		/* fullest bucket, 0..1 and above; < 0 none */
	double throttled_s;	/* < 0 unknown */
	char iomax[48];		/* the io.max line in force, "-" none */
	int members;		/* group view: members summed */
	double sort_key;
	struct top_counts totals;	/* for the explain view's windows */
	/* the explain view's judgement over the row's last windows */
	bool explained;
	struct explain_result ex;
};

/* Host-wide, per whole disk, from /proc/diskstats: what iostat says. */
struct top_disk {
	char name[32];
	uint64_t rd, wr, rsect, wsect, rms, wms, io_ms;	/* cumulative */
	double r_s, w_s, rmb_s, wmb_s, await_ms, util;	/* over the interval */
	bool active;		/* I/O in the interval */
};

struct top_sample {
	bool daemon;		/* from the daemon; else from top's meter */
	char error[160];	/* why not the daemon (header), "" none */
	double interval_s;	/* what the rates are over */
	uint64_t taken_ms;	/* when (CLOCK_MONOTONIC) */
	/* the daemon's state */
	int pid;
	char policy[256];
	char accounting[8];
	double tick_ms, uptime_s;
	uint64_t ticks, iomax_writes, iomax_errors;
	struct top_group *groups;
	int nr_groups;
	struct top_row *rows;
	size_t nr_rows;
	struct top_disk *disks;
	size_t nr_disks;
};

/* /proc/diskstats' whole disks, cumulative counts only (rates 0). */
int top_read_diskstats(struct top_disk **out, size_t *nr);
/* The disk called name among v's nr, NULL none. */
const struct top_disk *top_disk_find(const struct top_disk *v, size_t nr, const char *name);

/* Where samples come from: the daemon, or the meter when none answers. */
struct top_source {
	const char *socket;
	struct meter *meter;	/* open while there is no daemon */
	struct usage_table prev, cur;
	struct cgroup_names *names;
	struct top_disk *disks;	/* the last /proc/diskstats reading */
	size_t nr_disks;
	uint64_t disks_ns;
	bool quiet;		/* the screen is on: no log lines */
	bool syscalls;		/* read the rows' processes' syscalls (explain view) */
	char root[4096];	/* the cgroup hierarchy's mount, "" none */
};

int top_source_open(struct top_source *src, const char *socket);
void top_source_close(struct top_source *src);
/* A new sample into *s (the old one freed): the daemon's, or, when none
 * answers, the meter's (opened then; the first meter sample has no rates).
 * A daemon that only answers late keeps its last sample, with s->error
 * saying so; a daemon that starts answering closes the meter. */
int top_source_sample(struct top_source *src, struct top_sample *s);
void top_sample_free(struct top_sample *s);

/* The group view of s's member rows: one row per group and disk
 * (top_sample_free frees them as rows). */
int top_group_rows(const struct top_sample *s, struct top_row **rows, size_t *nr);
/* Rows of s shown under o (filter, idle rows), sorted; pointers into rows. */
size_t top_select(const struct top_opts *o, struct top_row *rows, size_t nr,
		  struct top_row **out);
const char *top_sort_name(enum top_sort sort);

/* ---- top_explain.c: each row's last windows for the explain view (pure:
 * the sample's cumulative counts in, explain.c's judgement out) ---- */

/* Windows judged: 10 s at top's default delay of 1 s, two of the
 * kernel's 5 s writeback periods, so that flushes every 5 s read as
 * bursts (explain.c: most requests in at most half the windows). */
#define TOP_EXPLAIN_WINDOWS	10

struct top_explain_history {
	uint64_t key;		/* the row's: its cgroup id and name, hashed */
	char device[32];
	struct top_counts last;	/* its counts at the last sample */
	uint64_t disk[2];	/* the disk's reads and writes then */
	bool disk_known;
	struct explain_window w[TOP_EXPLAIN_WINDOWS];
	int nr, next;		/* windows held, the slot for the next one */
	uint64_t seen;		/* the round it was last in a sample */
};

struct top_explain {
	struct top_explain_history *v;
	size_t nr, cap;
	uint64_t round;
	uint64_t taken_ms;	/* the last sample's */
};

/* The windows since the last sample into each row's history, and each
 * row's ex from them (explained: at least one window). Rows gone from
 * the sample are forgotten; a row whose counts went back (a cgroup below
 * a member went) starts again. 0 or -ENOMEM. */
int top_explain_take(struct top_explain *te, struct top_sample *s);
void top_explain_free(struct top_explain *te);

/* ---- top_layout.c: what fits on the screen, and the names in it (pure:
 * no curses, no I/O, so that tests/unit drives it at any width) ---- */

enum top_col {
	COL_NAME, COL_GROUP, COL_DEVICE, COL_RIOPS, COL_WIOPS, COL_RMB, COL_WMB, COL_LIMIT,
	COL_PCT, COL_FILL, COL_THROT, COL_AWAIT, COL_IOMAX, COL_CGROUP, TOP_NR_COLS
};

struct top_col_def {
	const char *title;
	int width;		/* without the space before it; the least for NAME, CGROUP */
	bool left;		/* left-aligned text */
	bool daemon;		/* only with a daemon */
	int drop;		/* dropped when short of room: highest first, 0 never */
	int sort;		/* the sort it shows, -1 none */
};

extern const struct top_col_def top_cols[TOP_NR_COLS];

/* What the rows would like: the longest name shown in the NAME column,
 * group name, and cgroup path for the CGROUP column (0: no such column,
 * as when no row has a VM name and NAME already shows the paths). */
struct top_layout_want {
	int name, group, cgroup;
};

struct top_layout {
	bool on[TOP_NR_COLS];
	int width[TOP_NR_COLS];
	int used;		/* columns used, spaces between included */
};

/* The columns shown at cols wide, and their widths. */
void top_layout_fit(int cols, bool daemon, bool groups, const struct top_layout_want *want,
		    struct top_layout *lay);
#define TOP_CUT_MAX	256	/* buf for top_fit: the widest column and more */

/* text cut to width, keeping its end (what tells names apart: "web-12",
 * a path's last component) behind "..": text itself when it fits, else
 * buf. */
const char *top_fit(const char *text, int width, char *buf, size_t len);
/* The guest named by a libvirt VM's cgroup anywhere in path (the scope, or
 * a cgroup below it such as libvirt/emulator), or by the cgroup the daemon
 * moved a bare QEMU to (/iorate.slice/vm-NAME), into name: what follows the
 * VM's cgroup in path ("" for the VM's own), NULL when path has none. */
const char *top_vm_of_path(const char *path, char *name, size_t len);
/* Whether path is member or a cgroup below it. */
bool top_path_within(const char *path, const char *member);
/* What the row's NAME column says: its VM's name, else its cgroup path
 * (or the group's name). */
const char *top_row_label(const struct top_opts *o, const struct top_row *r);

/* A member as the daemon's status names it, for rows of top's own meter. */
struct top_known {
	char *cgroup, *device, *group, *vm;	/* vm NULL: none */
};

/* The members that hold a cgroup (itself or one above it) on a disk:
 * their indexes into known, at most max, in known's order; returns how
 * many. *vm: the VM name of the first member holding path on any disk,
 * NULL none. */
int top_known_match(const struct top_known *known, size_t nr, const char *path,
		    const char *device, int *idx, int max, const char **vm);

/* the curses view */
void top_view_start(void);
void top_view_stop(void);
void top_view_draw(struct top_opts *o, const struct top_sample *s);
/* Wait until until_ms taking keys: 1 when the view must be drawn again
 * from the same sample at once, 0 at the time, -1 to quit. */
int top_view_wait(struct top_opts *o, const struct top_sample *s, uint64_t until_ms);
uint64_t top_now_ms(void);
/* set by SIGINT / SIGTERM (cmd_top.c) */
extern volatile sig_atomic_t top_exiting;

#endif
