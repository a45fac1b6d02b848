// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Writeback charged elsewhere (daemon_foreign.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "clock.h"
#include "controller.h"
#include "daemon.h"
#include "daemon_foreign.h"
#include "disk.h"
#include "log.h"
#include "members.h"
#include "split.h"
#include "usage.h"

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
/* An owner below this many ops/s (smoothed) has drained what it queued: a
 * backlog drains at the owner's share of the line, never under the floor
 * of 10 ops/s (controller.h). */
#define DAEMON_FOREIGN_DRAINED_OPS	1.0
/* A backlog of a minute at the line's pace is more than dirty memory
 * holds; an owner busy that long writes for itself. */
#define DAEMON_FOREIGN_DRAIN_MAX_NS	(60 * 1000000000ULL)
/* Files flushed per round: more at once would be a host writing hundreds
 * of images made elsewhere; the rest wait for the next round. */
#define DAEMON_FOREIGN_ROUND	32

/*
 * The flushing thread. The tick hands it a round (duplicated descriptors)
 * when it is idle and the last round is DAEMON_FOREIGN_FLUSH_NS old; a
 * round that blocks delays the next one, never the tick. The lock is held
 * only to pass rounds and results, never across a flush.
 */
struct foreign_round {
	int nr;
	int fd[DAEMON_FOREIGN_ROUND];
	uint32_t dev[DAEMON_FOREIGN_ROUND];
	uint64_t ino[DAEMON_FOREIGN_ROUND];
	bool flushed[DAEMON_FOREIGN_ROUND];
};

struct foreign_flusher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct foreign_round todo, done;
	bool pending, busy, has_done, stop;
	uint64_t round_ns;	/* when the last round was handed over */
};

static void *flusher_main(void *arg)
{
	struct foreign_flusher *fl = arg;
	struct foreign_round r;

	pthread_mutex_lock(&fl->lock);
	for (;;) {
		while (!fl->stop && !fl->pending)
			pthread_cond_wait(&fl->wake, &fl->lock);
		if (fl->stop)
			break;
		r = fl->todo;
		fl->pending = false;
		fl->busy = true;
		pthread_mutex_unlock(&fl->lock);
		/* starts writeback of the dirty pages, waits for none; then
		 * drops the clean ones (the last round's, written back by now).
		 * Pages cached from the file's making belong to the maker's
		 * memcg, and a dirtying of those the kernel never counts as
		 * foreign: dropped, the writer's next write brings its own
		 * page, which it does count, and the inode moves. */
		for (int i = 0; i < r.nr; i++) {
			r.flushed[i] = !sync_file_range(r.fd[i], 0, 0, SYNC_FILE_RANGE_WRITE);
			posix_fadvise(r.fd[i], 0, 0, POSIX_FADV_DONTNEED);
			close(r.fd[i]);
		}
		pthread_mutex_lock(&fl->lock);
		fl->done = r;
		fl->has_done = true;
		fl->busy = false;
	}
	pthread_mutex_unlock(&fl->lock);
	return NULL;
}

static struct foreign_flusher *flusher_start(void)
{
	struct foreign_flusher *fl = calloc(1, sizeof(*fl));
	int err;

	if (!fl)
		return NULL;
	pthread_mutex_init(&fl->lock, NULL);
	pthread_cond_init(&fl->wake, NULL);
	/* the daemon's signals stay blocked here: they are the loop's
	 * (signalfd), and the thread inherits the mask */
	err = pthread_create(&fl->thread, NULL, flusher_main, fl);
	if (err) {
		log_warn("writeback escapes: no flushing thread: %s", strerror(err));
		pthread_cond_destroy(&fl->wake);
		pthread_mutex_destroy(&fl->lock);
		free(fl);
		return NULL;
	}
	return fl;
}

/* A thread stuck in a flush is left to the process's exit: the daemon's
 * shutdown (restoring io.max) must not wait on a disk. */
