/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Block devices: names, dev_t, and the whole disk beneath a partition. */
#ifndef IORATE_DISK_H
#define IORATE_DISK_H

#include <stddef.h>
#include <stdint.h>

/* Kernel name of the disk (e.g. "nullb0"), or "MAJ:MIN" when unknown. */
void disk_name(uint32_t dev, char *buf, size_t len);
/* dev (iorate_mkdev encoding) of the whole disk under /dev/NAME or a
 * MAJ:MIN string; a partition resolves to its disk. */
int disk_resolve(const char *spec, uint32_t *dev);

#endif
