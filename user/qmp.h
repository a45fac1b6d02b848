/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * QEMU's own count of a guest's requests, from its QMP monitor: the stage
 * above the host's page cache in iorate explain, where /proc/PID/io counts
 * QEMU's syscalls (a real QEMU made ~280 write syscalls a second for ~23
 * guest writes: docs/bench.md). query-block names each drive's image,
 * query-blockstats counts its requests; the two are joined by drive.
 */
#ifndef IORATE_QMP_H
#define IORATE_QMP_H

#include <stdint.h>
#include <json-c/json.h>

#define QMP_MAX_DRIVES	64

struct qmp_drive {
	char name[64];		/* the drive's id (-drive's), else its qdev path */
	char file[4096];	/* its image, as QEMU opened it ("" unknown) */
	uint64_t ops[2];	/* requests completed: reads [0], writes [1] */
	uint64_t bytes[2];
};

/* Pure: the drives from a query-block and a query-blockstats "return"
 * array. Returns how many (at most cap), or -EINVAL on a reply of
 * another shape. */
int qmp_parse_drives(struct json_object *block, struct json_object *blockstats,
		     struct qmp_drive *out, int cap);

/* The drives of the QEMU listening on the unix socket `path`, asked over
 * a connection of its own that lasts at most timeout_ms. Returns how many,
 * or -errno (-ETIMEDOUT; -EPROTO: not QMP, or a command refused). */
int qmp_query_drives(const char *path, int timeout_ms, struct qmp_drive *out, int cap);

#endif
