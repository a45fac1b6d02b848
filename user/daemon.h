/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The enforcing daemon's state and its tick: meter -> members -> control
 * loop -> io.max. Everything the daemon holds lives here, not in globals.
 */
#ifndef IORATE_DAEMON_H
#define IORATE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include "bucket_sets.h"
#include "controller.h"
#include "daemon_cluster.h"
#include "daemon_foreign.h"
#include "daemon_procs.h"
#include "disk.h"
#include "iomax.h"
#include "libvirt_live.h"
#include "members.h"
#include "meter.h"
#include "policy.h"
#include "state.h"
#include "usage.h"

struct daemon_binding {
	int group;		/* index into policy.groups */
	struct ctl_binding ctl;
};

/* One entry of the BPF charges map as last written. */
struct daemon_charge {
	struct iorate_usage_key key;
	struct iorate_charge charge;
};

/* cgroups removed in the last seconds. A read may still find them: their
 * entry on a disk no read had seen when the rmdir event came, or a
 * request that completed after the rmdir. */
#define DAEMON_GONE_IDS 1024
struct daemon_gone_ids {
	uint64_t id[DAEMON_GONE_IDS];
	uint64_t at_ns[DAEMON_GONE_IDS];	/* when its rmdir event came */
	uint32_t next;				/* ring: the slot to write */
};

struct daemon {
	struct policy policy;
	char *policy_path;
	char cgroot[4096];	/* cgroup v2 mount with io */
	struct meter *meter;
	struct state state;
	struct usage_table prev, cur;
	struct group_members *members;	/* policy.nr_groups entries */
	struct daemon_binding *bindings;
	int nr_bindings, cap_bindings;
	uint64_t last_scan_ns;
	uint64_t ticks;
	uint64_t iomax_writes;
	uint64_t iomax_errors;
	uint64_t bypass_repairs;
	uint64_t events_handled;
	uint64_t events_lost;		/* the BPF counter when last seen */
	uint64_t usage_full;		/* I/Os the full usage map could not count */
	uint64_t meter_freed;		/* meter entries of gone cgroups freed */
	struct daemon_gone_ids gone;
	/* cgroup mkdir (BPF timestamp) to its io.max written: the last
	 * batch's and the worst */
	uint64_t reaction_last_ns, reaction_max_ns;
	/* the buckets in BPF (daemon_charges.h) */
	struct bucket_sets sets;
	int32_t *set_binding;		/* set index -> binding index, -1: none */
	struct daemon_charge *charges;	/* sorted by key */
	size_t nr_charges;
	uint64_t charges_signature;	/* what they were built from */
	uint64_t members_gen;		/* bumped whenever members change */
	uint64_t charges_refused;	/* pairs or sets BPF could not be given */
	uint64_t bucket_events;		/* bucket-full events acted on */
	/* bucket-full event (BPF timestamp) to io.max written */
	uint64_t tighten_last_ns, tighten_max_ns;
	bool tightening;		/* apply() for a filled bucket */
	bool reloaded;			/* the first apply() after a reload */
	struct daemon_procs procs;	/* processes groups select (daemon_procs.h) */
	/* iomax-mode resolved against the running kernel (kquirks.h); the
	 * kernel is read once, at start: parsing its BTF at every reload made
	 * 100 reloads take 17.6 s in the TCG VM instead of about 1 s */
	int carryover_quirk;
	bool steady;
	const char *steady_why;
	struct disk_kinds disk_kinds;	/* which disks are bio-based (disk.h) */
	/* the original template groups (limits = libvirt) are gone from
	 * policy once expanded: whether there were any, for the watch */
	bool libvirt_templates;
	struct libvirt_live libvirt;	/* the watch on libvirt-dir */
	struct libvirt_live_report libvirt_found;	/* its last expansion */
	uint64_t libvirt_seen_ns;	/* a change read, not yet in io.max */
	struct daemon_foreign foreign;	/* writeback charged elsewhere */
	int thaw_fd;			/* timerfd: thaws and timed lowerings (daemon_freeze.h) */
	struct daemon_cluster cluster;	/* share = cluster (daemon_cluster.h) */
};

int daemon_init(struct daemon *d, const char *policy_path);
void daemon_fini(struct daemon *d);
int daemon_tick(struct daemon *d);
/* The BPF lifecycle events' fd, for the main loop's poll set, and the
 * handler to call when it is readable. */
int daemon_events_fd(struct daemon *d);
int daemon_handle_events(struct daemon *d);
/* The actuator's timer fired: thaws due, and lowerings due on 6.1
 * written now, not at the next tick. */
void daemon_handle_timer(struct daemon *d);
/* Parse and swap in the policy file again; on error keep the running one. */
int daemon_reload(struct daemon *d);
/* limits = libvirt: the watch on libvirt's status files (-1: none), and
 * its handler: a changed file reloads (the domain's limits in force at the
 * next tick). */
int daemon_libvirt_fd(struct daemon *d);
int daemon_handle_libvirt(struct daemon *d);
/* The level a binding on dev counts at: the policy's accounting, or the
 * bio level on a bio-based device (dm, md), which completes no request. */
int daemon_level_of(struct daemon *d, uint32_t dev);
/* Put back every io.max line iorate changed (and thaw what it froze). */
void daemon_restore_all(struct daemon *d);

#endif
