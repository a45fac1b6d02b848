// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "iorate.h"
#include "iomax.h"

static const char *const iomax_keys[IOMAX_NR_FIELDS] = { "rbps", "wbps", "riops", "wiops" };

double iomax_iops_passed(uint64_t v)
{
	double steps = floor((double)v / IOMAX_IOPS_STEP);

	return steps >= 1 ? steps * IOMAX_IOPS_STEP : (double)v;
}

uint64_t iomax_iops_part(uint64_t v, double part)
{
	double whole = iomax_iops_passed(v), p;

	if (v < 2 * IOMAX_IOPS_STEP)
		return part > 0 ? (uint64_t)round(part) : 0;
	p = ceil(part / IOMAX_IOPS_STEP - 0.5) * IOMAX_IOPS_STEP;
	return p < 0 ? 0 : p > whole ? (uint64_t)whole : (uint64_t)p;
}

void iomax_unlimited(struct iomax *m)
{
	for (int i = 0; i < IOMAX_NR_FIELDS; i++)
		m->v[i] = IOMAX_UNLIMITED;
}

bool iomax_equal(const struct iomax *a, const struct iomax *b)
{
	return memcmp(a->v, b->v, sizeof(a->v)) == 0;
}

int iomax_parse(const char *text, uint32_t dev, struct iomax *out)
{
	const char *line = text;

	iomax_unlimited(out);
	while (line && *line) {
		unsigned int ma, mi;
		int used;

		if (sscanf(line, "%u:%u%n", &ma, &mi, &used) == 2 &&
		    iorate_mkdev(ma, mi) == dev) {
			const char *p = line + used;

			while (*p && *p != '\n') {
				char key[16], val[32];
				int n;

				if (sscanf(p, " %15[a-z]=%31[0-9a-z]%n", key, val, &n) != 2)
					return -EINVAL;
				for (int i = 0; i < IOMAX_NR_FIELDS; i++) {
					if (strcmp(key, iomax_keys[i]))
						continue;
					if (!strcmp(val, "max"))
						out->v[i] = IOMAX_UNLIMITED;
					else
						out->v[i] = strtoull(val, NULL, 10);
				}
				p += n;
				while (*p == ' ')
					p++;
			}
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

void iomax_format(uint32_t dev, const struct iomax *m, char *buf, size_t len)
{
	size_t off;

	off = snprintf(buf, len, "%u:%u", iorate_dev_major(dev), iorate_dev_minor(dev));
	for (int i = 0; i < IOMAX_NR_FIELDS && off < len; i++) {
		if (m->v[i] == IOMAX_UNLIMITED)
			off += snprintf(buf + off, len - off, " %s=max", iomax_keys[i]);
		else
			off += snprintf(buf + off, len - off, " %s=%" PRIu64, iomax_keys[i], m->v[i]);
	}
}

int iomax_read(const char *cgroup_dir, uint32_t dev, struct iomax *out)
{
	char path[4200], buf[16384];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/io.max", cgroup_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	return iomax_parse(buf, dev, out);
}

int iomax_write(const char *cgroup_dir, uint32_t dev, const struct iomax *m)
{
	char path[4200], line[256];

	snprintf(path, sizeof(path), "%s/io.max", cgroup_dir);
	iomax_format(dev, m, line, sizeof(line));
	return cgroupfs_write(path, line);
}
