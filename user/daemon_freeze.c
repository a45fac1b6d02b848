// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "actuator.h"
#include "cgroupfs.h"
#include "clock.h"
#include "daemon_freeze.h"
#include "log.h"

static void freeze_path(const struct daemon *d, const struct state_entry *e, char *path,
			size_t len)
{
	snprintf(path, len, "%s%s/cgroup.freeze", d->cgroot, e->cgroup);
}

/* cgroup.freeze as written by whoever froze the cgroup itself (not its
 * parents): '1' or '0'; -errno when it cannot be read. */
static int freeze_read(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? c : -EIO;
}

void daemon_timer_arm(struct daemon *d)
{
	uint64_t at = act_next_thaw(&d->state), lower = act_next_lowering(&d->state);
	struct itimerspec its = { 0 };

	if (lower && (!at || lower < at))
		at = lower;

	if (d->thaw_fd < 0)
		return;
	if (at) {
		its.it_value.tv_sec = at / 1000000000ULL;
		its.it_value.tv_nsec = at % 1000000000ULL;
	}
	if (timerfd_settime(d->thaw_fd, TFD_TIMER_ABSTIME, &its, NULL))
		log_error("thaw timer: %s", strerror(errno));
}

void daemon_thaw(struct daemon *d, struct state_entry *e)
{
	char path[8400];
	int err;

	if (!e->frozen_ns)
		return;
	freeze_path(d, e, path, sizeof(path));
	err = cgroupfs_write(path, "0");
	if (err && err != -ENOENT)
		log_error("%s: cannot thaw: %s", path, strerror(-err));
	e->frozen_ns = 0;
}

static bool frozen_by_us(const struct daemon *d, const char *cgroup)
{
	for (int i = 0; i < d->state.nr; i++)
		if (d->state.entries[i].frozen_ns && !strcmp(d->state.entries[i].cgroup, cgroup))
			return true;
	return false;
}

bool daemon_freeze(struct daemon *d, struct state_entry *e)
{
	char path[8400];
	int err, was;

	if (frozen_by_us(d, e->cgroup))
		return false;
	freeze_path(d, e, path, sizeof(path));
	was = freeze_read(path);
	if (was != '0') {
		log_warn("%s: io.max not holding, but %s; not freezing it", e->cgroup,
			 was == '1' ? "somebody else froze it" : "cgroup.freeze is unreadable");
		return false;
	}
	/* the mark first: killed between the two writes, the next start
	 * thaws a cgroup that was never frozen, which costs nothing */
	act_frozen(e, clock_now_ns());
	err = state_save(&d->state);
	if (err && d->state.file) {
		log_warn("state file %s: %s: not freezing %s, a crash would leave it frozen",
			 d->state.file, strerror(-err), e->cgroup);
		e->frozen_ns = 0;
		return false;
	}
	err = cgroupfs_write(path, "1");
	if (err) {
		log_error("%s: cannot freeze: %s", path, strerror(-err));
		e->frozen_ns = 0;
		state_save(&d->state);
		return false;
	}
	d->bypass_repairs++;
	daemon_timer_arm(d);
	return true;
}

int daemon_thaw_fd(struct daemon *d)
{
	return d->thaw_fd;
}

bool daemon_handle_thaw(struct daemon *d)
{
	uint64_t expirations, now = clock_now_ns(), lower = act_next_lowering(&d->state);
	bool thawed = false;

	if (read(d->thaw_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("thaw timer: %s", strerror(errno));
	for (int i = 0; i < d->state.nr; i++) {
		struct state_entry *e = &d->state.entries[i];

		if (e->frozen_ns && act_thaw_at(e) <= now) {
			daemon_thaw(d, e);
			thawed = true;
		}
	}
	if (thawed)
		state_save(&d->state);
	daemon_timer_arm(d);
	return lower && lower <= now;
}

int daemon_freeze_open(struct daemon *d)
{
	bool thawed = false;

	d->thaw_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->thaw_fd < 0)
		return -errno;
	for (int i = 0; i < d->state.nr; i++) {
		struct state_entry *e = &d->state.entries[i];

		if (!e->frozen_ns)
			continue;
		log_warn("%s: thawing it: a previous run froze it to repair its io.max and "
			 "ended before the thaw", e->cgroup);
		daemon_thaw(d, e);
		thawed = true;
	}
	if (thawed)
		state_save(&d->state);
	return 0;
}

void daemon_freeze_close(struct daemon *d)
{
	if (d->thaw_fd >= 0)
		close(d->thaw_fd);
	d->thaw_fd = -1;
}
