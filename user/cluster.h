/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * share = cluster, the Redis side: a thread that every CLUSTER_PERIOD_NS
 * writes this host's entry for each cluster group and reads the group's
 * sums back (user/cluster.lua), in one pipelined round trip for all groups,
 * so that the daemon's tick never waits on the network. docs/cluster.md has the keys,
 * their TTLs and the script.
 *
 * hiredis is loaded with dlopen() when the first cluster policy starts: a
 * policy without share = cluster needs no Redis library at run time.
 */
#ifndef IORATE_CLUSTER_H
#define IORATE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cluster_share.h"
#include "cluster_url.h"

struct cluster;

struct cluster_stats {
	bool up;			/* the last exchange came back */
	uint64_t exchanges;		/* round trips that came back */
	uint64_t failures;		/* round trips that did not (or no connection) */
	uint64_t connects;		/* connections made */
	uint64_t calls;			/* commands sent */
	uint64_t bytes_sent, bytes_received;	/* RESP, as on the wire */
	char last_error[128];		/* "" after a success */
};

/* Start the thread; it connects on its own (and again after each loss).
 * -errno with err filled when hiredis cannot be loaded. */
int cluster_open(struct cluster **out, const struct cluster_url *url, const char *self,
		 const char *password, char *err, size_t errlen);
void cluster_close(struct cluster *c);
/* This host's entry for a group, sent at every exchange from now on. */
int cluster_publish(struct cluster *c, const char *group, const double claim[POLICY_NR_LIMITS]);
/* A group no longer exchanged (a reload removed it or its share). */
void cluster_forget(struct cluster *c, const char *group);
/* The sums the last exchange for group brought back (this host's entry in
 * them), and when: 0, or -ENOENT before the first. */
int cluster_result(struct cluster *c, const char *group, struct cluster_sums *out,
		   uint64_t *at_ns);
void cluster_get_stats(struct cluster *c, struct cluster_stats *out);

#endif
