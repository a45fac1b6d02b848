// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: the policy key file parser on any bytes (the input is the file;
 * policy_parse_buffer takes text that is not NUL-terminated). Whatever it
 * returns, both results must be free-safe, and a parse that fails must say
 * why. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_errors errs;
	struct policy pol;
	int r;

	if (size > POLICY_MAX_FILE)
		return 0;
	r = policy_parse_buffer("fuzz", (const char *)data, size, &pol, &errs);
	if (r == 0 && errs.nr != 0)
		abort();	/* success with errors */
	if (r == -EINVAL && errs.nr == 0)
		abort();	/* "has errors" without a single line */
	policy_free(&pol);
	policy_errors_free(&errs);
	return 0;
}
