/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Dividing one allowance between consumers that io.max limits separately:
 * reads and writes under a total limit (io.max has no total), members of a
 * pooled group. Max-min fair and work-conserving: a consumer that does not
 * use its share keeps a little headroom above its use and the rest goes to
 * those that do, so an idle member's share reaches the busy ones in a tick
 * or two.
 */
#ifndef IORATE_SPLIT_H
#define IORATE_SPLIT_H

/* A consumer using this much of its allocation may want more than it got. */
#define SPLIT_SATURATED	0.85
/* Headroom left to a consumer that does not use all of its share. */
#define SPLIT_HEADROOM	1.25
/* Nobody drops below this share, so an idle consumer can be seen waking. */
#define SPLIT_MIN_SHARE	0.02

struct split_consumer {
	double demand;		/* measured use, units/s (smoothed) */
	double alloc;		/* in: last allocation (0 = none yet); out: new one */
};

void split_allowance(double budget, struct split_consumer *c, int n);
/* The same with another floor than SPLIT_MIN_SHARE (a fraction of budget). */
void split_allowance_floor(double budget, struct split_consumer *c, int n, double min_share);
/* For the reads and writes of one workload, which are coupled (a throttled
 * write holds a queue slot a read could use): shares follow the measured
 * mix (demand), each direction keeping a small floor so that it can be
 * seen waking; when the mix leaves budget unused while a direction uses
 * >= 85% of its last allocation, that spare goes to it at once. `use`, if
 * not NULL: each direction's latest use, which says it presses when its
 * demand (a slower mix) does not yet. */
void split_by_mix(double budget, struct split_consumer *c, const double *use, int n);

#endif
