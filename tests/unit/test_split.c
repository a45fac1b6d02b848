// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "split.h"
#include "test.h"

enum { R, W };

/* One mixed job held at the budget: the split follows its mix and stays. */
TEST(split_by_mix_follows_a_full_mix)
{
	struct split_consumer c[2] = { { .demand = 360, .alloc = 360 }, { .demand = 40, .alloc = 40 } };

	split_by_mix(400, c, NULL, 2);
	ASSERT_NEAR(c[R].alloc, 356.4, 0.5);
	ASSERT_NEAR(c[W].alloc, 43.6, 0.5);
	ASSERT_NEAR(c[R].alloc + c[W].alloc, 400, 1e-9);
}

/* The writer stopped: reads pressed at their old share get the spare in
 * one step, writes keep 25% headroom over their use. */
TEST(split_by_mix_gives_spare_to_the_pressed_direction)
{
	struct split_consumer c[2] = { { .demand = 40, .alloc = 44 }, { .demand = 150, .alloc = 356 } };

	split_by_mix(400, c, NULL, 2);
	ASSERT_NEAR(c[W].alloc, 187.5, 1e-9);
	ASSERT_NEAR(c[R].alloc, 212.5, 1e-9);
}

/* The writer stopped a tick ago: the slow mix still gives the reads 3% of
 * the level (1.2 of 40 against their line of 10, idle by it), but their
 * latest use is the whole line, so they press and get the spare. */
TEST(split_by_mix_presses_by_the_latest_use)
{
	struct split_consumer c[2] = { { .demand = 1.2, .alloc = 10 }, { .demand = 38.8, .alloc = 390 } };
	const double use[2] = { 10, 30 };

	split_by_mix(400, c, use, 2);
	ASSERT_NEAR(c[W].alloc, 38.8 * SPLIT_HEADROOM, 1e-9);
	ASSERT_NEAR(c[R].alloc, 400 - 38.8 * SPLIT_HEADROOM, 1e-9);
	/* without it the reads keep a sliver */
	c[R] = (struct split_consumer){ .demand = 1.2, .alloc = 10 };
	c[W] = (struct split_consumer){ .demand = 38.8, .alloc = 390 };
	split_by_mix(400, c, NULL, 2);
	ASSERT_TRUE(c[R].alloc < 40);
}

/* Nobody pressed and budget unused: plain mix, no direction starved. */
TEST(split_by_mix_idle_keeps_mix_and_floor)
{
	struct split_consumer c[2] = { { .demand = 0, .alloc = 200 }, { .demand = 50, .alloc = 200 } };

	split_by_mix(400, c, NULL, 2);
	ASSERT_NEAR(c[R].alloc, 4, 1e-9);
	ASSERT_NEAR(c[W].alloc, 396, 1e-9);
	/* first tick, nothing known: equal */
	c[R] = (struct split_consumer){ 0 };
	c[W] = (struct split_consumer){ 0 };
	split_by_mix(400, c, NULL, 2);
	ASSERT_NEAR(c[R].alloc, 200, 1e-9);
}

TEST(split_allowance_idle_member_share_moves)
{
	struct split_consumer c[2] = { { .demand = 5, .alloc = 200 }, { .demand = 200, .alloc = 200 } };

	split_allowance(400, c, 2);
	ASSERT_NEAR(c[0].alloc, 8, 1e-9);	/* floor 2% of 400 over 5 x 1.25 */
	ASSERT_NEAR(c[1].alloc, 392, 1e-9);
}

/* Reads held at riops 10 behind a writer that takes the rest: they are
 * pressed, so they get 10% however small their measured share. */
TEST(split_by_mix_pressed_sliver_gets_a_tenth)
{
	struct split_consumer c[2] = { { .demand = 10, .alloc = 10 }, { .demand = 390, .alloc = 390 } };

	split_by_mix(400, c, NULL, 2);
	ASSERT_NEAR(c[R].alloc, 40, 1e-9);
	ASSERT_NEAR(c[W].alloc, 360, 1e-9);
}

/*
 * Issue 18: writes allocated 396 of 400 with demand 330, reads allocated 4
 * and pressed. The writes' headroom (412.5) left the reads -12.5, which
 * io.max's 10 IOPS floor raised to 10: 5.6% over the budget. The spare
 * rule applies only while the headroom leaves the pressed ones their 10%;
 * here the mix decides, and the pressed sliver gets its 10%.
 */
TEST(split_by_mix_never_below_zero_nor_over_budget)
{
	struct split_consumer c[2] = { { .demand = 4, .alloc = 4 }, { .demand = 330, .alloc = 396 } };

	split_by_mix(400, c, NULL, 2);
	ASSERT_TRUE(c[R].alloc >= 0);
	ASSERT_TRUE(c[R].alloc + c[W].alloc <= 400 + 1e-9);
	ASSERT_NEAR(c[R].alloc, 40, 1e-9);
	ASSERT_NEAR(c[W].alloc, 360, 1e-9);
	/* at any budget the pressed one's floor is met from the others */
	for (double budget = 10; budget <= 1000; budget += 10) {
		c[R] = (struct split_consumer){ .demand = 4, .alloc = 4 };
		c[W] = (struct split_consumer){ .demand = 0.825 * budget, .alloc = 0.99 * budget };
		split_by_mix(budget, c, NULL, 2);
		if (!ASSERT_TRUE(c[R].alloc >= 0 && c[W].alloc >= 0 &&
				 c[R].alloc + c[W].alloc <= budget * (1 + 1e-12)))
			fprintf(stderr, "    budget %.0f: %.2f + %.2f\n", budget, c[R].alloc, c[W].alloc);
	}
}
