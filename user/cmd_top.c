// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate top: options, the batch output (a table or one JSON object per
 * sample, from top's own observe-only meter, which counts from the moment
 * it attaches) and the loop of the live view, whose samples come from
 * top_source.c (the daemon, or the meter when none answers) and whose
 * screen is top_view.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>
#include <json-c/json.h>
#include "cgroupfs.h"
#include "commands.h"
#include "ctlsock.h"
#include "disk.h"
#include "log.h"
#include "meter.h"
#include "policy.h"
#include "top.h"
#include "usage.h"

struct top_batch_row {
	const struct usage_entry *entry;
	struct usage_rates rates;
	double total_ops_s;
};

/* Asking the daemon for names must not hold up a sample for long. */
#define TOP_NAMES_TIMEOUT_MS	1000
#define TOP_MAX_GROUPS		16	/* groups named per row */

volatile sig_atomic_t top_exiting;

static void top_on_signal(int sig)
{
	top_exiting = 1;
}

static void top_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate top [-b] [-n N] [-d SECONDS] [--json] [--level device|bio] [--all]\n"
		"                  [--socket PATH]\n"
		"\n"
		"Per cgroup x disk I/O rates, measured in the block layer. On a terminal the\n"
		"view is live: it reads the daemon on its control socket (groups, members,\n"
		"limits, their use, buckets, io.max), or, with no daemon, attaches its own\n"
		"meter (rates only). Members show as their VM's name and their group.\n"
		"Keys: q quit, h help, < > or s sort, g groups/members, e explain view (each\n"
		"member's stages, as iorate explain), c VM names/cgroup paths, d disk filter,\n"
		"p pause, l level, a idle rows, + and - the delay.\n"
		"Batch and JSON output always use top's own meter; JSON rows name their\n"
		"vm, and their groups and member as the daemon on --socket says.\n"
		"  -b, --batch        plain output for scripts (no screen control)\n"
		"  -n, --iterations N stop after N samples (default: run until interrupted)\n"
		"  -d, --delay SECS   seconds between samples (default 1, may be fractional)\n"
		"  -j, --json         one JSON object per sample\n"
		"  -l, --level LEVEL  device: requests issued to the driver, what iostat counts (default)\n"
		"                     bio: bios past blk-throttle, what io.max counts\n"
		"  -a, --all          include cgroups without I/O in the interval\n"
		"  -s, --socket PATH  the daemon's control socket (default %s)\n"
		"  -h, --help         this text\n", POLICY_DEFAULT_SOCKET);
}

