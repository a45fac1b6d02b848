// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Writeback charged elsewhere (daemon_foreign.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "clock.h"
#include "daemon.h"
#include "daemon_foreign.h"
#include "disk.h"
#include "log.h"
#include "members.h"

/*
 * A forced writeback round counts in the kernel's foreign history only when
 * it writes at least an eighth of the inode's average round (the flusher's,
 * at first): flushes 50 ms apart moved nothing, 200 ms apart moved the
 * inode 6.5 s after they began instead of ~30 s (DESIGN.md "Measured
 * later"). 250 ms: a little more per round than what was measured.
 */
#define DAEMON_FOREIGN_FLUSH_NS	250000000ULL
/* No foreign dirtying for this long (BPF posts one event a second while it
 * lasts): the inode moved to the dirtier's cgroup, or the writer stopped. */
#define DAEMON_FOREIGN_QUIET_NS	(3 * IORATE_FOREIGN_EVERY_NS)
#define DAEMON_FOREIGN_MAX	256	/* inodes followed at once */

/* The member whose subtree holds cgroup id, and its group; false if none. */
static bool foreign_member(const struct daemon *d, uint64_t id, int *group, int *member)
{
	for (int g = 0; d->members && g < d->policy.nr_groups; g++) {
		int m = members_owner(&d->members[g], id);

		if (m >= 0) {
			*group = g;
			*member = m;
			return true;
		}
	}
	return false;
}

/* The dirtier's descriptor of the file, reopened through /proc: the
 * daemon flushes the very inode the VM writes. -1 when not found (the
 * event's process may be a short-lived helper). */
static int foreign_open(int pid, uint32_t kdev, uint64_t ino)
{
	dev_t want = makedev(iorate_dev_major(kdev), iorate_dev_minor(kdev));
	char dir[64], path[64 + 256];
	struct dirent *e;
	int fd = -1;
	DIR *fds;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	fds = opendir(dir);
	if (!fds)
		return -1;
	while (fd < 0 && (e = readdir(fds))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_dev != want ||
		    st.st_ino != ino)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	closedir(fds);
	return fd;
}

static void foreign_describe(const struct daemon *d, struct foreign_inode *f, int g, int m)
{
	const char *path = d->members[g].members[m].path;
	char vm[256];

	if (members_vm_name(path, vm, sizeof(vm)))
		snprintf(f->who, sizeof(f->who), "VM %.64s (%.200s)", vm, path);
	else
		snprintf(f->who, sizeof(f->who), "%.280s", path);
}

/* The owner may take the member's line: a cgroup io.max can hold (not the
 * root), that no group holds already (its own limits stand), and not
 * above the member (that would hold its siblings too). */
static bool foreign_may_cap(const struct daemon *d, const struct foreign_inode *f,
			    const char *member_path)
{
	size_t n = strlen(f->owner_path);
	int g, m;

	if (!n || !strcmp(f->owner_path, "/"))
		return false;
	if (foreign_member(d, f->owner_id, &g, &m))
		return false;
	return !(strncmp(member_path, f->owner_path, n) == 0 && member_path[n] == '/');
}

