// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * LD_PRELOAD shim for the fault tests: write(2) to a file whose path ends
 * in $FAILWRITE_SUFFIX fails with the errno named in the file
 * $FAILWRITE_CTL (EINVAL, EBUSY or ENODEV), for as long as that file
 * exists. The kernel has no way to make io.max refuse a good value on
 * demand; this makes the daemon see exactly what it would.
 *
 *   cc -shared -fPIC -o failwrite.so failwrite.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int errno_to_inject(int fd)
{
	const char *suffix = getenv("FAILWRITE_SUFFIX"), *ctl = getenv("FAILWRITE_CTL");
	char link[64], path[4096], name[32] = "";
	size_t len, slen;
	ssize_t n;
	FILE *f;

	if (!suffix || !ctl)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	len = n;
	slen = strlen(suffix);
	if (len < slen || strcmp(path + len - slen, suffix))
		return 0;
	f = fopen(ctl, "re");
	if (!f)
		return 0;
	if (!fgets(name, sizeof(name), f))
		name[0] = '\0';
	fclose(f);
	name[strcspn(name, "\n")] = '\0';
	if (!strcmp(name, "EINVAL"))
		return EINVAL;
	if (!strcmp(name, "EBUSY"))
		return EBUSY;
	if (!strcmp(name, "ENODEV"))
		return ENODEV;
	return 0;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	static ssize_t (*real_write)(int, const void *, size_t);
	int err = errno_to_inject(fd);

	if (err) {
		errno = err;
		return -1;
	}
	if (!real_write)
		real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	return real_write(fd, buf, count);
}
