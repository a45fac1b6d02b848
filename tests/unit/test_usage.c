// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "test.h"
#include "usage.h"

TEST(usage_rates_over_interval)
{
	struct iorate_usage prev = {}, cur = {};
	struct usage_rates r;

	prev.io[IORATE_LEVEL_DEVICE][IORATE_DIR_READ].ops = 100;
	cur.io[IORATE_LEVEL_DEVICE][IORATE_DIR_READ].ops = 300;
	cur.io[IORATE_LEVEL_DEVICE][IORATE_DIR_READ].bytes = 2 * 1048576;
	cur.latency_ns[IORATE_DIR_READ] = 200 * 500000;	/* 0.5 ms each */
	usage_rates(&prev, &cur, IORATE_LEVEL_DEVICE, 2.0, &r);
	ASSERT_U64_EQ(r.ops[IORATE_DIR_READ], 200);
	ASSERT_NEAR(r.ops_s[IORATE_DIR_READ], 100, 1e-9);
	ASSERT_NEAR(r.bytes_s[IORATE_DIR_READ], 1048576, 1e-6);
	ASSERT_NEAR(r.await_ms[IORATE_DIR_READ], 0.5, 1e-9);
	ASSERT_U64_EQ(r.ops[IORATE_DIR_WRITE], 0);
}

TEST(usage_rates_entry_recreated_counts_from_zero)
{
	struct iorate_usage prev = {}, cur = {};
	struct usage_rates r;

	prev.io[IORATE_LEVEL_BIO][IORATE_DIR_WRITE].ops = 1000;
	cur.io[IORATE_LEVEL_BIO][IORATE_DIR_WRITE].ops = 10;
	usage_rates(&prev, &cur, IORATE_LEVEL_BIO, 1.0, &r);
	ASSERT_U64_EQ(r.ops[IORATE_DIR_WRITE], 10);
	usage_rates(NULL, &cur, IORATE_LEVEL_BIO, 1.0, &r);
	ASSERT_U64_EQ(r.ops[IORATE_DIR_WRITE], 10);
}

TEST(usage_table_find_after_sort)
{
	struct usage_table t;
	struct iorate_usage u = {};
	struct iorate_usage_key k = {};
	const struct usage_entry *e;

	usage_table_init(&t);
	for (int i = 50; i > 0; i--) {
		k.cgroup_id = i;
		k.dev = 1000 - i;
		u.background_ops = i;
		ASSERT_EQ(usage_table_add(&t, &k, &u), 0);
	}
	usage_table_sort(&t);
	k.cgroup_id = 17;
	k.dev = 983;
	e = usage_table_find(&t, &k);
	if (ASSERT_TRUE(e != NULL))
		ASSERT_U64_EQ(e->usage.background_ops, 17);
	k.dev = 1;
	ASSERT_TRUE(usage_table_find(&t, &k) == NULL);
	usage_table_free(&t);
}

TEST(usage_table_first_of_finds_a_cgroups_run)
{
	struct usage_table t;
	struct iorate_usage u = {};
	struct iorate_usage_key k = {};
	size_t i;

	usage_table_init(&t);
	ASSERT_U64_EQ(usage_table_first_of(&t, 5), 0);
	/* cgroups 10, 20, 30 on three disks each, added out of order */
	for (int d = 3; d > 0; d--)
		for (int c = 30; c >= 10; c -= 10) {
			k.cgroup_id = c;
			k.dev = d;
			ASSERT_EQ(usage_table_add(&t, &k, &u), 0);
		}
	usage_table_sort(&t);
	i = usage_table_first_of(&t, 20);
	ASSERT_U64_EQ(i, 3);
	ASSERT_U64_EQ(t.entries[i].key.dev, 1);
	ASSERT_U64_EQ(usage_table_first_of(&t, 10), 0);
	ASSERT_U64_EQ(usage_table_first_of(&t, 30), 6);
	ASSERT_U64_EQ(usage_table_first_of(&t, 15), t.nr);
	ASSERT_U64_EQ(usage_table_first_of(&t, 31), t.nr);
	usage_table_free(&t);
}
