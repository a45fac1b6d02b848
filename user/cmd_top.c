// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate top: per cgroup x disk rates over each interval, live on a
 * terminal (curses: keys change the level, sort and delay), or as a table
 * or one JSON object per sample for scripts. Observe-only: it attaches its
 * own meter, which counts from the moment it attaches.
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
#include "disk.h"
#include "log.h"
#include "meter.h"
#include "usage.h"

enum top_sort { TOP_SORT_OPS, TOP_SORT_READ, TOP_SORT_WRITE, TOP_SORT_BYTES, TOP_SORT_CGROUP,
	TOP_NR_SORTS };

struct top_opts {
	double delay_s;
	long iterations;	/* 0 = forever */
	bool batch;
	bool json;
	bool all;		/* rows without I/O in the interval too */
	int level;
	enum top_sort sort;	/* the interactive view's; batch sorts by ops */
};

struct top_row {
	const struct usage_entry *entry;
	struct usage_rates rates;
	double total_ops_s;
	double sort_key;
	const char *cgroup;	/* for sorting by name */
};

static volatile sig_atomic_t top_exiting;

static void top_on_signal(int sig)
{
	top_exiting = 1;
}

static void top_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate top [-b] [-n N] [-d SECONDS] [--json] [--level device|bio] [--all]\n"
		"\n"
		"Per cgroup x disk I/O rates, measured in the block layer. On a terminal the\n"
		"view is live: q quits, l switches the level, a shows idle rows, s changes\n"
		"the sort (ops, reads, writes, bytes, cgroup), + and - the delay.\n"
		"  -b, --batch        plain output for scripts (no screen control)\n"
		"  -n, --iterations N stop after N samples (default: run until interrupted)\n"
		"  -d, --delay SECS   seconds between samples (default 1, may be fractional)\n"
		"  -j, --json         one JSON object per sample\n"
		"  -l, --level LEVEL  device: requests issued to the driver, what iostat counts (default)\n"
		"                     bio: bios past blk-throttle, what io.max counts\n"
		"  -a, --all          include cgroups without I/O in the interval\n"
		"  -h, --help         this text\n");
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
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *end;
	int c;

	*o = (struct top_opts){ .delay_s = 1, .level = IORATE_LEVEL_DEVICE };
	optind = 1;
	while ((c = getopt_long(argc, argv, "bn:d:jl:ah", longopts, NULL)) != -1) {
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

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->cgroup && y->cgroup) {
		int c = strcmp(x->cgroup, y->cgroup);

		if (c)
			return c;
	}
	if (x->sort_key != y->sort_key)
		return x->sort_key < y->sort_key ? 1 : -1;
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

