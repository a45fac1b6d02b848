// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "iorate.skel.h"
#include "log.h"
#include "meter.h"

struct meter {
	struct iorate_bpf *skel;
	struct ring_buffer *events;
	meter_event_fn event_fn;
	void *event_ctx;
	int nr_cpus;
	uint32_t usage_entries;
	struct iorate_usage *percpu;	/* one value per possible CPU */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

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

int meter_open(struct meter **out)
{
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
	m->percpu = calloc(m->nr_cpus, sizeof(*m->percpu));
	if (!m->percpu) {
		err = -ENOMEM;
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
	ring_buffer__free(m->events);
	iorate_bpf__destroy(m->skel);
	free(m->percpu);
	free(m);
}

struct iorate_bpf *meter_skel(struct meter *m)
{
	return m->skel;
}

int meter_read(struct meter *m, struct usage_table *t)
{
	int fd = bpf_map__fd(m->skel->maps.usage);
	struct iorate_usage_key key, next, *prev = NULL;
	int err;

	usage_table_clear(t);
	t->taken_ns = now_ns();
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct iorate_usage sum = {};

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, m->percpu))
			continue;	/* deleted while we walked */
		for (int cpu = 0; cpu < m->nr_cpus; cpu++)
			usage_accumulate(&sum, &m->percpu[cpu]);
		err = usage_table_add(t, &key, &sum);
		if (err)
			return err;
	}
	usage_table_sort(t);
	return 0;
}

int meter_forget_cgroup(struct meter *m, uint64_t cgroup_id)
{
	int fd = bpf_map__fd(m->skel->maps.usage);
	struct iorate_usage_key key, next, *prev = NULL;
	int removed = 0;

	/* Collect first: deleting while walking restarts get_next_key. */
	struct iorate_usage_key doomed[64];
	int nr = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.cgroup_id == cgroup_id && nr < 64)
			doomed[nr++] = key;
	}
	for (int i = 0; i < nr; i++)
		if (!bpf_map_delete_elem(fd, &doomed[i]))
			removed++;
	return removed;
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
