// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Runs every registered TEST, or those whose name contains -t FILTER, and
 * ends with the summary line CI reads: "N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"

#define MAX_TESTS 1024

static const struct test_case *tests[MAX_TESTS];
static int nr_tests;
static int current_failed;

void test_register(const struct test_case *tc)
{
	if (nr_tests < MAX_TESTS)
		tests[nr_tests++] = tc;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failed = 1;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int cmp_name(const void *a, const void *b)
{
	const struct test_case *x = *(const struct test_case **)a;
	const struct test_case *y = *(const struct test_case **)b;
	int c = strcmp(x->file, y->file);

	return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int passed = 0, failed = 0, opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't')
			filter = optarg;
		else {
			fprintf(stderr, "usage: %s [-t FILTER]\n", argv[0]);
			return 2;
		}
	}
	qsort(tests, nr_tests, sizeof(tests[0]), cmp_name);
	for (int i = 0; i < nr_tests; i++) {
		if (filter && !strstr(tests[i]->name, filter))
			continue;
		current_failed = 0;
		tests[i]->fn();
		printf("%s %s\n", current_failed ? "FAIL" : "ok  ", tests[i]->name);
		if (current_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
