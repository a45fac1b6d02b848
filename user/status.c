// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The status snapshot's JSON document (docs/status.md): a pure function of
 * the snapshot, shared by `iorate status`, the metrics thread and `top`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "status.h"

const char *status_limit_key(enum policy_limit_id id)
{
	static const char *const keys[POLICY_NR_LIMITS] = {
		"bps_total", "bps_read", "bps_write", "iops_total", "iops_read", "iops_write",
	};

	return id < POLICY_NR_LIMITS ? keys[id] : "?";
}

static void status_member_free(struct status_member *m)
{
	free(m->cgroup);
}

void status_snapshot_free(struct status_snapshot *s)
{
	for (int g = 0; g < s->nr_groups; g++) {
		struct status_group *sg = &s->groups[g];

		for (int m = 0; m < sg->nr_members; m++)
			status_member_free(&sg->members[m]);
		free(sg->members);
		free(sg->name);
	}
	free(s->groups);
	free(s->policy);
	memset(s, 0, sizeof(*s));
}

/* ---- JSON (docs/status.md) ---- */

static struct json_object *status_u64_or_null(uint64_t v)
{
	return v == IOMAX_UNLIMITED ? NULL : json_object_new_uint64(v);
}

static struct json_object *status_limits_json(const struct status_group *sg)
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
		json_object_object_add(o, status_limit_key(id), lj);
	}
	if (sg->iops_size)
		json_object_object_add(o, "iops_size", json_object_new_uint64(sg->iops_size));
	return o;
}

static struct json_object *status_member_json(const struct status_group *sg,
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
	struct json_object *iomax, *await, *wb, *split;
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
	wb = json_object_new_object();
	json_object_object_add(wb, "ops", json_object_new_uint64(sm->writeback_ops_total));
	json_object_object_add(wb, "bytes", json_object_new_uint64(sm->writeback_bytes_total));
	json_object_object_add(totals, "writeback", wb);
	split = json_object_new_object();
	json_object_object_add(split, "read", json_object_new_uint64(sm->split_pieces_total[0]));
	json_object_object_add(split, "write", json_object_new_uint64(sm->split_pieces_total[1]));
	json_object_object_add(totals, "split_pieces", split);
	json_object_object_add(o, "totals", totals);

	if (sm->has_iomax) {
		iomax = json_object_new_object();
		for (int f = 0; f < IOMAX_NR_FIELDS; f++)
			json_object_object_add(iomax, iomax_keys[f], status_u64_or_null(sm->iomax.v[f]));
	} else {
		iomax = NULL;
	}
	json_object_object_add(o, "iomax", iomax);

	for (int id = 0; id < POLICY_NR_LIMITS; id++)
		if (sm->fill[id] >= 0)
			json_object_object_add(fill, status_limit_key(id),
					       json_object_new_double(sm->fill[id]));
	json_object_object_add(o, "bucket_fill", fill);
	json_object_object_add(o, "throttled_s", json_object_new_double(sm->throttled_s));
	await = json_object_new_object();
	json_object_object_add(await, "read", json_object_new_double(sm->await_ms[IORATE_DIR_READ]));
	json_object_object_add(await, "write", json_object_new_double(sm->await_ms[IORATE_DIR_WRITE]));
	json_object_object_add(o, "await_ms", await);
	return o;
}

static const char *status_share_name(enum policy_share share)
{
	switch (share) {
	case POLICY_SHARE_POOLED: return "pooled";
	case POLICY_SHARE_CLUSTER: return "cluster";
	default: return "each";
	}
}

static struct json_object *status_group_cluster_json(const struct status_group *sg)
{
	struct json_object *o = json_object_new_object(), *share = json_object_new_object();

	json_object_object_add(o, "mode", json_object_new_string(sg->cluster_mode));
	json_object_object_add(o, "hosts", json_object_new_int(sg->cluster_hosts));
	for (int id = 0; id < POLICY_NR_LIMITS; id++)
		if (sg->limits[id].avg)
			json_object_object_add(share, status_limit_key(id),
					       json_object_new_double(sg->cluster_share[id]));
	json_object_object_add(o, "share", share);
	return o;
}

static struct json_object *status_cluster_json(const struct status_cluster *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "url", json_object_new_string(c->url));
	json_object_object_add(o, "host", json_object_new_string(c->host));
	json_object_object_add(o, "up", json_object_new_boolean(c->up));
	json_object_object_add(o, "exchanges", json_object_new_uint64(c->exchanges));
	json_object_object_add(o, "failures", json_object_new_uint64(c->failures));
	json_object_object_add(o, "connects", json_object_new_uint64(c->connects));
	json_object_object_add(o, "calls", json_object_new_uint64(c->calls));
	json_object_object_add(o, "bytes_sent", json_object_new_uint64(c->bytes_sent));
	json_object_object_add(o, "bytes_received", json_object_new_uint64(c->bytes_received));
	json_object_object_add(o, "last_error", json_object_new_string(c->last_error));
	return o;
}

struct json_object *status_json(const struct status_snapshot *s)
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
		json_object_object_add(gj, "share", json_object_new_string(status_share_name(sg->share)));
		json_object_object_add(gj, "limits", status_limits_json(sg));
		if (sg->cluster_mode)
			json_object_object_add(gj, "cluster", status_group_cluster_json(sg));
		for (int m = 0; m < sg->nr_members; m++)
			json_object_array_add(members, status_member_json(sg, &sg->members[m]));
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
	json_object_object_add(counters, "meter_runs_missed", json_object_new_uint64(s->runs_missed));
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
	if (s->cluster.on)
		json_object_object_add(o, "cluster", status_cluster_json(&s->cluster));
	return o;
}
