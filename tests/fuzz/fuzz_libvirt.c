// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: libvirt domain XML -> policy, the part that needs no host.
 * The input is one domain document; when it parses, its groups are written
 * with the unit tests' fake resolver (tests/unit/test_libvirt_xml.c) and
 * what is written must be a policy iorate accepts, as `iorate
 * import-libvirt` promises. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include "libvirt_xml.h"
#include "policy.h"

#include "../unit/fake_disks.h"

static void silent(void *ctx, const char *msg, ...)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	xmlSetGenericErrorFunc(NULL, silent);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_errors errs;
	struct lv_report rep = { 0 };
	struct lv_domain d;
	struct policy pol;
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	if (size > (1 << 20))
		return 0;
	if (lv_domain_parse((const char *)data, size, &d, err, sizeof(err)))
		return 0;
	mem = open_memstream(&text, &len);
	if (!mem) {
		lv_domain_free(&d);
		return 0;
	}
	r = lv_policy_write(mem, NULL, &d, 1, fake_resolve, NULL, &rep);
	fclose(mem);
	lv_domain_free(&d);
	if (r == 0 && policy_parse_buffer("import", text, len, &pol, &errs)) {
		fprintf(stderr, "import wrote a policy iorate refuses:\n");
		for (int i = 0; i < errs.nr; i++)
			fprintf(stderr, "  %s\n", errs.lines[i]);
		fprintf(stderr, "---\n%s---\n", text);
		abort();
	}
	if (r == 0) {
		policy_free(&pol);
		policy_errors_free(&errs);
	}
	free(text);
	return 0;
}
