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

const char *daemon_status_limit_key(enum policy_limit_id id)
{
	static const char *const keys[POLICY_NR_LIMITS] = {
		"bps_total", "bps_read", "bps_write", "iops_total", "iops_read", "iops_write",
	};

	return id < POLICY_NR_LIMITS ? keys[id] : "?";
}

static void daemon_status_member_free(struct status_member *m)
{
	free(m->cgroup);
}

void daemon_status_snapshot_free(struct status_snapshot *s)
{
	for (int g = 0; g < s->nr_groups; g++) {
		struct status_group *sg = &s->groups[g];

		for (int m = 0; m < sg->nr_members; m++)
			daemon_status_member_free(&sg->members[m]);
		free(sg->members);
		free(sg->name);
	}
	free(s->groups);
	free(s->policy);
	memset(s, 0, sizeof(*s));
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
	char dir[8300];

	for (int i = 0; i < d->nr_procs; i++)
		if (d->procs[i].vm_name && d->procs[i].path && !strcmp(d->procs[i].path, sm->cgroup))
			snprintf(sm->vm, sizeof(sm->vm), "%s", d->procs[i].vm_name);
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
	return 0;

cleanup:
	daemon_status_snapshot_free(out);
	return err;
}

/* ---- JSON (docs/status.md) ---- */

static struct json_object *daemon_status_u64_or_null(uint64_t v)
{
	return v == IOMAX_UNLIMITED ? NULL : json_object_new_uint64(v);
}

static struct json_object *daemon_status_limits_json(const struct status_group *sg)
{
	struct json_object *o = json_object_new_object();

	for (int id = 0; id < POLICY_NR_LIMITS; id++) {
		const struct policy_limit *l = &sg->limits[id];
		struct json_object *lj;

		if (!l->avg)
			continue;
		lj = json_object_new_object();
		json_object_object_add(lj, "avg", json_object_new_uint64(l->avg));
		if (l->max) {
			json_object_object_add(lj, "max", json_object_new_uint64(l->max));
			json_object_object_add(lj, "max_length_s", json_object_new_int(l->max_length_s));
		}
		json_object_object_add(o, daemon_status_limit_key(id), lj);
	}
	if (sg->iops_size)
		json_object_object_add(o, "iops_size", json_object_new_uint64(sg->iops_size));
	return o;
}

static struct json_object *daemon_status_member_json(const struct status_group *sg,
						     const struct status_member *sm)
{
	struct json_object *pids = json_object_new_array();
	static const char *const iomax_keys[IOMAX_NR_FIELDS] = { "rbps", "wbps", "riops", "wiops" };
	static const char *const dir_keys[IORATE_NR_DIRS] = { "read", "write", "discard", "flush" };
	struct json_object *o = json_object_new_object();
	struct json_object *rates = json_object_new_object();
	struct json_object *by_level = json_object_new_object();
	struct json_object *totals = json_object_new_object();
	struct json_object *fill = json_object_new_object();
	struct json_object *iomax, *await;
	char majmin[32];

	snprintf(majmin, sizeof(majmin), "%u:%u", iorate_dev_major(sm->dev), iorate_dev_minor(sm->dev));
	json_object_object_add(o, "cgroup", json_object_new_string(sm->cgroup));
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(sm->cgroup_id));
	/* the group again, for clients that list members without their group */
	json_object_object_add(o, "group", json_object_new_string(sg->name));
	json_object_object_add(o, "vm", sm->vm[0] ? json_object_new_string(sm->vm) : NULL);
	for (int i = 0; i < sm->nr_pids; i++)
		json_object_array_add(pids, json_object_new_int(sm->pids[i]));
	json_object_object_add(o, "pids", pids);
	json_object_object_add(o, "pids_truncated", json_object_new_boolean(sm->more_pids));
	json_object_object_add(o, "device", json_object_new_string(sm->device));
	json_object_object_add(o, "dev", json_object_new_string(majmin));

	json_object_object_add(rates, "read_iops", json_object_new_double(sm->ops_s[IORATE_DIR_READ]));
	json_object_object_add(rates, "write_iops", json_object_new_double(sm->ops_s[IORATE_DIR_WRITE]));
	json_object_object_add(rates, "read_bps", json_object_new_double(sm->bytes_s[IORATE_DIR_READ]));
	json_object_object_add(rates, "write_bps", json_object_new_double(sm->bytes_s[IORATE_DIR_WRITE]));
	json_object_object_add(o, "rates", rates);
	for (int l = 0; l < IORATE_NR_LEVELS; l++) {
		struct json_object *lr = json_object_new_object();

		json_object_object_add(lr, "read_iops", json_object_new_double(sm->level_ops_s[l][IORATE_DIR_READ]));
		json_object_object_add(lr, "write_iops", json_object_new_double(sm->level_ops_s[l][IORATE_DIR_WRITE]));
		json_object_object_add(lr, "read_bps", json_object_new_double(sm->level_bytes_s[l][IORATE_DIR_READ]));
		json_object_object_add(lr, "write_bps", json_object_new_double(sm->level_bytes_s[l][IORATE_DIR_WRITE]));
		json_object_object_add(by_level, l == IORATE_LEVEL_DEVICE ? "device" : "bio", lr);
	}
	json_object_object_add(o, "rates_by_level", by_level);

	for (int l = 0; l < IORATE_NR_LEVELS; l++) {
		struct json_object *lv = json_object_new_object();

		for (int dir = 0; dir < IORATE_NR_DIRS; dir++) {
			struct json_object *dj = json_object_new_object();

			json_object_object_add(dj, "ops", json_object_new_uint64(sm->ops_total[l][dir]));
			json_object_object_add(dj, "bytes", json_object_new_uint64(sm->bytes_total[l][dir]));
			json_object_object_add(lv, dir_keys[dir], dj);
		}
		json_object_object_add(totals, l == IORATE_LEVEL_DEVICE ? "device" : "bio", lv);
	}
	json_object_object_add(o, "totals", totals);

	if (sm->has_iomax) {
		iomax = json_object_new_object();
		for (int f = 0; f < IOMAX_NR_FIELDS; f++)
			json_object_object_add(iomax, iomax_keys[f], daemon_status_u64_or_null(sm->iomax.v[f]));
	} else {
		iomax = NULL;
	}
	json_object_object_add(o, "iomax", iomax);

	for (int id = 0; id < POLICY_NR_LIMITS; id++)
		if (sm->fill[id] >= 0)
			json_object_object_add(fill, daemon_status_limit_key(id),
					       json_object_new_double(sm->fill[id]));
	json_object_object_add(o, "bucket_fill", fill);
	json_object_object_add(o, "throttled_s", json_object_new_double(sm->throttled_s));
	await = json_object_new_object();
	json_object_object_add(await, "read", json_object_new_double(sm->await_ms[IORATE_DIR_READ]));
	json_object_object_add(await, "write", json_object_new_double(sm->await_ms[IORATE_DIR_WRITE]));
	json_object_object_add(o, "await_ms", await);
	return o;
}

