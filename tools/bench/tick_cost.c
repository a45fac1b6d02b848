// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tick-cost [-i TICKS] [N...]: the daemon's CPU time per tick against a
 * usage map holding N (cgroup, disk) entries, on this machine's kernel
 * (root: it loads the real meter). `make bench-tick`; docs/bench.md.
 *
 * Each tick does what daemon_tick() does with the meter and the usage
 * tables, timed in two parts (the ticks run back to back; the rates are
 * taken over a fixed 100 ms, the default tick):
 *   read   meter_read(): the usage map in batches (one syscall per 1024
 *          entries) into a sorted usage_table
 *   feed   the table work of daemon.c's feed() for one group of N members
 *          on one disk: per entry the previous sample (usage_table_find),
 *          the member owning the cgroup (members_owner), the rates at the
 *          accounting level and at the bio level (usage_rates), summed into
 *          that member's input
 * and, in the same run on the same map, the yardstick: the read the old
 * way, bpf_map_get_next_key + bpf_map_lookup_elem per entry (two syscalls
 * each) into the same table.
 *
 * Left out: the controller (ctl_binding_slot to find a member's slot,
 * ctl_binding_tick), whose API was reworked while this was written
 * (ad5c682: bucket levels in BPF): here a member's input is an array
 * element, not a slot found by binary search; the cgroup scan and events (not every tick); io.max
 * writes (apply(): only on change, and cgroup v2's io controller is not
 * needed to measure the rest).
 *
 * The entries are synthetic: cgroup ids above any real one (1 << 48 + i)
 * on a disk that does not exist, their counters advanced between ticks by
 * one batch update (untimed). The meter's programs are attached as in the
 * daemon, so the host's own I/O adds its few entries too. This process's
 * maps go with it: nothing to clean up. Prints figures, asserts nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "iorate.skel.h"
#include "log.h"
#include "members.h"
#include "meter.h"
#include "usage.h"

#define FAKE_CGROUP_BASE	(1ULL << 48)
#define TICK_S			0.1	/* the default tick */
#define WARMUP_TICKS		5	/* buffers grown, caches warm: not counted */
#define DEFAULT_TICKS		200

enum part { PART_READ, PART_FEED, PART_TICK, PART_WALK, PART_OLD_TICK, NR_PARTS };

static const char *const part_name[NR_PARTS] = {
	"read (batch)", "feed", "read + feed", "read (2 syscalls/entry)", "old read + feed",
};

/* One member's I/O in one tick, as the controller takes it (ctl_input). */
struct member_input {
	double ops[2];		/* read, write */
	double bytes[2];
};

struct bench {
	struct meter *meter;
	int fd;				/* the usage map */
	uint32_t dev;
	/* the synthetic entries: keys[i], vals[i] for i < nr_in_map */
	struct iorate_usage_key *keys;
	struct iorate_usage *vals;
	uint32_t nr_alloc, nr_in_map;
	/* the daemon's side, rebuilt for each N */
	struct group_members members;
	struct member_input *dev_in, *thr_in;	/* per member: device, bio level */
	struct usage_table prev, cur, walk;
	uint64_t *ns[NR_PARTS];		/* CPU ns per tick, per part */
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Member i's I/O in one tick: 50-450 reads, half as many writes of
 * 64 KiB, each split in two on its way to the device, as a real meter
 * would count them (the rates differ by level). */
static void advance(struct iorate_usage *u, uint32_t i)
{
	uint64_t rd = 50 + (i * 37) % 400, wr = rd / 2;

	for (int lvl = 0; lvl < IORATE_NR_LEVELS; lvl++) {
		uint64_t split = lvl == IORATE_LEVEL_DEVICE ? 2 : 1;

		u->io[lvl][IORATE_DIR_READ].ops += rd;
		u->io[lvl][IORATE_DIR_READ].bytes += rd * 4096;
		u->io[lvl][IORATE_DIR_WRITE].ops += wr * split;
		u->io[lvl][IORATE_DIR_WRITE].bytes += wr * 65536;
	}
	u->latency_ns[IORATE_DIR_READ] += rd * 200000;
	u->latency_ns[IORATE_DIR_WRITE] += wr * 2 * 500000;
	u->background_ops += wr;
}

/* The map holds exactly n synthetic entries (fewer if it fills first:
 * the host's own I/O has entries in it too). */
static int set_entries(struct bench *b, uint32_t n)
{
	/* a batch update takes no BPF_NOEXIST/BPF_EXIST: each is BPF_ANY */
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count;
	int err;

	if (n > b->nr_alloc) {
		struct iorate_usage_key *keys = realloc(b->keys, n * sizeof(*keys));
		struct iorate_usage *vals;

		if (!keys)
			return -ENOMEM;
		b->keys = keys;
		vals = realloc(b->vals, n * sizeof(*vals));
		if (!vals)
			return -ENOMEM;
		b->vals = vals;
		for (uint32_t i = b->nr_alloc; i < n; i++) {
			b->keys[i] = (struct iorate_usage_key){
				.cgroup_id = FAKE_CGROUP_BASE + i, .dev = b->dev,
			};
			memset(&b->vals[i], 0, sizeof(b->vals[i]));
			advance(&b->vals[i], i);
		}
		b->nr_alloc = n;
	}
	if (n < b->nr_in_map) {
		err = meter_forget(b->meter, b->keys + n, b->nr_in_map - n);
		if (err < 0)
			return err;
		b->nr_in_map = n;
		return 0;
	}
	count = n - b->nr_in_map;
	err = bpf_map_update_batch(b->fd, b->keys + b->nr_in_map, b->vals + b->nr_in_map,
				   &count, &opts);
	b->nr_in_map += count;
	if (err && errno != E2BIG)
		return -errno;
	return 0;
}

/* Every entry's counters grow by one tick's I/O: one syscall, untimed. */
static int advance_all(struct bench *b)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = b->nr_in_map;