void daemon_foreign_event(struct daemon *d, const struct iorate_event *ev)
{
	struct daemon_foreign *fo = &d->foreign;
	struct cgroup_names *names = NULL;
	const char *owner = NULL;
	char spec[32];
	struct foreign_inode *f;
	int g, m;

	fo->events++;
	fo->no_flush = getenv("IORATE_FOREIGN_FLUSH") && !strcmp(getenv("IORATE_FOREIGN_FLUSH"), "off");
	for (int i = 0; i < fo->nr; i++) {
		f = &fo->v[i];
		if (f->dev == ev->dev && f->ino == ev->ino) {
			f->last_ns = ev->ts_ns;
			f->owner_id = ev->owner_id;
			if (f->fd < 0 && ev->pid)
				f->fd = foreign_open(ev->pid, ev->dev, ev->ino);
			return;
		}
	}
	/* only what a group's member dirties is iorate's business */
	if (!foreign_member(d, ev->cgroup_id, &g, &m))
		return;
	if (fo->nr == fo->cap) {
		int cap = fo->cap ? fo->cap * 2 : 8;
		struct foreign_inode *v;

		if (cap > DAEMON_FOREIGN_MAX)
			return;
		v = realloc(fo->v, cap * sizeof(*v));
		if (!v)
			return;
		fo->v = v;
		fo->cap = cap;
	}
	f = &fo->v[fo->nr++];
	memset(f, 0, sizeof(*f));
	f->dev = ev->dev;
	f->ino = ev->ino;
	f->dirtier_id = ev->cgroup_id;
	f->member_id = d->members[g].members[m].id;
	f->owner_id = ev->owner_id;
	f->pid = ev->pid;
	f->first_ns = f->last_ns = ev->ts_ns;
	f->fd = foreign_open(ev->pid, ev->dev, ev->ino);
	snprintf(spec, sizeof(spec), "%u:%u", iorate_dev_major(ev->dev), iorate_dev_minor(ev->dev));
	if (disk_resolve(spec, &f->disk))
		f->disk = ev->dev;
	foreign_describe(d, f, g, m);
	fo->escapes++;
	if (!cgroup_names_new(d->cgroot, &names))
		owner = cgroup_names_lookup(names, ev->owner_id);
	if (owner)
		snprintf(f->owner_path, sizeof(f->owner_path), "%s", owner);
	f->cap_owner = foreign_may_cap(d, f, d->members[g].members[m].path);
	log_warn("%s writes inode %llu on %u:%u, whose writeback the kernel charges to %s%s: "
		 "its flushes are not held by %s's io.max until the kernel moves the inode "
		 "(~30 s at this pace); %s%s",
		 f->who, (unsigned long long)f->ino, iorate_dev_major(f->dev),
		 iorate_dev_minor(f->dev), owner ? owner : "another cgroup",
		 owner && !strcmp(owner, "/") ? " (the file was made there)" : "",
		 d->policy.groups[g].name,
		 f->cap_owner ? "iorate gives that cgroup the member's io.max meanwhile, and " : "iorate ",
		 fo->no_flush ? "does not flush it (IORATE_FOREIGN_FLUSH=off)" :
		 f->fd >= 0 ? "flushes the file every 250 ms so that the kernel moves it sooner"
			    : "cannot open the file to hurry the move");
	cgroup_names_free(names);
}

static void foreign_drop(struct daemon_foreign *fo, int i)
{
	if (fo->v[i].fd >= 0)
		close(fo->v[i].fd);
	fo->v[i] = fo->v[--fo->nr];
}

void daemon_foreign_tick(struct daemon *d)
{
	struct daemon_foreign *fo = &d->foreign;
	uint64_t now = clock_now_ns();

	for (int i = 0; i < fo->nr;) {
		struct foreign_inode *f = &fo->v[i];

		if (now - f->last_ns >= DAEMON_FOREIGN_QUIET_NS) {
			log_info("%s: inode %llu on %u:%u dirtied by no foreign cgroup for %.0f s: its writeback follows the writer's cgroup now (or the writing stopped), %.1f s after it was first seen; %u flushes by iorate",
				 f->who, (unsigned long long)f->ino, iorate_dev_major(f->dev),
				 iorate_dev_minor(f->dev), DAEMON_FOREIGN_QUIET_NS / 1e9,
				 (f->last_ns - f->first_ns) / 1e9, f->flushes);
			foreign_drop(fo, i);
			continue;
		}
		/* starts writeback of the dirty pages, waits for none: the
		 * tick does not block on the disk. IORATE_FOREIGN_FLUSH=off:
		 * the kernel alone, for the measurement it is compared with */
		if (f->fd >= 0 && now - f->flushed_ns >= DAEMON_FOREIGN_FLUSH_NS &&
		    !fo->no_flush) {
			if (!sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE))
				f->flushes++;
			f->flushed_ns = now;
		}
		i++;
	}
}

void daemon_foreign_free(struct daemon_foreign *fo)
{
	while (fo->nr)
		foreign_drop(fo, 0);
	free(fo->v);
	memset(fo, 0, sizeof(*fo));
}