struct json_object *daemon_status_json(const struct status_snapshot *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *groups = json_object_new_array();
	struct json_object *counters = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_string(IORATE_VERSION));
	json_object_object_add(o, "pid", json_object_new_int(s->pid));
	json_object_object_add(o, "policy", json_object_new_string(s->policy ? s->policy : ""));
	json_object_object_add(o, "tick_ms", json_object_new_double(s->tick_ns / 1e6));
	json_object_object_add(o, "accounting",
			       json_object_new_string(s->level == IORATE_LEVEL_DEVICE ? "device" : "bio"));
	json_object_object_add(o, "iomax_mode", json_object_new_string(s->steady ? "steady" : "follow"));
	json_object_object_add(o, "iomax_mode_why",
			       json_object_new_string(s->steady_why ? s->steady_why : ""));
	json_object_object_add(o, "uptime_s", json_object_new_double(s->uptime_s));
	json_object_object_add(o, "window_s", json_object_new_double(s->window_s));
	for (int g = 0; g < s->nr_groups; g++) {
		const struct status_group *sg = &s->groups[g];
		struct json_object *gj = json_object_new_object();
		struct json_object *members = json_object_new_array();

		json_object_object_add(gj, "name", json_object_new_string(sg->name));
		json_object_object_add(gj, "share",
				       json_object_new_string(sg->share == POLICY_SHARE_POOLED ? "pooled" : "each"));
		json_object_object_add(gj, "limits", daemon_status_limits_json(sg));
		for (int m = 0; m < sg->nr_members; m++)
			json_object_array_add(members, daemon_status_member_json(sg, &sg->members[m]));
		json_object_object_add(gj, "members", members);
		json_object_array_add(groups, gj);
	}
	json_object_object_add(o, "groups", groups);
	json_object_object_add(counters, "ticks", json_object_new_uint64(s->ticks));
	json_object_object_add(counters, "iomax_writes", json_object_new_uint64(s->iomax_writes));
	json_object_object_add(counters, "iomax_errors", json_object_new_uint64(s->iomax_errors));
	json_object_object_add(counters, "bypass_repairs", json_object_new_uint64(s->bypass_repairs));
	json_object_object_add(counters, "events_handled", json_object_new_uint64(s->events_handled));
	json_object_object_add(counters, "events_lost", json_object_new_uint64(s->events_lost));
	json_object_object_add(counters, "usage_map_full", json_object_new_uint64(s->usage_full));
	json_object_object_add(counters, "meter_entries", json_object_new_uint64(s->meter_entries));
	json_object_object_add(counters, "meter_entries_freed", json_object_new_uint64(s->meter_freed));
	json_object_object_add(counters, "reaction_last_ms", json_object_new_double(s->reaction_last_ms));
	json_object_object_add(counters, "reaction_max_ms", json_object_new_double(s->reaction_max_ms));
	json_object_object_add(counters, "bucket_sets", json_object_new_uint64(s->bucket_sets));
	json_object_object_add(counters, "bucket_sets_capacity", json_object_new_uint64(s->bucket_sets_cap));
	json_object_object_add(counters, "charge_pairs", json_object_new_uint64(s->charge_pairs));
	json_object_object_add(counters, "charges_refused", json_object_new_uint64(s->charges_refused));
	json_object_object_add(counters, "bucket_events", json_object_new_uint64(s->bucket_events));
	json_object_object_add(counters, "writeback_escapes",
			       json_object_new_uint64(s->writeback_escapes));
	json_object_object_add(counters, "writeback_escaping",
			       json_object_new_uint64(s->writeback_escaping));
	json_object_object_add(counters, "tighten_last_ms", json_object_new_double(s->tighten_last_ms));
	json_object_object_add(counters, "tighten_max_ms", json_object_new_double(s->tighten_max_ms));
	json_object_object_add(o, "counters", counters);
	return o;
}