	for (uint32_t i = 0; i < b->nr_in_map; i++)
		advance(&b->vals[i], i);
	if (bpf_map_update_batch(b->fd, b->keys, b->vals, &count, &opts))
		return -errno;
	return 0;
}

/* One group, one member cgroup per synthetic entry, on the fake disk. */
static int build_daemon_side(struct bench *b)
{
	char path[64];
	int err;

	members_free(&b->members, 1);
	free(b->dev_in);
	free(b->thr_in);
	b->dev_in = calloc(b->nr_in_map + 1, sizeof(*b->dev_in));
	b->thr_in = calloc(b->nr_in_map + 1, sizeof(*b->thr_in));
	if (!b->dev_in || !b->thr_in)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nr_in_map; i++) {
		snprintf(path, sizeof(path), "/machine.slice/bench-%u.scope", i);
		err = members_add_member(&b->members, path, b->keys[i].cgroup_id);
		if (err)
			return err;
	}
	b->members.nr_devs = 1;
	b->members.devs[0] = b->dev;
	usage_table_clear(&b->prev);
	return meter_read(b->meter, &b->prev);
}

static void add_input(struct member_input *in, const struct usage_rates *r)
{
	in->ops[0] += r->ops[IORATE_DIR_READ];
	in->ops[1] += r->ops[IORATE_DIR_WRITE];
	in->bytes[0] += r->bytes[IORATE_DIR_READ];
	in->bytes[1] += r->bytes[IORATE_DIR_WRITE];
}

/* The table work of daemon.c's feed() (static there: kept in step by
 * hand) for one group on one disk, accounting at the device level. The
 * host's own cgroups' entries are skipped, as the daemon skips every
 * cgroup that is no member. */
static void feed(struct bench *b, double dt_s)
{
	struct group_members *gm = &b->members;

	memset(b->dev_in, 0, gm->nr * sizeof(*b->dev_in));
	memset(b->thr_in, 0, gm->nr * sizeof(*b->thr_in));
	for (size_t e = 0; e < b->cur.nr; e++) {
		const struct usage_entry *cur = &b->cur.entries[e];
		const struct usage_entry *prev = usage_table_find(&b->prev, &cur->key);
		int m = members_owner(gm, cur->key.cgroup_id);
		struct usage_rates at_level, at_bio;

		if (m < 0 || cur->key.dev != gm->devs[0])
			continue;
		usage_rates(prev ? &prev->usage : NULL, &cur->usage, IORATE_LEVEL_DEVICE, dt_s,
			    &at_level);
		usage_rates(prev ? &prev->usage : NULL, &cur->usage, IORATE_LEVEL_BIO, dt_s, &at_bio);
		add_input(&b->dev_in[m], &at_level);
		add_input(&b->thr_in[m], &at_bio);
	}
}

/* The yardstick: the whole map, two syscalls per entry. */
static int read_walk(int fd, struct usage_table *t)
{
	struct iorate_usage_key key, next, *at = NULL;
	struct iorate_usage u;
	int err;

	usage_table_clear(t);
	t->taken_ns = mono_ns();
	while (!bpf_map_get_next_key(fd, at, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &u) && (err = usage_table_add(t, &next, &u)))
			return err;
		key = next;
		at = &key;
	}
	if (errno != ENOENT)
		return -errno;
	usage_table_sort(t);
	return 0;
}