static void flusher_stop(struct foreign_flusher *fl)
{
	bool busy;

	if (!fl)
		return;
	pthread_mutex_lock(&fl->lock);
	fl->stop = true;
	busy = fl->busy;
	pthread_cond_signal(&fl->wake);
	pthread_mutex_unlock(&fl->lock);
	if (busy) {
		pthread_detach(fl->thread);
		return;
	}
	pthread_join(fl->thread, NULL);
	for (int i = 0; fl->pending && i < fl->todo.nr; i++)
		close(fl->todo.fd[i]);
	pthread_cond_destroy(&fl->wake);
	pthread_mutex_destroy(&fl->lock);
	free(fl);
}

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
	int g, m, og, om;

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
	/* only what a group's member dirties is iorate's business, and only
	 * when the cgroup charged is outside it: a file one of a VM's own
	 * cgroups made (libvirt's emulator, a vCPU's) is under its io.max */
	if (!foreign_member(d, ev->cgroup_id, &g, &m) ||
	    (foreign_member(d, ev->owner_id, &og, &om) && og == g && om == m))
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
		 "its flushes are not held by %s's io.max until the kernel moves the inode; %s%s",
		 f->who, (unsigned long long)f->ino, iorate_dev_major(f->dev),
		 iorate_dev_minor(f->dev), owner ? owner : "another cgroup",
		 owner && !strcmp(owner, "/") ? " (the file was made there)" : "",
		 d->policy.groups[g].name,
		 f->cap_owner ? "iorate gives that cgroup the member's io.max meanwhile, and " : "iorate ",
		 fo->no_flush ? "does not flush it (IORATE_FOREIGN_FLUSH=off)" :
		 f->fd >= 0 ? "flushes the file every 250 ms and drops its clean pages so that the kernel moves it sooner"
			    : "cannot open the file to hurry the move");
	cgroup_names_free(names);
}

static void foreign_drop(struct daemon_foreign *fo, int i)
{
	if (fo->v[i].fd >= 0)
		close(fo->v[i].fd);
	fo->v[i] = fo->v[--fo->nr];
}

/*
 * The owner keeps its share of the line after the dirtying stopped being
 * foreign while it still writes at the disk: what it had queued under its
 * io.max when the inode moved drains under it (measured on 6.12: its line
 * given back 3 s after the move let 1,575 queued writes through at the
 * disk's pace, 185 w/s against 100 with the member's own). An owner that
 * writes on its own keeps it no longer than DAEMON_FOREIGN_DRAIN_MAX_NS.
 */
static bool owner_draining(const struct foreign_inode *f, uint64_t now)
{
	return f->cap_owner && f->owner_rate[0] >= DAEMON_FOREIGN_DRAINED_OPS &&
	       now - f->last_ns < DAEMON_FOREIGN_DRAIN_MAX_NS;
}

/* Results of the last round in, the next round out when it is due. */
static void flusher_feed(struct daemon_foreign *fo, uint64_t now)
{
	struct foreign_flusher *fl = fo->flusher;

	pthread_mutex_lock(&fl->lock);
	if (fl->has_done) {
		for (int r = 0; r < fl->done.nr; r++)
			for (int i = 0; i < fo->nr; i++)
				if (fo->v[i].dev == fl->done.dev[r] && fo->v[i].ino == fl->done.ino[r])
					fo->v[i].flushes += fl->done.flushed[r];
		fl->has_done = false;
	}
	if (!fl->busy && !fl->pending && now - fl->round_ns >= DAEMON_FOREIGN_FLUSH_NS) {
		struct foreign_round *r = &fl->todo;

		r->nr = 0;
		for (int i = 0; i < fo->nr && r->nr < DAEMON_FOREIGN_ROUND; i++) {
			int fd = fo->v[i].fd >= 0 ? fcntl(fo->v[i].fd, F_DUPFD_CLOEXEC, 0) : -1;

			if (fd < 0)
				continue;
			r->fd[r->nr] = fd;
			r->dev[r->nr] = fo->v[i].dev;
			r->ino[r->nr] = fo->v[i].ino;
			r->nr++;
		}
		if (r->nr) {
			fl->pending = true;
			fl->round_ns = now;
			pthread_cond_signal(&fl->wake);
		}
	}
	pthread_mutex_unlock(&fl->lock);
}

