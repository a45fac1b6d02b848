// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "bucket_sets.h"

int bucket_sets_init(struct bucket_sets *bs, struct iorate_bucket_set *base, uint32_t cap)
{
	memset(bs, 0, sizeof(*bs));
	bs->used = calloc((cap + 63) / 64, sizeof(*bs->used));
	if (!bs->used)
		return -ENOMEM;
	bs->base = base;
	bs->cap = cap;
	return 0;
}

void bucket_sets_fini(struct bucket_sets *bs)
{
	free(bs->used);
	memset(bs, 0, sizeof(*bs));
}

static bool is_used(const struct bucket_sets *bs, uint32_t i)
{
	return bs->used[i / 64] & (1ULL << (i % 64));
}

int bucket_sets_alloc(struct bucket_sets *bs)
{
	for (uint32_t n = 0; n < bs->cap; n++) {
		uint32_t i = (bs->next + n) % bs->cap;

		if (is_used(bs, i))
			continue;
		bs->used[i / 64] |= 1ULL << (i % 64);
		bs->nr_used++;
		bs->next = i + 1;
		/* The daemon unpoints a set from the charges map in the
		 * same pass that frees it, long before it is handed out
		 * again: nothing charges it while it is cleared. */
		memset(&bs->base[i], 0, sizeof(bs->base[i]));
		return i;
	}
	bs->exhausted++;
	return -ENOSPC;
}

void bucket_sets_free(struct bucket_sets *bs, uint32_t idx)
{
	if (idx >= bs->cap || !is_used(bs, idx))
		return;
	bs->used[idx / 64] &= ~(1ULL << (idx % 64));
	bs->nr_used--;
	/* An operator's `bpftool map dump` (and the soak's count) must see
	 * only live sets: a freed one keeps its levels but charges nothing. */
	__atomic_store_n(&bs->base[idx].active, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&bs->base[idx].armed, 0, __ATOMIC_RELAXED);
}