/* One tick, timed part by part, then the yardstick on the same map. */
static int tick(struct bench *b, int slot)
{
	struct usage_table tmp;
	uint64_t t0, t1, t2, t3;
	int err;

	err = advance_all(b);
	if (err)
		return err;
	t0 = cpu_ns();
	err = meter_read(b->meter, &b->cur);
	if (err)
		return err;
	t1 = cpu_ns();
	feed(b, TICK_S);
	t2 = cpu_ns();
	err = read_walk(b->fd, &b->walk);
	if (err)
		return err;
	t3 = cpu_ns();
	tmp = b->prev;
	b->prev = b->cur;
	b->cur = tmp;
	if (slot < 0)
		return 0;
	b->ns[PART_READ][slot] = t1 - t0;
	b->ns[PART_FEED][slot] = t2 - t1;
	b->ns[PART_TICK][slot] = t2 - t0;
	b->ns[PART_WALK][slot] = t3 - t2;
	b->ns[PART_OLD_TICK][slot] = (t3 - t2) + (t2 - t1);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least pct% of ticks at or below. */
static double pct_us(uint64_t *ns, int n, int pct)
{
	int rank = (n * pct + 99) / 100;

	return ns[rank > 0 ? rank - 1 : 0] / 1000.0;
}

static void print_header(struct bench *b, int ticks)
{
	struct utsname u;

	uname(&u);
	printf("tick-cost: kernel %s, %ld CPUs, usage map of %u entries, %d ticks per N (after %d warm-up)\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), meter_usage_capacity(b->meter), ticks,
	       WARMUP_TICKS);
	printf("CPU time per tick (CLOCK_PROCESS_CPUTIME_ID), microseconds, median / p99;\n"
	       "feed: the usage-table work per entry (no controller); the last two columns read the same\n"
	       "map the old way, two syscalls per entry\n");
	printf("%-8s", "entries");
	for (int p = 0; p < NR_PARTS; p++)
		printf("  %23s", part_name[p]);
	printf("\n");
}

static int run_n(struct bench *b, uint32_t n, int ticks)
{
	int err;

	err = set_entries(b, n);
	if (err)
		return err;
	err = build_daemon_side(b);
	if (err)
		return err;
	for (int i = 0; i < WARMUP_TICKS + ticks; i++) {
		err = tick(b, i - WARMUP_TICKS);
		if (err)
			return err;
	}
	printf("%-8zu", b->prev.nr);
	for (int p = 0; p < NR_PARTS; p++) {
		qsort(b->ns[p], ticks, sizeof(uint64_t), cmp_u64);
		printf("  %10.1f / %10.1f", pct_us(b->ns[p], ticks, 50), pct_us(b->ns[p], ticks, 99));
	}
	printf("\n");
	if (b->nr_in_map < n)
		printf("# asked %u, the map took %u synthetic entries (it was full)\n", n, b->nr_in_map);
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: tick-cost [-i TICKS] [N...]   (default: -i %d 1000 10000 16384)\n",
		DEFAULT_TICKS);
}

int main(int argc, char **argv)
{
	static const uint32_t default_ns[] = { 1000, 10000, 16384 };
	struct bench b = { .dev = iorate_mkdev(259, 999) };	/* no such disk */
	int ticks = DEFAULT_TICKS, opt, err;

	while ((opt = getopt(argc, argv, "i:h")) != -1) {
		switch (opt) {
		case 'i':
			ticks = atoi(optarg);
			if (ticks > 0)
				break;
			/* fallthrough */
		default:
			usage();
			return 2;
		}
	}
	log_set_level(LOG_LEVEL_WARN);
	usage_table_init(&b.prev);
	usage_table_init(&b.cur);
	usage_table_init(&b.walk);
	for (int p = 0; p < NR_PARTS; p++) {
		b.ns[p] = calloc(ticks, sizeof(uint64_t));
		if (!b.ns[p]) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	err = meter_open(&b.meter, 0);
	if (err) {
		fprintf(stderr, "tick-cost: cannot load the meter (root, kernel BTF)\n");
		goto cleanup;
	}
	b.fd = bpf_map__fd(meter_skel(b.meter)->maps.usage);
	print_header(&b, ticks);
	if (optind == argc) {
		for (size_t i = 0; i < sizeof(default_ns) / sizeof(default_ns[0]) && !err; i++)
			err = run_n(&b, default_ns[i], ticks);
	}
	for (int i = optind; i < argc && !err; i++) {
		long n = strtol(argv[i], NULL, 10);

		if (n <= 0 || n > 1 << 22) {
			usage();
			err = -EINVAL;
			break;
		}
		err = run_n(&b, n, ticks);
	}
	if (err)
		fprintf(stderr, "tick-cost: %s\n", strerror(-err));

cleanup:
	meter_close(b.meter);
	members_free(&b.members, 1);
	free(b.dev_in);
	free(b.thr_in);
	usage_table_free(&b.prev);
	usage_table_free(&b.cur);
	usage_table_free(&b.walk);
	free(b.keys);
	free(b.vals);
	for (int p = 0; p < NR_PARTS; p++)
		free(b.ns[p]);
	return err ? 1 : 0;
}
