// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "daemon_charges.h"
#include "log.h"

int daemon_charges_open(struct daemon *d)
{
	struct iorate_bucket_set *base;
	uint32_t nr;
	int err;

	base = meter_bucket_sets(d->meter, &nr);
	if (!base)
		return -ENOMEM;
	err = bucket_sets_init(&d->sets, base, nr);
	if (err)
		return err;
	d->set_binding = malloc(nr * sizeof(*d->set_binding));
	if (!d->set_binding)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++)
		d->set_binding[i] = -1;
	return 0;
}

void daemon_charges_close(struct daemon *d)
{
	bucket_sets_fini(&d->sets);
	free(d->set_binding);
	d->set_binding = NULL;
	free(d->charges);
	d->charges = NULL;
	d->nr_charges = 0;
}

static int key_cmp(const struct iorate_usage_key *a, const struct iorate_usage_key *b)
{
	if (a->cgroup_id != b->cgroup_id)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return 0;
}

static int charge_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct daemon_charge *)a)->key,
		       &((const struct daemon_charge *)b)->key);
}

/* Everything the charges are built from, folded: members (their owners'
 * count and the generation the daemon bumps), bindings, slots, level. */
static uint64_t signature(const struct daemon *d)
{
	uint64_t sig = d->members_gen * 1000003 + d->policy.daemon.accounting;

	for (int i = 0; i < d->nr_bindings; i++)
		sig = sig * 31 + (uint64_t)d->bindings[i].ctl.nr_slots * 7 + d->bindings[i].group;
	for (int g = 0; d->members && g < d->policy.nr_groups; g++)
		sig = sig * 31 + d->members[g].nr_owners;
	return sig * 31 + d->nr_bindings;
}

struct charge_list {
	struct daemon_charge *v;
	size_t nr, cap;
};