void daemon_foreign_tick(struct daemon *d)
{
	struct daemon_foreign *fo = &d->foreign;
	uint64_t now = clock_now_ns();

	for (int i = 0; i < fo->nr;) {
		struct foreign_inode *f = &fo->v[i];

		if (now - f->last_ns >= DAEMON_FOREIGN_QUIET_NS && !owner_draining(f, now)) {
			log_info("%s: inode %llu on %u:%u dirtied by no foreign cgroup for %.0f s: its writeback follows the writer's cgroup now (or the writing stopped), %.1f s after it was first seen; %u flushes by iorate%s",
				 f->who, (unsigned long long)f->ino, iorate_dev_major(f->dev),
				 iorate_dev_minor(f->dev), (now - f->last_ns) / 1e9,
				 (f->last_ns - f->first_ns) / 1e9, f->flushes,
				 f->cap_owner ? "; its owner's line goes back" : "");
			foreign_drop(fo, i);
			continue;
		}
		i++;
	}
	/* IORATE_FOREIGN_FLUSH=off: the kernel alone, for the measurement
	 * the flushes are compared with */
	if (!fo->nr || fo->no_flush)
		return;
	if (!fo->flusher)
		fo->flusher = flusher_start();
	if (fo->flusher)
		flusher_feed(fo, now);
}

static struct foreign_member_rate *member_rate(struct daemon_foreign *fo, uint64_t member_id,
					      uint32_t disk)
{
	for (int i = 0; i < fo->nr_members; i++)
		if (fo->members[i].member_id == member_id && fo->members[i].disk == disk)
			return &fo->members[i];
	return NULL;
}

/* An owner's ops and bytes per second on disk over the last tick, at the
 * daemon's level there; 0 when it did nothing. */
static void owner_rate(struct daemon *d, uint64_t id, uint32_t disk, double dt_s, double out[2])
{
	struct iorate_usage_key key = { .cgroup_id = id, .dev = disk };
	const struct usage_entry *cur = usage_table_find(&d->cur, &key);
	const struct usage_entry *prev = usage_table_find(&d->prev, &key);
	struct usage_rates r;

	out[0] = out[1] = 0;
	if (!cur)
		return;
	usage_rates(prev ? &prev->usage : NULL, &cur->usage, daemon_level_of(d, disk), dt_s, &r);
	out[0] = r.ops_s[IORATE_DIR_READ] + r.ops_s[IORATE_DIR_WRITE];
	out[1] = r.bytes_s[IORATE_DIR_READ] + r.bytes_s[IORATE_DIR_WRITE];
}

/* A member's, from what the daemon fed its controller this tick: its whole
 * subtree (a libvirt VM's QEMU runs in child cgroups of its scope). */
static void member_tick_rate(struct daemon *d, uint64_t id, uint32_t disk, double dt_s,
			     double out[2])
{
	out[0] = out[1] = 0;
	for (int i = 0; i < d->nr_bindings; i++) {
		struct ctl_binding *b = &d->bindings[i].ctl;
		const struct ctl_slot *s = b->dev == disk ? ctl_binding_slot(b, id, false) : NULL;

		if (!s)
			continue;
		out[0] = (s->dev.ops[CTL_READ] + s->dev.ops[CTL_WRITE]) / dt_s;
		out[1] = (s->dev.bytes[CTL_READ] + s->dev.bytes[CTL_WRITE]) / dt_s;
		return;
	}
}

/* The owners of a member's followed files on one disk, each once: their
 * index in v. Returns how many. */
