// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The daemon's state as the outside sees it: a snapshot copied out of
 * struct daemon (read-only: nothing here changes how the daemon runs), and
 * the JSON document of `iorate status` built from that snapshot.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "daemon_status.h"
#include "disk.h"

/* Rates are over windows of at least this long (iostat's 1 s). */
#define DAEMON_STATUS_WINDOW_NS	1000000000ULL

void daemon_status_window_init(struct daemon_status_window *w)
{
	usage_table_init(&w->old);
	usage_table_init(&w->cur);
	w->started_ns = clock_now_ns();
}

void daemon_status_window_fini(struct daemon_status_window *w)
{
	usage_table_free(&w->old);
	usage_table_free(&w->cur);
}

static int daemon_status_copy_table(struct usage_table *dst, const struct usage_table *src)
{
	usage_table_clear(dst);
	for (size_t i = 0; i < src->nr; i++) {
		int err = usage_table_add(dst, &src->entries[i].key, &src->entries[i].usage);

		if (err)
			return err;
	}
	dst->taken_ns = src->taken_ns;
	return 0;	/* src is sorted, and so is the copy */
}

int daemon_status_window_update(struct daemon_status_window *w, const struct daemon *d)
{
	struct usage_table tmp;

	/* d->prev is the newest meter snapshot once a tick is done */
	if (!d->prev.taken_ns || (w->cur.taken_ns &&
	    d->prev.taken_ns - w->cur.taken_ns < DAEMON_STATUS_WINDOW_NS))
		return 0;
	tmp = w->old;
	w->old = w->cur;
	w->cur = tmp;
	return daemon_status_copy_table(&w->cur, &d->prev);
}

/* Sums of every meter entry of a member (its own cgroup and those below
 * it) on one disk. */
static void daemon_status_fill_usage(struct daemon *d, const struct daemon_status_window *w,
				     const struct group_members *gm, int m,
				     struct status_member *out)
{
	int level = daemon_level_of(d, out->dev);
	uint64_t done[2] = { 0 }, latency_ns[2] = { 0 };
	double window_s = 0;

	for (size_t i = 0; i < d->prev.nr; i++) {
		const struct usage_entry *e = &d->prev.entries[i];

		if (e->key.dev != out->dev || members_owner(gm, e->key.cgroup_id) != m)
			continue;
		for (int l = 0; l < IORATE_NR_LEVELS; l++)
			for (int dir = 0; dir < IORATE_NR_DIRS; dir++) {
				out->ops_total[l][dir] += e->usage.io[l][dir].ops;
				out->bytes_total[l][dir] += e->usage.io[l][dir].bytes;
			}
		out->writeback_ops_total += e->usage.background_ops;
		out->writeback_bytes_total += e->usage.background_bytes;
		for (int dir = 0; dir < 2; dir++)
			out->split_pieces_total[dir] += e->usage.split_pieces[dir];
	}
	if (w->old.taken_ns && w->cur.taken_ns > w->old.taken_ns)
		window_s = (w->cur.taken_ns - w->old.taken_ns) / 1e9;
	if (!window_s)
		return;
	for (size_t i = 0; i < w->cur.nr; i++) {
		const struct usage_entry *e = &w->cur.entries[i];
		const struct usage_entry *p;
		struct usage_rates r;

		if (e->key.dev != out->dev || members_owner(gm, e->key.cgroup_id) != m)
			continue;
		/* absent from the older snapshot: it had no I/O then */
		p = usage_table_find(&w->old, &e->key);
		for (int dir = 0; dir < 2; dir++) {
			uint64_t ed = e->usage.io[IORATE_LEVEL_DEVICE][dir].ops;
			uint64_t pd = p ? p->usage.io[IORATE_LEVEL_DEVICE][dir].ops : 0;
			uint64_t pl = p ? p->usage.latency_ns[dir] : 0;

			/* a counter that went down was reset: skip it */
			if (ed >= pd && e->usage.latency_ns[dir] >= pl) {
				done[dir] += ed - pd;
				latency_ns[dir] += e->usage.latency_ns[dir] - pl;
			}
		}
		for (int l = 0; l < IORATE_NR_LEVELS; l++) {
			usage_rates(p ? &p->usage : NULL, &e->usage, l, window_s, &r);
			for (int dir = 0; dir < 2; dir++) {
				out->level_ops_s[l][dir] += r.ops_s[dir];
				out->level_bytes_s[l][dir] += r.bytes_s[dir];
			}
		}
	}
	for (int dir = 0; dir < 2; dir++) {
		out->ops_s[dir] = out->level_ops_s[level][dir];
		out->bytes_s[dir] = out->level_bytes_s[level][dir];
		out->await_ms[dir] = done[dir] ? latency_ns[dir] / 1e6 / done[dir] : 0;
	}
}


/* The processes of a cgroup and its descendants (a libvirt VM's QEMU sits
 * in libvirt/emulator below the member), at most STATUS_MAX_PIDS. */
static void daemon_status_pids(const char *dir, struct status_member *sm, int depth)
{
	char path[8400], line[32];
	struct dirent *e;
	FILE *f;
	DIR *sub;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sm->nr_pids == STATUS_MAX_PIDS) {
				sm->more_pids = true;
				break;
			}
			sm->pids[sm->nr_pids++] = atoi(line);
		}
		fclose(f);
	}
	if (depth >= 8 || !(sub = opendir(dir)))
		return;
	while ((e = readdir(sub)) && !sm->more_pids) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		daemon_status_pids(path, sm, depth + 1);
	}
	closedir(sub);
}

