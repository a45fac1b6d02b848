// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdbool.h>
#include "split.h"

void split_allowance(double budget, struct split_consumer *c, int n)
{
	split_allowance_floor(budget, c, n, SPLIT_MIN_SHARE);
}

void split_allowance_floor(double budget, struct split_consumer *c, int n, double min_share)
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
	floor_share = budget * min_share;
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

/* The measured mix fills this much of the budget: both directions are
 * pressing against io.max, keep following the mix. */
#define SPLIT_MIX_FULL	0.90
/* The least share of a direction that presses against its io.max. */
#define SPLIT_PRESSED_MIN	0.10

void split_by_mix(double budget, struct split_consumer *c, const double *use, int n)
{
	double total = 0, sat_total = 0, unsat_sum = 0, floor_share = SPLIT_MIN_SHARE / 2;
	bool sat[n];
	int nr_sat = 0;

	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		total += c[i].demand;
		sat[i] = c[i].alloc > 0 &&
			 fmax(use ? use[i] : 0, c[i].demand) >= SPLIT_SATURATED * c[i].alloc;
		if (sat[i]) {
			nr_sat++;
			sat_total += c[i].demand;
		}
	}
	/*
	 * Budget left over while a direction presses against its io.max (the
	 * writes stopped, the reads are still held at their old share): the
	 * mix alone would take a tick per doubling to follow, so the spare
	 * goes to the pressed directions at once, the others keeping
	 * headroom above their use. Only while the headroom leaves the
	 * pressed ones their SPLIT_PRESSED_MIN: writes at 330 against 396
	 * kept 412.5 of a budget of 400, and the pressed reads got -12.5
	 * (raised to io.max's floor: 5.6% over the budget, issue 18); then the
	 * mix below decides.
	 */
	for (int i = 0; i < n; i++) {
		double a = c[i].demand * SPLIT_HEADROOM;

		if (!sat[i])
			unsat_sum += a > budget * floor_share ? a : budget * floor_share;
	}
	if (nr_sat && nr_sat < n && total < SPLIT_MIX_FULL * budget &&
	    budget - unsat_sum >= nr_sat * budget * SPLIT_PRESSED_MIN) {
		for (int i = 0; i < n; i++) {
			if (sat[i])
				continue;
			c[i].alloc = c[i].demand * SPLIT_HEADROOM;
			if (c[i].alloc < budget * floor_share)
				c[i].alloc = budget * floor_share;
		}
		for (int i = 0; i < n; i++)
			if (sat[i])
				c[i].alloc = (budget - unsat_sum) *
					     (sat_total > 0 ? c[i].demand / sat_total : 1.0 / nr_sat);
		return;
	}
	for (int i = 0; i < n; i++) {
		double share = total > 0 ? c[i].demand / total : 1.0 / n;

		/* floor, then renormalise so the shares still sum to 1 */
		share = floor_share + share * (1 - floor_share * n);
		c[i].alloc = budget * share;
	}
	/*
	 * A direction pressed at a sliver of the budget cannot show what it
	 * wants (a mixed job whose reads wait behind riops=10 issues few
	 * writes too), and the mix would keep it there: it gets at least
	 * SPLIT_PRESSED_MIN, taken from the others in proportion.
	 */
	for (int i = 0; i < n; i++) {
		double need = budget * SPLIT_PRESSED_MIN - c[i].alloc, rest = 0;

		if (!sat[i] || need <= 0)
			continue;
		for (int j = 0; j < n; j++)
			if (j != i)
				rest += c[j].alloc;
		if (rest <= need)
			continue;
		for (int j = 0; j < n; j++)
			if (j != i)
				c[j].alloc -= need * c[j].alloc / rest;
		c[i].alloc += need;
	}
}
