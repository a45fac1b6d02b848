// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster_share.h"
#include "controller.h"
#include "split.h"

/*
 * The least share a host holds, as a fraction of the limit: SPLIT_MIN_SHARE,
 * but at least twice io.max's floor. blk-throttle grants whole I/Os per
 * 100 ms slice, so a line of 12 IOPS passes 10/s, 83% of the share, under
 * the SPLIT_SATURATED that tells a pressed host from an idle one: a host
 * that woke at a floor of 12 (2% of 600) looked idle and stayed at 10 w/s
 * for 14 s while the others split the rest (060, 6.12 VM). At 20 a slice
 * passes two. At most a quarter of the limit, so that floors leave room.
 */
static double min_share(const struct policy_group *g, int id)
{
	double limit = g->limits[id].avg;
	double least = (id / 3 == CTL_IOPS ? CTL_IOPS_FLOOR : CTL_BPS_FLOOR) * 2 / limit;

	if (least < SPLIT_MIN_SHARE)
		least = SPLIT_MIN_SHARE;
	return least < 0.25 ? least : 0.25;
}

double cluster_min_share(const struct policy_group *g, int id)
{
	return g->limits[id].avg ? min_share(g, id) : 0;
}

/* The first word of a value: entries of another version are refused by
 * the script, rather than misread. */
#define CLUSTER_VALUE_VERSION	2

int cluster_value_format(char *buf, size_t len, const double claim[POLICY_NR_LIMITS])
{
	size_t used;
	int n;

	n = snprintf(buf, len, "%d", CLUSTER_VALUE_VERSION);
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = n;
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		/* six digits: the script adds and takes away these very words */
		n = snprintf(buf + used, len - used, " %.6g", claim[i]);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += n;
	}
	return (int)used;
}

int cluster_value_parse(const char *s, double claim[POLICY_NR_LIMITS])
{
	char *end;
	long version = strtol(s, &end, 10);

	if (end == s || version != CLUSTER_VALUE_VERSION)
		return -1;
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		const char *start = end;
		double v = strtod(start, &end);

		/* !(v >= ...) also refuses NaN */
		if (end == start || !(v >= CLUSTER_PRESSED) || v > 1e18 || (v < 0 && v != CLUSTER_PRESSED))
			return -1;
		claim[i] = v;
	}
	while (*end == ' ')
		end++;
	return *end ? -1 : 0;
}

void cluster_claims(const struct policy_group *g, const double use[POLICY_NR_LIMITS],
		    const double held[POLICY_NR_LIMITS], const bool *held_back, int hosts,
		    double claim[POLICY_NR_LIMITS])
{
	for (int id = 0; id < POLICY_NR_LIMITS; id++) {
		double limit = g->limits[id].avg, floor_share, alloc;

		claim[id] = 0;
		if (!limit)
			continue;
		floor_share = limit * min_share(g, id);
		alloc = held[id] > 0 ? held[id] : limit / (hosts > 0 ? hosts : 1);
		if (use[id] >= SPLIT_SATURATED * alloc || (held_back && held_back[id]))
			claim[id] = CLUSTER_PRESSED;
		else
			claim[id] = use[id] * SPLIT_HEADROOM > floor_share ? use[id] * SPLIT_HEADROOM
									  : floor_share;
	}
}

void cluster_share_from_sums(const struct policy_group *g, const struct cluster_sums *sums,
			     double share[POLICY_NR_LIMITS])
{
	const double *claim = sums->own;

	for (int id = 0; id < POLICY_NR_LIMITS; id++) {
		double limit = g->limits[id].avg, floor_share;
		double claimed = sums->claimed[id] > 0 ? sums->claimed[id] : 0;
		int pressed = sums->pressed[id];

		share[id] = 0;
		if (!limit)
			continue;
		floor_share = limit * min_share(g, id);
		if (sums->hosts <= 0) {
			share[id] = limit;
			continue;
		}
		if (!pressed) {
			/* nobody short: the spare goes out in proportion to
			 * the claims, so that anyone may grow into it */
			share[id] = claimed > 0 ? limit * claim[id] / claimed : limit / sums->hosts;
			continue;
		}
		{
			double each = (limit - claimed) / pressed, scale = 1;

			if (each < floor_share) {
				/* too many claims: the unpressed shrink */
				scale = claimed > 0 ? (limit - floor_share * pressed) / claimed : 0;
				if (scale < 0)
					scale = 0;
				each = floor_share;
			}
			share[id] = claim[id] == CLUSTER_PRESSED ? each : claim[id] * scale;
		}
	}
}

const char *cluster_mode_name(enum cluster_mode m)
{
	switch (m) {
	case CLUSTER_JOINING: return "joining";
	case CLUSTER_SHARED: return "shared";
	case CLUSTER_HOLDING: return "holding";
	case CLUSTER_FALLBACK: return "fallback";
	}
	return "?";
}

double cluster_fallback_share(const struct policy_group *g, int id, int hosts)
{
	double limit = g->limits[id].avg;

	if (g->cluster_fallback > 0)
		return limit * g->cluster_fallback;
	return limit / (hosts > 0 ? hosts : 1);
}

static void fall_back(struct cluster_view *v, const struct policy_group *g)
{
	for (int id = 0; id < POLICY_NR_LIMITS; id++)
		v->share[id] = cluster_fallback_share(g, id, v->hosts);
}

void cluster_view_init(struct cluster_view *v, const struct policy_group *g)
{
	memset(v, 0, sizeof(*v));
	v->mode = CLUSTER_JOINING;
	fall_back(v, g);
}

void cluster_view_rejoin(struct cluster_view *v, uint64_t now_ns)
{
	v->back_ns = now_ns;
	memcpy(v->back_cap, v->share, sizeof(v->back_cap));
}

void cluster_view_shared(struct cluster_view *v, const double share[POLICY_NR_LIMITS], int hosts,
			 uint64_t now_ns)
{
	if (v->mode == CLUSTER_HOLDING || v->mode == CLUSTER_FALLBACK)
		cluster_view_rejoin(v, now_ns);
	v->mode = CLUSTER_SHARED;
	for (int id = 0; id < POLICY_NR_LIMITS; id++) {
		v->share[id] = share[id];
		if (v->back_ns && now_ns - v->back_ns < CLUSTER_TTL_MS * 1000000ULL &&
		    v->share[id] > v->back_cap[id])
			v->share[id] = v->back_cap[id];
	}
	v->hosts = hosts;
	v->ok_ns = now_ns;
}

bool cluster_view_lost(struct cluster_view *v, const struct policy_group *g, uint64_t now_ns)
{
	enum cluster_mode was = v->mode;

	switch (v->mode) {
	case CLUSTER_JOINING:
	case CLUSTER_FALLBACK:
		/* a reload may have changed the limits or the fallback */
		fall_back(v, g);
		break;
	case CLUSTER_SHARED:
		v->mode = CLUSTER_HOLDING;
		/* fall through */
	case CLUSTER_HOLDING:
		if (now_ns - v->ok_ns >= CLUSTER_HOLD_NS) {
			v->mode = CLUSTER_FALLBACK;
			fall_back(v, g);
		}
		break;
	}
	return v->mode != was;
}
