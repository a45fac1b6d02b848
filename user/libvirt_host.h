/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A libvirt drive's source -> the physical disks of this host under it. */
#ifndef IORATE_LIBVIRT_HOST_H
#define IORATE_LIBVIRT_HOST_H

#include <stddef.h>
#include "libvirt_xml.h"

/*
 * An lv_resolve_fn (ctx unused): stat the source; a block device, or a
 * file's filesystem device (from the mount table when st_dev is
 * anonymous, as on btrfs), then the disks beneath it: a partition's disk;
 * a dm or md volume itself (its limit held per volume, as a policy's
 * device = /dev/VG/LV is). 0 with *m filled and m->how saying how; -1 with
 * the reason in why.
 */
int lv_host_resolve(void *ctx, const struct lv_disk *d, struct lv_mapping *m,
		    char *why, size_t whylen);

#define LV_MAX_XML	(16 << 20)	/* a domain is tens of KiB; refuse a runaway */

/* The whole of a domain document from fd, in a buffer to free: 0, -EFBIG
 * past LV_MAX_XML, -ENOMEM or the read's -errno (*text NULL then). */
int lv_read_xml(int fd, char **text, size_t *len);

#endif