static int top_parse(int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "level", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *end;
	int c;

	*o = (struct top_opts){ .delay_s = 1, .level = IORATE_LEVEL_DEVICE,
				 .socket = POLICY_DEFAULT_SOCKET };
	optind = 1;
	while ((c = getopt_long(argc, argv, "bn:d:jl:as:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->batch = true;
			break;
		case 'n':
			errno = 0;
			o->iterations = strtol(optarg, &end, 10);
			if (errno || *end || o->iterations < 1) {
				fprintf(stderr, "iorate top: -n: not a positive count: %s\n", optarg);
				return -1;
			}
			break;
		case 'd':
			errno = 0;
			o->delay_s = strtod(optarg, &end);
			if (errno || *end || !(o->delay_s >= 0.01 && o->delay_s <= 3600)) {
				fprintf(stderr, "iorate top: -d: not a delay between 0.01 and 3600 s: %s\n", optarg);
				return -1;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'l':
			if (!strcmp(optarg, "device"))
				o->level = IORATE_LEVEL_DEVICE;
			else if (!strcmp(optarg, "bio"))
				o->level = IORATE_LEVEL_BIO;
			else {
				fprintf(stderr, "iorate top: --level: device or bio, not %s\n", optarg);
				return -1;
			}
			break;
		case 'a':
			o->all = true;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'h':
			top_usage(stdout);
			exit(0);
		default:
			top_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iorate top: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* busiest first, then by cgroup and disk: a stable order for scripts */
static int row_cmp(const void *a, const void *b)
{
	const struct top_batch_row *x = a, *y = b;

	if (x->total_ops_s != y->total_ops_s)
		return x->total_ops_s < y->total_ops_s ? 1 : -1;
	if (x->entry->key.cgroup_id != y->entry->key.cgroup_id)
		return x->entry->key.cgroup_id < y->entry->key.cgroup_id ? -1 : 1;
	return x->entry->key.dev < y->entry->key.dev ? -1 : x->entry->key.dev > y->entry->key.dev;
}

static const char *row_cgroup(struct cgroup_names *names, uint64_t id)
{
	const char *path;

	if (id == 0)
		return "(unattributed)";
	path = names ? cgroup_names_lookup(names, id) : NULL;
	return path ? path : "(gone)";
}

static double await_of(const struct usage_rates *r)
{
	uint64_t n = r->ops[IORATE_DIR_READ] + r->ops[IORATE_DIR_WRITE];

	if (!n)
		return 0;
	return (r->await_ms[IORATE_DIR_READ] * r->ops[IORATE_DIR_READ] +
		r->await_ms[IORATE_DIR_WRITE] * r->ops[IORATE_DIR_WRITE]) / n;
}

static void print_table(const struct top_opts *o, struct top_batch_row *rows, size_t nr,
			struct cgroup_names *names, double interval_s)
{
	char dev[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (!o->batch)
		fputs("\033[H\033[2J", stdout);
	printf("%02d:%02d:%02d  level %s  interval %.2fs  %zu active\n", tm.tm_hour,
	       tm.tm_min, tm.tm_sec, o->level == IORATE_LEVEL_DEVICE ? "device" : "bio",
	       interval_s, nr);
	printf("%-40s %-10s %9s %9s %9s %9s %9s\n", "CGROUP", "DEVICE", "r/s", "w/s",
	       "rMB/s", "wMB/s", "await_ms");
	for (size_t i = 0; i < nr; i++) {
		const struct usage_rates *r = &rows[i].rates;

		disk_name(rows[i].entry->key.dev, dev, sizeof(dev));
		printf("%-40s %-10s %9.1f %9.1f %9.2f %9.2f %9.3f\n",
		       row_cgroup(names, rows[i].entry->key.cgroup_id), dev,
		       r->ops_s[IORATE_DIR_READ], r->ops_s[IORATE_DIR_WRITE],
		       r->bytes_s[IORATE_DIR_READ] / 1048576.0,
		       r->bytes_s[IORATE_DIR_WRITE] / 1048576.0, await_of(r));
	}
	printf("\n");
	fflush(stdout);
}

static void top_known_free(struct top_known *known, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(known[i].cgroup);
		free(known[i].device);
		free(known[i].group);
		free(known[i].vm);
	}
	free(known);
}

static char *top_json_strdup(struct json_object *o, const char *key, bool *nomem)
{
	struct json_object *v = NULL;
	char *dup;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	dup = strdup(json_object_get_string(v));
	if (!dup)
		*nomem = true;
	return dup;
}

/* The daemon's members (docs/status.md), to name the meter's rows: none
 * while no daemon answers. The groups' names are taken from groups[].name,
 * so that a daemon from before members carried "group" names them too. */
static int top_known_read(const char *socket, struct top_known **out, size_t *nr)
{
	struct json_object *o = NULL, *groups = NULL;
	struct top_known *known = NULL;
	char *answer = NULL;
	size_t n = 0, cap = 0;
	bool nomem = false;
	int err;

	*out = NULL;
	*nr = 0;
	err = ctlsock_request(socket, "status\n", TOP_NAMES_TIMEOUT_MS, &answer);
	if (err)
		return err;
	o = json_tokener_parse(answer);
	free(answer);
	if (!o || !json_object_object_get_ex(o, "groups", &groups) ||
	    !json_object_is_type(groups, json_type_array)) {
		err = -EBADMSG;
		goto cleanup;
	}
	for (size_t g = 0; g < json_object_array_length(groups); g++) {
		struct json_object *gj = json_object_array_get_idx(groups, g), *members = NULL;

		if (!json_object_object_get_ex(gj, "members", &members) ||
		    !json_object_is_type(members, json_type_array))
			continue;
		for (size_t m = 0; m < json_object_array_length(members); m++) {
			struct json_object *mj = json_object_array_get_idx(members, m);
			struct top_known *k;

			if (n == cap) {
				struct top_known *nk = realloc(known, (cap ? cap * 2 : 16) * sizeof(*nk));

				if (!nk) {
					err = -ENOMEM;
					goto cleanup;
				}
				known = nk;
				cap = cap ? cap * 2 : 16;
			}
			k = &known[n];
			memset(k, 0, sizeof(*k));
			k->cgroup = top_json_strdup(mj, "cgroup", &nomem);
			k->device = top_json_strdup(mj, "device", &nomem);
			k->group = top_json_strdup(gj, "name", &nomem);
			k->vm = top_json_strdup(mj, "vm", &nomem);
			n++;
			if (nomem) {
				err = -ENOMEM;
				goto cleanup;
			}
			if (!k->cgroup || !k->device || !k->group) {
				top_known_free(k, 1);	/* not a member's entry */
				n--;
			}
		}
	}
	*out = known;
	*nr = n;
	known = NULL;
	n = 0;
	err = 0;

cleanup:
	top_known_free(known, n);
	json_object_put(o);
	return err;
}

static void print_json(const struct top_opts *o, struct top_batch_row *rows, size_t nr,
		       struct cgroup_names *names, double interval_s,
		       const struct top_known *known, size_t nr_known, uint64_t runs_missed)
{
	static const char *const dir_names[] = { "read", "write", "discard", "flush" };
	struct json_object *sample = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	char dev[64], majmin[32];

	json_object_object_add(sample, "time", json_object_new_int64(time(NULL)));
	json_object_object_add(sample, "interval_s", json_object_new_double(interval_s));
	json_object_object_add(sample, "level",
			       json_object_new_string(o->level == IORATE_LEVEL_DEVICE ? "device" : "bio"));
	/* since top attached: rows can be short of diskstats by this much */
	json_object_object_add(sample, "meter_runs_missed", json_object_new_uint64(runs_missed));
	for (size_t i = 0; i < nr; i++) {
		const struct usage_entry *e = rows[i].entry;
		const struct usage_rates *r = &rows[i].rates;
		struct json_object *row = json_object_new_object();
		struct json_object *groups = json_object_new_array();
		const char *path = row_cgroup(names, e->key.cgroup_id), *vm;
		int idx[TOP_MAX_GROUPS], ng;
		char vm_buf[256];

		disk_name(e->key.dev, dev, sizeof(dev));
		snprintf(majmin, sizeof(majmin), "%u:%u", iorate_dev_major(e->key.dev),
			 iorate_dev_minor(e->key.dev));
		ng = top_known_match(known, nr_known, path, dev, idx, TOP_MAX_GROUPS, &vm);
		if (!vm && top_vm_of_path(path, vm_buf, sizeof(vm_buf)))
			vm = vm_buf;	/* a libvirt VM without a daemon, or outside its groups */
		for (int g = 0; g < ng; g++)
			json_object_array_add(groups, json_object_new_string(known[idx[g]].group));
		json_object_object_add(row, "cgroup", json_object_new_string(path));
		json_object_object_add(row, "cgroup_id", json_object_new_uint64(e->key.cgroup_id));
		json_object_object_add(row, "device", json_object_new_string(dev));
		json_object_object_add(row, "dev", json_object_new_string(majmin));
		json_object_object_add(row, "vm", vm ? json_object_new_string(vm) : NULL);
		json_object_object_add(row, "groups", groups);
		json_object_object_add(row, "member",
				       ng ? json_object_new_string(known[idx[0]].cgroup) : NULL);
		for (int d = 0; d < IORATE_NR_DIRS; d++) {
			struct json_object *dj = json_object_new_object();

			json_object_object_add(dj, "ops", json_object_new_uint64(r->ops[d]));
			json_object_object_add(dj, "bytes", json_object_new_uint64(r->bytes[d]));
			json_object_object_add(dj, "ops_s", json_object_new_double(r->ops_s[d]));
			json_object_object_add(dj, "bytes_s", json_object_new_double(r->bytes_s[d]));
			json_object_object_add(dj, "await_ms", json_object_new_double(r->await_ms[d]));
			json_object_object_add(row, dir_names[d], dj);
		}
		json_object_object_add(row, "background_ops", json_object_new_uint64(r->background_ops));
		json_object_array_add(arr, row);
	}
	json_object_object_add(sample, "rows", arr);
	puts(json_object_to_json_string_ext(sample, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(sample);
}

/* Rates of every entry of cur since prev, filtered and sorted by ops;
 * rows holds cur->nr entries. */
static size_t top_rows(const struct top_opts *o, const struct usage_table *prev,
		       const struct usage_table *cur, double interval_s, struct top_batch_row *rows)
{
	size_t nr = 0;

	for (size_t i = 0; i < cur->nr; i++) {
		const struct usage_entry *e = &cur->entries[i];
		const struct usage_entry *p = usage_table_find(prev, &e->key);
		struct top_batch_row *row = &rows[nr];
		const struct usage_rates *r = &row->rates;

		row->entry = e;
		usage_rates(p ? &p->usage : NULL, &e->usage, o->level, interval_s, &row->rates);
		row->total_ops_s = 0;
		for (int d = 0; d < IORATE_NR_DIRS; d++)
			row->total_ops_s += r->ops_s[d];
		if (o->all || row->total_ops_s > 0)
			nr++;
	}
	qsort(rows, nr, sizeof(*rows), row_cmp);
	return nr;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR && !top_exiting)
		;
}

/* Batch and JSON output: always top's own meter, which counts from the
 * moment it attaches (scripts get the same numbers with or without a
 * daemon). */
static int top_batch(struct top_opts *o)
{
	struct usage_table prev, cur, tmp;
	struct cgroup_names *names = NULL;
	struct meter *meter = NULL;
	struct top_batch_row *rows = NULL;
	char root[4096];
	bool is_v2;
	int named = -1;	/* the last sample named groups from a daemon: 1, not: 0 */
	int err;

	usage_table_init(&prev);
	usage_table_init(&cur);
	if (cgroupfs_find_io_root(root, sizeof(root), &is_v2) == 0)
		cgroup_names_new(root, &names);
	else
		log_warn("no cgroup hierarchy with io or blkio found: cgroups shown by id");

	err = meter_open(&meter, 0);
	if (err)
		goto cleanup;
	err = meter_read(meter, &prev);
	if (err)
		goto cleanup;
	log_info("top: attached (observe-only), cgroups from %s (%s), sampling every %gs",
		 names ? root : "-", is_v2 ? "cgroup v2" : "cgroup v1 blkio", o->delay_s);

	for (long it = 0; !top_exiting && (!o->iterations || it < o->iterations); it++) {
		size_t nr;
		double interval_s;

		sleep_s(o->delay_s);
		err = meter_read(meter, &cur);
		if (err)
			goto cleanup;
		interval_s = (cur.taken_ns - prev.taken_ns) / 1e9;
		free(rows);
		rows = calloc(cur.nr ? cur.nr : 1, sizeof(*rows));
		if (!rows) {
			err = -ENOMEM;
			goto cleanup;
		}
		nr = top_rows(o, &prev, &cur, interval_s, rows);
		if (o->json) {
			struct top_known *known = NULL;
			size_t nr_known = 0;
			int why = top_known_read(o->socket, &known, &nr_known);

			if (why == -ENOMEM) {
				err = why;
				goto cleanup;
			}
			if ((why == 0) != named) {
				named = why == 0;
				if (why)
					log_info("top: no daemon answers on %s: rows without groups",
						 o->socket);
				else
					log_info("top: groups from the daemon on %s", o->socket);
			}
			print_json(o, rows, nr, names, interval_s, known, nr_known,
				   meter_runs_missed(meter));
			top_known_free(known, nr_known);
		}
		else
			print_table(o, rows, nr, names, interval_s);
		tmp = prev;
		prev = cur;
		cur = tmp;
	}

cleanup:
	free(rows);
	usage_table_free(&prev);
	usage_table_free(&cur);
	meter_close(meter);
	cgroup_names_free(names);
	return err ? 1 : 0;
}

/* The live view: the daemon's status each interval, or the meter. */
static int top_interactive(struct top_opts *o)
{
	struct top_source src;
	struct top_sample s = { 0 };
	struct top_explain te = { 0 };
	bool had_daemon;
	int err, r = 0;

	err = top_source_open(&src, o->socket);
	if (err)
		goto cleanup;
	/* the first sample: the daemon's rates at once, the meter's zero */
	err = top_source_sample(&src, &s);
	if (!err)
		err = top_explain_take(&te, &s);
	if (err)
		goto cleanup;
	src.quiet = true;
	top_view_start();
	top_view_draw(o, &s);
	for (long it = 0; !top_exiting && (!o->iterations || it < o->iterations); it++) {
		uint64_t until_ms = top_now_ms() + (uint64_t)(o->delay_s * 1000);

		/* a key redraws the last sample at once, with the new
		 * settings; the next sample still comes at its time */
		while (!top_exiting && (r = top_view_wait(o, &s, until_ms)) == 1)
			top_view_draw(o, &s);
		if (r < 0 || top_exiting)
			break;
		had_daemon = s.daemon;
		/* the syscalls stage costs a /proc/PID/io per process: read
		 * while the explain view is on only */
		src.syscalls = o->explain;
		err = top_source_sample(&src, &s);
		if (!err)
			err = top_explain_take(&te, &s);
		if (err)
			break;
		/* a meter opened or closed may have written on the screen */
		if (had_daemon != s.daemon)
			clearok(stdscr, TRUE);
		top_view_draw(o, &s);
	}
	top_view_stop();

cleanup:
	if (err)
		log_error("top: %s", strerror(-err));
	top_sample_free(&s);
	top_explain_free(&te);
	top_source_close(&src);
	return err ? 1 : 0;
}

int do_top(int argc, char **argv)
{
	struct top_opts o;

	if (top_parse(argc, argv, &o))
		return 2;
	if (!o.batch && !o.json && !isatty(STDOUT_FILENO))
		o.batch = true;
	signal(SIGINT, top_on_signal);
	signal(SIGTERM, top_on_signal);
	if (o.batch || o.json)
		return top_batch(&o);
	return top_interactive(&o);
}