static int push(struct charge_list *l, uint64_t id, uint32_t dev, uint32_t level,
		const uint32_t *sets, int n)
{
	struct daemon_charge *c;

	if (l->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;

		c = realloc(l->v, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		l->v = c;
		l->cap = cap;
	}
	c = &l->v[l->nr++];
	memset(c, 0, sizeof(*c));
	c->key.cgroup_id = id;
	c->key.dev = dev;
	c->charge.level = level;
	c->charge.nr = n;
	memcpy(c->charge.set, sets, n * sizeof(*sets));
	return 0;
}

/* One entry per pair: a cgroup in several groups on one disk charges the
 * sets of each. Beyond IORATE_CHARGE_SETS the rest are refused, loudly. */
static void merge_pairs(struct daemon *d, struct charge_list *l)
{
	size_t j = 0;

	qsort(l->v, l->nr, sizeof(*l->v), charge_cmp);
	for (size_t i = 0; i < l->nr; i++) {
		struct iorate_charge *into;

		if (!j || key_cmp(&l->v[j - 1].key, &l->v[i].key)) {
			l->v[j++] = l->v[i];
			continue;
		}
		into = &l->v[j - 1].charge;
		for (uint32_t s = 0; s < l->v[i].charge.nr; s++) {
			if (into->nr == IORATE_CHARGE_SETS) {
				if (!d->charges_refused++)
					log_warn("cgroup %llu is in more groups on disk %u:%u than BPF "
						 "charges (%d bucket sets): the rest are held from the "
						 "meter's totals only",
						 (unsigned long long)l->v[i].key.cgroup_id,
						 iorate_dev_major(l->v[i].key.dev),
						 iorate_dev_minor(l->v[i].key.dev), IORATE_CHARGE_SETS);
				break;
			}
			into->set[into->nr++] = l->v[i].charge.set[s];
		}
	}
	l->nr = j;
}

static void write_pair(struct daemon *d, const struct iorate_usage_key *key,
		       const struct iorate_charge *charge)
{
	int err = meter_set_charge(d->meter, key, charge);

	if (err && charge && !d->charges_refused++)
		log_warn("BPF charges map: cgroup %llu on %u:%u: %s (map of %d pairs full?); its "
			 "buckets miss its I/O", (unsigned long long)key->cgroup_id,
			 iorate_dev_major(key->dev), iorate_dev_minor(key->dev), strerror(-err),
			 IORATE_MAX_CHARGE_ENTRIES);
}

/* The levels (bit per enum iorate_level) the pairs in v are charged at. */
static uint32_t levels_of(const struct daemon_charge *v, size_t nr)
{
	uint32_t levels = 0;

	for (size_t i = 0; i < nr; i++)
		levels |= 1U << v[i].charge.level;
	return levels;
}

/* Write what changed between the old (d->charges) and fresh lists. BPF
 * looks a level up while either has a pair at it, so no pair goes
 * uncharged in between. */
static void write_changes(struct daemon *d, const struct charge_list *fresh)
{
	uint32_t now = levels_of(fresh->v, fresh->nr);
	size_t i = 0, j = 0;

	meter_charge_levels(d->meter, now | levels_of(d->charges, d->nr_charges));

	while (i < d->nr_charges || j < fresh->nr) {
		int c = i == d->nr_charges ? 1 : j == fresh->nr ? -1 :
			key_cmp(&d->charges[i].key, &fresh->v[j].key);

		if (c < 0) {
			write_pair(d, &d->charges[i++].key, NULL);
		} else if (c > 0) {
			write_pair(d, &fresh->v[j].key, &fresh->v[j].charge);
			j++;
		} else {
			if (memcmp(&d->charges[i].charge, &fresh->v[j].charge, sizeof(fresh->v[j].charge)))
				write_pair(d, &fresh->v[j].key, &fresh->v[j].charge);
			i++;
			j++;
		}
	}
	meter_charge_levels(d->meter, now);
}

void daemon_charges_sync(struct daemon *d)
{
	struct charge_list fresh = {};
	uint64_t sig = signature(d);
	if (!d->set_binding || (sig == d->charges_signature && d->charges))
		return;
	for (uint32_t i = 0; i < d->sets.cap; i++)
		d->set_binding[i] = -1;
	for (int i = 0; i < d->nr_bindings; i++) {
		const struct ctl_binding *b = &d->bindings[i].ctl;
		const struct group_members *gm = &d->members[d->bindings[i].group];

		if (b->pool_set >= 0)
			d->set_binding[b->pool_set] = i;
		for (int s = 0; s < b->nr_slots; s++)
			if (b->slots[s].set >= 0)
				d->set_binding[b->slots[s].set] = i;
		/* every member's own cgroup and its descendants */
		for (int o = 0; o < gm->nr_owners; o++) {
			const struct ctl_slot *slot;
			uint32_t sets[2];
			int n;

			slot = ctl_binding_slot((struct ctl_binding *)b,
						gm->members[gm->owners[o].member].id, false);
			n = slot ? ctl_slot_sets(b, slot, sets) : 0;
			if (n && push(&fresh, gm->owners[o].id, b->dev, daemon_level_of(d, b->dev),
				      sets, n))
				goto cleanup;
		}
	}
	merge_pairs(d, &fresh);
	write_changes(d, &fresh);
	free(d->charges);
	d->charges = fresh.v;
	d->nr_charges = fresh.nr;
	d->charges_signature = sig;
	if (!d->charges)	/* nothing to charge: built, not "never built" */
		d->charges = calloc(1, sizeof(*d->charges));
	return;
cleanup:
	log_warn("out of memory building the BPF charges; kept the previous ones");
	free(fresh.v);
}

bool daemon_bucket_full(struct daemon *d, uint32_t set)
{
	int32_t bi;

	if (!d->set_binding || set >= d->sets.cap || (bi = d->set_binding[set]) < 0 ||
	    bi >= d->nr_bindings)
		return false;
	ctl_binding_tighten(&d->bindings[bi].ctl);
	d->bucket_events++;
	return true;
}