static int member_owners(const struct daemon_foreign *fo, const struct foreign_member_rate *e,
			 int *out)
{
	int n = 0;

	for (int i = 0; i < fo->nr; i++) {
		const struct foreign_inode *f = &fo->v[i];
		bool seen = false;

		if (!f->cap_owner || f->member_id != e->member_id || f->disk != e->disk)
			continue;
		for (int j = 0; j < n && !seen; j++)
			seen = fo->v[out[j]].owner_id == f->owner_id;
		if (!seen)
			out[n++] = i;
	}
	return n;
}

/* The member's line of the last tick divided between it and its owners,
 * max-min fair and work-conserving as a pooled group's (split.h): each
 * pressing side gets an even part, a side that does not use its part keeps
 * a little above its use. At the hand-over both press; once the owner has
 * drained, its part goes to the member within a tick or two. */
static void split_member(struct daemon_foreign *fo, struct foreign_member_rate *e)
{
	int *owners = calloc(fo->nr + 1, sizeof(*owners));
	struct split_consumer *c = calloc(fo->nr + 1, sizeof(*c));
	int n;

	if (!owners || !c)
		goto cleanup;
	n = member_owners(fo, e, owners);
	for (int k = 0; k < 2; k++) {
		if (e->budget[k] <= 0)
			continue;
		c[0] = (struct split_consumer){ .demand = e->rate[k], .alloc = e->alloc[k] };
		for (int o = 0; o < n; o++)
			c[o + 1] = (struct split_consumer){ .demand = fo->v[owners[o]].owner_rate[k],
							    .alloc = fo->v[owners[o]].owner_alloc[k] };
		split_allowance(e->budget[k], c, n + 1);
		e->alloc[k] = c[0].alloc;
		/* The member's own line never goes below the floor (controller.h):
		 * the split's headroom for an idle member (2% of the line) is
		 * one it holds anyway. Taken from the owner it left the owner
		 * at 97 against 100, and blk-throttle's whole I/Os per 100 ms
		 * slice made that 90 w/s at the disk (031, 6.12). */
		if (n && c[0].alloc <= (k ? CTL_BPS_FLOOR : CTL_IOPS_FLOOR))
			for (int o = 0; o < n; o++)
				c[o + 1].alloc += c[0].alloc / n;
		/* every file of an owner carries its part */
		for (int o = 0; o < n; o++)
			for (int i = 0; i < fo->nr; i++)
				if (fo->v[i].cap_owner && fo->v[i].member_id == e->member_id &&
				    fo->v[i].disk == e->disk &&
				    fo->v[i].owner_id == fo->v[owners[o]].owner_id)
					fo->v[i].owner_alloc[k] = c[o + 1].alloc;
	}
cleanup:
	free(owners);
	free(c);
}

void daemon_foreign_measure(struct daemon *d, double dt_s)
{
	struct daemon_foreign *fo = &d->foreign;
	/* The rates the owner and the member share a line by are smoothed as
	 * the controller smooths a pooled group's members, which the same
	 * split divides. A proportional split of the rates instead swung 65/33
	 * to 14/86 within seconds, and lagged the owner's drained backlog
	 * (windows of 12-60 against 100, 6.12). */
	double w = ctl_tick_factors(dt_s).ewma, now[2];
	struct foreign_member_rate *kept;
	int nr = 0;

	if (dt_s <= 0)
		return;
	/* the members' entries follow v: kept where still followed */
	kept = calloc(fo->nr ? fo->nr : 1, sizeof(*kept));
	if (!kept)
		return;
	for (int i = 0; i < fo->nr; i++) {
		struct foreign_inode *f = &fo->v[i];
		const struct foreign_member_rate *old = member_rate(fo, f->member_id, f->disk);
		bool dup = false;

		if (!f->cap_owner)
			continue;
		owner_rate(d, f->owner_id, f->disk, dt_s, now);
		for (int k = 0; k < 2; k++)
			f->owner_rate[k] += w * (now[k] - f->owner_rate[k]);
		for (int j = 0; j < nr && !dup; j++)
			dup = kept[j].member_id == f->member_id && kept[j].disk == f->disk;
		if (dup)
			continue;
		kept[nr].member_id = f->member_id;
		kept[nr].disk = f->disk;
		if (old)
			kept[nr] = *old;
		member_tick_rate(d, f->member_id, f->disk, dt_s, now);
		for (int k = 0; k < 2; k++)
			kept[nr].rate[k] += w * (now[k] - kept[nr].rate[k]);
		nr++;
	}
	free(fo->members);
	fo->members = kept;
	fo->nr_members = nr;
	for (int j = 0; j < nr; j++)
		split_member(fo, &kept[j]);
}

