/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * share = cluster in the daemon: every tick, each cluster group's use on
 * this host goes to Redis (cluster.h), the share the hosts' entries give
 * this host comes back (cluster_share.h), and the group's bindings are
 * scaled to it (ctl_binding_set_scale), so that the pool on this host is
 * enforced as any pool is. Redis lost: the last share, then the fallback
 * (cluster_view_lost), one log line for each change.
 */
#ifndef IORATE_DAEMON_CLUSTER_H
#define IORATE_DAEMON_CLUSTER_H

#include <stdint.h>
#include "cluster_share.h"
#include "status.h"

struct daemon;
struct cluster;

/* The shares of the last exchanges, a second of them (daemon_cluster.c,
 * claims_of). */
#define DAEMON_CLUSTER_HELD	4

struct daemon_cluster_group {
	char name[POLICY_MAX_NAME + 1];
	struct cluster_view view;
	uint64_t result_ns;		/* the exchange last taken */
	double held[DAEMON_CLUSTER_HELD][POLICY_NR_LIMITS];
	int held_next;			/* ring: the slot to write */
	bool seen;			/* in the policy now */
};

struct daemon_cluster {
	struct cluster *client;		/* NULL: no cluster group */
	char *opened_with;		/* url, host and password, to see a reload change them */
	char url[320];
	char host[CLUSTER_MAX_HOST_NAME + 1];
	struct daemon_cluster_group *groups;
	int nr_groups;
	/* The bindings filed by group in one walk per tick: group gi's are
	 * by_group[group_at[gi] .. group_at[gi + 1]) (a walk per cluster
	 * group was groups x bindings per tick on a host of a thousand VMs) */
	int *by_group, *group_at;
	int cap_by_group, cap_group_at;
	/* a share fell this tick: its lines go down at once, past the
	 * actuator's write gate, as another host's share has just risen */
	bool share_fell;
};

/* What a policy's cluster keys ask for, made ready before the policy is
 * taken (daemon_cluster_prepare), and put in place once it is
 * (daemon_cluster_commit), so that a policy rejected later changes
 * nothing. */
struct daemon_cluster_next {
	bool change;			/* commit replaces or closes the client */
	struct cluster *client;		/* the new one; NULL with change: none */
	char *with;
	char url[320];
	char host[CLUSTER_MAX_HOST_NAME + 1];
};
/* 0 with next filled (change false: keep the client as it is), or -errno
 * (hiredis missing, a password file others can read), logged as
 * file:line: key: ... */
int daemon_cluster_prepare(struct daemon *d, const struct policy *p, struct daemon_cluster_next *next);
void daemon_cluster_commit(struct daemon *d, struct daemon_cluster_next *next);
/* A prepared change not taken (the policy was rejected after all). */
void daemon_cluster_next_free(struct daemon_cluster_next *next);
/* Before the bindings' tick: scale them to this host's shares, and
 * publish their use. */
void daemon_cluster_tick(struct daemon *d);
void daemon_cluster_free(struct daemon_cluster *dc);
/* The snapshot's cluster parts: the link, and each group's view. */
void daemon_cluster_status(struct daemon *d, struct status_snapshot *s);

/* The password file's content, if only root can read it: 0, or -errno
 * with why filled (policy file, line and key named by the caller). */
int daemon_cluster_read_password(const char *path, char *out, size_t len, char *why,
				 size_t whylen);

#endif
