// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "iorate.h"
#include "disk.h"

void disk_name(uint32_t dev, char *buf, size_t len)
{
	char path[128], line[256];
	FILE *f;

	snprintf(buf, len, "%u:%u", iorate_dev_major(dev), iorate_dev_minor(dev));
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent",
		 iorate_dev_major(dev), iorate_dev_minor(dev));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}

/* A partition's sysfs directory sits inside its disk's and has a
 * "partition" file; the disk's dev file gives the whole-disk numbers. */
static int whole_disk(unsigned int major, unsigned int minor, uint32_t *dev)
{
	char path[PATH_MAX], real[PATH_MAX], devfile[PATH_MAX + 16];
	unsigned int ma, mi;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major, minor);
	if (!realpath(path, real))
		return -ENODEV;
	snprintf(devfile, sizeof(devfile), "%s/partition", real);
	if (access(devfile, F_OK) == 0) {
		char *slash = strrchr(real, '/');

		if (!slash)
			return -ENODEV;
		*slash = '\0';
	}
	snprintf(devfile, sizeof(devfile), "%s/dev", real);
	f = fopen(devfile, "re");
	if (!f)
		return -ENODEV;
	if (fscanf(f, "%u:%u", &ma, &mi) != 2) {
		fclose(f);
		return -ENODEV;
	}
	fclose(f);
	*dev = iorate_mkdev(ma, mi);
	return 0;
}

int disk_resolve(const char *spec, uint32_t *dev)
{
	unsigned int ma, mi;
	char extra;
	struct stat st;

	if (sscanf(spec, "%u:%u%c", &ma, &mi, &extra) == 2)
		return whole_disk(ma, mi, dev);
	if (strncmp(spec, "/dev/", 5) || strstr(spec, "/../"))
		return -EINVAL;
	if (stat(spec, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	return whole_disk(major(st.st_rdev), minor(st.st_rdev), dev);
}

bool disk_bio_based(uint32_t dev)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", iorate_dev_major(dev),
		 iorate_dev_minor(dev));
	if (stat(path, &st))
		return false;	/* gone: nothing to count either way */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/mq", iorate_dev_major(dev),
		 iorate_dev_minor(dev));
	return stat(path, &st) != 0;
}

bool disk_kinds_bio_based(struct disk_kinds *k, uint32_t dev)
{
	/* Fibonacci hashing: major and minor both spread over the slots */
	uint32_t i = (uint32_t)(dev * 2654435761u) % DISK_KIND_SLOTS;

	if (!dev)
		return false;
	for (; k->dev[i]; i = (i + 1) % DISK_KIND_SLOTS)
		if (k->dev[i] == dev)
			return k->bio_based[i];
	if (k->nr >= DISK_KIND_SLOTS / 2)
		return disk_bio_based(dev);
	k->dev[i] = dev;
	k->bio_based[i] = disk_bio_based(dev);
	k->nr++;
	return k->bio_based[i];
}

#define DISK_MAX_DEPTH 8	/* dm on md on partitions... */

static int leaves_of(uint32_t dev, uint32_t *leaves, int cap, int *nr, int depth)
{
	char path[PATH_MAX], real[PATH_MAX], sub[PATH_MAX + 16];
	struct dirent *de;
	uint32_t whole;
	int found = 0, err = 0;
	DIR *dir;

	if (depth > DISK_MAX_DEPTH)
		return -ELOOP;
	if (whole_disk(iorate_dev_major(dev), iorate_dev_minor(dev), &whole))
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", iorate_dev_major(whole),
		 iorate_dev_minor(whole));
	if (!realpath(path, real))
		return -ENODEV;
	snprintf(sub, sizeof(sub), "%s/slaves", real);
	dir = opendir(sub);
	while (dir && !err && (de = readdir(dir))) {
		char devfile[sizeof(sub) + 300];
		unsigned int ma, mi;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(devfile, sizeof(devfile), "%s/%s/dev", sub, de->d_name);
		f = fopen(devfile, "re");
		if (!f)
			continue;
		if (fscanf(f, "%u:%u", &ma, &mi) == 2) {
			err = leaves_of(iorate_mkdev(ma, mi), leaves, cap, nr, depth + 1);
			found += !err;
			if (err == -ENODEV)	/* a slave going away: not ours to fail on */
				err = 0;
		}
		fclose(f);
	}
	if (dir)
		closedir(dir);
	if (err || found)
		return err;
	for (int i = 0; i < *nr; i++)
		if (leaves[i] == whole)
			return 0;
	if (*nr == cap)
		return -E2BIG;
	leaves[(*nr)++] = whole;
	return 0;
}

int disk_leaves(uint32_t dev, uint32_t *leaves, int cap)
{
	int nr = 0, err = leaves_of(dev, leaves, cap, &nr, 0);

	return err ? err : nr;
}