/*
 * An iops part in whole steps (iomax.h): the member's the step nearest its
 * share, an owner's its share of what is left of what the line passes.
 * Cut in proportion alone, a line of 100 went out as 47 and 53, which pass
 * 40 and 50: windows of 85-92 against 100 through the hand-over (031's
 * /mk image on 6.12: a mean of 93.6 against the tier's bar of 93).
 * owner_alloc < 0: the member's part.
 */
static double iops_part(uint64_t line, const struct foreign_member_rate *e, double owner_alloc)
{
	double member = iomax_iops_part(line, line * fmin(1, e->alloc[0] / e->budget[0]));
	double rest = iomax_iops_passed(line) - member, owners = e->budget[0] - e->alloc[0];

	if (owner_alloc < 0)
		return member;
	return owners > 0 ? iomax_iops_part(line, rest * fmin(1, owner_alloc / owners)) : rest;
}

void daemon_foreign_share(struct daemon_foreign *fo, uint64_t member_id, uint32_t disk,
			  uint64_t owner_id, struct iomax *line)
{
	struct foreign_member_rate *e = member_rate(fo, member_id, disk);
	double alloc[2] = { -1, -1 };

	if (!e)
		return;
	if (!owner_id) {
		/* the member's whole line: what the next split divides */
		for (int k = 0; k < 2; k++) {
			int f = k ? IOMAX_WBPS : IOMAX_WIOPS, g = k ? IOMAX_RBPS : IOMAX_RIOPS;
			uint64_t v = line->v[f] < line->v[g] ? line->v[f] : line->v[g];

			e->budget[k] = v == IOMAX_UNLIMITED ? 0 : v;
			alloc[k] = e->alloc[k];
		}
	} else {
		for (int i = 0; i < fo->nr; i++)
			if (fo->v[i].cap_owner && fo->v[i].member_id == member_id &&
			    fo->v[i].disk == disk && fo->v[i].owner_id == owner_id) {
				alloc[0] = fo->v[i].owner_alloc[0];
				alloc[1] = fo->v[i].owner_alloc[1];
				break;
			}
	}
	for (int f = 0; f < IOMAX_NR_FIELDS; f++) {
		int k = f == IOMAX_RIOPS || f == IOMAX_WIOPS ? 0 : 1;
		double floor_v = k ? CTL_BPS_FLOOR : CTL_IOPS_FLOOR, v;

		/* no split yet (its first tick): the line as it is */
		if (line->v[f] == IOMAX_UNLIMITED || alloc[k] <= 0 || e->budget[k] <= 0)
			continue;
		if (!k && e->alloc[0] > 0)
			v = iops_part(line->v[f], e, owner_id ? alloc[0] : -1);
		else
			v = round(line->v[f] * fmin(1, alloc[k] / e->budget[k]));
		if (v < floor_v)
			v = fmin(floor_v, line->v[f]);
		line->v[f] = v < 2 ? 2 : (uint64_t)v;
	}
}

void daemon_foreign_free(struct daemon_foreign *fo)
{
	flusher_stop(fo->flusher);
	while (fo->nr)
		foreign_drop(fo, 0);
	free(fo->v);
	free(fo->members);
	memset(fo, 0, sizeof(*fo));
}