/* Which VM a member is (libvirt's scope name, or the -name of a QEMU
 * iorate placed) and which processes it holds. */
static void daemon_status_identity(const struct daemon *d, struct status_member *sm)
{
	const char *vm;
	char dir[8300];

	vm = daemon_procs_vm_name(&d->procs, sm->cgroup);
	if (vm)
		snprintf(sm->vm, sizeof(sm->vm), "%s", vm);
	if (!sm->vm[0])
		members_vm_name(sm->cgroup, sm->vm, sizeof(sm->vm));
	snprintf(dir, sizeof(dir), "%s%s", d->cgroot, sm->cgroup);
	daemon_status_pids(dir, sm, 0);
}

static int daemon_status_group(struct daemon *d, const struct daemon_status_window *w, int g,
			       struct status_group *sg)
{
	const struct policy_group *pg = &d->policy.groups[g];
	const struct group_members *gm = &d->members[g];
	int cap = 0;

	sg->name = strdup(pg->name);
	if (!sg->name)
		return -ENOMEM;
	sg->share = pg->share;
	memcpy(sg->limits, pg->limits, sizeof(sg->limits));
	sg->iops_size = pg->iops_size;
	for (int i = 0; i < d->nr_bindings; i++) {
		const struct ctl_binding *b = &d->bindings[i].ctl;

		if (d->bindings[i].group == g)
			cap += b->nr_slots;
	}
	sg->members = calloc(cap + 1, sizeof(*sg->members));
	if (!sg->members)
		return -ENOMEM;
	for (int i = 0; i < d->nr_bindings; i++) {
		const struct ctl_binding *b = &d->bindings[i].ctl;

		if (d->bindings[i].group != g)
			continue;
		for (int s = 0; s < b->nr_slots && sg->nr_members < cap; s++) {
			const struct ctl_slot *slot = &b->slots[s];
			struct status_member *sm = &sg->members[sg->nr_members];
			struct state_entry *e;
			int m;

			m = members_owner(gm, slot->cgroup_id);
			if (m < 0 || gm->members[m].id != slot->cgroup_id)
				continue;	/* gone since the last tick */
			sm->cgroup = strdup(gm->members[m].path);
			if (!sm->cgroup)
				return -ENOMEM;
			sg->nr_members++;
			sm->cgroup_id = slot->cgroup_id;
			sm->dev = b->dev;
			disk_name(b->dev, sm->device, sizeof(sm->device));
			daemon_status_fill_usage(d, w, gm, m, sm);
			e = state_find(&d->state, sm->cgroup, b->dev);
			if (e) {
				sm->has_iomax = true;
				sm->iomax = e->current;
			} else {
				iomax_unlimited(&sm->iomax);
			}
			for (int id = 0; id < POLICY_NR_LIMITS; id++)
				sm->fill[id] = pg->limits[id].avg ?
					throttle_fill(ctl_slot_bucket(b, slot, id)) : -1;
			sm->throttled_s = slot->throttled_s;
			daemon_status_identity(d, sm);
		}
	}
	return 0;
}

int daemon_status_snapshot(struct daemon *d, const struct daemon_status_window *w,
			   struct status_snapshot *out)
{
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->pid = getpid();
	out->policy = strdup(d->policy_path ? d->policy_path : "");
	if (!out->policy)
		goto cleanup;
	out->tick_ns = d->policy.daemon.tick_ns;
	out->level = d->policy.daemon.accounting;
	out->steady = d->steady;
	out->steady_why = d->steady_why;
	out->uptime_s = (clock_now_ns() - w->started_ns) / 1e9;
	if (w->old.taken_ns && w->cur.taken_ns > w->old.taken_ns)
		out->window_s = (w->cur.taken_ns - w->old.taken_ns) / 1e9;
	out->ticks = d->ticks;
	out->iomax_writes = d->iomax_writes;
	out->iomax_errors = d->iomax_errors;
	out->bypass_repairs = d->bypass_repairs;
	out->events_handled = d->events_handled;
	out->events_lost = d->events_lost;
	out->usage_full = d->usage_full;
	out->runs_missed = d->meter ? meter_runs_missed(d->meter) : 0;
	out->meter_entries = d->prev.nr;
	out->meter_freed = d->meter_freed;
	out->reaction_last_ms = d->reaction_last_ns / 1e6;
	out->reaction_max_ms = d->reaction_max_ns / 1e6;
	out->bucket_sets = d->sets.nr_used;
	out->bucket_sets_cap = d->sets.cap;
	out->charge_pairs = d->nr_charges;
	out->charges_refused = d->charges_refused + d->sets.exhausted;
	out->bucket_events = d->bucket_events;
	out->writeback_escapes = d->foreign.escapes;
	out->writeback_escaping = d->foreign.nr;
	out->tighten_last_ms = d->tighten_last_ns / 1e6;
	out->tighten_max_ms = d->tighten_max_ns / 1e6;
	out->groups = calloc(d->policy.nr_groups + 1, sizeof(*out->groups));
	if (!out->groups)
		goto cleanup;
	for (int g = 0; g < d->policy.nr_groups; g++) {
		out->nr_groups++;
		err = daemon_status_group(d, w, g, &out->groups[g]);
		if (err)
			goto cleanup;
	}
	daemon_cluster_status(d, out);
	return 0;

cleanup:
	status_snapshot_free(out);
	return err;
}
