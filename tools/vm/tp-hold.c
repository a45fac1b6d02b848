// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tp-hold TRACEFS CATEGORY/EVENT...: open a perf counting event on each
 * tracepoint, then leave a child holding them for the rest of the guest's
 * life; the parent exits 0 once all are open.
 *
 * Test VM only (docs/vmtest.md, "Guest panics under TCG"). A tracepoint
 * with a single probe calls it through a static call patched to point at
 * it; a second probe patches the call site to the iterator, and going back
 * to one patches it again. So with only the trace event enabled, every BPF
 * attach and detach still rewrites kernel text, which QEMU's multi-threaded
 * TCG now and then executes half-written. perf's probe is a second one
 * next to the trace event's: a BPF probe then moves the count between 2
 * and 3, and the call sites are never patched. Statically linked: it runs
 * from the initramfs, before the host root is the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long tracepoint_id(const char *tracefs, const char *event)
{
	char path[512], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/events/%s/id", tracefs, event);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int main(int argc, char **argv)
{
	pid_t child;

	if (argc < 3) {
		fprintf(stderr, "usage: tp-hold TRACEFS CATEGORY/EVENT...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_TRACEPOINT,
			.size = sizeof(attr),
		};
		long id = tracepoint_id(argv[1], argv[i]);

		if (id < 0) {
			fprintf(stderr, "tp-hold: %s: %s\n", argv[i], strerror(-id));
			return 1;
		}
		attr.config = id;
		/* One CPU is enough: the probe is registered for all of them. */
		if (syscall(__NR_perf_event_open, &attr, -1, 0, -1, 0) < 0) {
			fprintf(stderr, "tp-hold: perf_event_open %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
	}
	child = fork();
	if (child < 0) {
		perror("tp-hold: fork");
		return 1;
	}
	if (child > 0)
		return 0;
	for (;;)
		pause();
}
