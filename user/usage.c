// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "usage.h"

void usage_table_init(struct usage_table *t)
{
	memset(t, 0, sizeof(*t));
}

void usage_table_free(struct usage_table *t)
{
	free(t->entries);
	memset(t, 0, sizeof(*t));
}

void usage_table_clear(struct usage_table *t)
{
	t->nr = 0;
}

int usage_table_add(struct usage_table *t, const struct iorate_usage_key *key,
		    const struct iorate_usage *u)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct usage_entry *e = realloc(t->entries, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		t->entries = e;
		t->cap = cap;
	}
	t->entries[t->nr].key = *key;
	t->entries[t->nr].usage = *u;
	t->nr++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct iorate_usage_key *x = a, *y = b;

	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return 0;
}

void usage_table_sort(struct usage_table *t)
{
	/* key is the first member, so entries compare by key */
	qsort(t->entries, t->nr, sizeof(t->entries[0]), key_cmp);
}

const struct usage_entry *usage_table_find(const struct usage_table *t,
					   const struct iorate_usage_key *key)
{
	if (!t->nr)
		return NULL;
	return bsearch(key, t->entries, t->nr, sizeof(t->entries[0]), key_cmp);
}

size_t usage_table_first_of(const struct usage_table *t, uint64_t cgroup_id)
{
	size_t lo = 0, hi = t->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->entries[mid].key.cgroup_id < cgroup_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nr && t->entries[lo].key.cgroup_id == cgroup_id ? lo : t->nr;
}

/* Counters only grow; a smaller value means the entry was deleted and
 * recreated between samples, so count from zero. */
static uint64_t delta(uint64_t prev, uint64_t cur)
{
	return cur >= prev ? cur - prev : cur;
}

void usage_rates(const struct iorate_usage *prev, const struct iorate_usage *cur,
		 int level, double interval_s, struct usage_rates *out)
{
	static const struct iorate_usage zero;

	if (!prev)
		prev = &zero;
	memset(out, 0, sizeof(*out));
	for (int d = 0; d < IORATE_NR_DIRS; d++) {
		/* the latency is summed over the device level's completions */
		uint64_t done = delta(prev->io[IORATE_LEVEL_DEVICE][d].ops,
				      cur->io[IORATE_LEVEL_DEVICE][d].ops);
		uint64_t lat = delta(prev->latency_ns[d], cur->latency_ns[d]);

		out->ops[d] = delta(prev->io[level][d].ops, cur->io[level][d].ops);
		out->bytes[d] = delta(prev->io[level][d].bytes, cur->io[level][d].bytes);
		if (interval_s > 0) {
			out->ops_s[d] = out->ops[d] / interval_s;
			out->bytes_s[d] = out->bytes[d] / interval_s;
		}
		out->await_ms[d] = done ? (double)lat / done / 1e6 : 0;
	}
	out->background_ops = delta(prev->background_ops, cur->background_ops);
}
