/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The control loop for one policy group on one disk (a "binding"): every
 * tick it charges the group's QEMU buckets with what each member did at the
 * accounting level, turns the buckets into target rates, divides them
 * (pooled members, read/write under a total) and converts each member's
 * share into io.max units. Pure logic: tests drive it with a simulated disk.
 *
 * io.max counts bios as blk-throttle sees them; the disk sees requests
 * after splitting, merging and writeback. The conversion factor between the
 * two (thr / dev, smoothed) is measured, not assumed, so that io.max at the
 * converted value yields the target at the disk.
 */
#ifndef IORATE_CONTROLLER_H
#define IORATE_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>
#include "bucket_sets.h"
#include "policy.h"
#include "split.h"
#include "throttle.h"

/* io.max rejects 0 (ERANGE) and 1 (EINVAL), but tiny values are worse
 * than that: on 6.1 an io.max line of 2-4 iops that is rewritten (even
 * every 500 ms) stops throttling at all (measured: 600-1700/s against
 * riops=2/4, while 10/11 held at 9-10/s). So io.max never goes below 10
 * iops or 1 MiB/s, or the limit itself when that is lower: a debt that
 * needs less is carried forward instead (and a line shared with a foreign
 * writeback owner, daemon_foreign.h, is not cut below them either). */
#define CTL_IOPS_FLOOR	10.0
#define CTL_BPS_FLOOR	1048576.0

enum ctl_kind { CTL_BPS = 0, CTL_IOPS = 1, CTL_NR_KINDS };
/* Ticks a rate is measured over at most: blk-throttle's slice (100 ms) in
 * the policy's least tick (10 ms), and room for ticks a little short. */
#define CTL_WINDOW_TICKS	12
enum ctl_dir { CTL_READ = 0, CTL_WRITE = 1, CTL_NR_DIRS };

/* What one member did in one tick, in one direction each. */
struct ctl_input {
	double ops[CTL_NR_DIRS];
	double bytes[CTL_NR_DIRS];
};

struct ctl_slot {
	uint64_t cgroup_id;
	/* This member's bucket set (its levels when share = each, its
	 * counters always), or -1 when the array was full: then the member
	 * is held at its base rates from dev, without buckets. */
	int32_t set;
	uint64_t last_bytes[CTL_NR_DIRS];	/* the set's counters at the last tick */
	uint64_t last_units[CTL_NR_DIRS];
	/* at the accounting level: the daemon's read of the meter, used
	 * only when the member has no set */
	struct ctl_input dev;
	struct ctl_input thr;	/* as io.max counts: bios, split pieces */
	struct throttle_bucket buckets[POLICY_NR_LIMITS];	/* share = each */
	double dev_rate[CTL_NR_KINDS][CTL_NR_DIRS];	/* units/s, smoothed */
	/* dev_rate over a longer memory, whose mix a total is split by
	 * (controller.c, CTL_MIX_TAU_S) */
	double mix_rate[CTL_NR_KINDS][CTL_NR_DIRS];
	double thr_rate[CTL_NR_KINDS][CTL_NR_DIRS];
	/* The last ticks' counts, as many as span blk-throttle's slice:
	 * what the rates above are smoothed from (controller.c, measure) */
	struct ctl_window {
		double dev[CTL_WINDOW_TICKS][CTL_NR_KINDS][CTL_NR_DIRS];
		double thr[CTL_WINDOW_TICKS][CTL_NR_KINDS][CTL_NR_DIRS];
		double dt_s[CTL_WINDOW_TICKS];
		int newest;
	} window;
	struct split_consumer pool[POLICY_NR_LIMITS];	/* share = pooled */
	struct split_consumer dirs[CTL_NR_KINDS][CTL_NR_DIRS];
	double target[CTL_NR_KINDS][CTL_NR_DIRS];	/* device units/s; 0 = none */
	double trim[CTL_NR_KINDS][CTL_NR_DIRS];	/* learnt io.max correction, 1 = none */
	/* io.max units per device unit: the ratio of two slow averages
	 * (tau ~2 s), 0 = unknown */
	double conv[CTL_NR_KINDS][CTL_NR_DIRS];
	double thr_slow[CTL_NR_KINDS][CTL_NR_DIRS];
	double dev_slow[CTL_NR_KINDS][CTL_NR_DIRS];
	/* until the factor is seeded: what io.max and the disk counted, and
	 * the seconds of ticks with I/O (update_conv) */
	double seed_thr[CTL_NR_KINDS][CTL_NR_DIRS];
	double seed_dev[CTL_NR_KINDS][CTL_NR_DIRS];
	double seed_s[CTL_NR_KINDS][CTL_NR_DIRS];
	/* seconds of consecutive ticks pressing against io.max (learn_trim) */
	double pressed_s[CTL_NR_KINDS][CTL_NR_DIRS];
	/* steady mode: the trim's error, slowly averaged over the ticks it
	 * would learn from (learn_trim) */
	double steady_err[CTL_NR_KINDS][CTL_NR_DIRS];
	uint64_t iomax[CTL_NR_KINDS][CTL_NR_DIRS];	/* out: 0 = unlimited */
	/* The line the actuator has in force for the member (0: unlimited),
	 * which lags iomax[][] by its hysteresis and write gate, and is
	 * tighter where another group or the operator's line holds it;
	 * ctl_slot_in_force() sets it. Until then, iomax[][] is taken as
	 * in force. */
	uint64_t in_force[CTL_NR_KINDS][CTL_NR_DIRS];
	bool actuated;
	bool line_waiting;	/* a change of it waits for the write gate */
	/* Seconds of ticks in which the member was held back: in some
	 * direction, what io.max counts reached 90% of the io.max the
	 * previous tick set (docs/status.md, "throttled_s"). */
	double throttled_s;
	bool held_back[CTL_NR_KINDS][CTL_NR_DIRS];	/* so in the last tick */
	bool seen;		/* still a member (daemon's mark and sweep) */
};

