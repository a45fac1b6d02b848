// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate explain: why the host disk sees more than a VM's limit. Each
 * member (a VM, or a cgroup) on each disk, through the stages between its
 * processes and the disk, in 1 s windows: QEMU's own count of the guest's
 * requests (its QMP monitor, --qmp), read/write syscalls of its
 * processes (/proc/PID/io), bios past blk-throttle and requests at the
 * disk (top's observe-only meter), the whole disk (/proc/diskstats, as
 * iostat). explain.c judges; this file samples and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <json-c/json.h>
#include "cgroupfs.h"
#include "commands.h"
#include "disk.h"
#include "explain.h"
#include "log.h"
#include "meter.h"
#include "procio.h"
#include "qmp.h"
#include "top.h"
#include "usage.h"

/* One window is one second: "the largest 1 s window" is what an operator
 * compares with iostat 1. */
#define EXPLAIN_WINDOW_S	1.0

struct explain_opts {
	const char *name;	/* a VM's name or a cgroup path; NULL: all */
	int seconds;		/* windows per interval */
	long intervals;		/* 0: until interrupted */
	bool json;
	const char *qmp;	/* NAME's QEMU's QMP socket, or NULL */
};

/* QMP answers on the same host at once; a QEMU that does not within this
 * long is busy, and its window is shown without its own count rather than
 * the window stretched. */
#define EXPLAIN_QMP_TIMEOUT_MS	300

/* NAME's QEMU's drives at the last window's end, and which disk each
 * image is on */
struct explain_qmp {
	struct qmp_drive drives[QMP_MAX_DRIVES];
	uint32_t dev[QMP_MAX_DRIVES];
	int nr;			/* < 0: the query failed */
};

/* A cgroup's processes' syscall counts at the last window's end. */
struct explain_cgroup {
	uint64_t id;
	double calls[EXPLAIN_NR_DIRS];
	uint64_t pids_sig;	/* which processes they were */
	bool known;
	double delta[EXPLAIN_NR_DIRS];	/* in the window just taken */
	bool delta_known;
};

/* A member on a disk: its windows in this interval. */
struct explain_member {
	char *label;		/* the VM's name, else the cgroup path */
	char *cgroup;		/* the (first) cgroup its I/O came from */
	bool vm;
	uint32_t dev;
	uint64_t cgroups[8];	/* whose syscalls count (distinct ids) */
	int nr_cgroups;
	bool cgroups_full;	/* more than that: its syscalls are unknown */
	struct explain_window *w;
};

struct explain_state {
	struct explain_opts o;
	char root[4096];
	struct cgroup_names *names;
	struct explain_cgroup *cgs;
	size_t nr_cgs, cap_cgs;
	struct explain_member *members;
	size_t nr_members, cap_members;
	struct top_disk *disks;
	size_t nr_disks;
	struct explain_qmp *qmp_was, *qmp_now;	/* the last reading, this one */
	int qmp_err;		/* the last failure, said once */
};

static volatile sig_atomic_t explain_exiting;

static void explain_on_signal(int sig)
{
	explain_exiting = 1;
}

