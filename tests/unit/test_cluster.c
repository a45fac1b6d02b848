// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* share = cluster, the pure part: the URL, the wire value, the fair share
 * every host computes, and what a host holds while Redis is lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster_share.h"
#include "cluster_url.h"
#include "split.h"
#include "test.h"

#define MS 1000000ULL

TEST(cluster_url_forms)
{
	struct cluster_url u;

	ASSERT_TRUE(!cluster_url_parse("redis://10.0.0.5:6380/tenant-a", &u));
	ASSERT_STREQ(u.host, "10.0.0.5");
	ASSERT_EQ(u.port, 6380);
	ASSERT_STREQ(u.prefix, "tenant-a");
	ASSERT_TRUE(!cluster_url_parse("redis://redis.example", &u));
	ASSERT_STREQ(u.host, "redis.example");
	ASSERT_EQ(u.port, CLUSTER_DEFAULT_PORT);
	ASSERT_STREQ(u.prefix, CLUSTER_DEFAULT_PREFIX);
	ASSERT_TRUE(!cluster_url_parse("redis://[fd00::1]:7000/", &u));
	ASSERT_STREQ(u.host, "fd00::1");
	ASSERT_EQ(u.port, 7000);
	ASSERT_STREQ(u.prefix, CLUSTER_DEFAULT_PREFIX);
	ASSERT_TRUE(cluster_url_parse("redis://", &u) != NULL);
	ASSERT_TRUE(cluster_url_parse("redis://h:65536", &u) != NULL);
	ASSERT_TRUE(cluster_url_parse("redis://h:12x", &u) != NULL);
	ASSERT_TRUE(cluster_url_parse("redis://[::1", &u) != NULL);
	ASSERT_TRUE(cluster_url_parse("redis://h_1", &u) != NULL);
	ASSERT_TRUE(cluster_url_parse("rediss://h", &u) != NULL);
	ASSERT_TRUE(cluster_url_parse("redis://h/a{b}", &u) != NULL);
}

TEST(cluster_value_round_trip)
{
	double claim[POLICY_NR_LIMITS] = { 0, 0, 0, 312.5, 0, CLUSTER_PRESSED }, back[POLICY_NR_LIMITS];
	char buf[256];

	ASSERT_TRUE(cluster_value_format(buf, sizeof(buf), claim) > 0);
	ASSERT_STREQ(buf, "2 0 0 0 312.5 0 -1");
	ASSERT_EQ(cluster_value_parse(buf, back), 0);
	ASSERT_NEAR(back[POLICY_IOPS_TOTAL], 312.5, 0);
	ASSERT_NEAR(back[POLICY_IOPS_WRITE], CLUSTER_PRESSED, 0);
	ASSERT_EQ(cluster_value_format(buf, 8, claim), -1);
	/* another version's value, a short one, garbage, NaN, negative */
	ASSERT_EQ(cluster_value_parse("1 0 0 0 1 0 0", back), -1);
	ASSERT_EQ(cluster_value_parse("2 0 0 0 1 0", back), -1);
	ASSERT_EQ(cluster_value_parse("2 0 0 0 1 0 0 junk", back), -1);
	ASSERT_EQ(cluster_value_parse("2 0 0 0 nan 0 0", back), -1);
	ASSERT_EQ(cluster_value_parse("2 0 0 0 -5 0 0", back), -1);
}

static struct policy_group group_of(uint64_t iops_total)
{
	struct policy_group g = { .name = "pool", .share = POLICY_SHARE_CLUSTER };

	g.limits[POLICY_IOPS_TOTAL].avg = iops_total;
	return g;
}

/* A host pressing at 85% of what it holds may want more; one below claims
 * its use with 25% headroom, and at least the floor: 2% of the limit, or
 * twice io.max's (20 IOPS of 600). */
