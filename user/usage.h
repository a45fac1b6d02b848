/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A snapshot of the usage map, and the rates between two
 * snapshots. Pure logic: unit-tested without BPF.
 */
#ifndef IORATE_USAGE_H
#define IORATE_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "iorate.h"

struct usage_entry {
	struct iorate_usage_key key;
	struct iorate_usage usage;
};

struct usage_table {
	struct usage_entry *entries;	/* sorted by key for bsearch */
	size_t nr;
	size_t cap;
	uint64_t taken_ns;		/* CLOCK_MONOTONIC */
};

/* Rates over one interval for one cgroup x disk at one level. */
struct usage_rates {
	double ops_s[IORATE_NR_DIRS];
	double bytes_s[IORATE_NR_DIRS];
	uint64_t ops[IORATE_NR_DIRS];	/* exact deltas */
	uint64_t bytes[IORATE_NR_DIRS];
	double await_ms[IORATE_NR_DIRS];	/* mean completion latency, 0 if none */
	uint64_t background_ops;
};

void usage_table_init(struct usage_table *t);
void usage_table_free(struct usage_table *t);
void usage_table_clear(struct usage_table *t);
int usage_table_add(struct usage_table *t, const struct iorate_usage_key *key,
		    const struct iorate_usage *u);
void usage_table_sort(struct usage_table *t);
const struct usage_entry *usage_table_find(const struct usage_table *t,
					   const struct iorate_usage_key *key);
/* The index of the cgroup's first entry (on its lowest disk), or t->nr
 * when it has none; its entries follow it. */
size_t usage_table_first_of(const struct usage_table *t, uint64_t cgroup_id);
/* prev may be NULL (entry appeared during the interval: counts from 0). */
void usage_rates(const struct iorate_usage *prev, const struct iorate_usage *cur,
		 int level, double interval_s, struct usage_rates *out);

#endif
