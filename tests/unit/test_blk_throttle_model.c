// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The blk-throttle model (blk_throttle_model.h) against what the kernels
 * did in the TCG VM (docs/enforcement.md, "Kernel facts measured here"):
 * before the control loop is judged against the model, the model is
 * judged against the kernel.
 */
#include "blk_throttle_model.h"
#include "test.h"

/* fio reading flat out: `depth` bios kept waiting, the disk taking what
 * passes (up to 80 a jiffy, null_blk in the VM) */
static void read_flat_out(struct btm *m, uint32_t depth)
{
	int passed = 0;

	while (m->dir[0].queued < depth && passed < 80)
		if (btm_submit(m, 0, 4096))
			passed++;
}

/* Reads per 1 s window, io.max alternating a and b every half second;
 * *lo and *hi the extremes over windows 2-10. */
static void alternate(enum btm_kernel k, uint32_t a, uint32_t b, uint64_t *lo, uint64_t *hi)
{
	struct btm m;
	uint64_t last = 0;

	btm_init(&m, k);
	*lo = UINT64_MAX;
	*hi = 0;
	for (int sec = 0; sec < 10; sec++) {
		for (int j = 0; j < BTM_HZ; j++) {
			/* the daemon's writes do not fall on slice edges */
			if (j == 3)
				btm_set_limits(&m, 0, 0, a, 0);
			if (j == BTM_HZ / 2 + 3)
				btm_set_limits(&m, 0, 0, b, 0);
			read_flat_out(&m, 8);
			btm_tick(&m);
		}
		if (sec >= 1) {
			uint64_t w = m.dir[0].dispatched - last;

			*lo = w < *lo ? w : *lo;
			*hi = w > *hi ? w : *hi;
		}
		last = m.dir[0].dispatched;
	}
}

/* A line written once holds to the I/O; rewritten every half second
 * unchanged it gives 8% more (each write starts a slice whose budget comes
 * at its start), which is one reason the actuator writes only changes. */
TEST(blk_throttle_model_holds_a_line)
{
	for (int k = BTM_6_1; k <= BTM_6_12; k++) {
		struct btm m;
		uint64_t lo, hi, last = 0;

		btm_init(&m, k);
		btm_set_limits(&m, 0, 0, 200, 0);
		for (int sec = 0; sec < 5; sec++) {
			for (int j = 0; j < BTM_HZ; j++) {
				read_flat_out(&m, 8);
				btm_tick(&m);
			}
			if (sec >= 1)
				ASSERT_EQ(m.dir[0].dispatched - last, 200);
			last = m.dir[0].dispatched;
		}
		alternate(k, 200, 200, &lo, &hi);
		ASSERT_TRUE(lo >= 214 && hi <= 218);
	}
}

/*
 * Measured: io.max alternating every 500 ms, fio reading flat out. 6.1:
 * 50/55 held at 45-54/s, 10/11 at 9-10/s, 2/4 ran at 600-1700/s; 6.12 held
 * 2/4 at 1-3/s. The model: the same verdicts (its 2/4 on 6.1 runs faster
 * than the VM's disk could: nothing in it but blk-throttle).
 */
TEST(blk_throttle_model_6_1_loses_2_4_and_holds_the_rest)
{
	uint64_t lo, hi;

	alternate(BTM_6_1, 50, 55, &lo, &hi);
	if (!ASSERT_TRUE(lo >= 45 && hi <= 56))
		fprintf(stderr, "    6.1 50/55: %" PRIu64 "-%" PRIu64 "\n", lo, hi);
	alternate(BTM_6_1, 10, 11, &lo, &hi);
	if (!ASSERT_TRUE(lo >= 9 && hi <= 11))
		fprintf(stderr, "    6.1 10/11: %" PRIu64 "-%" PRIu64 "\n", lo, hi);
	alternate(BTM_6_1, 2, 4, &lo, &hi);
	if (!ASSERT_TRUE(lo >= 600))
		fprintf(stderr, "    6.1 2/4: %" PRIu64 "-%" PRIu64 "\n", lo, hi);
	alternate(BTM_6_12, 2, 4, &lo, &hi);
	if (!ASSERT_TRUE(lo >= 1 && hi <= 4))
		fprintf(stderr, "    6.12 2/4: %" PRIu64 "-%" PRIu64 "\n", lo, hi);
}

/*
 * One lowering while bios wait, at each of 100 phases against the slices:
 * how many let the queue through (the next second above twice the new
 * line). docs/enforcement.md reasoned "about 1 - new/old" from the code;
 * the model counts it: 100 -> 90 12 of 100, 111 -> 99 (the CI's 031 run)
 * 20, 200 -> 100 52; 6.12 none.
 */
static int lowerings_that_escape(enum btm_kernel k, uint32_t from, uint32_t to)
{
	int escaped = 0;

	for (int phase = 0; phase < 100; phase++) {
		struct btm m;
		uint64_t before;

		btm_init(&m, k);
		btm_set_limits(&m, 0, 0, 0, from);
		/* writeback: 500 bios/s, a queue that never empties */
		for (int j = 0; j < 3 * BTM_HZ + phase; j++) {
			btm_submit(&m, 1, 4096);
			btm_submit(&m, 1, 4096);
			btm_tick(&m);
		}
		before = m.dir[1].dispatched;
		btm_set_limits(&m, 0, 0, 0, to);
		for (int j = 0; j < BTM_HZ; j++) {
			btm_submit(&m, 1, 4096);
			btm_submit(&m, 1, 4096);
			btm_tick(&m);
		}
		escaped += m.dir[1].dispatched - before > 2 * to;
	}
	return escaped;
}

TEST(blk_throttle_model_6_1_lowering_with_bios_waiting_escapes)
{
	int e100 = lowerings_that_escape(BTM_6_1, 100, 90);
	int e111 = lowerings_that_escape(BTM_6_1, 111, 99);
	int e200 = lowerings_that_escape(BTM_6_1, 200, 100);

	if (!ASSERT_TRUE(e100 >= 8 && e100 <= 14) || !ASSERT_TRUE(e111 >= 15 && e111 <= 25) ||
	    !ASSERT_TRUE(e200 >= 45 && e200 <= 58))
		fprintf(stderr, "    6.1 escapes in 100: 100->90 %d, 111->99 %d, 200->100 %d\n", e100,
			e111, e200);
	ASSERT_EQ(lowerings_that_escape(BTM_6_12, 200, 100), 0);
	ASSERT_EQ(lowerings_that_escape(BTM_6_12, 100, 90), 0);
}

/* Raising a line never escapes, on either kernel: the new slice's budget
 * is larger than the one the group ran ahead on. */
TEST(blk_throttle_model_raising_never_escapes)
{
	ASSERT_EQ(lowerings_that_escape(BTM_6_1, 90, 100), 0);
	ASSERT_EQ(lowerings_that_escape(BTM_6_1, 100, 200), 0);
}