TEST(cluster_claims_follow_split_rules)
{
	struct policy_group g = group_of(600);
	double use[POLICY_NR_LIMITS] = { [POLICY_IOPS_TOTAL] = 255 };
	double held[POLICY_NR_LIMITS] = { [POLICY_IOPS_TOTAL] = 300 }, claim[POLICY_NR_LIMITS];

	cluster_claims(&g, use, held, NULL, 2, claim);
	ASSERT_NEAR(claim[POLICY_IOPS_TOTAL], CLUSTER_PRESSED, 0);
	ASSERT_NEAR(claim[POLICY_BPS_TOTAL], 0, 0);	/* no such limit */
	use[POLICY_IOPS_TOTAL] = 100;
	cluster_claims(&g, use, held, NULL, 2, claim);
	ASSERT_NEAR(claim[POLICY_IOPS_TOTAL], 125, 1e-9);
	use[POLICY_IOPS_TOTAL] = 1;
	cluster_claims(&g, use, held, NULL, 2, claim);
	ASSERT_NEAR(claim[POLICY_IOPS_TOTAL], 20, 1e-9);
	ASSERT_NEAR(cluster_min_share(&g, POLICY_IOPS_TOTAL), 20.0 / 600, 1e-12);
	g.limits[POLICY_IOPS_TOTAL].avg = 6000;
	ASSERT_NEAR(cluster_min_share(&g, POLICY_IOPS_TOTAL), 0.02, 1e-12);
	g.limits[POLICY_IOPS_TOTAL].avg = 40;
	ASSERT_NEAR(cluster_min_share(&g, POLICY_IOPS_TOTAL), 0.25, 1e-12);
	g.limits[POLICY_IOPS_TOTAL].avg = 600;
	/* io.max held a member back: pressed, whatever its use */
	{
		bool back[POLICY_NR_LIMITS] = { [POLICY_IOPS_TOTAL] = true };

		use[POLICY_IOPS_TOTAL] = 10;
		held[POLICY_IOPS_TOTAL] = 20;
		cluster_claims(&g, use, held, back, 2, claim);
		ASSERT_NEAR(claim[POLICY_IOPS_TOTAL], CLUSTER_PRESSED, 0);
		held[POLICY_IOPS_TOTAL] = 300;
	}
	/* nothing held yet: judged against an even share of 3 hosts */
	held[POLICY_IOPS_TOTAL] = 0;
	use[POLICY_IOPS_TOTAL] = 180;
	cluster_claims(&g, use, held, NULL, 3, claim);
	ASSERT_NEAR(claim[POLICY_IOPS_TOTAL], CLUSTER_PRESSED, 0);
}

/* What Redis's script keeps: the sums of every host's entry. */
static struct cluster_sums sums_of(const double *claims, int n, int self)
{
	struct cluster_sums s = { .hosts = n };

	for (int i = 0; i < n; i++) {
		if (claims[i] == CLUSTER_PRESSED)
			s.pressed[POLICY_IOPS_TOTAL]++;
		else
			s.claimed[POLICY_IOPS_TOTAL] += claims[i];
	}
	s.own[POLICY_IOPS_TOTAL] = claims[self];
	return s;
}

/* Every host's share from the sums, and their total. */
static double shares_of(const struct policy_group *g, const double *claims, int n, double *out)
{
	double total = 0;

	for (int i = 0; i < n; i++) {
		struct cluster_sums s = sums_of(claims, n, i);
		double share[POLICY_NR_LIMITS];

		cluster_share_from_sums(g, &s, share);
		out[i] = share[POLICY_IOPS_TOTAL];
		total += out[i];
	}
	return total;
}

/* The shares from the sums are split_allowance's over every host's entry
 * (with the cluster's floor): a pool across hosts divides as a pool across
 * cgroups does. */
TEST(cluster_share_from_sums_is_split_allowance)
{
	struct policy_group g = group_of(600);
	unsigned int seed = 7;

	for (int round = 0; round < 2000; round++) {
		int n = 1 + rand_r(&seed) % 12;
		struct split_consumer c[12];
		double claims[12], share[12], held[POLICY_NR_LIMITS] = {}, use[POLICY_NR_LIMITS] = {};

		for (int i = 0; i < n; i++) {
			double claim[POLICY_NR_LIMITS];

			c[i].alloc = 1 + rand_r(&seed) % 600;
			c[i].demand = (rand_r(&seed) % 1000) * c[i].alloc / 900.0;
			held[POLICY_IOPS_TOTAL] = c[i].alloc;
			use[POLICY_IOPS_TOTAL] = c[i].demand;
			cluster_claims(&g, use, held, NULL, n, claim);
			claims[i] = claim[POLICY_IOPS_TOTAL];
		}
		split_allowance_floor(600, c, n, cluster_min_share(&g, POLICY_IOPS_TOTAL));
		if (!ASSERT_NEAR(shares_of(&g, claims, n, share), 600, 1e-6))
			return;
		for (int i = 0; i < n; i++)
			if (!ASSERT_NEAR(share[i], c[i].alloc, 1e-6))
				return;
	}
}