static void print_table(const struct top_opts *o, struct top_row *rows, size_t nr,
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

static void print_json(const struct top_opts *o, struct top_row *rows, size_t nr,
		       struct cgroup_names *names, double interval_s)
{
	static const char *const dir_names[] = { "read", "write", "discard", "flush" };
	struct json_object *sample = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	char dev[64], majmin[32];

	json_object_object_add(sample, "time", json_object_new_int64(time(NULL)));
	json_object_object_add(sample, "interval_s", json_object_new_double(interval_s));
	json_object_object_add(sample, "level",
			       json_object_new_string(o->level == IORATE_LEVEL_DEVICE ? "device" : "bio"));
	for (size_t i = 0; i < nr; i++) {
		const struct usage_entry *e = rows[i].entry;
		const struct usage_rates *r = &rows[i].rates;
		struct json_object *row = json_object_new_object();

		disk_name(e->key.dev, dev, sizeof(dev));
		snprintf(majmin, sizeof(majmin), "%u:%u", iorate_dev_major(e->key.dev),
			 iorate_dev_minor(e->key.dev));
		json_object_object_add(row, "cgroup", json_object_new_string(row_cgroup(names, e->key.cgroup_id)));
		json_object_object_add(row, "cgroup_id", json_object_new_uint64(e->key.cgroup_id));
		json_object_object_add(row, "device", json_object_new_string(dev));
		json_object_object_add(row, "dev", json_object_new_string(majmin));
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

/* ---- the interactive view (curses) ---- */

static const char *const top_sort_names[TOP_NR_SORTS] = { "ops", "reads", "writes", "bytes", "cgroup" };

static uint64_t top_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void top_screen_start(void)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
}

static void top_screen_draw(const struct top_opts *o, struct top_row *rows, size_t nr,
			    struct cgroup_names *names, double interval_s)
{
	int width = COLS, cgw = COLS - 72;
	time_t now = time(NULL);
	char dev[64];
	struct tm tm;

	if (cgw < 16)
		cgw = 16;
	localtime_r(&now, &tm);
	erase();
	mvprintw(0, 0, "iorate top  %02d:%02d:%02d  level %s  interval %.2fs  delay %gs  %zu %s  sort %s",
		 tm.tm_hour, tm.tm_min, tm.tm_sec,
		 o->level == IORATE_LEVEL_DEVICE ? "device" : "bio", interval_s, o->delay_s, nr,
		 o->all ? "rows" : "active", top_sort_names[o->sort]);
	mvprintw(1, 0, "q quit  l level  a idle rows  s sort  +/- delay");
	attron(A_REVERSE);
	mvprintw(2, 0, "%-*s %-10s %9s %9s %9s %9s %9s", cgw, "CGROUP", "DEVICE", "r/s", "w/s",
		 "rMB/s", "wMB/s", "await_ms");
	for (int x = getcurx(stdscr); x < width; x++)
		addch(' ');
	attroff(A_REVERSE);
	for (size_t i = 0; i < nr && (int)i + 3 < LINES; i++) {
		const struct usage_rates *r = &rows[i].rates;
		const char *cg = row_cgroup(names, rows[i].entry->key.cgroup_id);
		size_t len = strlen(cg);

		disk_name(rows[i].entry->key.dev, dev, sizeof(dev));
		/* the end of a path says most: keep it, cut the front */
		if ((int)len > cgw)
			cg += len - cgw;
		mvprintw((int)i + 3, 0, "%-*s %-10s %9.1f %9.1f %9.2f %9.2f %9.3f", cgw, cg, dev,
			 r->ops_s[IORATE_DIR_READ], r->ops_s[IORATE_DIR_WRITE],
			 r->bytes_s[IORATE_DIR_READ] / 1048576.0,
			 r->bytes_s[IORATE_DIR_WRITE] / 1048576.0, await_of(r));
	}
	refresh();
}

/* Wait out the delay, taking keys. true when the view must be drawn again
 * from the same samples (a setting changed) before the delay is over. */
static bool top_screen_wait(struct top_opts *o, uint64_t until_ms)
{
	while (!top_exiting) {
		uint64_t now = top_now_ms();
		int ch;

		if (now >= until_ms)
			return false;
		timeout((int)(until_ms - now));
		ch = getch();
		switch (ch) {
		case 'q':
		case 'Q':
			top_exiting = 1;
			return false;
		case 'l':
			o->level = o->level == IORATE_LEVEL_DEVICE ? IORATE_LEVEL_BIO : IORATE_LEVEL_DEVICE;
			return true;
		case 'a':
			o->all = !o->all;
			return true;
		case 's':
			o->sort = (o->sort + 1) % TOP_NR_SORTS;
			return true;
		case '+':
			if (o->delay_s * 2 <= 3600)
				o->delay_s *= 2;
			return true;
		case '-':
			if (o->delay_s / 2 >= 0.01)
				o->delay_s /= 2;
			return true;
		case KEY_RESIZE:
			return true;
		default:
			break;	/* ERR (timeout, signal) or a key with no use */
		}
	}
	return false;
}

/* Rates of every entry of cur since prev, filtered and sorted; rows holds
 * cur->nr entries. */
static size_t top_rows(const struct top_opts *o, const struct usage_table *prev,
		       const struct usage_table *cur, double interval_s,
		       struct cgroup_names *names, bool interactive, struct top_row *rows)
{
	size_t nr = 0;

	for (size_t i = 0; i < cur->nr; i++) {
		const struct usage_entry *e = &cur->entries[i];
		const struct usage_entry *p = usage_table_find(prev, &e->key);
		struct top_row *row = &rows[nr];
		const struct usage_rates *r = &row->rates;

		row->entry = e;
		usage_rates(p ? &p->usage : NULL, &e->usage, o->level, interval_s, &row->rates);
		row->total_ops_s = 0;
		for (int d = 0; d < IORATE_NR_DIRS; d++)
			row->total_ops_s += r->ops_s[d];
		row->sort_key = row->total_ops_s;
		row->cgroup = NULL;
		if (interactive) {
			switch (o->sort) {
			case TOP_SORT_READ:
				row->sort_key = r->ops_s[IORATE_DIR_READ];
				break;
			case TOP_SORT_WRITE:
				row->sort_key = r->ops_s[IORATE_DIR_WRITE];
				break;
			case TOP_SORT_BYTES:
				row->sort_key = r->bytes_s[IORATE_DIR_READ] + r->bytes_s[IORATE_DIR_WRITE];
				break;
			case TOP_SORT_CGROUP:
				row->cgroup = row_cgroup(names, e->key.cgroup_id);
				break;
			default:
				break;
			}
		}
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

int do_top(int argc, char **argv)
{
	struct usage_table prev, cur, tmp;
	struct cgroup_names *names = NULL;
	struct meter *meter = NULL;
	struct top_row *rows = NULL;
	struct top_opts o;
	char root[4096];
	bool is_v2, interactive;
	double shown_s = 0;
	int err;

	if (top_parse(argc, argv, &o))
		return 2;
	if (!o.batch && !o.json && !isatty(STDOUT_FILENO))
		o.batch = true;
	interactive = !o.batch && !o.json;
	usage_table_init(&prev);
	usage_table_init(&cur);
	signal(SIGINT, top_on_signal);
	signal(SIGTERM, top_on_signal);

	if (cgroupfs_find_io_root(root, sizeof(root), &is_v2) == 0)
		cgroup_names_new(root, &names);
	else
		log_warn("no cgroup hierarchy with io or blkio found: cgroups shown by id");

	err = meter_open(&meter);
	if (err)
		goto cleanup;
	err = meter_read(meter, &prev);
	if (err)
		goto cleanup;
	log_info("top: attached (observe-only), cgroups from %s (%s), sampling every %gs",
		 names ? root : "-", is_v2 ? "cgroup v2" : "cgroup v1 blkio", o.delay_s);

	if (interactive) {
		top_screen_start();
		top_screen_draw(&o, NULL, 0, names, 0);
	}
	for (long it = 0; !top_exiting && (!o.iterations || it < o.iterations); it++) {
		uint64_t until_ms = top_now_ms() + (uint64_t)(o.delay_s * 1000);
		size_t nr;
		double interval_s;

		if (interactive) {
			/* a key redraws the last samples at once, with the new
			 * settings; the next sample still comes at its time */
			while (top_screen_wait(&o, until_ms)) {
				nr = it ? top_rows(&o, &cur, &prev, shown_s, names, true, rows) : 0;
				top_screen_draw(&o, rows, nr, names, shown_s);
			}
			if (top_exiting)
				break;
		} else {
			sleep_s(o.delay_s);
		}
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
		nr = top_rows(&o, &prev, &cur, interval_s, names, interactive, rows);
		if (interactive)
			top_screen_draw(&o, rows, nr, names, interval_s);
		else if (o.json)
			print_json(&o, rows, nr, names, interval_s);
		else
			print_table(&o, rows, nr, names, interval_s);
		shown_s = interval_s;
		/* rows point into cur, which becomes prev: still valid for a
		 * redraw, as top_rows(&cur, &prev) recomputes them */
		tmp = prev;
		prev = cur;
		cur = tmp;
	}

cleanup:
	if (interactive)
		endwin();
	free(rows);
	usage_table_free(&prev);
	usage_table_free(&cur);
	meter_close(meter);
	cgroup_names_free(names);
	return err ? 1 : 0;
}
