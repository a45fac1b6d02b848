// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "daemon_procs.h"
#include "log.h"
#include "meter.h"
#include "procs.h"

#define PROC_ROOT	"/proc"

static struct daemon_proc *proc_find(const struct daemon_procs *p, int pid, int group)
{
	for (int i = 0; i < p->nr; i++)
		if (p->v[i].pid == pid && (group < 0 || p->v[i].group == group))
			return &p->v[i];
	return NULL;
}

/* Whether the cgroup holds no process but pid (cgroup.procs lists the
 * thread group ids of its own processes, not its children's). */
static bool cgroup_alone(const char *dir, int pid)
{
	char path[8400], line[32];
	int others = 0, seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (atoi(line) == pid)
			seen++;
		else
			others++;
	}
	fclose(f);
	return seen && !others;
}

/* "vm-NAME" for a QEMU, "pid-N" otherwise: names a person reading
 * `systemd-cgls` recognises, made of bytes a cgroup name may hold. */
static void leaf_name(const struct proc_info *pi, char *buf, size_t len)
{
	size_t n;

	if (!pi->vm_name[0]) {
		snprintf(buf, len, "pid-%d", pi->pid);
		return;
	}
	snprintf(buf, len, "vm-%s", pi->vm_name);
	for (n = 3; buf[n]; n++)
		if (!isalnum((unsigned char)buf[n]) && !strchr("-_.@", buf[n]))
			buf[n] = '_';
}

/* mkdir -p below the root, enabling io and memory in each parent so that
 * the new cgroup has io.max (and the page cache it dirties is its own). */
