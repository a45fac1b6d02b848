// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "procio.h"

int procio_pid_syscalls(int pid, double calls[2], uint64_t *pids_sig)
{
	char file[64], line[128];
	FILE *io;

	snprintf(file, sizeof(file), "/proc/%d/io", pid);
	io = fopen(file, "re");
	if (!io)
		return -errno;
	while (fgets(line, sizeof(line), io)) {
		unsigned long long v;

		if (sscanf(line, "syscr: %llu", &v) == 1)
			calls[0] += v;
		else if (sscanf(line, "syscw: %llu", &v) == 1)
			calls[1] += v;
	}
	fclose(io);
	*pids_sig += (uint64_t)pid * 0x9e3779b97f4a7c15ULL;
	return 0;
}

int procio_cgroup_syscalls(const char *root, const char *path, double calls[2],
			   uint64_t *pids_sig)
{
	char file[4400];
	FILE *procs;
	int pid, n = 0;

	calls[0] = calls[1] = 0;
	*pids_sig = 0;
	snprintf(file, sizeof(file), "%s%s/cgroup.procs", root, strcmp(path, "/") ? path : "");
	procs = fopen(file, "re");
	if (!procs)
		return -errno;
	while (fscanf(procs, "%d", &pid) == 1) {
		if (procio_pid_syscalls(pid, calls, pids_sig) == 0)
			n++;	/* else gone meanwhile */
	}
	fclose(procs);
	return n;
}
