/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The daemon's side of process matches: find the processes a group
 * selects, give each a cgroup of its own when it shares one (move), keep
 * them members across scans, and clean up when they exit.
 */
#ifndef IORATE_DAEMON_PROCS_H
#define IORATE_DAEMON_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include "members.h"
#include "meter.h"
#include "policy.h"

/* A process a group selects (pid:, exe:, a bare QEMU by vm:) and the
 * cgroup it is limited in. */
struct daemon_proc {
	int pid;
	int group;
	char *path;		/* below cgroot; NULL: not limited (move = no) */
	uint64_t cgroup_id;
	bool created;		/* iorate made the cgroup: it removes it */
	char *vm_name;		/* a QEMU's -name, else NULL */
};

struct daemon_procs {
	struct daemon_proc *v;
	int nr;
	char **pending_rmdir;	/* cgroups iorate made, to remove once empty */
	int nr_pending_rmdir;
	bool watching;		/* the policy selects processes: exec events on */
};

/* What the tracker works against, the daemon's as of the call: they
 * change at a reload or a scan, so they are passed, not kept (by value:
 * four pointers). */
struct procs_world {
	const char *cgroot;		/* cgroup v2 mount */
	const struct policy *policy;
	struct group_members *members;	/* policy->nr_groups entries */
	struct meter *meter;		/* exec and exit events */
};

/* After start or reload: switch exec events on or off for the policy,
 * drop what the policy no longer selects, and walk /proc once. */
void daemon_procs_start(struct daemon_procs *p, struct procs_world w);
/* Walk /proc: new matches placed, exited processes forgotten. */
void daemon_procs_scan(struct daemon_procs *p, struct procs_world w);
/* A process exec'ed (BPF event): place it if a group selects it. */
void daemon_procs_exec(struct daemon_procs *p, struct procs_world w, int pid);
/* A watched process exited (BPF event). */
void daemon_procs_exit(struct daemon_procs *p, struct procs_world w, int pid);
/* Add the tracked processes' cgroups to freshly scanned members. */
void daemon_procs_add_members(const struct daemon_procs *p, struct group_members *gm);
/* Remove the cgroups iorate made whose process is gone (retried: the
 * exit event comes before the kernel lets the cgroup go). */
void daemon_procs_tick(struct daemon_procs *p, struct procs_world w);
void daemon_procs_free(struct daemon_procs *p);
/* Before a reload swaps in fresh: old group index -> new (-1: gone);
 * processes the fresh policy no longer selects are let go. */
void daemon_procs_regroup(struct daemon_procs *p, struct procs_world w,
			  const int *new_index, const struct policy *fresh);
/* The VM name of the QEMU limited in cgroup (a path below cgroot), NULL:
 * none. */
const char *daemon_procs_vm_name(const struct daemon_procs *p, const char *cgroup);

#endif
