/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The BPF meter: loads and attaches the accounting programs, reads the
 * usage map. Used by the daemon and, when none runs, by `iorate top`. */
#ifndef IORATE_METER_H
#define IORATE_METER_H

#include <stdbool.h>
#include <stdint.h>
#include "usage.h"

struct meter;

/* iorate explain's: also count merges (struct iorate_usage.merged), a
 * lookup per merge that enforcement and top do without. */
#define METER_SEE_MERGES	(1U << 0)
/* The daemon's: also watch pages dirtied for another cgroup's inode
 * (foreign_dirty, one run per page a buffered writer dirties on the whole
 * host), which only enforcement acts on. Observe-only meters leave it
 * out: besides its cost, each attach patches a hot call site, and a TCG
 * guest can trip on a half-patched one (tools/vmtest: a 6.12 panic in
 * __folio_mark_dirty, CI 2026-12-08). */
#define METER_SEE_FOREIGN	(1U << 1)

int meter_open(struct meter **out, unsigned int flags);
/* Whether foreign-dirty events can come (the kernel has cgroup writeback). */
bool meter_sees_foreign_dirty(const struct meter *m);
void meter_close(struct meter *m);
/* Replace t's contents with the current counters (batch reads: one
 * syscall per METER_BATCH_ENTRIES entries). */
int meter_read(struct meter *m, struct usage_table *t);
/* Remove these (cgroup, disk) entries: their cgroups are gone. Returns how
 * many were removed, or -errno. */
int meter_forget(struct meter *m, const struct iorate_usage_key *keys, uint32_t nr);
void meter_read_stats(struct meter *m, uint64_t stats[IORATE_NR_STATS]);
/* Runs of the counting programs the kernel skipped since they attached,
 * each an I/O not counted: a tracepoint that fires on a CPU where the same
 * program is already running (a completion interrupt inside another
 * completion) does not run it again (bpf_prog_info.recursion_misses). */
uint64_t meter_runs_missed(struct meter *m);
struct iorate_bpf *meter_skel(struct meter *m);
/* The bucket sets BPF charges (include/iorate_bucket.h), mapped into this
 * process; *nr gets their number. NULL when the map cannot be mapped. */
struct iorate_bucket_set *meter_bucket_sets(struct meter *m, uint32_t *nr);
/* Point one (cgroup, disk) pair's I/O at bucket sets; NULL: at none. */
int meter_set_charge(struct meter *m, const struct iorate_usage_key *key,
		     const struct iorate_charge *charge);
/* Lifecycle events (struct iorate_event): a pollable fd, and a drain that
 * calls fn for each event posted since the last one. */
typedef void (*meter_event_fn)(void *ctx, const struct iorate_event *ev);
int meter_events_fd(struct meter *m);
/* Entries the usage map holds (cgroup x disk pairs). */
uint32_t meter_usage_capacity(struct meter *m);
/* Exec events for every process (while a policy selects processes), and
 * an exit event for each watched pid. */
void meter_watch_exec(struct meter *m, bool on);
/* Which levels (bit per enum iorate_level) any pair in the charges map is
 * charged at: the programs of the others skip the lookup. */
void meter_charge_levels(struct meter *m, uint32_t levels);
int meter_watch_pid(struct meter *m, uint32_t pid, bool on);
int meter_drain_events(struct meter *m, meter_event_fn fn, void *ctx);

#endif
