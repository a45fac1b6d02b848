// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate top's samples: the daemon's `status` document (docs/status.md)
 * read over its control socket each interval, or, while no daemon answers,
 * top's own observe-only meter; and the host's per-disk totals from
 * /proc/diskstats, what iostat shows, in both cases.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "clock.h"
#include "ctlsock.h"
#include "status.h"
#include "disk.h"
#include "log.h"
#include "procio.h"
#include "top.h"

/* The daemon answers from its loop within a tick; a slow one must not
 * freeze the screen for long. */
#define TOP_SOCKET_TIMEOUT_MS	2000

uint64_t top_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

void top_sample_free(struct top_sample *s)
{
	for (size_t i = 0; i < s->nr_rows; i++) {
		free(s->rows[i].name);
		free(s->rows[i].vm);
	}
	for (int g = 0; g < s->nr_groups; g++)
		free(s->groups[g].name);
	free(s->rows);
	free(s->groups);
	free(s->disks);
	memset(s, 0, sizeof(*s));
}

/* ---- /proc/diskstats ---- */

int top_read_diskstats(struct top_disk **out, size_t *nr)
{
	FILE *f = fopen("/proc/diskstats", "re");
	struct top_disk *v = NULL, d;
	size_t n = 0, cap = 0;
	char line[512], path[96];

	*out = NULL;
	*nr = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long rmerge, wmerge, inflight;

		memset(&d, 0, sizeof(d));
		if (sscanf(line, "%u %u %31s %lu %llu %lu %lu %lu %llu %lu %lu %llu %lu", &maj, &min,
			   d.name, &d.rd, &rmerge, &d.rsect, &d.rms, &d.wr, &wmerge, &d.wsect,
			   &d.wms, &inflight, &d.io_ms) != 13)
			continue;
		/* whole disks only: partitions sit below their disk in sysfs */
		snprintf(path, sizeof(path), "/sys/block/%s", d.name);
		if (access(path, F_OK))
			continue;
		if (n == cap) {
			struct top_disk *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[n++] = d;
	}
	fclose(f);
	*out = v;
	*nr = n;
	return 0;
}

const struct top_disk *top_disk_find(const struct top_disk *v, size_t nr, const char *name)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* The disks' rates since the last call into s->disks. */
static void top_sample_disks(struct top_source *src, struct top_sample *s)
{
	struct top_disk *now;
	size_t nr;
	uint64_t ns = clock_now_ns();
	double dt = src->disks_ns ? (ns - src->disks_ns) / 1e9 : 0;

	if (top_read_diskstats(&now, &nr))
		return;
	for (size_t i = 0; i < nr; i++) {
		struct top_disk *d = &now[i];
		const struct top_disk *p = top_disk_find(src->disks, src->nr_disks, d->name);
		uint64_t ios;

		if (!p || dt <= 0 || d->rd < p->rd || d->wr < p->wr)
			continue;
		d->r_s = (d->rd - p->rd) / dt;
		d->w_s = (d->wr - p->wr) / dt;
		d->rmb_s = (d->rsect - p->rsect) * 512.0 / dt / 1048576;
		d->wmb_s = (d->wsect - p->wsect) * 512.0 / dt / 1048576;
		ios = (d->rd - p->rd) + (d->wr - p->wr);
		d->await_ms = ios ? (double)((d->rms - p->rms) + (d->wms - p->wms)) / ios : 0;
		d->util = (d->io_ms - p->io_ms) / (dt * 10);
		if (d->util > 100)
			d->util = 100;
		d->active = ios > 0;
	}
	free(src->disks);
	src->disks = now;
	src->nr_disks = nr;
	src->disks_ns = ns;
	s->disks = malloc((nr ? nr : 1) * sizeof(*now));
	if (s->disks) {
		memcpy(s->disks, now, nr * sizeof(*now));
		s->nr_disks = nr;
	}
}

/* ---- limits ---- */

/* The limit of group g that rates (at the accounting level) use most:
 * sets row->limit, ->limit_bytes and ->pct. */
