// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * top's explain view: each row's windows between samples, from the
 * cumulative counts the sample carries (the daemon's status totals, or
 * top's own meter), judged by explain.c as `iorate explain` judges its
 * own. Counts, not rates, so that a window is exactly what happened
 * between two samples, whatever the daemon's rate window.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "top.h"

/* A row's identity across samples: the daemon's members carry their
 * cgroup id, the meter's rows are cgroups; the name tells apart members
 * whose id a status document leaves out. */
static uint64_t row_key(const struct top_row *r)
{
	uint64_t h = 1469598103934665603ULL ^ r->cgroup_id;

	for (const char *p = r->name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

_Static_assert((int)EXPLAIN_READ == (int)IORATE_DIR_READ &&
	       (int)EXPLAIN_WRITE == (int)IORATE_DIR_WRITE,
	       "a row's counts are indexed by IORATE_DIR_*, windows by EXPLAIN_*");

static bool history_is(const struct top_explain_history *h, uint64_t key, const char *device)
{
	return h->key == key && !strcmp(h->device, device);
}

/* The row's history. Rows come in the same order sample after sample, so
 * the one at the row's own index is tried first: a search of every
 * history for every row would grow with the square of a host's VMs. */
static struct top_explain_history *history_of(struct top_explain *te, size_t hint, uint64_t key,
					      const char *device)
{
	if (hint < te->nr && history_is(&te->v[hint], key, device))
		return &te->v[hint];
	for (size_t i = 0; i < te->nr; i++)
		if (history_is(&te->v[i], key, device))
			return &te->v[i];
	return NULL;
}

static struct top_explain_history *history_add(struct top_explain *te, uint64_t key,
					       const char *device)
{
	struct top_explain_history *h;

	if (te->nr == te->cap) {
		size_t cap = te->cap ? te->cap * 2 : 16;
		void *v = realloc(te->v, cap * sizeof(*te->v));

		if (!v)
			return NULL;
		te->v = v;
		te->cap = cap;
	}
	h = &te->v[te->nr++];
	memset(h, 0, sizeof(*h));
	h->key = key;
	snprintf(h->device, sizeof(h->device), "%s", device);
	return h;
}

/* now - before, or -1 where either is unknown or it went back */
static double delta(double now, double before)
{
	return now >= 0 && before >= 0 && now >= before ? now - before : -1;
}

/* The window between h's last counts and the row's; false when a count
 * it needs went back or is unknown (the history starts again). */
static bool take_window(const struct top_explain_history *h, const struct top_row *r,
			const struct top_disk *disk, double secs, struct explain_window *w)
{
	const struct top_counts *now = &r->totals, *was = &h->last;

	memset(w, 0, sizeof(*w));
	w->seconds = secs;
	for (int d = 0; d < EXPLAIN_NR_DIRS; d++) {
		double bio = delta(now->ops[IORATE_LEVEL_BIO][d], was->ops[IORATE_LEVEL_BIO][d]);
		double req = delta(now->ops[IORATE_LEVEL_DEVICE][d], was->ops[IORATE_LEVEL_DEVICE][d]);

		if (bio < 0 || req < 0)
			return false;
		w->count[EXPLAIN_BIOS][d] = bio;
		w->count[EXPLAIN_REQUESTS][d] = req;
		w->split[d] = now->split[d] >= 0 ? fmax(delta(now->split[d], was->split[d]), 0) : 0;
	}
	w->background = fmax(delta(now->writeback, was->writeback), 0);
	w->syscalls_known = now->syscalls_known && was->syscalls_known &&
			    now->pids_sig == was->pids_sig &&
			    now->syscalls[0] >= was->syscalls[0] && now->syscalls[1] >= was->syscalls[1];
	for (int d = 0; w->syscalls_known && d < EXPLAIN_NR_DIRS; d++)
		w->count[EXPLAIN_SYSCALLS][d] = now->syscalls[d] - was->syscalls[d];
	if (disk && h->disk_known && disk->rd >= h->disk[0] && disk->wr >= h->disk[1]) {
		w->disk[EXPLAIN_READ] = disk->rd - h->disk[0];
		w->disk[EXPLAIN_WRITE] = disk->wr - h->disk[1];
	}
	return true;
}

static void history_judge(const struct top_explain_history *h, struct top_row *r)
{
	struct explain_window w[TOP_EXPLAIN_WINDOWS];
	int first = (h->next - h->nr + TOP_EXPLAIN_WINDOWS) % TOP_EXPLAIN_WINDOWS;

	r->explained = h->nr > 0;
	if (!r->explained)
		return;
	/* oldest first, as explain's windows */
	for (int i = 0; i < h->nr; i++)
		w[i] = h->w[(first + i) % TOP_EXPLAIN_WINDOWS];
	explain_summarize(w, h->nr, &r->ex);
}

int top_explain_take(struct top_explain *te, struct top_sample *s)
{
	double secs = te->taken_ms && s->taken_ms > te->taken_ms ?
		(s->taken_ms - te->taken_ms) / 1000.0 : 0;

	te->round++;
	for (size_t i = 0; i < s->nr_rows; i++) {
		struct top_row *r = &s->rows[i];
		uint64_t key = row_key(r);
		const struct top_disk *disk = top_disk_find(s->disks, s->nr_disks, r->device);
		struct top_explain_history *h = history_of(te, i, key, r->device);
		struct explain_window w;

		if (!h) {
			h = history_add(te, key, r->device);
			if (!h)
				return -ENOMEM;
		} else if (secs > 0 && take_window(h, r, disk, secs, &w)) {
			h->w[h->next] = w;
			h->next = (h->next + 1) % TOP_EXPLAIN_WINDOWS;
			if (h->nr < TOP_EXPLAIN_WINDOWS)
				h->nr++;
		} else if (secs > 0) {
			h->nr = h->next = 0;	/* its counts went back: start again */
		}
		h->last = r->totals;
		h->disk_known = disk != NULL;
		if (disk) {
			h->disk[0] = disk->rd;
			h->disk[1] = disk->wr;
		}
		h->seen = te->round;
		history_judge(h, r);
	}
	for (size_t i = 0; i < te->nr;) {
		if (te->v[i].seen != te->round)
			te->v[i] = te->v[--te->nr];
		else
			i++;
	}
	te->taken_ms = s->taken_ms;
	return 0;
}

void top_explain_free(struct top_explain *te)
{
	free(te->v);
	memset(te, 0, sizeof(*te));
}
