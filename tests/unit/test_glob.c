// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Path globs (user/glob.c) as the policy's matches use them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "glob.h"
#include "test.h"

struct glob_case {
	const char *pattern, *path;
	bool match;
};

static const struct glob_case glob_cases[] = {
	{ "abc", "abc", true },
	{ "abc", "abd", false },
	{ "abc", "ab", false },
	{ "", "", true },
	{ "", "a", false },
	{ "*", "", true },
	{ "*", "anything", true },
	{ "*", "a/b", false },		/* '*' stops at '/' */
	{ "web-*", "web-1", true },
	{ "web-*", "web-", true },
	{ "web-*", "db-1", false },
	{ "/machine.slice/*web*.scope", "/machine.slice/machine-qemu-1-web.scope", true },
	{ "/machine.slice/*web*.scope", "/machine.slice/x/web.scope", false },
	{ "/machine.slice/*", "/machine.slice/a.scope", true },
	{ "/machine.slice/*", "/machine.slice/a.scope/libvirt", false },
	{ "/machine.slice/**", "/machine.slice/a.scope/libvirt", true },
	{ "/machine.slice/**", "/machine.slice/a", true },
	{ "/machine.slice/**", "/machine.slice", false },	/* needs a component */
	{ "/machine.slice/**", "/machine.slice/", true },
	{ "/a/**/b", "/a/b", true },		/* zero directories */
	{ "/a/**/b", "/a/x/b", true },
	{ "/a/**/b", "/a/x/y/z/b", true },
	{ "/a/**/b", "/a/x/y/z/c", false },
	{ "/a/**/b", "/ab", false },
	{ "/a/**/b", "/a/xb", false },
	{ "**/b", "b", true },
	{ "**/b", "x/y/b", true },
	{ "**/b", "xb", false },
	{ "**", "", true },
	{ "**", "/a/b/c", true },
	{ "/a/**b", "/a/x/yb", true },
	{ "/a/***/b", "/a/b", true },		/* runs of '*' are '**' */
	{ "?", "a", true },
	{ "?", "", false },
	{ "?", "/", false },
	{ "a?c", "abc", true },
	{ "a?c", "a/c", false },
	{ "db[0-9]", "db7", true },
	{ "db[0-9]", "dbx", false },
	{ "db[!0-9]", "dbx", true },
	{ "db[^0-9]", "db7", false },
	{ "db[abc]", "dbb", true },
	{ "db[abc]", "dbd", false },
	{ "[]]", "]", true },
	{ "[!]]", "]", false },
	{ "[!]]", "a", true },
	{ "[a-]", "-", true },
	{ "a[/]b", "a/b", false },		/* classes never match '/' */
	{ "a[!x]b", "a/b", false },
	{ "[abc", "[abc", true },		/* unterminated: literal '[' */
	{ "a\\*b", "a*b", true },
	{ "a\\*b", "axb", false },
	{ "a\\?", "a?", true },
	{ "[\\]]", "]", true },
	{ "*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	{ "**a**a**a**a**a**b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", true },
	{ "/usr/bin/qemu-system-*", "/usr/bin/qemu-system-x86_64", true },
	{ "/usr/bin/qemu-system-*", "/usr/local/bin/qemu-system-x86_64", false },
	{ "/usr/**/qemu-system-*", "/usr/local/bin/qemu-system-x86_64", true },
};

TEST(glob_match_table)
{
	for (size_t i = 0; i < sizeof(glob_cases) / sizeof(glob_cases[0]); i++) {
		const struct glob_case *c = &glob_cases[i];

		if (glob_match(c->pattern, c->path) != c->match)
			test_fail(__FILE__, __LINE__, "glob_match(\"%s\", \"%s\") should be %s",
				  c->pattern, c->path, c->match ? "true" : "false");
	}
}

/* Compiled once, matched many times: the same answers, every time (the
 * state sets are the matcher's own, nothing carries from one match to the
 * next). */
TEST(glob_compiled_once_matches_as_each_call)
{
	for (size_t i = 0; i < sizeof(glob_cases) / sizeof(glob_cases[0]); i++) {
		const struct glob_case *c = &glob_cases[i];
		struct glob g;

		ASSERT_EQ(glob_compile(&g, c->pattern), 0);
		for (int round = 0; round < 3; round++) {
			if (glob_matches(&g, c->path) != c->match)
				test_fail(__FILE__, __LINE__, "compiled \"%s\" on \"%s\" should be %s",
					  c->pattern, c->path, c->match ? "true" : "false");
			glob_matches(&g, "/something/else/entirely");
		}
		glob_free(&g);
	}
}

TEST(glob_uncompiled_and_too_long)
{
	struct glob none = { 0 };
	char *longest = malloc(GLOB_MAX_TOKENS + 2);
	struct glob g;

	ASSERT_TRUE(!glob_matches(&none, ""));
	ASSERT_TRUE(longest != NULL);
	/* a run of '*' is one token, whatever its length */
	memset(longest, '*', GLOB_MAX_TOKENS + 1);
	longest[GLOB_MAX_TOKENS + 1] = '\0';
	ASSERT_EQ(glob_compile(&g, longest), 0);
	ASSERT_TRUE(glob_matches(&g, "abc"));
	glob_free(&g);
	memset(longest, 'a', GLOB_MAX_TOKENS);
	longest[GLOB_MAX_TOKENS] = '\0';
	ASSERT_EQ(glob_compile(&g, longest), 0);
	ASSERT_TRUE(glob_matches(&g, longest));
	ASSERT_TRUE(glob_check(longest) == NULL);
	glob_free(&g);
	longest[GLOB_MAX_TOKENS] = 'a';
	longest[GLOB_MAX_TOKENS + 1] = '\0';
	ASSERT_EQ(glob_compile(&g, longest), -ENAMETOOLONG);
	ASSERT_TRUE(!glob_match(longest, longest));
	ASSERT_STREQ(glob_check(longest), "pattern too long");
	free(longest);
}

TEST(glob_match_null)
{
	ASSERT_TRUE(!glob_match(NULL, "a"));
	ASSERT_TRUE(!glob_match("a", NULL));
}

/* Backtracking matchers go exponential here; this one must stay linear. */
TEST(glob_match_pathological_is_fast)
{
	char pattern[4100], path[4100];
	size_t i;

	for (i = 0; i + 2 < 4000; i += 2) {
		pattern[i] = '*';
		pattern[i + 1] = 'a';
	}
	pattern[i++] = 'b';
	pattern[i] = '\0';
	memset(path, 'a', 4000);
	path[4000] = '\0';
	ASSERT_TRUE(!glob_match(pattern, path));
}

TEST(glob_check_syntax)
{
	ASSERT_TRUE(glob_check("/machine.slice/**") == NULL);
	ASSERT_TRUE(glob_check("db[0-9]") == NULL);
	ASSERT_TRUE(glob_check("a\\*") == NULL);
	ASSERT_STREQ(glob_check(""), "empty pattern");
	ASSERT_STREQ(glob_check("db[0-9"), "unterminated '[' in pattern");
	ASSERT_STREQ(glob_check("a\\"), "pattern ends with a lone '\\'");
	ASSERT_TRUE(glob_check("[]") != NULL);	/* ']' first is a member */
}
