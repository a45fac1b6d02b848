// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: path globs. The input is "PATTERN\nPATH" (the path may hold
 * more newlines; a NUL ends either string early, as in C). Besides not
 * crashing, two things must hold whatever the pattern:
 *   - a pattern with no special character matches exactly itself;
 *   - the path with every character quoted by '\' is a well-formed pattern
 *     that matches the path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "glob.h"

#define FUZZ_GLOB_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	char *pattern, *path, *quoted;
	size_t plen;
	bool m;

	if (size > 2 * FUZZ_GLOB_MAX)
		return 0;
	nl = memchr(data, '\n', size);
	plen = nl ? (size_t)(nl - data) : size;
	pattern = strndup((const char *)data, plen);
	path = nl ? strndup((const char *)nl + 1, size - plen - 1) : strdup("");
	if (!pattern || !path)
		goto cleanup;

	m = glob_match(pattern, path);
	/* past GLOB_MAX_TOKENS nothing compiles, and nothing matches */
	if (*pattern && !strcmp(glob_check(pattern) ?: "", "pattern too long")) {
		if (m)
			abort();
	} else if (!strpbrk(pattern, "\\*?[") && m != !strcmp(pattern, path)) {
		abort();
	}

	quoted = malloc(2 * strlen(path) + 1);
	if (quoted) {
		char *q = quoted;

		for (const char *p = path; *p; p++) {
			*q++ = '\\';
			*q++ = *p;
		}
		*q = '\0';
		if (*path && glob_check(quoted))
			abort();
		if (!glob_match(quoted, path))
			abort();
		free(quoted);
	}
cleanup:
	free(pattern);
	free(path);
	return 0;
}
