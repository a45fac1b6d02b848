// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "iorate.skel.h"
#include "kquirks.h"
#include "log.h"
#include "meter.h"

struct meter {
	struct iorate_bpf *skel;
	struct ring_buffer *events;
	meter_event_fn event_fn;
	void *event_ctx;
	int nr_cpus;
	uint32_t usage_entries;
	/* batch buffers: one read of up to batch_cap entries per syscall */
	struct iorate_usage_key *batch_keys;
	struct iorate_usage *batch_values;
	uint32_t batch_cap;
	struct iorate_bucket_set *bucket_sets;	/* the array map, mmapped */
	size_t bucket_sets_len;
	bool foreign_dirty;	/* foreign_dirty loaded (kquirk_foreign_dirty_folio) */
};

/* Entries per batch syscall: 1000 VMs' pairs in one or two calls, 180 KiB
 * of buffers. Grown when one hash bucket holds more (ENOSPC). */
#define METER_BATCH_ENTRIES	1024

static int meter_on_event(void *ctx, void *data, size_t len)
{
	struct meter *m = ctx;

	if (len >= sizeof(struct iorate_event) && m->event_fn)
		m->event_fn(m->event_ctx, data);
	return 0;
}

void meter_watch_exec(struct meter *m, bool on)
{
	m->skel->bss->watch_exec = on;
}

void meter_charge_levels(struct meter *m, uint32_t levels)
{
	m->skel->bss->charge_levels = levels;
}

int meter_watch_pid(struct meter *m, uint32_t pid, bool on)
{
	int fd = bpf_map__fd(m->skel->maps.watched_pids);
	uint8_t one = 1;

	if (on)
		return bpf_map_update_elem(fd, &pid, &one, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(fd, &pid) && errno != ENOENT)
		return -errno;
	return 0;
}

bool meter_sees_foreign_dirty(const struct meter *m)
{
	return m->foreign_dirty;
}

uint32_t meter_usage_capacity(struct meter *m)
{
	return m->usage_entries;
}

int meter_events_fd(struct meter *m)
{
	return ring_buffer__epoll_fd(m->events);
}

int meter_drain_events(struct meter *m, meter_event_fn fn, void *ctx)
{
	int n;

	m->event_fn = fn;
	m->event_ctx = ctx;
	n = ring_buffer__consume(m->events);
	m->event_fn = NULL;
	return n;
}

int meter_open(struct meter **out, unsigned int flags)
{
	struct btf *vmlinux;
	struct meter *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	libbpf_set_print(log_libbpf);

	m->nr_cpus = libbpf_num_possible_cpus();
	if (m->nr_cpus <= 0) {
		err = m->nr_cpus ? m->nr_cpus : -EINVAL;
		log_error("cannot count possible CPUs: %s", strerror(-err));
		goto cleanup;
	}

	m->skel = iorate_bpf__open();
	if (!m->skel) {
		err = -errno;
		log_error("failed to open BPF object: %s", strerror(-err));
		goto cleanup;
	}
	/* IORATE_USAGE_MAP_ENTRIES: a smaller (or larger) usage map, for
	 * hosts with more cgroup x disk pairs than the default and for the
	 * test that fills it */
	if (getenv("IORATE_USAGE_MAP_ENTRIES")) {
		long n = strtol(getenv("IORATE_USAGE_MAP_ENTRIES"), NULL, 10);

		if (n > 0 && n <= 1 << 22)
			bpf_map__set_max_entries(m->skel->maps.usage, n);
	}
	m->usage_entries = bpf_map__max_entries(m->skel->maps.usage);
	/* A kernel without cgroup writeback (no memcg or blkcg) has no
	 * foreign dirtying to see, nor inode->i_wb; one before 5.17 has
	 * writeback_dirty_page (a struct page, not the folio the program
	 * reads), and would fail the whole object's load. Everything else
	 * still works. */
	if (flags & METER_SEE_FOREIGN) {
		vmlinux = btf__load_vmlinux_btf();
		m->foreign_dirty = vmlinux && kquirk_foreign_dirty_folio(vmlinux) == 1;
		btf__free(vmlinux);
	}
	if (!m->foreign_dirty)
		bpf_program__set_autoload(m->skel->progs.foreign_dirty, false);
	if (!(flags & METER_SEE_MERGES)) {
		bpf_program__set_autoload(m->skel->progs.bio_backmerge, false);
		bpf_program__set_autoload(m->skel->progs.bio_frontmerge, false);
		bpf_program__set_autoload(m->skel->progs.rq_merge, false);
	}
	err = iorate_bpf__load(m->skel);
	if (err) {
		log_error("failed to load BPF programs: %s (needs root, kernel BTF and tp_btf: Linux >= 5.16)",
			  strerror(-err));
		goto cleanup;
	}
	err = iorate_bpf__attach(m->skel);
	if (err) {
		log_error("failed to attach BPF programs: %s", strerror(-err));
		goto cleanup;
	}
	m->events = ring_buffer__new(bpf_map__fd(m->skel->maps.events), meter_on_event, m, NULL);
	if (!m->events) {
		err = -errno;
		log_error("failed to open the event ring buffer: %s", strerror(-err));
		goto cleanup;
	}
	*out = m;
	return 0;

cleanup:
	meter_close(m);
	return err;
}