static void explain_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate explain [NAME [--qmp SOCKET]] [-d SECONDS] [-n COUNT] [--json]\n"
		"\n"
		"Why the disk sees what it sees: each VM (or cgroup) on each disk through the\n"
		"stages between its processes and the disk, in 1 s windows, and one line that\n"
		"names the stage that adds most. NAME is a VM's name or a cgroup path; without\n"
		"it, every cgroup with I/O. Needs no daemon (its own observe-only meter).\n"
		"\n"
		"  syscalls   read/write syscalls of its processes (/proc/PID/io: all their\n"
		"             files; aio and io_uring submissions are not syscalls of that kind)\n"
		"  bios       bios past blk-throttle, split pieces counted: what io.max counts\n"
		"             (of which pieces of split bios; bios and requests merged into\n"
		"             another request: bios less the merged are the requests)\n"
		"  requests   requests the disk completed: what iostat counts\n"
		"  disk       the whole disk, every cgroup: /proc/diskstats, as iostat\n"
		"\n"
		"Example (tests/vm/032-explain.bats on 6.1: fio in cgroup /e1 writing 300\n"
		"buffered 4 KiB writes a second, the kernel flushing every 5 s):\n"
		"  /e1 on ex0\n"
		"                                             reads/s   writes/s\n"
		"    syscalls of its processes                   16.0      299.7\n"
		"    bios past blk-throttle                       0.0      292.1\n"
		"      of which pieces of split bios              0.0        0.0\n"
		"      merged into another request                0.0        0.0\n"
		"    requests at the disk                         0.0      292.1\n"
		"    the whole disk (iostat)                      0.0      293.0   its share 100%%\n"
		"    background (writeback) requests             100%%\n"
		"    largest 1 s window of writes              1297.1   mean 292.1\n"
		"    => writeback: 88%% of device writes came in 2 of every 10 seconds (the\n"
		"       largest 1297/s, the mean 292/s)\n"
		"A VM's rows are named by its name, its cgroup path beside it.\n"
		"\n"
		"  -q, --qmp SOCKET     NAME's QEMU's QMP monitor (a unix socket, e.g. QEMU's\n"
		"                       -qmp unix:/run/db-1.qmp,server=on,wait=off): its own\n"
		"                       count of the guest's requests, the first row, and\n"
		"                       what the verdict judges from instead of syscalls\n"
		"  -d, --duration SECS  seconds per interval, one window each (default 5)\n"
		"  -n, --count N        intervals (default 1; 0: until interrupted)\n"
		"  -j, --json           one JSON object per interval (docs/status.md)\n"
		"  -h, --help           this text\n");
}

static int explain_parse(int argc, char **argv, struct explain_opts *o)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "qmp", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *end;
	long v;
	int c;

	*o = (struct explain_opts){ .seconds = 5, .intervals = 1 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:n:jq:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 3600) {
				fprintf(stderr, "iorate explain: -d: not a whole number of seconds from 1 to 3600: %s\n",
					optarg);
				return -1;
			}
			o->seconds = (int)v;
			break;
		case 'n':
			errno = 0;
			o->intervals = strtol(optarg, &end, 10);
			if (errno || *end || o->intervals < 0) {
				fprintf(stderr, "iorate explain: -n: not a count (0: until interrupted): %s\n",
					optarg);
				return -1;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->qmp = optarg;
			break;
		case 'h':
			explain_usage(stdout);
			exit(0);
		default:
			explain_usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		o->name = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "iorate explain: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	if (o->qmp && !o->name) {
		fprintf(stderr, "iorate explain: --qmp %s: whose? give the VM's NAME too\n", o->qmp);
		return -1;
	}
	return 0;
}

/* A cgroup's syscalls since its last reading. A cgroup read for the
 * first time has no delta yet; a process that left takes its counts with
 * it and one that came brings its own, so a window in which the
 * processes changed has none either (dd's 3000 writes read as 8/s). */
static void read_syscalls(struct explain_state *st, struct explain_cgroup *c)
{
	const char *path = st->names ? cgroup_names_lookup(st->names, c->id) : NULL;
	double now[EXPLAIN_NR_DIRS];
	uint64_t sig = 0;
	bool known = path && procio_cgroup_syscalls(st->root, path, now, &sig) >= 0;

	c->delta_known = known && c->known && sig == c->pids_sig &&
			 now[EXPLAIN_READ] >= c->calls[EXPLAIN_READ] &&
			 now[EXPLAIN_WRITE] >= c->calls[EXPLAIN_WRITE];
	c->pids_sig = sig;
	for (int d = 0; d < EXPLAIN_NR_DIRS; d++) {
		c->delta[d] = c->delta_known ? now[d] - c->calls[d] : 0;
		c->calls[d] = known ? now[d] : 0;
	}
	c->known = known;
}