static int make_cgroup(const char *cgroot, const char *path)
{
	char dir[8300], ctl[8400];
	size_t rootlen = strlen(cgroot);
	int err;

	snprintf(dir, sizeof(dir), "%s%s", cgroot, path);
	for (char *p = dir + rootlen + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		/* the parent of this component delegates io (and memory) */
		snprintf(ctl, sizeof(ctl), "%.*s/cgroup.subtree_control",
			 (int)(strrchr(dir, '/') - dir), dir);
		err = cgroupfs_write(ctl, "+io +memory");
		if (err)
			err = cgroupfs_write(ctl, "+io");
		if (err) {
			log_warn("%s: enabling io: %s", ctl, strerror(-err));
			return err;
		}
		if (mkdir(dir, 0755) && errno != EEXIST) {
			err = -errno;
			log_warn("%s: %s", dir, strerror(-err));
			return err;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

/* rmdir a cgroup iorate made: true unless it is still populated (a child
 * of its process lives on, or the process is a zombie not yet reaped). */
static bool rmdir_created(const char *cgroot, const char *path)
{
	char dir[8300];

	snprintf(dir, sizeof(dir), "%s%s", cgroot, path);
	if (!rmdir(dir) || errno == ENOENT)
		log_info("removed %s (its process exited)", path);
	else if (errno == EBUSY)
		return false;
	else
		log_warn("%s: %s", dir, strerror(errno));
	return true;
}

static void remove_created(struct daemon_procs *p, const struct procs_world *w, const char *path)
{
	char **n;

	if (rmdir_created(w->cgroot, path))
		return;
	for (int i = 0; i < p->nr_pending_rmdir; i++)
		if (!strcmp(p->pending_rmdir[i], path))
			return;
	n = realloc(p->pending_rmdir, (p->nr_pending_rmdir + 1) * sizeof(*n));
	if (!n)
		return;
	p->pending_rmdir = n;
	n[p->nr_pending_rmdir] = strdup(path);
	if (n[p->nr_pending_rmdir])
		p->nr_pending_rmdir++;
}

static int track(struct daemon_procs *p, const struct procs_world *w, const struct proc_info *pi,
		 int group, const char *path, uint64_t id, bool created)
{
	int pid = pi->pid;

	struct daemon_proc *n = realloc(p->v, (p->nr + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->v = n;
	n = &p->v[p->nr];
	memset(n, 0, sizeof(*n));
	n->pid = pid;
	n->group = group;
	n->cgroup_id = id;
	n->created = created;
	if (path && !(n->path = strdup(path)))
		return -ENOMEM;
	if (pi->vm_name[0] && !(n->vm_name = strdup(pi->vm_name))) {
		free(n->path);
		return -ENOMEM;
	}
	p->nr++;
	meter_watch_pid(w->meter, pid, true);
	if (path)
		members_add_member(&w->members[group], path, id);
	return 0;
}

/*
 * Where group g limits process pi: the cgroup it sits in when it is alone
 * there (a systemd unit, a libvirt emulator cgroup already covered by a
 * vm: scope is left to that), else a cgroup of its own under move-to,
 * which it is moved into with all its threads (cgroup.procs moves a whole
 * thread group).
 */
static void place(struct daemon_procs *p, const struct procs_world *w, int g,
		  const struct proc_info *pi)
{
	const struct policy_group *group = &w->policy->groups[g];
	struct daemon_proc *other = proc_find(p, pi->pid, -1);
	char dir[8300], leaf[PROCS_NAME_MAX + 8], target[600], pidtext[16];
	uint64_t id;
	int err;

	if (proc_find(p, pi->pid, g))
		return;
	snprintf(dir, sizeof(dir), "%s%s", w->cgroot, pi->cgroup);
	id = cgroupfs_id_of(dir);
	if (!id)
		return;		/* exited meanwhile */
	if (members_owner(&w->members[g], id) >= 0)
		return;		/* its cgroup is a member already */
	if (other && other->path) {
		track(p, w, pi, g, other->path, other->cgroup_id, false);
		return;
	}
	if (strcmp(pi->cgroup, "/") && cgroup_alone(dir, pi->pid)) {
		log_info("group %s: pid %d%s%s limited in its own cgroup %s", group->name, pi->pid,
			 pi->vm_name[0] ? ", VM " : "", pi->vm_name, pi->cgroup);
		track(p, w, pi, g, pi->cgroup, id, false);
		return;
	}
	if (!group->move) {
		log_warn("group %s: pid %d shares cgroup %s with other processes and move = no: "
			 "not limited", group->name, pi->pid, pi->cgroup);
		track(p, w, pi, g, NULL, 0, false);
		return;
	}
	leaf_name(pi, leaf, sizeof(leaf));
	snprintf(target, sizeof(target), "%s/%s", w->policy->daemon.move_to, leaf);
	err = make_cgroup(w->cgroot, target);
	snprintf(dir, sizeof(dir), "%s%s/cgroup.procs", w->cgroot, target);
	snprintf(pidtext, sizeof(pidtext), "%d", pi->pid);
	if (!err)
		err = cgroupfs_write(dir, pidtext);
	if (err) {
		log_warn("group %s: moving pid %d to %s: %s", group->name, pi->pid, target,
			 strerror(-err));
		remove_created(p, w, target);
		return;
	}
	snprintf(dir, sizeof(dir), "%s%s", w->cgroot, target);
	id = cgroupfs_id_of(dir);
	log_info("group %s: moved pid %d%s%s from %s to %s", group->name, pi->pid,
		 pi->vm_name[0] ? ", VM " : "", pi->vm_name, pi->cgroup, target);
	track(p, w, pi, g, target, id, true);
}

static void consider(struct daemon_procs *p, const struct procs_world *w, int pid)
{
	struct proc_info pi;

	if (pid == getpid() || procs_read(PROC_ROOT, pid, &pi) || !pi.exe[0] || !pi.cgroup[0])
		return;
	for (int g = 0; g < w->policy->nr_groups; g++)
		if (procs_match(&w->policy->groups[g], &pi))
			place(p, w, g, &pi);
}

static void forget(struct daemon_procs *p, const struct procs_world *w, int i)
{
	struct daemon_proc *gone = &p->v[i];
	bool shared = false;

	for (int j = 0; j < p->nr; j++)
		if (j != i && p->v[j].pid == gone->pid)
			shared = true;
	if (!shared)
		meter_watch_pid(w->meter, gone->pid, false);
	if (gone->path) {
		members_remove_cgroup(&w->members[gone->group], 1, gone->cgroup_id);
		if (gone->created)
			remove_created(p, w, gone->path);
	}
	free(gone->path);
	free(gone->vm_name);
	p->v[i] = p->v[--p->nr];
}

void daemon_procs_exit(struct daemon_procs *p, struct procs_world world, int pid)
{
	const struct procs_world *w = &world;
	log_debug("pid %d exited", pid);
	for (int i = 0; i < p->nr;)
		if (p->v[i].pid == pid)
			forget(p, w, i);
		else
			i++;
}

void daemon_procs_exec(struct daemon_procs *p, struct procs_world world, int pid)
{
	const struct procs_world *w = &world;
	if (p->watching)
		consider(p, w, pid);
}

void daemon_procs_scan(struct daemon_procs *p, struct procs_world world)
{
	const struct procs_world *w = &world;
	struct dirent *e;
	DIR *proc;

	/* exit events lost (ring full) or processes gone before we watched */
	for (int i = 0; i < p->nr;) {
		char path[64];

		snprintf(path, sizeof(path), PROC_ROOT "/%d", p->v[i].pid);
		if (access(path, F_OK) && errno == ENOENT)
			forget(p, w, i);
		else
			i++;
	}
	if (!p->watching)
		return;
	proc = opendir(PROC_ROOT);
	if (!proc) {
		log_warn(PROC_ROOT ": %s", strerror(errno));
		return;
	}
	while ((e = readdir(proc)))
		if (isdigit((unsigned char)e->d_name[0]))
			consider(p, w, atoi(e->d_name));
	closedir(proc);
}

/* Cgroups a previous daemon made under move-to whose process is gone. */
static void sweep_move_to(struct daemon_procs *p, const struct procs_world *w)
{
	char dir[8300];
	struct dirent *e;
	DIR *top;

	snprintf(dir, sizeof(dir), "%s%s", w->cgroot, w->policy->daemon.move_to);
	top = opendir(dir);
	if (!top)
		return;
	while ((e = readdir(top))) {
		char sub[8600];

		if (strncmp(e->d_name, "vm-", 3) && strncmp(e->d_name, "pid-", 4))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (!rmdir(sub))
			log_info("removed %s/%s (left empty by an earlier run)",
				 w->policy->daemon.move_to, e->d_name);
	}
	closedir(top);
}

void daemon_procs_start(struct daemon_procs *p, struct procs_world world)
{
	const struct procs_world *w = &world;
	p->watching = procs_policy_watches(w->policy);
	meter_watch_exec(w->meter, p->watching);
	if (p->watching)
		sweep_move_to(p, w);
	daemon_procs_scan(p, world);
}

void daemon_procs_add_members(const struct daemon_procs *p, struct group_members *gm)
{
	for (int i = 0; i < p->nr; i++)
		if (p->v[i].path)
			members_add_member(&gm[p->v[i].group], p->v[i].path,
					   p->v[i].cgroup_id);
}

void daemon_procs_tick(struct daemon_procs *p, struct procs_world world)
{
	const struct procs_world *w = &world;
	for (int i = 0; i < p->nr_pending_rmdir;) {
		if (!rmdir_created(w->cgroot, p->pending_rmdir[i])) {
			i++;
			continue;
		}
		free(p->pending_rmdir[i]);
		p->pending_rmdir[i] = p->pending_rmdir[--p->nr_pending_rmdir];
	}
}

void daemon_procs_regroup(struct daemon_procs *p, struct procs_world world,
			  const int *new_index, const struct policy *fresh)
{
	const struct procs_world *w = &world;
	for (int i = 0; i < p->nr;) {
		int g = new_index[p->v[i].group];
		struct proc_info pi;

		if (g >= 0 && !procs_read(PROC_ROOT, p->v[i].pid, &pi) &&
		    procs_match(&fresh->groups[g], &pi)) {
			p->v[i++].group = g;
			continue;
		}
		/* the group or its match is gone: the process stays where it
		 * is, and its io.max goes back when nobody asks for it */
		meter_watch_pid(w->meter, p->v[i].pid, false);
		free(p->v[i].path);
		free(p->v[i].vm_name);
		p->v[i] = p->v[--p->nr];
	}
}

void daemon_procs_free(struct daemon_procs *p)
{
	for (int i = 0; i < p->nr; i++) {
		free(p->v[i].path);
		free(p->v[i].vm_name);
	}
	free(p->v);
	p->v = NULL;
	p->nr = 0;
	for (int i = 0; i < p->nr_pending_rmdir; i++)
		free(p->pending_rmdir[i]);
	free(p->pending_rmdir);
	p->pending_rmdir = NULL;
	p->nr_pending_rmdir = 0;
}

const char *daemon_procs_vm_name(const struct daemon_procs *p, const char *cgroup)
{
	for (int i = 0; i < p->nr; i++)
		if (p->v[i].vm_name && p->v[i].path && !strcmp(p->v[i].path, cgroup))
			return p->v[i].vm_name;
	return NULL;
}