static void top_row_limit(const struct top_group *g, struct top_row *row)
{
	row->limit = 0;
	row->pct = -1;
	if (!g)
		return;
	for (int id = 0; id < POLICY_NR_LIMITS; id++) {
		bool bytes = id < POLICY_IOPS_TOTAL;
		int sub = id % 3;	/* total, read, write */

		_Static_assert(POLICY_IOPS_TOTAL == 3 && POLICY_BPS_READ == 1 && POLICY_BPS_WRITE == 2,
			      "id % 3: total, read, write; bps below POLICY_IOPS_TOTAL");
		const double *v = bytes ? row->acct_bytes_s : row->acct_ops_s;
		double used = sub == 0 ? v[0] + v[1] : v[sub - 1];
		double pct;

		if (!g->limit[id])
			continue;
		pct = used * 100 / g->limit[id];
		if (pct > row->pct) {
			row->pct = pct;
			row->limit = g->limit[id];
			row->limit_bytes = bytes;
		}
	}
}

/* ---- the daemon ---- */

static struct json_object *top_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static double top_num(struct json_object *o, const char *key, double none)
{
	struct json_object *v = top_get(o, key);

	return v ? json_object_get_double(v) : none;
}

static void top_rates(struct json_object *r, double ops[2], double bytes[2])
{
	ops[0] = top_num(r, "read_iops", 0);
	ops[1] = top_num(r, "write_iops", 0);
	bytes[0] = top_num(r, "read_bps", 0);
	bytes[1] = top_num(r, "write_bps", 0);
}

/* riops=300 wiops=2900 rbps=1M: the io.max line, short. */
static void top_iomax_text(struct json_object *iomax, char *buf, size_t len)
{
	static const char *const keys[] = { "riops", "wiops", "rbps", "wbps" };
	size_t off = 0;

	if (!iomax) {
		snprintf(buf, len, "-");
		return;
	}
	buf[0] = '\0';
	for (int i = 0; i < 4; i++) {
		struct json_object *v = top_get(iomax, keys[i]);
		double x;
		char amount[24];

		if (!v || off >= len)
			continue;	/* null: max */
		x = json_object_get_double(v);
		if (i >= 2 && x >= 1048576)
			snprintf(amount, sizeof(amount), "%.0fM", x / 1048576);
		else if (i >= 2 && x >= 1024)
			snprintf(amount, sizeof(amount), "%.0fK", x / 1024);
		else
			snprintf(amount, sizeof(amount), "%.0f", x);
		off += snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", keys[i], amount);
	}
	if (!off)
		snprintf(buf, len, "max");
}

/* The member's cumulative counts from its status "totals"; its
 * processes' syscalls from its "pids" when asked (all of them listed). */
static void top_member_counts(struct json_object *mj, bool syscalls, struct top_counts *c)
{
	static const char *const dir_keys[2] = { "read", "write" };
	struct json_object *totals = top_get(mj, "totals");
	struct json_object *pids = top_get(mj, "pids");
	size_t np = pids ? json_object_array_length(pids) : 0;

	for (int l = 0; l < IORATE_NR_LEVELS; l++)
		for (int d = 0; d < 2; d++)
			c->ops[l][d] = top_num(top_get(top_get(totals, l == IORATE_LEVEL_DEVICE ?
							       "device" : "bio"), dir_keys[d]),
					       "ops", -1);
	c->writeback = top_num(top_get(totals, "writeback"), "ops", -1);
	for (int d = 0; d < 2; d++)
		c->split[d] = top_num(top_get(totals, "split_pieces"), dir_keys[d], -1);
	c->syscalls[0] = c->syscalls[1] = 0;
	c->pids_sig = 0;
	c->syscalls_known = syscalls && np > 0 &&
			    !json_object_get_boolean(top_get(mj, "pids_truncated"));
	for (size_t i = 0; i < np && c->syscalls_known; i++)
		procio_pid_syscalls(json_object_get_int(json_object_array_get_idx(pids, i)),
				    c->syscalls, &c->pids_sig);
}

static int top_member_row(struct top_sample *s, int g, struct json_object *mj, bool syscalls,
			  struct top_row *row)
{
	struct json_object *by_level = top_get(mj, "rates_by_level");
	struct json_object *await = top_get(mj, "await_ms");
	struct json_object *fill = top_get(mj, "bucket_fill");
	const char *cg = json_object_get_string(top_get(mj, "cgroup"));
	const char *dev = json_object_get_string(top_get(mj, "device"));
	const char *vm = json_object_get_string(top_get(mj, "vm"));