/* Every cgroup's window; a cgroup that is gone is forgotten (explain -n 0
 * runs for as long as cgroups come and go). */
static void take_syscalls(struct explain_state *st)
{
	for (size_t i = 0; i < st->nr_cgs;) {
		if (st->names && !cgroup_names_lookup(st->names, st->cgs[i].id)) {
			st->cgs[i] = st->cgs[--st->nr_cgs];
			continue;
		}
		read_syscalls(st, &st->cgs[i++]);
	}
}

/* The cgroup's entry; a new one gets its baseline reading at once, so
 * that its next window has syscalls. */
static struct explain_cgroup *cgroup_of(struct explain_state *st, uint64_t id)
{
	struct explain_cgroup *c;

	for (size_t i = 0; i < st->nr_cgs; i++)
		if (st->cgs[i].id == id)
			return &st->cgs[i];
	if (st->nr_cgs == st->cap_cgs) {
		size_t cap = st->cap_cgs ? st->cap_cgs * 2 : 16;
		struct explain_cgroup *n = realloc(st->cgs, cap * sizeof(*n));

		if (!n)
			return NULL;
		st->cgs = n;
		st->cap_cgs = cap;
	}
	c = &st->cgs[st->nr_cgs++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	read_syscalls(st, c);
	return c;
}

static struct explain_member *member_of(struct explain_state *st, const char *label,
					const char *cgroup, bool vm, uint32_t dev)
{
	struct explain_member *m;

	for (size_t i = 0; i < st->nr_members; i++)
		if (st->members[i].dev == dev && !strcmp(st->members[i].label, label))
			return &st->members[i];
	if (st->nr_members == st->cap_members) {
		size_t cap = st->cap_members ? st->cap_members * 2 : 16;
		struct explain_member *n = realloc(st->members, cap * sizeof(*n));

		if (!n)
			return NULL;
		st->members = n;
		st->cap_members = cap;
	}
	m = &st->members[st->nr_members];
	memset(m, 0, sizeof(*m));
	m->label = strdup(label);
	m->cgroup = strdup(cgroup);
	m->vm = vm;
	m->dev = dev;
	m->w = calloc(st->o.seconds, sizeof(*m->w));
	if (!m->label || !m->cgroup || !m->w) {
		free(m->label);
		free(m->cgroup);
		free(m->w);
		return NULL;
	}
	/* idle until now: its rates are over the whole interval */
	for (int i = 0; i < st->o.seconds; i++)
		m->w[i].seconds = EXPLAIN_WINDOW_S;
	st->nr_members++;
	return m;
}

static void members_free(struct explain_state *st)
{
	for (size_t i = 0; i < st->nr_members; i++) {
		free(st->members[i].label);
		free(st->members[i].cgroup);
		free(st->members[i].w);
	}
	st->nr_members = 0;
}

/* The member an entry belongs to: its VM's name into vm (returns true),
 * else its cgroup path; false in *wanted when NAME asks for another. */
static const char *entry_path(struct explain_state *st, const struct usage_entry *e, char *vm,
			      size_t len, bool *is_vm, bool *wanted)
{
	const char *path = e->key.cgroup_id == 0 ? "(unattributed)" :
		st->names ? cgroup_names_lookup(st->names, e->key.cgroup_id) : NULL;

	if (!path)
		path = "(gone)";
	*is_vm = top_vm_of_path(path, vm, len) != NULL;
	*wanted = !st->o.name || !strcmp(st->o.name, path) || (*is_vm && !strcmp(st->o.name, vm));
	return path;
}

/* The whole disk an image is on: a block device's own, a file's
 * filesystem's; 0 when unknown. */
static uint32_t image_disk(const char *file)
{
	struct stat sb;
	char spec[32];
	uint32_t dev;
	dev_t d;

	if (!*file || stat(file, &sb))
		return 0;
	d = S_ISBLK(sb.st_mode) ? sb.st_rdev : sb.st_dev;
	snprintf(spec, sizeof(spec), "%u:%u", major(d), minor(d));
	return disk_resolve(spec, &dev) ? 0 : dev;
}

/* NAME's QEMU's drives now; a failure is said once, until it changes. */
static void read_qmp(struct explain_state *st)
{
	struct explain_qmp *q = st->qmp_now;
	int n = qmp_query_drives(st->o.qmp, EXPLAIN_QMP_TIMEOUT_MS, q->drives, QMP_MAX_DRIVES);

	q->nr = n;
	if (n < 0 && n != st->qmp_err)
		log_warn("explain: QMP %s: %s: QEMU's own counts not shown while it lasts", st->o.qmp,
			 strerror(-n));
	st->qmp_err = n < 0 ? n : 0;
	for (int i = 0; i < n; i++)
		q->dev[i] = image_disk(q->drives[i].file);
}

/* The image's disk is dev, or dev is beneath it (an image on an LV). */
static bool image_on(uint32_t image, uint32_t dev)
{
	uint32_t leaves[16];
	int n;

	if (!image || image == dev)
		return image != 0;
	n = disk_leaves(image, leaves, 16);
	for (int i = 0; i < n; i++)
		if (leaves[i] == dev)
			return true;
	return false;
}

/* The requests QEMU completed in the window on the drives whose images
 * are on dev; false when unknown (no reading at either end, a drive new
 * since the last, a counter that went back: a QEMU restarted). */
static bool qmp_window(const struct explain_state *st, uint32_t dev, double out[EXPLAIN_NR_DIRS])
{
	const struct explain_qmp *was = st->qmp_was, *now = st->qmp_now;
	bool any = false;

	out[EXPLAIN_READ] = out[EXPLAIN_WRITE] = 0;
	if (!was || was->nr < 0 || now->nr < 0)
		return false;
	for (int i = 0; i < now->nr; i++) {
		const struct qmp_drive *a = &now->drives[i], *b = NULL;

		if (!image_on(now->dev[i], dev))
			continue;
		for (int j = 0; j < was->nr && !b; j++)
			if (!strcmp(was->drives[j].name, a->name))
				b = &was->drives[j];
		if (!b || a->ops[0] < b->ops[0] || a->ops[1] < b->ops[1])
			return false;
		for (int d = 0; d < EXPLAIN_NR_DIRS; d++)
			out[d] += a->ops[d] - b->ops[d];
		any = true;
	}
	return any;
}

/* The window between two meter readings into each member's slot `slot`. */
static int take_window(struct explain_state *st, const struct usage_table *prev,
		       const struct usage_table *cur, const struct top_disk *disks, size_t nr_disks,
		       int slot)
{
	double secs = (cur->taken_ns - prev->taken_ns) / 1e9;

	for (size_t i = 0; i < cur->nr; i++) {
		const struct usage_entry *e = &cur->entries[i];
		const struct usage_entry *p = usage_table_find(prev, &e->key);
		struct usage_rates bio, dev;
		const char *path;
		char vm[256];
		bool is_vm, wanted;
		struct explain_member *m;

		usage_rates(p ? &p->usage : NULL, &e->usage, IORATE_LEVEL_BIO, secs, &bio);
		usage_rates(p ? &p->usage : NULL, &e->usage, IORATE_LEVEL_DEVICE, secs, &dev);
		if (!bio.ops[IORATE_DIR_READ] && !bio.ops[IORATE_DIR_WRITE] &&
		    !dev.ops[IORATE_DIR_READ] && !dev.ops[IORATE_DIR_WRITE])
			continue;
		path = entry_path(st, e, vm, sizeof(vm), &is_vm, &wanted);
		if (!wanted)
			continue;
		m = member_of(st, is_vm ? vm : path, path, is_vm, e->key.dev);
		if (!m)
			return -ENOMEM;
		m->w[slot].seconds = secs;
		m->w[slot].count[EXPLAIN_BIOS][EXPLAIN_READ] += bio.ops[IORATE_DIR_READ];
		m->w[slot].count[EXPLAIN_BIOS][EXPLAIN_WRITE] += bio.ops[IORATE_DIR_WRITE];
		m->w[slot].count[EXPLAIN_REQUESTS][EXPLAIN_READ] += dev.ops[IORATE_DIR_READ];
		m->w[slot].count[EXPLAIN_REQUESTS][EXPLAIN_WRITE] += dev.ops[IORATE_DIR_WRITE];
		m->w[slot].background += dev.background_ops;
		for (int d = 0; d < EXPLAIN_NR_DIRS; d++) {
			/* counters only grow; an entry that came back counts from 0 */
			m->w[slot].split[d] += e->usage.split_pieces[d] - (p ? p->usage.split_pieces[d] : 0);
			m->w[slot].merged[d] += e->usage.merged[d] - (p ? p->usage.merged[d] : 0);
		}
		if (e->key.cgroup_id) {
			int k;

			for (k = 0; k < m->nr_cgroups && m->cgroups[k] != e->key.cgroup_id; k++)
				;
			if (k == (int)(sizeof(m->cgroups) / sizeof(m->cgroups[0]))) {
				m->cgroups_full = true;
			} else if (k == m->nr_cgroups) {
				m->cgroups[m->nr_cgroups++] = e->key.cgroup_id;
				if (!cgroup_of(st, e->key.cgroup_id))
					return -ENOMEM;
			}
		}
	}
	/* every member's window: its seconds, its disk, its syscalls */
	for (size_t i = 0; i < st->nr_members; i++) {
		struct explain_member *m = &st->members[i];
		struct explain_window *w = &m->w[slot];
		const struct top_disk *now, *before;
		char name[64];

		w->seconds = secs;
		disk_name(m->dev, name, sizeof(name));
		now = top_disk_find(disks, nr_disks, name);
		before = top_disk_find(st->disks, st->nr_disks, name);
		if (now && before && now->rd >= before->rd && now->wr >= before->wr) {
			w->disk[EXPLAIN_READ] = now->rd - before->rd;
			w->disk[EXPLAIN_WRITE] = now->wr - before->wr;
		}
		w->qemu_known = st->o.qmp && qmp_window(st, m->dev, w->qemu);
		w->syscalls_known = m->nr_cgroups > 0 && !m->cgroups_full;
		for (int k = 0; k < m->nr_cgroups; k++) {
			struct explain_cgroup *c = cgroup_of(st, m->cgroups[k]);

			if (!c || !c->delta_known) {
				w->syscalls_known = false;
				continue;
			}
			w->count[EXPLAIN_SYSCALLS][EXPLAIN_READ] += c->delta[EXPLAIN_READ];
			w->count[EXPLAIN_SYSCALLS][EXPLAIN_WRITE] += c->delta[EXPLAIN_WRITE];
		}
	}
	return 0;
}

static const char *const dir_key[EXPLAIN_NR_DIRS] = { "read", "write" };

static struct json_object *json_rates(const double v[EXPLAIN_NR_DIRS])
{
	struct json_object *o;

