/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Block devices: names, dev_t, and the whole disk beneath a partition. */
#ifndef IORATE_DISK_H
#define IORATE_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel name of the disk (e.g. "nullb0"), or "MAJ:MIN" when unknown. */
void disk_name(uint32_t dev, char *buf, size_t len);
/* dev (iorate_mkdev encoding) of the whole disk under /dev/NAME or a
 * MAJ:MIN string; a partition resolves to its disk. */
int disk_resolve(const char *spec, uint32_t *dev);

/* The request-based disks at the bottom of dev's stack: a partition's
 * disk, a dm/md device's slaves followed down (dm on md on partitions...),
 * or the disk itself; each once. The count, or -ENODEV, -ELOOP past 8
 * levels, -E2BIG over cap. */
int disk_leaves(uint32_t dev, uint32_t *leaves, int cap);

/*
 * Whether the device has no request queue of its own (dm, md, and other
 * bio-based drivers: no mq/ in sysfs): block_rq_complete never fires for
 * it, so its I/O is counted as the bios it receives. A stacked volume's
 * limit binds there (per volume: blk-throttle sees which LV a bio is
 * for) and is counted there; `device = *` means the request-based disks
 * beneath, so that no I/O is controlled twice.
 */
bool disk_bio_based(uint32_t dev);

/* disk_bio_based() remembered per device, emptied at each rescan (a disk
 * may come and go): the tick asks for every usage entry, so a lookup is
 * one probe of an open-addressed table, not a stat. Sized for a host's
 * disks and volumes (thousands of LVs); past half full it answers from
 * sysfs without remembering. */
#define DISK_KIND_SLOTS 8192
struct disk_kinds {
	uint32_t dev[DISK_KIND_SLOTS];		/* 0: empty (no disk has 0:0) */
	bool bio_based[DISK_KIND_SLOTS];
	int nr;
};
bool disk_kinds_bio_based(struct disk_kinds *k, uint32_t dev);

#endif
