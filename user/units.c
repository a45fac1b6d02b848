// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Parsing and printing of sizes, rates, durations; path globs. */
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

int units_parse_count(const char *s, uint64_t *out, const char **why)
{
	const char *p;
	uint64_t v;
	int err;

	err = units_parse_digits(s, &v, &p, why);
	if (err)
		return err;
	p = units_skip_blanks(p);
	if (*p)
		return units_fail(why, "must be a plain whole number (no suffix)", -EINVAL);
	*out = v;
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

/* ---- globs ---- */

enum glob_tok_type {
	GLOB_LIT,	/* one given character */
	GLOB_ANY,	/* '?' */
	GLOB_CLASS,	/* [...] */
	GLOB_STAR,	/* '*': any run without '/' */
	GLOB_DSTAR,	/* '**': any run */
};

struct glob_tok {
	enum glob_tok_type type;
	unsigned char ch;
	bool negate;
	/* GLOB_CLASS: the class body, pattern[first..last) */
	unsigned first, last;
	/* GLOB_LIT '/' before a "**" component: an extra epsilon edge to
	 * token skip (0 = none), as the component may match zero components */
	unsigned skip;
};

/*
 * Where the class starting at pattern[i] == '[' ends: the index of its ']',
 * or 0 if unterminated. A ']' right after '[' or '[!' is a member.
 */
static size_t glob_class_end(const char *pattern, size_t i)
{
	size_t j = i + 1;

	if (pattern[j] == '!' || pattern[j] == '^')
		j++;
	if (pattern[j] == ']')
		j++;
	for (; pattern[j]; j++) {
		if (pattern[j] == '\\' && pattern[j + 1])
			j++;
		else if (pattern[j] == ']')
			return j;
	}
	return 0;
}

static bool glob_class_has(const char *pattern, const struct glob_tok *t, unsigned char c)
{
	unsigned i = t->first;
	bool found = false;

	if (i < t->last && pattern[i] == ']') {	/* leading ']' is literal */
		found = c == ']';
		i++;
	}
	while (i < t->last && !found) {
		unsigned char lo = (unsigned char)pattern[i], hi;

		if (lo == '\\' && i + 1 < t->last)
			lo = (unsigned char)pattern[++i];
		i++;
		hi = lo;
		if (i + 1 < t->last && pattern[i] == '-') {
			hi = (unsigned char)pattern[i + 1];
			i += 2;
			if (hi == '\\' && i < t->last)
				hi = (unsigned char)pattern[i++];
		}
		found = c >= lo && c <= hi;
	}
	return found != t->negate;
}

/*
 * Tokens of pattern into a new array; NULL on allocation failure. *start is
 * a second start state (0 = none): where a leading "**" then '/' has
 * matched nothing.
 */
static struct glob_tok *glob_compile(const char *pattern, unsigned *nr, unsigned *start)
{
	size_t len = strlen(pattern), n = 0;
	struct glob_tok *toks;

	toks = calloc(len + 1, sizeof(*toks));
	if (!toks)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		struct glob_tok *t = &toks[n++];
		size_t end;

		switch (pattern[i]) {
		case '\\':
			t->type = GLOB_LIT;
			if (pattern[i + 1])
				i++;
			t->ch = (unsigned char)pattern[i];
			break;
		case '?':
			t->type = GLOB_ANY;
			break;
		case '*':
			t->type = GLOB_STAR;
			if (pattern[i + 1] == '*') {
				t->type = GLOB_DSTAR;
				while (pattern[i + 1] == '*')
					i++;
			}
			break;
		case '[':
			end = glob_class_end(pattern, i);
			if (!end) {	/* unterminated: a literal '[', as fnmatch does */
				t->type = GLOB_LIT;
				t->ch = '[';
				break;
			}
			t->type = GLOB_CLASS;
			t->first = (unsigned)i + 1;
			if (pattern[t->first] == '!' || pattern[t->first] == '^') {
				t->negate = true;
				t->first++;
			}
			t->last = (unsigned)end;
			i = end;
			break;
		default:
			t->type = GLOB_LIT;
			t->ch = (unsigned char)pattern[i];
			break;
		}
	}
	/* Zero-directory forms of "**": a "/" "**" "/" run may match a single
	 * '/', and a leading "**" "/" may match nothing. */
	*start = 0;
	for (size_t k = 0; k + 1 < n; k++) {
		bool slash_before = k > 0 && toks[k - 1].type == GLOB_LIT && toks[k - 1].ch == '/';
		bool slash_after = toks[k + 1].type == GLOB_LIT && toks[k + 1].ch == '/';

		if (toks[k].type != GLOB_DSTAR || !slash_after)
			continue;
		if (slash_before)
			toks[k - 1].skip = (unsigned)k + 1;
		else if (k == 0)
			*start = 2;
	}
	*nr = (unsigned)n;
	return toks;
}

/* Follow the epsilon edges; they all point forward, so one pass does. */
static void glob_closure(const struct glob_tok *toks, unsigned n, unsigned char *set)
{
	for (unsigned i = 0; i < n; i++) {
		if (!set[i])
			continue;
		if (toks[i].type == GLOB_STAR || toks[i].type == GLOB_DSTAR)
			set[i + 1] = 1;
		if (toks[i].skip)
			set[toks[i].skip] = 1;
	}
}

bool glob_match(const char *pattern, const char *path)
{
	unsigned char *cur = NULL, *next = NULL;
	struct glob_tok *toks;
	bool matched = false;
	unsigned n, start;

	if (!pattern || !path)
		return false;
	toks = glob_compile(pattern, &n, &start);
	if (!toks)
		return false;
	cur = calloc(n + 1, 1);
	next = calloc(n + 1, 1);
	if (!cur || !next)
		goto cleanup;
	/* A set of NFA states (token positions; n = accept), advanced one path
	 * character at a time: no backtracking, so no exponential blow-up. */
	cur[0] = 1;
	cur[start] = 1;
	glob_closure(toks, n, cur);
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool any = false;

		memset(next, 0, n + 1);
		for (unsigned i = 0; i < n; i++) {
			const struct glob_tok *t = &toks[i];

			if (!cur[i])
				continue;
			switch (t->type) {
			case GLOB_LIT:
				if (c == t->ch)
					next[i + 1] = 1;
				break;
			case GLOB_ANY:
				if (c != '/')
					next[i + 1] = 1;
				break;
			case GLOB_CLASS:
				if (c != '/' && glob_class_has(pattern, t, c))
					next[i + 1] = 1;
				break;
			case GLOB_STAR:
				if (c != '/')
					next[i] = 1;
				break;
			case GLOB_DSTAR:
				next[i] = 1;
				break;
			}
		}
		glob_closure(toks, n, next);
		for (unsigned i = 0; i <= n && !any; i++)
			any = next[i];
		if (!any)
			goto cleanup;
		memcpy(cur, next, n + 1);
	}
	matched = cur[n];
cleanup:
	free(cur);
	free(next);
	free(toks);
	return matched;
}

const char *glob_check(const char *pattern)
{
	if (!pattern || !*pattern)
		return "empty pattern";
	for (size_t i = 0; pattern[i]; i++) {
		if (pattern[i] == '\\') {
			if (!pattern[i + 1])
				return "pattern ends with a lone '\\'";
			i++;
		} else if (pattern[i] == '[') {
			size_t end = glob_class_end(pattern, i);

			if (!end)
				return "unterminated '[' in pattern";
			i = end;
		}
	}
	return NULL;
}
