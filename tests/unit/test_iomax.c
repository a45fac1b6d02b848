// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* io.max lines as blk-throttle passes them: whole I/Os per slice. */
#include <math.h>
#include "iomax.h"
#include "test.h"

TEST(iomax_iops_line_passes_whole_steps)
{
	ASSERT_NEAR(iomax_iops_passed(55), 50, 1e-9);
	ASSERT_NEAR(iomax_iops_passed(61), 60, 1e-9);
	ASSERT_NEAR(iomax_iops_passed(100), 100, 1e-9);
	/* under one I/O per slice the slice stretches: what it says */
	ASSERT_NEAR(iomax_iops_passed(7), 7, 1e-9);
}

/* A part is the whole step nearest its share, never past what the line
 * passes: the rest, in whole steps too, makes the two pass what the line
 * alone does. */
TEST(iomax_iops_parts_are_whole_steps_near_their_share)
{
	for (uint64_t line = 20; line <= 420; line += 7) {
		double whole = iomax_iops_passed(line);

		for (double share = 0; share <= 1.0001; share += 0.01) {
			double want = fmin(line * share, whole);
			uint64_t part = iomax_iops_part(line, line * share);

			if (!ASSERT_TRUE(part % IOMAX_IOPS_STEP == 0 && part <= whole &&
					 fabs(part - want) <= IOMAX_IOPS_STEP / 2.0))
				test_fail(__FILE__, __LINE__, "line %lu, share %.2f: part %lu",
					  (unsigned long)line, share, (unsigned long)part);
		}
	}
	/* 031's hand-over: 47 and 53 of 100 passed 40 and 50 */
	ASSERT_U64_EQ(iomax_iops_part(100, 47), 50);
	ASSERT_U64_EQ(iomax_iops_part(100, 45), 40);
	ASSERT_U64_EQ(iomax_iops_part(100, 55), 50);
	/* small lines are cut as they are */
	ASSERT_U64_EQ(iomax_iops_part(15, 7.4), 7);
}
