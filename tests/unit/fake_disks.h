/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The fake host shared by the libvirt import's unit tests and its fuzzer. */
#ifndef IORATE_FAKE_DISKS_H
#define IORATE_FAKE_DISKS_H

#include <stdio.h>
#include <string.h>
#include "libvirt_xml.h"

/* The fake host: a source path starting with "/sdd/" lives on /dev/sdd
 * (8:48), "/sde/" on /dev/sde (8:64); anything else does not exist. */
static int fake_resolve(void *ctx, const struct lv_disk *d, struct lv_mapping *m,
			char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (!strncmp(d->source, "/sdd/", 5) || !strcmp(d->source, "/dev/sdd")) {
		m->disks[0].dev = 8 << 20 | 48;
		snprintf(m->disks[0].name, sizeof(m->disks[0].name), "/dev/sdd");
	} else if (!strncmp(d->source, "/sde/", 5)) {
		m->disks[0].dev = 8 << 20 | 64;
		snprintf(m->disks[0].name, sizeof(m->disks[0].name), "/dev/sde");
	} else {
		snprintf(why, whylen, "%s: no such file", d->source);
		return -1;
	}
	m->nr = 1;
	snprintf(m->how, sizeof(m->how), "fake %s", d->source);
	return 0;
}

#endif
