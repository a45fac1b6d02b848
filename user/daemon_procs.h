/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The daemon's side of process matches: find the processes a group
 * selects, give each a cgroup of its own when it shares one (move), keep
 * them members across scans, and clean up when they exit.
 */
#ifndef IORATE_DAEMON_PROCS_H
#define IORATE_DAEMON_PROCS_H

#include "daemon.h"

/* After start or reload: switch exec events on or off for the policy,
 * drop what the policy no longer selects, and walk /proc once. */
void daemon_procs_start(struct daemon *d);
/* Walk /proc: new matches placed, exited processes forgotten. */
void daemon_procs_scan(struct daemon *d);
/* A process exec'ed (BPF event): place it if a group selects it. */
void daemon_procs_exec(struct daemon *d, int pid);
/* A watched process exited (BPF event). */
void daemon_procs_exit(struct daemon *d, int pid);
/* Add the tracked processes' cgroups to freshly scanned members. */
void daemon_procs_add_members(struct daemon *d, struct group_members *gm);
/* Remove the cgroups iorate made whose process is gone (retried: the
 * exit event comes before the kernel lets the cgroup go). */
void daemon_procs_tick(struct daemon *d);
void daemon_procs_free(struct daemon *d);
/* Before a reload swaps in fresh: old group index -> new (-1: gone);
 * processes the fresh policy no longer selects are let go. */
void daemon_procs_regroup(struct daemon *d, const int *new_index, const struct policy *fresh);

#endif