struct ctl_binding {
	const struct policy_group *group;
	uint32_t dev;
	struct bucket_sets *sets;	/* where the buckets' levels live */
	int32_t pool_set;		/* share = pooled: the group's set, or -1 */
	struct throttle_bucket pool[POLICY_NR_LIMITS];	/* share = pooled */
	/* The fraction of each limit this binding holds: 1, or this host's
	 * share with share = cluster (ctl_binding_set_scale) */
	double scale[POLICY_NR_LIMITS];
	double dt_s;			/* the last tick's length */
	struct ctl_slot *slots;
	int nr_slots, cap_slots;
	/* Hold io.max at the base rates (converted) instead of repaying each
	 * overshoot by moving it: for kernels where moving io.max can cost
	 * the limit itself (kquirks.h). Bursts still move it. */
	bool steady;
};

/* The loop's per-tick factors for a tick of dt_s, from its time constants
 * (controller.c): the weight of the newest tick in smoothed rates and in the
 * conversion factor's slow averages, the trim's gain; and how long a member
 * presses before its trim learns. */
struct ctl_tick_factors {
	double ewma;
	double trim_gain;
	double conv;
	double settle_s;
};
struct ctl_tick_factors ctl_tick_factors(double dt_s);

void ctl_binding_init(struct ctl_binding *b, const struct policy_group *g, uint32_t dev,
		      bool steady, struct bucket_sets *sets);
void ctl_binding_free(struct ctl_binding *b);
/* Keeps bucket levels when limits are unchanged (reload); empties them
 * otherwise, as QEMU does on a configuration change. */
void ctl_binding_set_group(struct ctl_binding *b, const struct policy_group *g);
struct ctl_slot *ctl_binding_slot(struct ctl_binding *b, uint64_t cgroup_id, bool create);
void ctl_binding_remove_unseen(struct ctl_binding *b);
void ctl_binding_tick(struct ctl_binding *b, double dt_s);
/* The bucket sets a member's I/O on this disk is charged to, what BPF
 * charges through the charges map: its own, and the pool's. Returns how
 * many (0-2) were written to out. */
int ctl_slot_sets(const struct ctl_binding *b, const struct ctl_slot *s, uint32_t out[2]);
/* What the actuator put in force for s after the tick (act_in_force():
 * [kind][dir], io.max units, 0: none), and whether a change of it waits
 * for the actuator's write gate. */
void ctl_slot_in_force(struct ctl_slot *s, const uint64_t line[CTL_NR_KINDS][CTL_NR_DIRS],
		       bool waiting);
/* share = cluster: this host's fraction of each of the group's limits;
 * the pool's bucket rates and sizes follow, its levels stay. True when a
 * fraction fell. */
bool ctl_binding_set_scale(struct ctl_binding *b, const double scale[POLICY_NR_LIMITS]);
/* Whether a member was held back by io.max in limit id's kind and
 * direction(s) in the last tick: a host that may want more of it. */
bool ctl_binding_held_back(const struct ctl_binding *b, int id);
/* What the members used of limit id, units/s at the accounting level,
 * smoothed: this binding's demand in a cluster's split. */
double ctl_binding_use(const struct ctl_binding *b, int id);
/* Recompute every member's io.max from the buckets as they are now, without
 * a tick's measurement: a bucket passed full between ticks. */
void ctl_binding_tighten(struct ctl_binding *b);
/* The bucket a slot is charged to (its own, or the pool). */
const struct throttle_bucket *ctl_slot_bucket(const struct ctl_binding *b,
					      const struct ctl_slot *s, int limit_id);

#endif
