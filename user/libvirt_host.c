// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Where a libvirt drive's source lives on this host: the physical disks
 * under a block device or under the filesystem holding a file (through
 * partitions, dm and md: disk_leaves). Shared by import-libvirt and the
 * daemon's limits = libvirt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "disk.h"
#include "iorate.h"
#include "libvirt_host.h"

/* The physical disks under MAJ:MIN (disk_leaves), with their names. */
static int lv_host_leaves(unsigned int ma, unsigned int mi, struct lv_mapping *m)
{
	uint32_t leaves[LV_MAX_HOSTDISKS];
	char name[64];
	int n = disk_leaves(iorate_mkdev(ma, mi), leaves, LV_MAX_HOSTDISKS);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		bool have = false;

		for (int j = 0; j < m->nr; j++)
			have |= m->disks[j].dev == leaves[i];
		if (have)
			continue;
		if (m->nr == LV_MAX_HOSTDISKS)
			return -E2BIG;
		m->disks[m->nr].dev = leaves[i];
		disk_name(leaves[i], name, sizeof(name));
		snprintf(m->disks[m->nr].name, sizeof(m->disks[m->nr].name), "/dev/%.58s", name);
		m->nr++;
	}
	return 0;
}

/* btrfs and friends give files an anonymous st_dev (major 0): the mount
 * table says which block device the filesystem lives on. */
static int lv_host_mount_source(dev_t dev, char *src, size_t len)
{
	char line[8192], want[32];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -ENODEV;

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "%u:%u", major(dev), minor(dev));
	while (fgets(line, sizeof(line), f)) {
		char id[32], *sep, fstype[64], source[4096];

		if (sscanf(line, "%*s %*s %31s", id) != 1 || strcmp(id, want))
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s %4095s", fstype, source) != 2)
			continue;
		snprintf(src, len, "%s", source);
		ret = strncmp(source, "/dev/", 5) ? -ENOTBLK : 0;
		if (ret)
			snprintf(src, len, "%s (%s)", fstype, source);
		break;
	}
	fclose(f);
	return ret;
}

/* A stacked volume as itself: /dev/mapper/NAME for dm (dm-N is not stable
 * across boots, a written policy outlives one), /dev/NAME otherwise. */
static int lv_host_volume(unsigned int ma, unsigned int mi, struct lv_mapping *m)
{
	char path[128], name[64] = "";
	size_t used = strlen(m->how);
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm/name", ma, mi);
	f = fopen(path, "re");
	if (f) {
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	m->disks[0].dev = iorate_mkdev(ma, mi);
	if (name[0]) {
		snprintf(m->disks[0].name, sizeof(m->disks[0].name), "/dev/mapper/%.48s", name);
	} else {
		disk_name(m->disks[0].dev, name, sizeof(name));
		snprintf(m->disks[0].name, sizeof(m->disks[0].name), "/dev/%.58s", name);
	}
	m->nr = 1;
	snprintf(m->how + used, sizeof(m->how) - used, " -> volume %s, held on itself",
		 m->disks[0].name);
	return 0;
}

int lv_host_resolve(void *ctx, const struct lv_disk *d, struct lv_mapping *m,
			  char *why, size_t whylen)
{
	char src[4200];
	struct stat st;
	dev_t dev;
	int err;

	memset(m, 0, sizeof(*m));
	if (stat(d->source, &st)) {
		err = errno;
		snprintf(why, whylen, "%s: %s%s", d->source,
			 err == ENOENT && d->kind == LV_SRC_BLOCK ? "no such device" : strerror(err),
			 err == ENOENT ? " (run import-libvirt on the VM's host)" : "");
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		dev = st.st_rdev;
		snprintf(m->how, sizeof(m->how), "block device %s (%u:%u)", d->source,
			 major(dev), minor(dev));
	} else if (d->kind == LV_SRC_BLOCK) {
		snprintf(why, whylen, "%s: not a block device", d->source);
		return -1;
	} else {
		dev = st.st_dev;
		if (major(dev) == 0) {
			err = lv_host_mount_source(dev, src, sizeof(src));
			if (err) {
				snprintf(why, whylen,
					 "%s: its filesystem has no block device (%s): no disk of this host sees its I/O as such",
					 d->source, err == -ENOTBLK ? src : "not in the mount table");
				return -1;
			}
			if (stat(src, &st) || !S_ISBLK(st.st_mode)) {
				snprintf(why, whylen, "%s: its filesystem's device %s is not a block device",
					 d->source, src);
				return -1;
			}
			dev = st.st_rdev;
			snprintf(m->how, sizeof(m->how), "file %.300s on %.100s (%u:%u)", d->source, src,
				 major(dev), minor(dev));
		} else {
			snprintf(m->how, sizeof(m->how), "file %s on device %u:%u", d->source,
				 major(dev), minor(dev));
		}
	}
	/* A dm or md volume is held on itself, as the daemon holds a
	 * device = /dev/VG/LV line: two drives on two LVs of one PV keep
	 * their own limits, as QEMU gave each drive its own. */
	if (disk_bio_based(iorate_mkdev(major(dev), minor(dev))))
		return lv_host_volume(major(dev), minor(dev), m);
	err = lv_host_leaves(major(dev), minor(dev), m);
	if (err || !m->nr) {
		snprintf(why, whylen, "%s: device %u:%u: no disk found in /sys/dev/block", d->source,
			 major(dev), minor(dev));
		return -1;
	}
	size_t used = strlen(m->how);
	snprintf(m->how + used, sizeof(m->how) - used, " -> disk%s", m->nr > 1 ? "s" : "");
	for (int i = 0; i < m->nr; i++) {
		used = strlen(m->how);
		snprintf(m->how + used, sizeof(m->how) - used, " %s", m->disks[i].name);
	}
	return 0;
}

int lv_read_xml(int fd, char **text, size_t *len)
{
	size_t cap = 0;
	int err = 0;

	*text = NULL;
	*len = 0;
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			char *t;

			if (cap >= LV_MAX_XML) {
				err = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			t = realloc(*text, cap);
			if (!t) {
				err = -ENOMEM;
				break;
			}
			*text = t;
		}
		n = read(fd, *text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (!n)
			break;
		*len += (size_t)n;
	}
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}
