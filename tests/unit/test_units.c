// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Sizes, rates, counts and durations as the policy file writes them. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "units.h"

static uint64_t size_ok(const char *s)
{
	const char *why = NULL;
	uint64_t v = UINT64_MAX;

	if (units_parse_size(s, &v, &why))
		test_fail(__FILE__, __LINE__, "size '%s' refused: %s", s, why);
	return v;
}

static bool size_bad(const char *s, const char *want_why)
{
	const char *why = NULL;
	uint64_t v = 12345;
	int err = units_parse_size(s, &v, &why);

	return ASSERT_TRUE(err < 0) && ASSERT_U64_EQ(v, 12345) &&
	       ASSERT_TRUE(why != NULL) && (!want_why || ASSERT_STREQ(why, want_why));
}

TEST(units_size_plain_and_suffixes)
{
	ASSERT_U64_EQ(size_ok("0"), 0);
	ASSERT_U64_EQ(size_ok("4096"), 4096);
	ASSERT_U64_EQ(size_ok("4K"), 4096);
	ASSERT_U64_EQ(size_ok("4k"), 4096);
	ASSERT_U64_EQ(size_ok("4KiB"), 4096);
	ASSERT_U64_EQ(size_ok("120M"), 120ULL << 20);
	ASSERT_U64_EQ(size_ok("120m"), 120ULL << 20);
	ASSERT_U64_EQ(size_ok("2G"), 2ULL << 30);
	ASSERT_U64_EQ(size_ok("3T"), 3ULL << 40);
	ASSERT_U64_EQ(size_ok("120 M"), 120ULL << 20);
	ASSERT_U64_EQ(size_ok("007"), 7);	/* decimal, never octal */
	ASSERT_U64_EQ(size_ok("18446744073709551615"), UINT64_MAX);
	ASSERT_U64_EQ(size_ok("16777215T"), 16777215ULL << 40);
}

TEST(units_size_refusals)
{
	size_bad("", "empty value");
	size_bad("-1", "must not be negative");
	size_bad("-4K", "must not be negative");
	size_bad("+1", NULL);
	size_bad("1.5G", "must be a whole number (no fractions)");
	size_bad("1,5G", "must be a whole number (no fractions)");
	size_bad("12Q", "unknown suffix (use K, M, G or T)");
	size_bad("1e6", "unknown suffix (use K, M, G or T)");
	size_bad("4KB", "unexpected text after the number");
	size_bad("120M trailing", "unexpected text after the number");
	size_bad("M", "not a number");
	size_bad("0x10", "unknown suffix (use K, M, G or T)");
	size_bad(" 5", "not a number");
	size_bad("18446744073709551616", "number too large");
	size_bad("16777216T", "number too large");
	size_bad("99999999999999999999999999", "number too large");
}

TEST(units_size_overflow_is_erange)
{
	uint64_t v;

	ASSERT_EQ(units_parse_size("16777216T", &v, NULL), -ERANGE);
	ASSERT_EQ(units_parse_size("1.5", &v, NULL), -EINVAL);
}

TEST(units_rate_is_size)
{
	uint64_t v = 0;

	ASSERT_EQ(units_parse_rate("120M", &v, NULL), 0);
	ASSERT_U64_EQ(v, 125829120);
}

TEST(units_count_no_suffix)
{
	const char *why = NULL;
	uint64_t v = 0;

	ASSERT_EQ(units_parse_count("3000", &v, &why), 0);
	ASSERT_U64_EQ(v, 3000);
	ASSERT_EQ(units_parse_count("3K", &v, &why), -EINVAL);
	ASSERT_STREQ(why, "must be a plain whole number (no suffix)");
	ASSERT_EQ(units_parse_count("-3", &v, &why), -EINVAL);
	ASSERT_STREQ(why, "must not be negative");
	ASSERT_EQ(units_parse_count("2.5", &v, &why), -EINVAL);
}

static uint64_t dur_ok(const char *s)
{
	const char *why = NULL;
	uint64_t v = UINT64_MAX;

	if (units_parse_duration(s, &v, &why))
		test_fail(__FILE__, __LINE__, "duration '%s' refused: %s", s, why);
	return v;
}

