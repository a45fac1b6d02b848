// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * randwrite DEV SECONDS BLOCKS SEED: O_DIRECT writes of one 4 KiB block at
 * a random offset in the first BLOCKS blocks of DEV, back to back, for
 * SECONDS; prints the count. Test VM only (tools/vmtest --ddwrite
 * SECS,JOBS,random): a guest's random writes, which busybox dd cannot make
 * without a fork per block (12 IOPS for four writers nested under TCG,
 * measured). Statically linked: it runs from the initramfs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

int main(int argc, char **argv)
{
	struct timespec now, end;
	unsigned long blocks, count = 0;
	unsigned int seed;
	void *buf;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: randwrite DEV SECONDS BLOCKS SEED\n");
		return 2;
	}
	blocks = strtoul(argv[3], NULL, 10);
	seed = strtoul(argv[4], NULL, 10);
	if (!blocks || posix_memalign(&buf, BLOCK, BLOCK))
		return 2;
	memset(buf, 0x5a, BLOCK);
	fd = open(argv[1], O_WRONLY | O_DIRECT);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += strtol(argv[2], NULL, 10);
	do {
		off_t off = (off_t)(rand_r(&seed) % blocks) * BLOCK;

		if (pwrite(fd, buf, BLOCK, off) != BLOCK) {
			perror("pwrite");
			return 1;
		}
		count++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	printf("randwrite: %lu writes\n", count);
	close(fd);
	return 0;
}
