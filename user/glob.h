/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Path globs for the policy's matches, compiled once when the policy is
 * parsed: every cgroup event and every /proc walk matches each group's
 * patterns, a thousand VMs' worth on a big host, and compiling at each
 * match cost three allocations a call.
 *
 * '*' matches any run of characters except '/', '**' any run including
 * '/', '?' one character except '/', [abc] [a-z] [!x] [^x] one character
 * from a class (never '/'), '\' quotes the next character. A "**" that is
 * a whole path component may also match zero components: "/a/STARSTAR/b"
 * (STARSTAR being "**") matches "/a/b" as well as "/a/x/y/b", and a
 * leading "**" then '/' may match nothing; a trailing '/' then "**" needs
 * at least one more component ("/a" does not match it, "/a/x" does).
 * Linear in pattern x path, no recursion: safe on hostile input.
 */
#ifndef IORATE_GLOB_H
#define IORATE_GLOB_H

#include <stdbool.h>

/* Tokens (a character, a quoted one, a class, a run of '*'): a policy
 * line is at most 4096 bytes (POLICY_MAX_LINE), so its pattern fits, and
 * matching needs no allocation. */
#define GLOB_MAX_TOKENS	4096

struct glob_tok;

struct glob {
	char *pattern;		/* a copy: the classes' bodies index into it */
	struct glob_tok *toks;
	unsigned nr;
	unsigned start;		/* a second start state, 0: none */
};

/* 0, -ENOMEM, or -ENAMETOOLONG past GLOB_MAX_TOKENS. */
int glob_compile(struct glob *g, const char *pattern);
void glob_free(struct glob *g);
/* False for a glob that was never compiled. */
bool glob_matches(const struct glob *g, const char *path);
/* Compile, match, free: for a pattern matched once. */
bool glob_match(const char *pattern, const char *path);
/* NULL when the pattern is well formed, else why not (unterminated '['...). */
const char *glob_check(const char *pattern);

#endif
