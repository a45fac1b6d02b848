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

/*
 * blk-throttle passes a throttled group whole I/Os per slice (throtl_slice,
 * HZ / 10: 100 ms on 6.1, 6.12 and 6.18): riops x 0.1 of them, rounded
 * down, so a line of 50-59 passes 50/s (tests/unit/blk_throttle_model.c;
 * 6.1 VM: a line of 55 held the disk at 50.0/s, one of 61 at 60.0/s).
 */
#define IOMAX_IOPS_STEP	10

/* What an iops line passes when its group presses on it. */
double iomax_iops_passed(uint64_t v);
/* A line of v iops divided into part and the rest, in whole steps: part's
 * line, the nearest step to it (ties down), that with the rest's passes
 * what v alone passes. Under two steps, part rounded. */
uint64_t iomax_iops_part(uint64_t v, double part);

void iomax_unlimited(struct iomax *m);
bool iomax_equal(const struct iomax *a, const struct iomax *b);
/* Find dev's line in the text of an io.max file; absent = unlimited. */
int iomax_parse(const char *text, uint32_t dev, struct iomax *out);
/* "MAJ:MIN rbps=... wiops=..." with "max" for unlimited, no newline. */
void iomax_format(uint32_t dev, const struct iomax *m, char *buf, size_t len);
int iomax_read(const char *cgroup_dir, uint32_t dev, struct iomax *out);
int iomax_write(const char *cgroup_dir, uint32_t dev, const struct iomax *m);

#endif