TEST(units_duration_units)
{
	ASSERT_U64_EQ(dur_ok("100ms"), 100000000ULL);
	ASSERT_U64_EQ(dur_ok("2s"), 2000000000ULL);
	ASSERT_U64_EQ(dur_ok("5"), 5000000000ULL);	/* bare = seconds */
	ASSERT_U64_EQ(dur_ok("1m"), 60000000000ULL);
	ASSERT_U64_EQ(dur_ok("1h"), 3600000000000ULL);
	ASSERT_U64_EQ(dur_ok("250us"), 250000ULL);
	ASSERT_U64_EQ(dur_ok("7ns"), 7ULL);
	ASSERT_U64_EQ(dur_ok("0"), 0);
	ASSERT_U64_EQ(dur_ok("100 ms"), 100000000ULL);
}

TEST(units_duration_refusals)
{
	const char *why = NULL;
	uint64_t v;

	ASSERT_EQ(units_parse_duration("1.5s", &v, &why), -EINVAL);
	ASSERT_STREQ(why, "must be a whole number (no fractions)");
	ASSERT_EQ(units_parse_duration("10x", &v, &why), -EINVAL);
	ASSERT_STREQ(why, "unknown unit (use ns, us, ms, s, m or h)");
	ASSERT_EQ(units_parse_duration("10S", &v, &why), -EINVAL);
	ASSERT_EQ(units_parse_duration("10sec", &v, &why), -EINVAL);
	ASSERT_EQ(units_parse_duration("-1s", &v, &why), -EINVAL);
	ASSERT_STREQ(why, "must not be negative");
	ASSERT_EQ(units_parse_duration("", &v, &why), -EINVAL);
	ASSERT_EQ(units_parse_duration("ms", &v, &why), -EINVAL);
	ASSERT_EQ(units_parse_duration("5124096h", &v, &why), -ERANGE);
	ASSERT_STREQ(why, "duration too long");
	ASSERT_EQ(units_parse_duration("18446744073709551615", &v, &why), -ERANGE);
}

TEST(units_format_size_exact)
{
	char buf[32];

	ASSERT_STREQ(units_format_size(0, buf, sizeof(buf)), "0");
	ASSERT_STREQ(units_format_size(1000, buf, sizeof(buf)), "1000");
	ASSERT_STREQ(units_format_size(4096, buf, sizeof(buf)), "4K");
	ASSERT_STREQ(units_format_size(125829120, buf, sizeof(buf)), "120M");
	ASSERT_STREQ(units_format_size(1536ULL << 20, buf, sizeof(buf)), "1536M");
	ASSERT_STREQ(units_format_size(1ULL << 40, buf, sizeof(buf)), "1T");
	ASSERT_STREQ(units_format_size(4097, buf, sizeof(buf)), "4097");
	ASSERT_STREQ(units_format_size(UINT64_MAX, buf, sizeof(buf)), "18446744073709551615");
}

TEST(units_format_duration_exact)
{
	char buf[32];

	ASSERT_STREQ(units_format_duration(0, buf, sizeof(buf)), "0s");
	ASSERT_STREQ(units_format_duration(100000000ULL, buf, sizeof(buf)), "100ms");
	ASSERT_STREQ(units_format_duration(1000000000ULL, buf, sizeof(buf)), "1s");
	ASSERT_STREQ(units_format_duration(1500000000ULL, buf, sizeof(buf)), "1500ms");
	ASSERT_STREQ(units_format_duration(60000000000ULL, buf, sizeof(buf)), "1m");
	ASSERT_STREQ(units_format_duration(90000000000ULL, buf, sizeof(buf)), "90s");
	ASSERT_STREQ(units_format_duration(7200000000000ULL, buf, sizeof(buf)), "2h");
	ASSERT_STREQ(units_format_duration(1001, buf, sizeof(buf)), "1001ns");
	ASSERT_STREQ(units_format_duration(250000, buf, sizeof(buf)), "250us");
}

TEST(units_format_round_trips)
{
	static const uint64_t sizes[] = { 1, 512, 1024, 3 << 20, 5ULL << 30, 123456789, 1ULL << 50 };
	static const uint64_t durs[] = { 1, 999, 1000, 10000000, 3000000000ULL, 86400000000000ULL };
	char buf[32];
	uint64_t v;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		units_format_size(sizes[i], buf, sizeof(buf));
		if (!ASSERT_EQ(units_parse_size(buf, &v, NULL), 0) || !ASSERT_U64_EQ(v, sizes[i]))
			return;
	}
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		units_format_duration(durs[i], buf, sizeof(buf));
		if (!ASSERT_EQ(units_parse_duration(buf, &v, NULL), 0) || !ASSERT_U64_EQ(v, durs[i]))
			return;
	}
}

TEST(units_format_small_buffer)
{
	char buf[3];

	units_format_size(125829120, buf, sizeof(buf));
	ASSERT_STREQ(buf, "12");	/* truncated, still terminated */
}