	if (v[EXPLAIN_READ] < 0)
		return NULL;
	o = json_object_new_object();
	for (int d = 0; d < EXPLAIN_NR_DIRS; d++)
		json_object_object_add(o, dir_key[d], json_object_new_double(v[d]));
	return o;
}

static void print_member_json(struct json_object *arr, const struct explain_member *m,
			      const struct explain_result *r)
{
	struct json_object *o = json_object_new_object();
	char dev[64];

	disk_name(m->dev, dev, sizeof(dev));
	json_object_object_add(o, "name", json_object_new_string(m->label));
	json_object_object_add(o, "vm", m->vm ? json_object_new_string(m->label) : NULL);
	json_object_object_add(o, "cgroup", json_object_new_string(m->cgroup));
	json_object_object_add(o, "device", json_object_new_string(dev));
	json_object_object_add(o, "qemu", json_rates(r->qemu_rate));
	json_object_object_add(o, "syscalls", json_rates(r->rate[EXPLAIN_SYSCALLS]));
	json_object_object_add(o, "bios", json_rates(r->rate[EXPLAIN_BIOS]));
	json_object_object_add(o, "split_pieces", json_rates(r->split_rate));
	json_object_object_add(o, "merged", json_rates(r->merged_rate));
	json_object_object_add(o, "requests", json_rates(r->rate[EXPLAIN_REQUESTS]));
	json_object_object_add(o, "disk", json_rates(r->disk_rate));
	json_object_object_add(o, "judged", json_object_new_string(dir_key[r->dir]));
	json_object_object_add(o, "disk_share",
			       r->disk_share < 0 ? NULL : json_object_new_double(r->disk_share));
	json_object_object_add(o, "background_share", json_object_new_double(r->background_share));
	json_object_object_add(o, "largest_s", json_object_new_double(r->largest_s));
	json_object_object_add(o, "top_windows", json_object_new_int(r->top_windows));
	json_object_object_add(o, "top_share", json_object_new_double(r->top_share));
	json_object_object_add(o, "verdict", json_object_new_string(r->verdict));
	json_object_array_add(arr, o);
}

static void print_member_text(const struct explain_member *m, const struct explain_result *r,
			      bool qmp)
{
	static const char *const stage_line[EXPLAIN_NR_STAGES] = {
		"syscalls of its processes", "bios past blk-throttle", "requests at the disk",
	};
	char dev[64];

	disk_name(m->dev, dev, sizeof(dev));
	if (m->vm)
		printf("%s on %s (%s)\n", m->label, dev, m->cgroup);
	else
		printf("%s on %s\n", m->label, dev);
	printf("  %-38s %9s %10s\n", "", "reads/s", "writes/s");
	if (qmp && r->qemu_rate[EXPLAIN_READ] < 0)
		printf("  %-38s %9s %10s\n", "requests QEMU completed (QMP)", "-", "-");
	else if (qmp)
		printf("  %-38s %9.1f %10.1f\n", "requests QEMU completed (QMP)",
		       r->qemu_rate[EXPLAIN_READ], r->qemu_rate[EXPLAIN_WRITE]);
	for (int s = 0; s < EXPLAIN_NR_STAGES; s++) {
		if (s == EXPLAIN_REQUESTS) {
			printf("  %-38s %9.1f %10.1f\n", "  of which pieces of split bios",
			       r->split_rate[EXPLAIN_READ], r->split_rate[EXPLAIN_WRITE]);
			printf("  %-38s %9.1f %10.1f\n", "  merged into another request",
			       r->merged_rate[EXPLAIN_READ], r->merged_rate[EXPLAIN_WRITE]);
		}
		if (r->rate[s][EXPLAIN_READ] < 0)
			printf("  %-38s %9s %10s\n", stage_line[s], "-", "-");
		else
			printf("  %-38s %9.1f %10.1f\n", stage_line[s], r->rate[s][EXPLAIN_READ],
			       r->rate[s][EXPLAIN_WRITE]);
	}
	printf("  %-38s %9.1f %10.1f", "the whole disk (iostat)", r->disk_rate[EXPLAIN_READ],
	       r->disk_rate[EXPLAIN_WRITE]);
	if (r->disk_share >= 0)
		printf("   its share %.0f%%", 100 * r->disk_share);
	printf("\n  %-38s %8.0f%%\n", "background (writeback) requests", 100 * r->background_share);
	printf("  largest 1 s window of %-15s %10.1f   mean %.1f\n",
	       r->dir == EXPLAIN_WRITE ? "writes" : "reads", r->largest_s,
	       r->rate[EXPLAIN_REQUESTS][r->dir]);
	printf("  => %s\n\n", r->verdict);
}

static int report(struct explain_state *st)
{
	struct json_object *top = NULL, *arr = NULL;
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (st->o.json) {
		top = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(top, "time", json_object_new_int64(now));
		json_object_object_add(top, "windows", json_object_new_int(st->o.seconds));
	} else {
		printf("iorate explain: %d s to %02d:%02d:%02d, %zu member(s) with I/O\n\n",
		       st->o.seconds, tm.tm_hour, tm.tm_min, tm.tm_sec, st->nr_members);
	}
	for (size_t i = 0; i < st->nr_members; i++) {
		struct explain_result r;

		explain_summarize(st->members[i].w, st->o.seconds, &r);
		if (st->o.json)
			print_member_json(arr, &st->members[i], &r);
		else
			print_member_text(&st->members[i], &r, st->o.qmp);
	}
	if (st->o.json) {
		json_object_object_add(top, "members", arr);
		puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN));
		json_object_put(top);
	} else if (!st->nr_members) {
		printf("no I/O%s%s\n\n", st->o.name ? " from " : "", st->o.name ? st->o.name : "");
	}
	fflush(stdout);
	return 0;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !explain_exiting)
		;
}

