// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: the state file (what io.max held before iorate) and io.max
 * text, both read back from files another run or the kernel wrote. The
 * input, NUL-terminated, goes to state_parse; a state that parses must
 * format and parse again to the same entries. Then the same bytes go to
 * iomax_parse for the device of the first "MAJ:MIN" in them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "iorate.h"
#include "iomax.h"
#include "state.h"

static void check_roundtrip(const struct state *s)
{
	struct state again = { 0 };
	char *text = state_format(s);

	if (!text)
		return;
	if (state_parse(&again, text) || again.nr != s->nr)
		abort();
	for (int i = 0; i < s->nr; i++)
		if (again.entries[i].dev != s->entries[i].dev ||
		    strcmp(again.entries[i].cgroup, s->entries[i].cgroup) ||
		    !iomax_equal(&again.entries[i].original, &s->entries[i].original))
			abort();
	state_close(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = { 0 };
	struct iomax m;
	unsigned int ma = 0, mi = 0;
	char *text;

	if (size > (1 << 20))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (state_parse(&s, text) == 0)
		check_roundtrip(&s);
	state_close(&s);

	sscanf(text, "%u:%u", &ma, &mi);
	iomax_parse(text, iorate_mkdev(ma, mi), &m);
	free(text);
	return 0;
}
