/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the daemon shows the outside (iorate status, /metrics, top): a
 * snapshot copied out of the daemon, read-only, so that the JSON and the
 * Prometheus text are pure functions of it (unit-tested without a daemon)
 * and the metrics thread never touches daemon state. This header knows
 * nothing of the daemon: daemon_status.h takes the snapshot.
 */
#ifndef IORATE_STATUS_H
#define IORATE_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "iomax.h"
#include "iorate.h"
#include "policy.h"

/* One member cgroup on one disk, under one group. */
#define STATUS_MAX_PIDS	16

struct status_member {
	char *cgroup;		/* below the cgroup v2 root */
	uint64_t cgroup_id;
	uint32_t dev;
	char device[64];	/* kernel name, or MAJ:MIN */
	/* over the last window, at the accounting level, member and
	 * descendants; index IORATE_DIR_READ / IORATE_DIR_WRITE */
	double ops_s[2];
	double bytes_s[2];
	/* the same at both levels: the bio/device gap (split, merge,
	 * writeback) shows as their difference */
	double level_ops_s[IORATE_NR_LEVELS][2];
	double level_bytes_s[IORATE_NR_LEVELS][2];
	/* cumulative since the meter was loaded, every level and direction
	 * (may go down when a descendant cgroup goes: a counter reset) */
	uint64_t ops_total[IORATE_NR_LEVELS][IORATE_NR_DIRS];
	uint64_t bytes_total[IORATE_NR_LEVELS][IORATE_NR_DIRS];
	/* of the device level's writes, the flushers' own (no REQ_SYNC:
	 * writeback no fsync or O_DIRECT asked for; include/iorate.h) */
	uint64_t writeback_ops_total;
	uint64_t writeback_bytes_total;
	uint64_t split_pieces_total[2];	/* the extra pieces split bios made, by direction */
	bool has_iomax;		/* iorate holds a line for it */
	struct iomax iomax;	/* IOMAX_UNLIMITED = max */
	/* level / size of each limit's bucket; < 0 where the group has no
	 * such limit. Pooled members show the pool's bucket. */
	double fill[POLICY_NR_LIMITS];
	/* seconds the controller found it held back by io.max since it
	 * became a member on this disk (ctl_slot.throttled_s) */
	double throttled_s;
	/* mean device-level completion latency over the window, ms, by
	 * IORATE_DIR_READ / WRITE; 0 without completions */
	double await_ms[2];
	char vm[256];		/* guest name, "" when not a VM */
	/* processes in the member's subtree, the first STATUS_MAX_PIDS */
	int pids[STATUS_MAX_PIDS];
	int nr_pids;
	bool more_pids;
};

struct status_group {
	char *name;
	enum policy_share share;
	struct policy_limit limits[POLICY_NR_LIMITS];
	uint64_t iops_size;
	/* share = cluster: this host's view (cluster_share.h) */
	const char *cluster_mode;	/* static text; NULL: not a cluster group */
	int cluster_hosts;
	double cluster_share[POLICY_NR_LIMITS];	/* units/s, for limits set */
	struct status_member *members;
	int nr_members;
};

struct status_snapshot {
	int pid;
	char *policy;		/* path of the policy file */
	uint64_t tick_ns;
	int level;		/* enum iorate_level of the accounting */
	bool steady;		/* io.max mode in force, and why */
	const char *steady_why;	/* static text, not owned */
	double uptime_s;
	double window_s;	/* what the rates are over; 0 = none yet */
	uint64_t ticks, iomax_writes, iomax_errors, bypass_repairs;
	uint64_t events_handled, events_lost;
	uint64_t usage_full;		/* I/Os not counted: usage map full */
	uint64_t runs_missed;		/* I/Os not counted: meter_runs_missed() */
	uint64_t meter_entries;		/* (cgroup, disk) pairs in the meter now */
	uint64_t meter_freed;		/* entries of gone cgroups freed */
	double reaction_last_ms, reaction_max_ms;	/* cgroup mkdir -> io.max */
	uint64_t bucket_sets;		/* bucket sets in use in BPF, of bucket_sets_cap */
	uint64_t bucket_sets_cap;
	uint64_t charge_pairs;		/* (cgroup, disk) pairs BPF charges */
	uint64_t charges_refused;	/* pairs or sets BPF could not be given */
	uint64_t bucket_events;		/* bucket-full events acted on */
	uint64_t writeback_escapes;	/* members' files charged elsewhere */
	uint64_t writeback_escaping;	/* of those, still followed now */
	double tighten_last_ms, tighten_max_ms;	/* bucket full -> io.max */
	struct status_group *groups;
	int nr_groups;
	/* share = cluster: the Redis connection (cluster.h) */
	struct status_cluster {
		bool on;
		char url[320];
		char host[64];
		bool up;
		uint64_t exchanges, failures, connects, calls, bytes_sent, bytes_received;
		char last_error[128];
	} cluster;
};

void status_snapshot_free(struct status_snapshot *s);

/* docs/status.md documents this shape; the caller puts the object. */
struct json_object *status_json(const struct status_snapshot *s);

/* "iops_total" for POLICY_IOPS_TOTAL: policy names as JSON-friendly keys. */
const char *status_limit_key(enum policy_limit_id id);

#endif
