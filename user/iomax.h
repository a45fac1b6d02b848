/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cgroup v2 io.max: one line per disk, "MAJ:MIN rbps=N wbps=N riops=N wiops=N". */
#ifndef IORATE_IOMAX_H
#define IORATE_IOMAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOMAX_UNLIMITED UINT64_MAX

enum iomax_field { IOMAX_RBPS, IOMAX_WBPS, IOMAX_RIOPS, IOMAX_WIOPS, IOMAX_NR_FIELDS };

struct iomax {
	uint64_t v[IOMAX_NR_FIELDS];
};

void iomax_unlimited(struct iomax *m);
bool iomax_equal(const struct iomax *a, const struct iomax *b);
/* Find dev's line in the text of an io.max file; absent = unlimited. */
int iomax_parse(const char *text, uint32_t dev, struct iomax *out);
/* "MAJ:MIN rbps=... wiops=..." with "max" for unlimited, no newline. */
void iomax_format(uint32_t dev, const struct iomax *m, char *buf, size_t len);
int iomax_read(const char *cgroup_dir, uint32_t dev, struct iomax *out);
int iomax_write(const char *cgroup_dir, uint32_t dev, const struct iomax *m);

#endif
