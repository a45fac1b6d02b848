/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Which slots of the bucket_sets array are in use. The array itself is the
 * BPF map's memory (mmapped by the meter) in the daemon, and plain memory
 * in the unit tests: this file only hands slots out and back, with no I/O.
 */
#ifndef IORATE_BUCKET_SETS_H
#define IORATE_BUCKET_SETS_H

#include <stdint.h>
#include "iorate.h"

struct bucket_sets {
	struct iorate_bucket_set *base;
	uint32_t cap;
	uint32_t nr_used;
	uint32_t next;		/* where the search for a free slot starts */
	uint64_t *used;		/* bitmap, cap bits */
	uint64_t exhausted;	/* allocations refused: the array was full */
};

/* base: cap sets of memory that outlives the allocator */
int bucket_sets_init(struct bucket_sets *bs, struct iorate_bucket_set *base, uint32_t cap);
void bucket_sets_fini(struct bucket_sets *bs);
/* A zeroed set's index, or -ENOSPC. */
int bucket_sets_alloc(struct bucket_sets *bs);
void bucket_sets_free(struct bucket_sets *bs, uint32_t idx);
static inline struct iorate_bucket_set *bucket_sets_at(const struct bucket_sets *bs, uint32_t idx)
{
	return &bs->base[idx];
}

#endif