/* The case: 600 IOPS over three hosts, a demand shift. */
TEST(cluster_share_follows_a_demand_shift)
{
	struct policy_group g = group_of(600);
	double s[3];

	/* h1 alone busy, pressed at its share; h2, h3 idle at the floor */
	ASSERT_NEAR(shares_of(&g, (double[]){ CLUSTER_PRESSED, 20, 20 }, 3, s), 600, 1e-6);
	ASSERT_NEAR(s[0], 560, 1e-6);
	ASSERT_NEAR(s[1], 20, 1e-6);
	/* h2 wakes and presses at its floor: h1 and h2 halve the rest */
	ASSERT_NEAR(shares_of(&g, (double[]){ CLUSTER_PRESSED, CLUSTER_PRESSED, 20 }, 3, s), 600, 1e-6);
	ASSERT_NEAR(s[0], 290, 1e-6);
	ASSERT_NEAR(s[1], 290, 1e-6);
	/* all three pressed: even */
	ASSERT_NEAR(shares_of(&g, (double[]){ CLUSTER_PRESSED, CLUSTER_PRESSED, CLUSTER_PRESSED }, 3, s),
		    600, 1e-6);
	for (int i = 0; i < 3; i++)
		ASSERT_NEAR(s[i], 200, 1e-6);
	/* nobody pressed: the spare in proportion to the claims */
	ASSERT_NEAR(shares_of(&g, (double[]){ 100, 50, 50 }, 3, s), 600, 1e-6);
	ASSERT_NEAR(s[0], 300, 1e-6);
	/* more claims than the limit: the floor for the pressed, the rest scaled */
	ASSERT_NEAR(shares_of(&g, (double[]){ CLUSTER_PRESSED, 400, 400 }, 3, s), 600, 1e-6);
	ASSERT_NEAR(s[0], 20, 1e-6);
	ASSERT_NEAR(s[1], 290, 1e-6);
}

/* No host yet in the sums (a first exchange's race): the whole limit, as
 * one host alone would hold; never 0, which would mean unlimited. */
TEST(cluster_share_from_empty_sums)
{
	struct policy_group g = group_of(600);
	struct cluster_sums s = {};
	double share[POLICY_NR_LIMITS];

	cluster_share_from_sums(&g, &s, share);
	ASSERT_NEAR(share[POLICY_IOPS_TOTAL], 600, 0);
	ASSERT_NEAR(share[POLICY_BPS_TOTAL], 0, 0);
}

/* Redis lost: the last share for CLUSTER_HOLD_NS, then the limit over
 * the hosts last seen (or cluster-fallback); never unlimited. */
TEST(cluster_view_holds_then_falls_back)
{
	struct policy_group g = group_of(600);
	double share[POLICY_NR_LIMITS] = { [POLICY_IOPS_TOTAL] = 450 };
	struct cluster_view v;
	uint64_t t0 = 1000 * MS;

	cluster_view_init(&v, &g);
	ASSERT_EQ(v.mode, CLUSTER_JOINING);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 600, 0);	/* no host known yet */
	ASSERT_TRUE(!cluster_view_lost(&v, &g, t0));
	cluster_view_shared(&v, share, 3, t0);
	ASSERT_EQ(v.mode, CLUSTER_SHARED);
	ASSERT_TRUE(cluster_view_lost(&v, &g, t0 + 600 * MS));
	ASSERT_EQ(v.mode, CLUSTER_HOLDING);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 450, 0);
	ASSERT_TRUE(!cluster_view_lost(&v, &g, t0 + CLUSTER_HOLD_NS - 1));
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 450, 0);
	ASSERT_TRUE(cluster_view_lost(&v, &g, t0 + CLUSTER_HOLD_NS));
	ASSERT_EQ(v.mode, CLUSTER_FALLBACK);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 200, 1e-9);
	ASSERT_STREQ(cluster_mode_name(v.mode), "fallback");
	/* back, to a Redis that restarted empty: the first exchange sees
	 * this host alone, and for a TTL it keeps what it held */
	share[POLICY_IOPS_TOTAL] = 600;
	cluster_view_shared(&v, share, 1, t0 + 5000 * MS);
	ASSERT_EQ(v.mode, CLUSTER_SHARED);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 200, 1e-9);
	share[POLICY_IOPS_TOTAL] = 150;
	cluster_view_shared(&v, share, 3, t0 + 5250 * MS);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 150, 1e-9);	/* down at once */
	share[POLICY_IOPS_TOTAL] = 300;
	cluster_view_shared(&v, share, 3, t0 + 5000 * MS + CLUSTER_TTL_MS * MS);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 300, 1e-9);	/* up after a TTL */
	/* another Redis (a reload): no rise for a TTL either */
	cluster_view_rejoin(&v, t0 + 9000 * MS);
	share[POLICY_IOPS_TOTAL] = 600;
	cluster_view_shared(&v, share, 1, t0 + 9250 * MS);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 300, 1e-9);
	/* an explicit fallback */
	g.cluster_fallback = 0.25;
	ASSERT_NEAR(cluster_fallback_share(&g, POLICY_IOPS_TOTAL, 3), 150, 1e-9);
	cluster_view_init(&v, &g);
	ASSERT_NEAR(v.share[POLICY_IOPS_TOTAL], 150, 1e-9);
}
