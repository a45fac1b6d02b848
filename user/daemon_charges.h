/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The daemon's side of the buckets in BPF: the bucket sets' memory (the
 * BPF array, mmapped), the charges map that tells BPF which sets each
 * (cgroup, disk) pair's I/O is charged to, and a bucket that fills between
 * ticks.
 */
#ifndef IORATE_DAEMON_CHARGES_H
#define IORATE_DAEMON_CHARGES_H

#include "daemon.h"

/* After meter_open: map the sets and hand them to the bindings. */
int daemon_charges_open(struct daemon *d);
void daemon_charges_close(struct daemon *d);
/* After members or bindings changed: point every member's and
 * descendant's (cgroup, disk) pair at its sets, unpoint the rest. Cheap
 * when nothing changed. */
void daemon_charges_sync(struct daemon *d);
/* BPF says a set filled up: its binding's io.max lines are recomputed
 * now. Returns true when a binding was tightened (the caller applies). */
bool daemon_bucket_full(struct daemon *d, uint32_t set);

#endif