void meter_close(struct meter *m)
{
	if (!m)
		return;
	if (m->bucket_sets)
		munmap(m->bucket_sets, m->bucket_sets_len);
	ring_buffer__free(m->events);
	iorate_bpf__destroy(m->skel);
	free(m->batch_keys);
	free(m->batch_values);
	free(m);
}

struct iorate_bpf *meter_skel(struct meter *m)
{
	return m->skel;
}

struct iorate_bucket_set *meter_bucket_sets(struct meter *m, uint32_t *nr)
{
	const struct bpf_map *map = m->skel->maps.bucket_sets;
	long page = sysconf(_SC_PAGESIZE);
	void *mem;

	*nr = bpf_map__max_entries(map);
	if (m->bucket_sets)
		return m->bucket_sets;
	m->bucket_sets_len = ((size_t)bpf_map__value_size(map) * *nr + page - 1) / page * page;
	mem = mmap(NULL, m->bucket_sets_len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	if (mem == MAP_FAILED) {
		log_error("cannot map the BPF bucket sets: %s", strerror(errno));
		return NULL;
	}
	m->bucket_sets = mem;
	return mem;
}

int meter_set_charge(struct meter *m, const struct iorate_usage_key *key,
		     const struct iorate_charge *charge)
{
	int fd = bpf_map__fd(m->skel->maps.charges);

	if (charge)
		return bpf_map_update_elem(fd, key, charge, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

static int batch_grow(struct meter *m, uint32_t cap)
{
	struct iorate_usage_key *keys;
	struct iorate_usage *values;

	keys = realloc(m->batch_keys, cap * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	m->batch_keys = keys;
	values = realloc(m->batch_values, cap * sizeof(*values));
	if (!values)
		return -ENOMEM;
	m->batch_values = values;
	m->batch_cap = cap;
	return 0;
}

int meter_read(struct meter *m, struct usage_table *t)
{
	int fd = bpf_map__fd(m->skel->maps.usage);
	__u32 cursor_in, cursor_out, count;
	void *in = NULL;
	int err;

	usage_table_clear(t);
	t->taken_ns = clock_now_ns();
	if (!m->batch_cap && (err = batch_grow(m, METER_BATCH_ENTRIES)))
		return err;
	for (;;) {
		count = m->batch_cap;
		err = bpf_map_lookup_batch(fd, in, &cursor_out, m->batch_keys, m->batch_values,
					   &count, NULL);
		if (err && errno == ENOSPC && m->batch_cap < m->usage_entries) {
			/* one hash bucket holds more than a batch: a bigger one */
			err = batch_grow(m, m->batch_cap * 2);
			if (err)
				return err;
			continue;
		}
		if (err && errno != ENOENT)
			return -errno;
		for (__u32 i = 0; i < count; i++) {
			int add_err = usage_table_add(t, &m->batch_keys[i], &m->batch_values[i]);

			if (add_err)
				return add_err;
		}
		if (err)	/* ENOENT: that was the last batch */
			break;
		cursor_in = cursor_out;
		in = &cursor_in;
	}
	usage_table_sort(t);
	return 0;
}

int meter_forget(struct meter *m, const struct iorate_usage_key *keys, uint32_t nr)
{
	int fd = bpf_map__fd(m->skel->maps.usage);
	uint32_t removed = 0;

	/* One syscall for all. A key already gone (deleted by an earlier
	 * sweep) stops a batch delete with ENOENT: delete the rest one by
	 * one then. */
	while (nr) {
		__u32 count = nr;

		if (!bpf_map_delete_batch(fd, keys, &count, NULL))
			return removed + count;
		removed += count;
		if (errno != ENOENT || count >= nr)
			return removed ? (int)removed : -errno;
		keys += count + 1;	/* skip the missing one */
		nr -= count + 1;
	}
	return removed;
}

uint64_t meter_runs_missed(struct meter *m)
{
	const struct bpf_program *counting[] = {
		m->skel->progs.bio_queue, m->skel->progs.bio_split, m->skel->progs.rq_complete,
	};
	uint64_t missed = 0;

	for (size_t i = 0; i < sizeof(counting) / sizeof(counting[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(counting[i]), &info, &len))
			missed += info.recursion_misses;
	}
	return missed;
}

void meter_read_stats(struct meter *m, uint64_t stats[IORATE_NR_STATS])
{
	int fd = bpf_map__fd(m->skel->maps.stats);
	uint64_t *percpu = calloc(m->nr_cpus, sizeof(uint64_t));

	for (uint32_t i = 0; i < IORATE_NR_STATS; i++) {
		stats[i] = 0;
		if (!percpu || bpf_map_lookup_elem(fd, &i, percpu))
			continue;
		for (int cpu = 0; cpu < m->nr_cpus; cpu++)
			stats[i] += percpu[cpu];
	}
	free(percpu);
}
