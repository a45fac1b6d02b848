// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
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