	memset(row, 0, sizeof(*row));
	row->name = strdup(cg ? cg : "?");
	if (!row->name)
		return -ENOMEM;
	if (vm && vm[0] && !(row->vm = strdup(vm))) {
		free(row->name);
		return -ENOMEM;
	}
	row->group = g;
	row->cgroup_id = (uint64_t)top_num(mj, "cgroup_id", 0);
	snprintf(row->device, sizeof(row->device), "%s", dev ? dev : "?");
	top_rates(top_get(mj, "rates"), row->acct_ops_s, row->acct_bytes_s);
	for (int l = 0; l < IORATE_NR_LEVELS; l++) {
		struct json_object *r = top_get(by_level, l == IORATE_LEVEL_DEVICE ? "device" : "bio");

		if (r)
			top_rates(r, row->ops_s[l], row->bytes_s[l]);
		else	/* an older daemon: its accounting level only */
			top_rates(top_get(mj, "rates"), row->ops_s[l], row->bytes_s[l]);
	}
	row->await_ms = -1;
	if (await) {
		const double *ops = row->ops_s[IORATE_LEVEL_DEVICE];
		double r = top_num(await, "read", 0), w = top_num(await, "write", 0);

		row->await_ops = ops[0] + ops[1];
		row->await_ms = row->await_ops > 0 ? (r * ops[0] + w * ops[1]) / row->await_ops :
			fmax(r, w);
	}
	row->throttled_s = top_num(mj, "throttled_s", -1);
	row->fill = -1;
	if (fill) {	/* json-c's foreach takes no NULL */
		json_object_object_foreach(fill, key, val) {
			double f = json_object_get_double(val);

			(void)key;
			if (f > row->fill)
				row->fill = f;
		}
	}
	top_iomax_text(top_get(mj, "iomax"), row->iomax, sizeof(row->iomax));
	top_row_limit(&s->groups[g], row);
	top_member_counts(mj, syscalls, &row->totals);
	row->members = 1;
	return 0;
}

static int top_parse_status(struct json_object *o, bool syscalls, struct top_sample *s)
{
	static const char *const limit_keys[POLICY_NR_LIMITS] = {
		"bps_total", "bps_read", "bps_write", "iops_total", "iops_read", "iops_write",
	};
	struct json_object *groups = top_get(o, "groups");
	struct json_object *counters = top_get(o, "counters");
	const char *str;
	size_t ng = groups ? json_object_array_length(groups) : 0, cap = 0;

	s->daemon = true;
	s->pid = (int)top_num(o, "pid", 0);
	str = json_object_get_string(top_get(o, "policy"));
	snprintf(s->policy, sizeof(s->policy), "%s", str ? str : "-");
	str = json_object_get_string(top_get(o, "accounting"));
	snprintf(s->accounting, sizeof(s->accounting), "%s", str ? str : "-");
	s->tick_ms = top_num(o, "tick_ms", 0);
	s->uptime_s = top_num(o, "uptime_s", 0);
	s->interval_s = top_num(o, "window_s", 0);
	s->ticks = (uint64_t)top_num(counters, "ticks", 0);
	s->iomax_writes = (uint64_t)top_num(counters, "iomax_writes", 0);
	s->iomax_errors = (uint64_t)top_num(counters, "iomax_errors", 0);
	s->groups = calloc(ng + 1, sizeof(*s->groups));
	if (!s->groups)
		return -ENOMEM;
	for (size_t g = 0; g < ng; g++) {
		struct json_object *gj = json_object_array_get_idx(groups, g);
		struct json_object *limits = top_get(gj, "limits");
		struct top_group *tg = &s->groups[s->nr_groups];

		str = json_object_get_string(top_get(gj, "name"));
		tg->name = strdup(str ? str : "?");
		if (!tg->name)
			return -ENOMEM;
		s->nr_groups++;
		str = json_object_get_string(top_get(gj, "share"));
		tg->pooled = str && !strcmp(str, "pooled");
		for (int id = 0; id < POLICY_NR_LIMITS; id++)
			tg->limit[id] = (uint64_t)top_num(top_get(limits, limit_keys[id]), "avg", 0);
		cap += json_object_array_length(top_get(gj, "members"));
	}
	s->rows = calloc(cap + 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	for (int g = 0; g < s->nr_groups; g++) {
		struct json_object *members = top_get(json_object_array_get_idx(groups, g), "members");
		size_t nm = members ? json_object_array_length(members) : 0;

		for (size_t m = 0; m < nm && s->nr_rows < cap; m++) {
			int err = top_member_row(s, g, json_object_array_get_idx(members, m),
						 syscalls, &s->rows[s->nr_rows]);

			if (err)
				return err;
			s->nr_rows++;
		}
	}
	return 0;
}

/* 0 with s filled from the daemon, or a negative errno with s->error set. */
static int top_sample_daemon(struct top_source *src, struct top_sample *s)
{
	struct json_object *o, *error;
	char *answer = NULL;
	int err;

	err = ctlsock_request(src->socket, "status\n", TOP_SOCKET_TIMEOUT_MS, &answer);
	if (err) {
		if (err == -ETIMEDOUT)
			snprintf(s->error, sizeof(s->error), "the daemon on %s is slow to answer",
				 src->socket);
		else
			snprintf(s->error, sizeof(s->error), "no daemon on %s: %s", src->socket,
				 err == -ENOENT || err == -ECONNREFUSED ? "none running" : strerror(-err));
		return err;
	}
	o = json_tokener_parse(answer);
	free(answer);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(s->error, sizeof(s->error), "%s: the answer is not JSON", src->socket);
		return -EBADMSG;
	}
	error = top_get(o, "error");
	if (error) {
		snprintf(s->error, sizeof(s->error), "%s: the daemon says: %s", src->socket,
			 json_object_get_string(error));
		json_object_put(o);
		return -EPERM;
	}
	err = top_parse_status(o, src->syscalls, s);
	json_object_put(o);
	if (err) {
		top_sample_free(s);
		snprintf(s->error, sizeof(s->error), "%s", strerror(-err));
	}
	return err;
}

