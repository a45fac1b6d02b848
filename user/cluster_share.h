/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * share = cluster, the pure part: what one host publishes for a group, the
 * fair share it takes from every host's entries, and what it holds while
 * Redis does not answer. No I/O: cluster.c talks to Redis, daemon_cluster.c
 * feeds this from the control loop.
 */
#ifndef IORATE_CLUSTER_SHARE_H
#define IORATE_CLUSTER_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cluster_url.h"
#include "policy.h"

/* The cadence: often enough that a demand shift is shared out
 * within a second, rarely enough that a host costs Redis 4 calls a
 * second per group (docs/cluster.md has the capacity figures). */
#define CLUSTER_PERIOD_NS	250000000ULL
/* An entry not refreshed for this long (four exchanges missed) is a host
 * gone: its share goes back to the others. */
#define CLUSTER_TTL_MS		1000
/* No answer in this long and Redis counts as lost for the exchange. */
#define CLUSTER_TIMEOUT_MS	50
#define CLUSTER_TIMEOUT_TEXT	"50 ms"
/* How long a host keeps the last share while Redis is lost: the shares
 * still sum to the limit, but stop following demand; 2 s is eight
 * exchanges, past a Redis restart under systemd (about 1 s), short of the
 * time an operator would notice a pool stuck in its old split. */
#define CLUSTER_HOLD_NS		2000000000ULL

/*
 * A host's entry for a group, per limit: CLUSTER_PRESSED when it uses most
 * of what it holds (it may want more), else what it claims: its use with
 * headroom, at least a floor (cluster_min_share). Redis keeps the group's sums of them
 * (user/cluster.lua), and every host takes its share from the sums: the
 * split a pool's members get (split_allowance), with a reply that does not
 * grow with the hosts.
 */
#define CLUSTER_PRESSED	(-1.0)

struct cluster_sums {
	int hosts;
	int pressed[POLICY_NR_LIMITS];
	double claimed[POLICY_NR_LIMITS];	/* units/s, every unpressed claim */
	double own[POLICY_NR_LIMITS];		/* this host's entry in them */
};

/* The value stored in Redis: "2" then the six claims. Returns its length,
 * or -1 if len is too short. */
int cluster_value_format(char *buf, size_t len, const double claim[POLICY_NR_LIMITS]);
/* 0, or -1 for a value this version cannot read. */
int cluster_value_parse(const char *s, double claim[POLICY_NR_LIMITS]);

/* The least share a host holds of limit id, a fraction of it (the floor
 * split_allowance_floor() is given to agree with the cluster). */
double cluster_min_share(const struct policy_group *g, int id);
/* This host's claims, from what its members used (units/s), what it
 * holds now (0: nothing yet, counted as an even share among hosts) and
 * whether io.max held a member back (NULL: none did). */
void cluster_claims(const struct policy_group *g, const double use[POLICY_NR_LIMITS],
		    const double held[POLICY_NR_LIMITS], const bool *held_back, int hosts,
		    double claim[POLICY_NR_LIMITS]);
/* This host's share of every limit, from the group's sums (its own entry
 * among them): what split_allowance would give it over every host's entry. */
void cluster_share_from_sums(const struct policy_group *g, const struct cluster_sums *sums,
			     double share[POLICY_NR_LIMITS]);

enum cluster_mode {
	CLUSTER_JOINING,	/* no exchange has come back yet */
	CLUSTER_SHARED,		/* following the last exchange */
	CLUSTER_HOLDING,	/* Redis lost: the last share, for CLUSTER_HOLD_NS */
	CLUSTER_FALLBACK,	/* Redis lost for longer: cluster-fallback */
};
const char *cluster_mode_name(enum cluster_mode m);

/* What a host enforces for one cluster group. */
struct cluster_view {
	enum cluster_mode mode;
	double share[POLICY_NR_LIMITS];	/* units/s this host may use */
	int hosts;			/* in the last exchange, this one included */
	uint64_t ok_ns;			/* when the last exchange came back */
	/* Back from holding or fallback: for a TTL, no more than the share
	 * held then (cluster_view_shared) */
	uint64_t back_ns;
	double back_cap[POLICY_NR_LIMITS];
};

/* Joining: the fallback until the first exchange comes back. */
void cluster_view_init(struct cluster_view *v, const struct policy_group *g);
/* An exchange came back at now_ns with this share among hosts. Back from
 * holding or fallback, for CLUSTER_TTL_MS the share does not rise above
 * what was held: a Redis that restarted empty has only the hosts that
 * reached it again, and the first of them saw itself alone (060: a share
 * of 600 of 600 for an exchange, a window 7% over the limit). */
void cluster_view_shared(struct cluster_view *v, const double share[POLICY_NR_LIMITS], int hosts,
			 uint64_t now_ns);
/* Another Redis from now on: for a TTL the share does not rise above what
 * is held now, as when coming back from holding. */
void cluster_view_rejoin(struct cluster_view *v, uint64_t now_ns);
/* No exchange came back in time: hold the last share, then fall back to
 * cluster-fallback, or the limit divided by the hosts last seen; never
 * unlimited. Returns true when the mode changed (one log line). */
bool cluster_view_lost(struct cluster_view *v, const struct policy_group *g, uint64_t now_ns);
/* The share cluster-fallback gives for one limit, with hosts last seen. */
double cluster_fallback_share(const struct policy_group *g, int id, int hosts);

#endif
