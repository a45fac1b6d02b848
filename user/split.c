// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "split.h"

/* A consumer using this much of its allocation may want more than it got. */
#define SPLIT_SATURATED	0.85
/* Headroom left to a consumer that does not use all of its share. */
#define SPLIT_HEADROOM	1.25
/* Nobody drops below this share, so an idle consumer can be seen waking. */
#define SPLIT_MIN_SHARE	0.02

void split_allowance(double budget, struct split_consumer *c, int n)
{
	double floor_share, spare, unsat_sum = 0, total = 0;
	int nr_sat = 0;

	if (n <= 0)
		return;
	if (budget <= 0) {
		for (int i = 0; i < n; i++)
			c[i].alloc = 0;
		return;
	}
	floor_share = budget * SPLIT_MIN_SHARE;
	for (int i = 0; i < n; i++) {
		/* First tick: no history, share equally. */
		if (c[i].alloc <= 0) {
			for (int j = 0; j < n; j++)
				c[j].alloc = budget / n;
			return;
		}
	}
	for (int i = 0; i < n; i++) {
		if (c[i].demand >= SPLIT_SATURATED * c[i].alloc) {
			nr_sat++;
			c[i].alloc = -1;	/* filled below */
		} else {
			c[i].alloc = c[i].demand * SPLIT_HEADROOM;
			if (c[i].alloc < floor_share)
				c[i].alloc = floor_share;
			unsat_sum += c[i].alloc;
		}
	}
	spare = budget - unsat_sum;
	if (nr_sat) {
		double share = spare / nr_sat;

		if (share < floor_share) {
			/* Too many claims: shrink the unsaturated ones. */
			double scale = (budget - floor_share * nr_sat) / unsat_sum;

			if (scale < 0)
				scale = 0;
			share = floor_share;
			for (int i = 0; i < n; i++)
				if (c[i].alloc > 0)
					c[i].alloc *= scale;
		}
		for (int i = 0; i < n; i++)
			if (c[i].alloc < 0)
				c[i].alloc = share;
	} else {
		/* Nobody is short: hand the spare out so the sum stays the
		 * budget and anyone may grow into it. */
		for (int i = 0; i < n; i++)
			total += c[i].alloc;
		for (int i = 0; i < n; i++)
			c[i].alloc = budget * c[i].alloc / total;
	}
}

void split_by_mix(double budget, struct split_consumer *c, int n)
{
	double total = 0, floor_share = SPLIT_MIN_SHARE / 2;

	if (n <= 0)
		return;
	for (int i = 0; i < n; i++)
		total += c[i].demand;
	for (int i = 0; i < n; i++) {
		double share = total > 0 ? c[i].demand / total : 1.0 / n;

		/* floor, then renormalise so the shares still sum to 1 */
		share = floor_share + share * (1 - floor_share * n);
		c[i].alloc = budget * share;
	}
}