/* ---- the meter ---- */

static const char *top_cgroup_name(struct cgroup_names *names, uint64_t id)
{
	const char *path;

	if (id == 0)
		return "(unattributed)";
	path = names ? cgroup_names_lookup(names, id) : NULL;
	return path ? path : "(gone)";
}

static int top_meter_open(struct top_source *src)
{
	int err;

	if (!src->quiet)
		log_info("top: no daemon answers on %s: observe-only, with its own meter",
			 src->socket);
	err = meter_open(&src->meter, 0);
	if (err)
		return err;
	usage_table_clear(&src->prev);
	err = meter_read(src->meter, &src->prev);
	if (err)
		return err;
	if (!src->quiet)
		log_info("top: attached (observe-only)");
	return 0;
}

static int top_sample_meter(struct top_source *src, struct top_sample *s)
{
	double dt;
	struct usage_table tmp;
	int err = meter_read(src->meter, &src->cur);

	if (err)
		return err;
	dt = (src->cur.taken_ns - src->prev.taken_ns) / 1e9;
	s->interval_s = dt;
	s->rows = calloc(src->cur.nr + 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	for (size_t i = 0; i < src->cur.nr; i++) {
		const struct usage_entry *e = &src->cur.entries[i];
		const struct usage_entry *p = usage_table_find(&src->prev, &e->key);
		struct top_row *row = &s->rows[s->nr_rows];
		struct usage_rates r;
		const char *rest;
		char vm[256];

		row->name = strdup(top_cgroup_name(src->names, e->key.cgroup_id));
		if (!row->name)
			return -ENOMEM;
		s->nr_rows++;
		/* no daemon to ask: a libvirt VM's cgroups still say its
		 * name, "web-1" for its scope, "web-1/libvirt/emulator" below */
		rest = top_vm_of_path(row->name, vm, sizeof(vm));
		if (rest && asprintf(&row->vm, "%s%s", vm, rest) < 0) {
			row->vm = NULL;
			return -ENOMEM;
		}
		row->group = -1;
		row->cgroup_id = e->key.cgroup_id;
		disk_name(e->key.dev, row->device, sizeof(row->device));
		for (int l = 0; l < IORATE_NR_LEVELS; l++) {
			usage_rates(p ? &p->usage : NULL, &e->usage, l, dt, &r);
			for (int d = 0; d < 2; d++) {
				row->ops_s[l][d] = r.ops_s[d];
				row->bytes_s[l][d] = r.bytes_s[d];
			}
			if (l != IORATE_LEVEL_DEVICE)
				continue;
			row->await_ops = r.ops_s[0] + r.ops_s[1];
			row->await_ms = row->await_ops > 0 ?
				(r.await_ms[0] * r.ops_s[0] + r.await_ms[1] * r.ops_s[1]) / row->await_ops : 0;
		}
		for (int l = 0; l < IORATE_NR_LEVELS; l++)
			for (int d = 0; d < 2; d++)
				row->totals.ops[l][d] = e->usage.io[l][d].ops;
		row->totals.writeback = e->usage.background_ops;
		for (int d = 0; d < 2; d++)
			row->totals.split[d] = e->usage.split_pieces[d];
		/* the processes in the cgroup itself: the meter's rows are the
		 * cgroups the I/O came from */
		row->totals.syscalls_known = src->syscalls && src->root[0] && e->key.cgroup_id &&
			row->name[0] == '/' &&
			procio_cgroup_syscalls(src->root, row->name, row->totals.syscalls,
					       &row->totals.pids_sig) >= 0;
		row->limit = 0;
		row->pct = row->fill = row->throttled_s = -1;
		snprintf(row->iomax, sizeof(row->iomax), "-");
		row->members = 1;
	}
	tmp = src->prev;
	src->prev = src->cur;
	src->cur = tmp;
	return 0;
}

/* ---- the source ---- */

int top_source_open(struct top_source *src, const char *socket)
{
	bool is_v2;

	memset(src, 0, sizeof(*src));
	src->socket = socket;
	usage_table_init(&src->prev);
	usage_table_init(&src->cur);
	if (cgroupfs_find_io_root(src->root, sizeof(src->root), &is_v2) == 0) {
		cgroup_names_new(src->root, &src->names);
	} else {
		src->root[0] = '\0';
		log_warn("no cgroup hierarchy with io or blkio found: cgroups shown by id");
	}
	return 0;
}

void top_source_close(struct top_source *src)
{
	meter_close(src->meter);
	src->meter = NULL;
	usage_table_free(&src->prev);
	usage_table_free(&src->cur);
	cgroup_names_free(src->names);
	src->names = NULL;
	free(src->disks);
	src->disks = NULL;
}

int top_source_sample(struct top_source *src, struct top_sample *s)
{
	struct top_sample next = { 0 };
	int err;

	err = top_sample_daemon(src, &next);
	if (!err) {
		if (src->meter) {	/* a daemon came up: it knows better */
			meter_close(src->meter);
			src->meter = NULL;
		}
		if (!src->quiet)
			log_info("top: reading the daemon on %s", src->socket);
		top_sample_disks(src, &next);
		next.taken_ms = top_now_ms();
		top_sample_free(s);
		*s = next;
		return 0;
	}
	if (err == -ETIMEDOUT && s->daemon) {
		/* a daemon is there, only slow (a loaded machine): keep its
		 * last answer on the screen rather than metering beside it */
		snprintf(s->error, sizeof(s->error), "%s", next.error);
		top_sample_free(&next);
		return 0;
	}
	top_sample_free(s);
	snprintf(s->error, sizeof(s->error), "%s", next.error);
	top_sample_free(&next);
	if (!src->meter) {	/* no daemon (any more): count from now */
		err = top_meter_open(src);
		if (err)
			return err;
		s->interval_s = 0;
	} else {
		err = top_sample_meter(src, s);
		if (err)
			return err;
	}
	top_sample_disks(src, s);
	s->taken_ms = top_now_ms();
	return 0;
}

/* ---- views of a sample ---- */

int top_group_rows(const struct top_sample *s, struct top_row **rows, size_t *nr)
{
	struct top_row *v = calloc(s->nr_rows + 1, sizeof(*v));
	size_t n = 0;

	*rows = NULL;
	*nr = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_rows; i++) {
		const struct top_row *m = &s->rows[i];
		const struct top_group *g = m->group >= 0 ? &s->groups[m->group] : NULL;
		struct top_row *r = NULL;

		for (size_t j = 0; j < n; j++)
			if (v[j].group == m->group && !strcmp(v[j].device, m->device))
				r = &v[j];
		if (!r) {
			r = &v[n];
			r->name = strdup(g ? g->name : "(no group)");
			if (!r->name)
				goto nomem;
			n++;
			r->group = m->group;
			snprintf(r->device, sizeof(r->device), "%s", m->device);
			r->await_ms = r->fill = r->throttled_s = r->pct = -1;
		}
		for (int d = 0; d < 2; d++) {
			for (int l = 0; l < IORATE_NR_LEVELS; l++) {
				r->ops_s[l][d] += m->ops_s[l][d];
				r->bytes_s[l][d] += m->bytes_s[l][d];
			}
			r->acct_ops_s[d] += m->acct_ops_s[d];
			r->acct_bytes_s[d] += m->acct_bytes_s[d];
		}
		if (m->await_ms >= 0) {
			double w = r->await_ops + m->await_ops;

			r->await_ms = w > 0 ? ((r->await_ms > 0 ? r->await_ms * r->await_ops : 0) +
					       m->await_ms * m->await_ops) / w : fmax(r->await_ms, m->await_ms);
			r->await_ops = w;
		}
		r->fill = fmax(r->fill, m->fill);
		r->throttled_s = fmax(r->throttled_s, m->throttled_s);
		/* each: every member has the whole limit, show the busiest */
		if (m->pct > r->pct) {
			r->pct = m->pct;
			r->limit = m->limit;
			r->limit_bytes = m->limit_bytes;
		}
		r->members++;
		snprintf(r->iomax, sizeof(r->iomax), "%d member%s", r->members,
			 r->members == 1 ? "" : "s");
	}
	/* pooled: the members share the limit, show the sum's use of it */
	for (size_t j = 0; j < n; j++)
		if (v[j].group >= 0 && s->groups[v[j].group].pooled)
			top_row_limit(&s->groups[v[j].group], &v[j]);
	*rows = v;
	*nr = n;
	return 0;

nomem:
	for (size_t j = 0; j < n; j++)
		free(v[j].name);
	free(v);
	return -ENOMEM;
}

