// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Parsing and printing of sizes, rates, durations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "units.h"

static bool units_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool units_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int units_fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

/*
 * The whole number at the start of s, digits only: strtoull would accept
 * signs, leading blanks and hex, none of which belong in a policy file.
 * *end points past the digits.
 */
static int units_parse_digits(const char *s, uint64_t *out, const char **end,
			      const char **why)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p == '-')
		return units_fail(why, "must not be negative", -EINVAL);
	if (*p == '+')
		return units_fail(why, "must be a plain number (no sign)", -EINVAL);
	if (!*p)
		return units_fail(why, "empty value", -EINVAL);
	if (!units_is_digit(*p))
		return units_fail(why, "not a number", -EINVAL);
	for (; units_is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return units_fail(why, "number too large", -ERANGE);
		v = v * 10 + d;
	}
	if (*p == '.' || *p == ',')
		return units_fail(why, "must be a whole number (no fractions)", -EINVAL);
	*out = v;
	*end = p;
	return 0;
}

static const char *units_skip_blanks(const char *p)
{
	while (units_is_blank(*p))
		p++;
	return p;
}

int units_parse_size(const char *s, uint64_t *out, const char **why)
{
	static const char suffixes[] = "KMGT";
	const char *p, *sfx;
	uint64_t v;
	int err, shift;

	err = units_parse_digits(s, &v, &p, why);
	if (err)
		return err;
	p = units_skip_blanks(p);
	if (!*p) {
		*out = v;
		return 0;
	}
	sfx = strchr(suffixes, *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	if (!sfx || !*p)
		return units_fail(why, "unknown suffix (use K, M, G or T)", -EINVAL);
	shift = 10 * (int)(sfx - suffixes + 1);
	p++;
	if (!strncmp(p, "iB", 2))
		p += 2;
	if (*p)
		return units_fail(why, "unexpected text after the number", -EINVAL);
	if (v > (UINT64_MAX >> shift))
		return units_fail(why, "number too large", -ERANGE);
	*out = v << shift;
	return 0;
}

int units_parse_rate(const char *s, uint64_t *out, const char **why)
{
	return units_parse_size(s, out, why);
}

/* A whole number and what follows it, blanks skipped. */
static int units_parse_whole(const char *s, uint64_t *v, const char **rest, const char **why)
{
	int err = units_parse_digits(s, v, rest, why);

	if (!err)
		*rest = units_skip_blanks(*rest);
	return err;
}

int units_parse_count(const char *s, uint64_t *out, const char **why)
{
	const char *p;
	uint64_t v;
	int err = units_parse_whole(s, &v, &p, why);

	if (err)
		return err;
	if (*p)
		return units_fail(why, "must be a plain whole number (no suffix)", -EINVAL);
	*out = v;
	return 0;
}

int units_parse_percent(const char *s, double *frac, const char **why)
{
	const char *p;
	uint64_t v;
	int err = units_parse_whole(s, &v, &p, why);

	if (err)
		return err;
	if (*p != '%' || *units_skip_blanks(p + 1))
		return units_fail(why, "must be a whole percentage: 25%", -EINVAL);
	if (v < 1 || v > 100)
		return units_fail(why, "must be from 1% to 100%", -ERANGE);
	*frac = v / 100.0;
	return 0;
}

struct units_duration_unit {
	const char *name;
	uint64_t ns;
};

/* Longest names first where one is a prefix of another ("ms" before "m"). */
static const struct units_duration_unit units_durations[] = {
	{ "ns", 1ULL },
	{ "us", 1000ULL },
	{ "ms", 1000000ULL },
	{ "s", UNITS_NSEC_PER_SEC },
	{ "m", 60 * UNITS_NSEC_PER_SEC },
	{ "h", 3600 * UNITS_NSEC_PER_SEC },
};

int units_parse_duration(const char *s, uint64_t *ns, const char **why)
{
	const struct units_duration_unit *unit = NULL;
	const char *p;
	uint64_t v;
	int err;

	err = units_parse_digits(s, &v, &p, why);
	if (err)
		return err;
	p = units_skip_blanks(p);
	if (!*p) {
		unit = &units_durations[3];	/* bare number: seconds */
	} else {
		for (size_t i = 0; i < sizeof(units_durations) / sizeof(units_durations[0]); i++) {
			if (!strcmp(p, units_durations[i].name)) {
				unit = &units_durations[i];
				break;
			}
		}
	}
	if (!unit)
		return units_fail(why, "unknown unit (use ns, us, ms, s, m or h)", -EINVAL);
	if (v > UINT64_MAX / unit->ns)
		return units_fail(why, "duration too long", -ERANGE);
	*ns = v * unit->ns;
	return 0;
}

char *units_format_size(uint64_t v, char *buf, size_t len)
{
	static const char suffixes[] = "TGMK";

	for (int i = 0; i < 4 && v; i++) {
		int shift = 10 * (4 - i);

		if (!(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v >> shift),
				 suffixes[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

char *units_format_duration(uint64_t ns, char *buf, size_t len)
{
	size_t n = sizeof(units_durations) / sizeof(units_durations[0]);

	if (!ns) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (size_t i = n; i-- > 0;) {
		if (ns % units_durations[i].ns == 0) {
			snprintf(buf, len, "%llu%s",
				 (unsigned long long)(ns / units_durations[i].ns),
				 units_durations[i].name);
			return buf;
		}
	}
	return buf;	/* not reached: every ns is a whole number of "ns" */
}