int do_explain(int argc, char **argv)
{
	struct explain_state st = { 0 };
	struct usage_table prev, cur, tmp;
	struct meter *meter = NULL;
	struct timespec ts;
	uint64_t next_ns;
	bool is_v2;
	int err;

	if (explain_parse(argc, argv, &st.o))
		return 2;
	signal(SIGINT, explain_on_signal);
	signal(SIGTERM, explain_on_signal);
	usage_table_init(&prev);
	usage_table_init(&cur);
	if (cgroupfs_find_io_root(st.root, sizeof(st.root), &is_v2) == 0)
		cgroup_names_new(st.root, &st.names);
	else
		log_warn("no cgroup hierarchy with io or blkio found: cgroups shown by id, no syscalls");
	err = meter_open(&meter, METER_SEE_MERGES);
	if (err)
		goto cleanup;
	if (st.o.qmp) {
		st.qmp_was = calloc(1, sizeof(*st.qmp_was));
		st.qmp_now = calloc(1, sizeof(*st.qmp_now));
		if (!st.qmp_was || !st.qmp_now) {
			err = -ENOMEM;
			goto cleanup;
		}
		read_qmp(&st);
	}
	err = meter_read(meter, &prev);
	if (!err)
		err = top_read_diskstats(&st.disks, &st.nr_disks);
	if (!err)
		log_info("explain: attached (observe-only), cgroups from %s, %d s in 1 s windows",
			 st.names ? st.root : "-", st.o.seconds);
	if (err)
		goto cleanup;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	next_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (long it = 0; !explain_exiting && (!st.o.intervals || it < st.o.intervals); it++) {
		members_free(&st);
		for (int slot = 0; slot < st.o.seconds && !explain_exiting; slot++) {
			struct top_disk *disks = NULL;
			size_t nr_disks = 0;

			next_ns += (uint64_t)(EXPLAIN_WINDOW_S * 1e9);
			sleep_until(next_ns);
			err = meter_read(meter, &cur);
			if (!err)
				err = top_read_diskstats(&disks, &nr_disks);
			if (err)
				goto cleanup;
			take_syscalls(&st);
			if (st.o.qmp) {
				struct explain_qmp *q = st.qmp_was;

				st.qmp_was = st.qmp_now;
				st.qmp_now = q;
				read_qmp(&st);
			}
			err = take_window(&st, &prev, &cur, disks, nr_disks, slot);
			free(st.disks);
			st.disks = disks;
			st.nr_disks = nr_disks;
			if (err)
				goto cleanup;
			tmp = prev;
			prev = cur;
			cur = tmp;
		}
		if (!explain_exiting)
			report(&st);
	}

cleanup:
	if (err)
		log_error("explain: %s", strerror(-err));
	members_free(&st);
	free(st.members);
	free(st.cgs);
	free(st.disks);
	free(st.qmp_was);
	free(st.qmp_now);
	usage_table_free(&prev);
	usage_table_free(&cur);
	meter_close(meter);
	cgroup_names_free(st.names);
	return err ? 1 : 0;
}
