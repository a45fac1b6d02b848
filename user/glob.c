// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "glob.h"

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
 * Tokens of the pattern; g->start is a second start state (0 = none):
 * where a leading "**" then '/' has matched nothing.
 */
int glob_compile(struct glob *g, const char *pattern)
{
	size_t len = strlen(pattern), n = 0;
	struct glob_tok *toks;

	memset(g, 0, sizeof(*g));
	g->pattern = strdup(pattern);
	toks = calloc(len + 1, sizeof(*toks));
	if (!g->pattern || !toks) {
		free(toks);
		glob_free(g);
		return -ENOMEM;
	}
	pattern = g->pattern;
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
	for (size_t k = 0; k + 1 < n; k++) {
		bool slash_before = k > 0 && toks[k - 1].type == GLOB_LIT && toks[k - 1].ch == '/';
		bool slash_after = toks[k + 1].type == GLOB_LIT && toks[k + 1].ch == '/';

		if (toks[k].type != GLOB_DSTAR || !slash_after)
			continue;
		if (slash_before)
			toks[k - 1].skip = (unsigned)k + 1;
		else if (k == 0)
			g->start = 2;
	}
	g->toks = toks;
	g->nr = (unsigned)n;
	if (n > GLOB_MAX_TOKENS) {
		glob_free(g);
		return -ENAMETOOLONG;
	}
	return 0;
}

void glob_free(struct glob *g)
{
	free(g->pattern);
	free(g->toks);
	memset(g, 0, sizeof(*g));
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

bool glob_matches(const struct glob *g, const char *path)
{
	/* a set of NFA states: token positions, g->nr = accept */
	unsigned char cur[GLOB_MAX_TOKENS + 1], next[GLOB_MAX_TOKENS + 1];
	const struct glob_tok *toks = g->toks;
	unsigned n = g->nr;

	if (!toks || !path)
		return false;
	/* Advanced one path character at a time: no backtracking, so no
	 * exponential blow-up. */
	memset(cur, 0, n + 1);
	cur[0] = 1;
	cur[g->start] = 1;
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
				if (c != '/' && glob_class_has(g->pattern, t, c))
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
			return false;
		memcpy(cur, next, n + 1);
	}
	return cur[n];
}

bool glob_match(const char *pattern, const char *path)
{
	struct glob g;
	bool matched;

	if (!pattern || !path || glob_compile(&g, pattern))
		return false;
	matched = glob_matches(&g, path);
	glob_free(&g);
	return matched;
}

const char *glob_check(const char *pattern)
{
	size_t tokens = 0;

	if (!pattern || !*pattern)
		return "empty pattern";
	for (size_t i = 0; pattern[i]; i++, tokens++) {
		if (pattern[i] == '\\') {
			if (!pattern[i + 1])
				return "pattern ends with a lone '\\'";
			i++;
		} else if (pattern[i] == '[') {
			size_t end = glob_class_end(pattern, i);

			if (!end)
				return "unterminated '[' in pattern";
			i = end;
		} else if (pattern[i] == '*') {
			while (pattern[i + 1] == '*')
				i++;
		}
	}
	return tokens > GLOB_MAX_TOKENS ? "pattern too long" : NULL;
}
