/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Policy matches built by hand in a test, compiled as policy_parse
 * compiles them (a pid: match has no glob). */
#ifndef IORATE_TEST_MATCHES_H
#define IORATE_TEST_MATCHES_H

#include "policy.h"

static inline void matches_compile(struct policy_match *m, int n)
{
	for (int i = 0; i < n; i++)
		if (m[i].kind != POLICY_MATCH_PID)
			glob_compile(&m[i].glob, m[i].pattern);
}

static inline void matches_free(struct policy_match *m, int n)
{
	for (int i = 0; i < n; i++)
		glob_free(&m[i].glob);
}

#endif
