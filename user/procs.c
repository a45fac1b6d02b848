// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procs.h"

bool procs_policy_watches(const struct policy *p)
{
	for (int g = 0; g < p->nr_groups; g++)
		for (int i = 0; i < p->groups[g].nr_matches; i++)
			if (p->groups[g].matches[i].kind != POLICY_MATCH_CGROUP)
				return true;
	return false;
}

static bool qemu_basename(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "qemu-system-", 12) || !strcmp(base, "qemu-kvm");
}

/* One -name value: its guest=, or else its first element when that has no
 * '='. QEMU's option syntax doubles a comma inside a value. */
static bool name_from_value(const char *v, char *name, size_t namelen)
{
	bool first = true;

	while (*v) {
		char elem[PROCS_NAME_MAX];
		size_t n = 0;

		for (; *v; v++) {
			if (v[0] == ',' && v[1] == ',') {
				v++;
			} else if (*v == ',') {
				v++;
				break;
			}
			if (n + 1 < sizeof(elem))
				elem[n++] = *v;
		}
		elem[n] = '\0';
		if (!strncmp(elem, "guest=", 6) && elem[6]) {
			snprintf(name, namelen, "%s", elem + 6);
			return true;
		}
		if (first && n && !strchr(elem, '=')) {
			snprintf(name, namelen, "%s", elem);
			return true;
		}
		first = false;
	}
	return false;
}

bool procs_qemu_name(const char *cmdline, size_t len, const char *exe, char *name,
		     size_t namelen, bool *is_qemu)
{
	const char *arg = cmdline, *end = cmdline + len;
	bool qemu, want_value = false;

	if (!len)
		return *is_qemu = false;
	qemu = qemu_basename(cmdline) || (exe && *exe && qemu_basename(exe));
	*is_qemu = qemu;
	if (!qemu)
		return false;
	for (arg += strnlen(arg, end - arg) + 1; arg < end; arg += strnlen(arg, end - arg) + 1) {
		size_t n = strnlen(arg, end - arg);

		if (arg + n >= end)
			break;		/* last argument not NUL-terminated */
		if (want_value)
			return name_from_value(arg, name, namelen) && name[0];
		if (!strcmp(arg, "-name") || !strcmp(arg, "--name"))
			want_value = true;
		else if (!strncmp(arg, "-name=", 6))
			return name_from_value(arg + 6, name, namelen) && name[0];
	}
	return false;
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < len && (n = read(fd, buf + total, len - total)) > 0)
		total += n;
	close(fd);
	return total;
}

int procs_read(const char *proc, int pid, struct proc_info *pi)
{
	char path[128], cmdline[8192], cg[8192], *line, *save;
	ssize_t n;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, pid);
	n = read_file(path, cg, sizeof(cg) - 1);
	if (n < 0)
		return n == -ESRCH ? -ENOENT : (int)n;
	cg[n] = '\0';
	for (line = strtok_r(cg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3))
			snprintf(pi->cgroup, sizeof(pi->cgroup), "%s", line + 3);
	snprintf(path, sizeof(path), "%s/%d/exe", proc, pid);
	n = readlink(path, pi->exe, sizeof(pi->exe) - 1);
	pi->exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%s/%d/cmdline", proc, pid);
	n = read_file(path, cmdline, sizeof(cmdline));
	if (n > 0)
		procs_qemu_name(cmdline, n, pi->exe, pi->vm_name, sizeof(pi->vm_name), &pi->is_qemu);
	return 0;
}

bool procs_match(const struct policy_group *g, const struct proc_info *pi)
{
	for (int i = 0; i < g->nr_matches; i++) {
		const struct policy_match *m = &g->matches[i];

		switch (m->kind) {
		case POLICY_MATCH_PID:
			if (pi->pid == atoi(m->pattern))
				return true;
			break;
		case POLICY_MATCH_EXE:
			if (pi->exe[0] && policy_match_glob(m, pi->exe))
				return true;
			break;
		case POLICY_MATCH_VM:
			if (pi->vm_name[0] && policy_match_glob(m, pi->vm_name))
				return true;
			break;
		case POLICY_MATCH_CGROUP:
			break;
		}
	}
	return false;
}