static const char *const top_sort_names[TOP_NR_SORTS] = {
	"ops", "reads", "writes", "rMB/s", "wMB/s", "%limit", "fill", "throttled", "await", "name",
};

const char *top_sort_name(enum top_sort sort)
{
	return sort < TOP_NR_SORTS ? top_sort_names[sort] : "?";
}

static int top_row_cmp(const void *a, const void *b)
{
	const struct top_row *x = *(const struct top_row *const *)a;
	const struct top_row *y = *(const struct top_row *const *)b;
	int c;

	if (x->sort_key != y->sort_key)
		return x->sort_key < y->sort_key ? 1 : -1;
	c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->device, y->device);
}

static int top_row_name_cmp(const void *a, const void *b)
{
	const struct top_row *x = *(const struct top_row *const *)a;
	const struct top_row *y = *(const struct top_row *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->device, y->device);
}

size_t top_select(const struct top_opts *o, struct top_row *rows, size_t nr,
		  struct top_row **out)
{
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		struct top_row *r = &rows[i];
		const double *ops = r->ops_s[o->level], *bytes = r->bytes_s[o->level];
		double total = ops[0] + ops[1];

		if (o->device[0] && strcmp(o->device, r->device))
			continue;
		if (!o->all && !o->groups && total <= 0)
			continue;
		switch (o->sort) {
		case TOP_SORT_READ: r->sort_key = ops[0]; break;
		case TOP_SORT_WRITE: r->sort_key = ops[1]; break;
		case TOP_SORT_RBYTES: r->sort_key = bytes[0]; break;
		case TOP_SORT_WBYTES: r->sort_key = bytes[1]; break;
		case TOP_SORT_PCT: r->sort_key = r->pct; break;
		case TOP_SORT_FILL: r->sort_key = r->fill; break;
		case TOP_SORT_THROTTLED: r->sort_key = r->throttled_s; break;
		case TOP_SORT_AWAIT: r->sort_key = r->await_ms; break;
		default: r->sort_key = total; break;
		}
		out[n++] = r;
	}
	qsort(out, n, sizeof(*out), o->sort == TOP_SORT_NAME ? top_row_name_cmp : top_row_cmp);
	return n;
}
