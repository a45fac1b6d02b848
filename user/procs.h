/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Processes a policy selects by themselves rather than by cgroup: pid:N,
 * exe:GLOB, and vm:GLOB for a QEMU started by hand (its -name), read from
 * /proc. Deciding where such a process is limited is the daemon's job
 * (daemon_procs.c); this file only reads and matches.
 */
#ifndef IORATE_PROCS_H
#define IORATE_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

#define PROCS_NAME_MAX	256

struct proc_info {
	int pid;
	char exe[4096];			/* /proc/PID/exe, "" for kernel threads */
	bool is_qemu;			/* qemu-system-* or qemu-kvm */
	char vm_name[PROCS_NAME_MAX];	/* its -name, "" if none */
	char cgroup[4096];		/* cgroup v2 path, "0::" line of /proc/PID/cgroup */
};

/* Whether a policy has a pid:, exe: or vm: match (vm: can select a bare
 * QEMU), i.e. whether the daemon must watch processes at all. */
bool procs_policy_watches(const struct policy *p);

/*
 * The guest name from a QEMU command line (argv, NUL-separated as in
 * /proc/PID/cmdline, len bytes): "-name guest=NAME,debug-threads=on",
 * "-name NAME" or "-name NAME,process=...", ",," standing for a comma.
 * False unless argv[0] (or exe, when not NULL) names qemu-system-* or
 * qemu-kvm and a non-empty name is given.
 */
bool procs_qemu_name(const char *cmdline, size_t len, const char *exe, char *name,
		     size_t namelen, bool *is_qemu);

/* Fill *pi from /proc/PID; -ENOENT when the process is gone. proc is the
 * procfs mount ("/proc"), a parameter for tests. */
int procs_read(const char *proc, int pid, struct proc_info *pi);

/* Whether one of the group's pid:, exe: or vm: lines selects the process. */
bool procs_match(const struct policy_group *g, const struct proc_info *pi);

#endif
