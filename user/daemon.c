// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "actuator.h"
#include "cgroupfs.h"
#include "clock.h"
#include "daemon.h"
#include "daemon_charges.h"
#include "daemon_freeze.h"
#include "daemon_procs.h"
#include "disk.h"
#include "kquirks.h"
#include "libvirt_host.h"
#include "libvirt_live.h"
#include "log.h"

/* The safety-net rescan of the cgroup tree: cgroup events keep the
 * members current, so this only catches what they cannot describe (a
 * rename, a daemon in a cgroup namespace) without walking a large tree
 * every second. */
#define DAEMON_SCAN_NS		10000000000ULL
/* iomax-mode auto: steady where blk-throttle keeps its carryover unsigned. */
static void resolve_iomax_mode(struct daemon *d)
{
	switch (d->policy.daemon.iomax_mode) {
	case POLICY_IOMAX_FOLLOW:
		d->steady = false;
		d->steady_why = "iomax-mode = follow";
		return;
	case POLICY_IOMAX_STEADY:
		d->steady = true;
		d->steady_why = "iomax-mode = steady";
		return;
	case POLICY_IOMAX_AUTO:
		break;
	}
	d->steady = d->carryover_quirk == KQUIRK_CARRYOVER_UNSIGNED;
	if (d->steady)
		d->steady_why = "this kernel's blk-throttle keeps an unsigned carryover: "
				"moving io.max can lose the limit";
	else if (d->carryover_quirk >= 0)
		d->steady_why = "this kernel's blk-throttle survives io.max changes";
	else
		d->steady_why = "blk-throttle's layout not found in the kernel's BTF";
}

/* Which lowerings wait for a safe phase of blk-throttle's slice, by how
 * the running kernel carries a budget across a write (actuator.h). */
static enum act_timing act_timing_for(int carryover_quirk)
{
	switch (carryover_quirk) {
	case KQUIRK_CARRYOVER_UNSIGNED:
		return ACT_TIMED_ALL;
	case KQUIRK_CARRYOVER_SIGNED:
		return ACT_TIMED_FORCED;
	default:
		return ACT_UNTIMED;
	}
}

static void log_iomax_mode(const struct daemon *d)
{
	log_info("io.max %s (%s)", d->steady ? "steady: held at base rates" :
		 "follows the buckets every tick", d->steady_why);
}


static void scan_members(struct daemon *d);

/* The daemon's parts the process tracker works against, as they are now. */
static struct procs_world procs_world(struct daemon *d)
{
	return (struct procs_world){
		.cgroot = d->cgroot, .policy = &d->policy, .members = d->members, .meter = d->meter,
	};
}
static void forget_gone_cgroups(struct daemon *d);
static int reload(struct daemon *d, const char *why);
static void log_libvirt(const struct daemon *d);

/*
 * limits = libvirt: watch libvirt-dir first, then read it, so that a
 * rewrite between the two is not lost; then the templates give way to the
 * running domains' groups. Without such a group, no watch.
 */
static int expand_libvirt(struct daemon *d, struct policy *p)
{
	struct libvirt_live_report rep;
	const char *dir = p->daemon.libvirt_dir;
	int err;

	d->libvirt_templates = libvirt_live_wanted(p);
	if (!d->libvirt_templates) {
		libvirt_live_close(&d->libvirt);
		return 0;
	}
	err = libvirt_live_watch(&d->libvirt, dir);
	if (err && !d->libvirt.missing_said) {
		log_warn("libvirt-dir %s: %s; limits = libvirt finds no domain until it exists (%s)",
			 dir, strerror(-err),
			 err == -ENOENT ? "is libvirtd running?" : "looked for again every 10 s");
		d->libvirt.missing_said = true;
	}
	err = libvirt_live_expand(p, dir, lv_host_resolve, NULL, &rep);
	if (!err)
		d->libvirt_found = rep;
	return err;
}

/* What limits = libvirt found, once the groups are in force. */
static void log_libvirt(const struct daemon *d)
{
	const struct libvirt_live_report *rep = &d->libvirt_found;

	if (!d->libvirt_templates)
		return;
	log_info("libvirt %s: %d status file%s, %d domain%s matched, %d group%s%s",
		 d->policy.daemon.libvirt_dir, rep->files, rep->files == 1 ? "" : "s",
		 rep->domains, rep->domains == 1 ? "" : "s", rep->groups,
		 rep->groups == 1 ? "" : "s",
		 rep->unmapped ? " (some drives could not be placed on a disk: see above)" : "");
}

static int load_policy(struct daemon *d, const char *path, struct policy *out)
{
	struct policy_errors errs = {};
	char why[512];
	int err;

	if (policy_check_file_mode(path, why, sizeof(why))) {
		log_error("%s", why);
		return -EPERM;
	}
	err = policy_parse_file(path, out, &errs);
	for (int i = 0; i < errs.nr; i++)
		log_error("%s", errs.lines[i]);
	for (int i = 0; !err && i < out->nr_notes; i++)
		log_info("%s", out->notes[i]);
	policy_errors_free(&errs);
	if (!err)
		err = expand_libvirt(d, out);
	return err;
}

int daemon_init(struct daemon *d, const char *policy_path)
{
	bool is_v2 = false;
	int err;

	memset(d, 0, sizeof(*d));
	d->thaw_fd = -1;
	usage_table_init(&d->prev);
	usage_table_init(&d->cur);
	libvirt_live_init(&d->libvirt);
	d->policy_path = strdup(policy_path);
	if (!d->policy_path)
		return -ENOMEM;
	err = load_policy(d, policy_path, &d->policy);
	if (err)
		return err;
	{
		struct daemon_cluster_next next;

		err = daemon_cluster_prepare(d, &d->policy, &next);
		if (err)
			return err;
		daemon_cluster_commit(d, &next);
	}
	log_libvirt(d);
	err = cgroupfs_find_io_root(d->cgroot, sizeof(d->cgroot), &is_v2);
	if (err || !is_v2) {
		log_error("no cgroup v2 hierarchy with the io controller: io.max is cgroup v2 only%s",
			  is_v2 ? "" : " (io is bound to a cgroup v1 blkio hierarchy here)");
		return -ENOENT;
	}
	err = state_open(&d->state, d->policy.daemon.state_dir);
	if (err)
		return err;
	if (d->state.nr)
		log_info("adopting %d io.max line(s) left by a previous run (%s)", d->state.nr,
			 d->state.file);
	err = daemon_freeze_open(d);
	if (err)
		return err;
	/* Refresh what the adopted lines hold now, so writes compare right. */
	for (int i = 0; i < d->state.nr; i++) {
		char dir[8300];

		snprintf(dir, sizeof(dir), "%s%s", d->cgroot, d->state.entries[i].cgroup);
		if (iomax_read(dir, d->state.entries[i].dev, &d->state.entries[i].current))
			iomax_unlimited(&d->state.entries[i].current);
	}
	err = meter_open(&d->meter, METER_SEE_FOREIGN);
	if (err)
		return err;
	err = daemon_charges_open(d);
	if (err)
		return err;
	err = meter_read(d->meter, &d->prev);
	if (err)
		return err;
	d->members = calloc(d->policy.nr_groups + 1, sizeof(*d->members));
	if (!d->members)
		return -ENOMEM;
	d->carryover_quirk = kquirk_running_carryover();
	resolve_iomax_mode(d);
	/* before the first event: an event for a cgroup inside a member
	 * must find that member */
	scan_members(d);
	daemon_procs_start(&d->procs, procs_world(d));
	log_info("enforcing %d group(s) from %s; cgroups under %s; tick %.0f ms; accounting %s",
		 d->policy.nr_groups, policy_path, d->cgroot, d->policy.daemon.tick_ns / 1e6,
		 d->policy.daemon.accounting == IORATE_LEVEL_DEVICE ? "device" : "bio");
	log_iomax_mode(d);
	return 0;
}

static void free_bindings(struct daemon *d)
{
	for (int i = 0; i < d->nr_bindings; i++)
		ctl_binding_free(&d->bindings[i].ctl);
	free(d->bindings);
	d->bindings = NULL;
	d->nr_bindings = d->cap_bindings = 0;
}

void daemon_fini(struct daemon *d)
{
	if (d->members)
		members_free(d->members, d->policy.nr_groups);
	free(d->members);
	free_bindings(d);
	daemon_charges_close(d);
	daemon_procs_free(&d->procs);
	daemon_foreign_free(&d->foreign);
	daemon_cluster_free(&d->cluster);
	meter_close(d->meter);
	usage_table_free(&d->prev);
	usage_table_free(&d->cur);
	state_close(&d->state);
	policy_free(&d->policy);
	if (d->policy_path) {	/* else daemon_init never ran */
		libvirt_live_close(&d->libvirt);
		daemon_freeze_close(d);
	}
	free(d->policy_path);
	memset(d, 0, sizeof(*d));
}

static struct ctl_binding *binding_get(struct daemon *d, int group, uint32_t dev)
{
	struct daemon_binding *b;

	for (int i = 0; i < d->nr_bindings; i++)
		if (d->bindings[i].group == group && d->bindings[i].ctl.dev == dev)
			return &d->bindings[i].ctl;
	if (d->nr_bindings == d->cap_bindings) {
		int cap = d->cap_bindings ? d->cap_bindings * 2 : 8;

		b = realloc(d->bindings, cap * sizeof(*b));
		if (!b)
			return NULL;
		d->bindings = b;
		d->cap_bindings = cap;
	}
	b = &d->bindings[d->nr_bindings++];
	b->group = group;
	ctl_binding_init(&b->ctl, &d->policy.groups[group], dev, d->steady, &d->sets);
	return &b->ctl;
}

int daemon_level_of(struct daemon *d, uint32_t dev)
{
	return disk_kinds_bio_based(&d->disk_kinds, dev) ? IORATE_LEVEL_BIO :
							   d->policy.daemon.accounting;
}

/* Does the group's device list (resolved at the last scan) cover this
 * disk? `*` covers the disks that complete requests, not the dm/md
 * volumes stacked on them: their I/O is held on the disks beneath. */
static bool group_covers(struct daemon *d, const struct group_members *gm, uint32_t dev)
{
	if (gm->any_dev)
		return !disk_kinds_bio_based(&d->disk_kinds, dev);
	for (int i = 0; i < gm->nr_devs; i++)
		if (gm->devs[i] == dev)
			return true;
	return false;
}

static void resolve_devices(const struct policy_group *g, struct group_members *gm)
{
	for (int i = 0; i < g->nr_devices && gm->nr_devs < POLICY_MAX_DEVICES; i++) {
		if (g->devices[i].any)
			gm->any_dev = true;
		else if (disk_resolve(g->devices[i].spec, &gm->devs[gm->nr_devs]) == 0)
			gm->nr_devs++;
	}
}

static void scan_members(struct daemon *d)
{
	struct group_members *fresh = calloc(d->policy.nr_groups + 1, sizeof(*fresh));

	if (!fresh)
		return;
	if (members_scan(d->cgroot, &d->policy, fresh)) {
		log_warn("cgroup scan of %s failed; keeping the previous members", d->cgroot);
		free(fresh);
		return;
	}
	memset(&d->disk_kinds, 0, sizeof(d->disk_kinds));
	for (int g = 0; g < d->policy.nr_groups; g++)
		resolve_devices(&d->policy.groups[g], &fresh[g]);
	daemon_procs_add_members(&d->procs, fresh);
	members_free(d->members, d->policy.nr_groups);
	free(d->members);
	d->members = fresh;
	d->members_gen++;
	d->last_scan_ns = clock_now_ns();
	forget_gone_cgroups(d);
}

static void add_input(struct ctl_input *in, const struct usage_rates *r)
{
	in->ops[CTL_READ] += r->ops[IORATE_DIR_READ];
	in->ops[CTL_WRITE] += r->ops[IORATE_DIR_WRITE];
	in->bytes[CTL_READ] += r->bytes[IORATE_DIR_READ];
	in->bytes[CTL_WRITE] += r->bytes[IORATE_DIR_WRITE];
}

/* Groups naming their disks get io.max before their first I/O. */
static void sync_bindings(struct daemon *d)
{
	for (int g = 0; g < d->policy.nr_groups; g++) {
		const struct group_members *gm = &d->members[g];

		for (int i = 0; i < gm->nr_devs; i++) {
			struct ctl_binding *b = binding_get(d, g, gm->devs[i]);

			for (int m = 0; b && m < gm->nr; m++)
				ctl_binding_slot(b, gm->members[m].id, true);
		}
	}
}

/* A member stays in its bindings while it exists, I/O or not; a slot
 * whose cgroup is no longer a member goes. */
static void prune_bindings(struct daemon *d)
{
	for (int i = 0; i < d->nr_bindings; i++) {
		struct ctl_binding *b = &d->bindings[i].ctl;
		const struct group_members *gm = &d->members[d->bindings[i].group];

		for (int s = 0; s < b->nr_slots; s++) {
			int m = members_owner(gm, b->slots[s].cgroup_id);

			b->slots[s].seen = m >= 0 && gm->members[m].id == b->slots[s].cgroup_id;
		}
		ctl_binding_remove_unseen(b);
	}
}

/* Feed each member's I/O of this tick to the bindings of its groups. */
static void feed(struct daemon *d, double dt_s)
{
	for (int i = 0; i < d->nr_bindings; i++) {
		struct ctl_binding *b = &d->bindings[i].ctl;

		for (int s = 0; s < b->nr_slots; s++) {
			memset(&b->slots[s].dev, 0, sizeof(b->slots[s].dev));
			memset(&b->slots[s].thr, 0, sizeof(b->slots[s].thr));
		}
	}
	for (size_t e = 0; e < d->cur.nr; e++) {
		const struct usage_entry *cur = &d->cur.entries[e];
		const struct usage_entry *prev = usage_table_find(&d->prev, &cur->key);
		struct usage_rates at_level, at_bio;
		bool rates_done = false;

		for (int g = 0; g < d->policy.nr_groups; g++) {
			int m = members_owner(&d->members[g], cur->key.cgroup_id);
			struct ctl_binding *b;
			struct ctl_slot *slot;

			if (m < 0 || !group_covers(d, &d->members[g], cur->key.dev))
				continue;
			if (!rates_done) {
				usage_rates(prev ? &prev->usage : NULL, &cur->usage,
					    daemon_level_of(d, cur->key.dev), dt_s, &at_level);
				usage_rates(prev ? &prev->usage : NULL, &cur->usage, IORATE_LEVEL_BIO,
					    dt_s, &at_bio);
				rates_done = true;
			}
			b = binding_get(d, g, cur->key.dev);
			slot = b ? ctl_binding_slot(b, d->members[g].members[m].id, true) : NULL;
			if (!slot)
				continue;
			add_input(&slot->dev, &at_level);
			add_input(&slot->thr, &at_bio);
		}
	}
	sync_bindings(d);
	prune_bindings(d);
	daemon_charges_sync(d);
}

static const char *member_path(struct daemon *d, int group, uint64_t id)
{
	struct group_members *gm = &d->members[group];
	int m = members_owner(gm, id);

	return m >= 0 && gm->members[m].id == id ? gm->members[m].path : NULL;
}

/* The bypass repair (actuator.h): the rates past blk-throttle of the
 * slot's last tick against the line in force. */
static void check_bypass(struct daemon *d, struct state_entry *e, const struct ctl_slot *s,
			 double dt_s)
{
	if (!act_bypassed(e, s->thr_rate, dt_s, clock_now_ns()))
		return;
	if (daemon_freeze(d, e))
		log_warn("%s: io.max not holding (%.0f riops, %.0f wiops past blk-throttle against "
			 "its io.max): froze the cgroup for %llu ms so that blk-throttle restarts "
			 "its slice", e->cgroup, s->thr_rate[CTL_IOPS][CTL_READ],
			 s->thr_rate[CTL_IOPS][CTL_WRITE], ACT_FREEZE_NS / 1000000);
}

static struct state_entry *apply_line(struct daemon *d, const char *path, uint32_t dev,
				      const struct iomax *want)
{
	struct state_entry *e = state_find(&d->state, path, dev);
	char dir[8300], line[200];
	struct act_params params;
	struct iomax target;
	int err;

	snprintf(dir, sizeof(dir), "%s%s", d->cgroot, path);
	if (!e) {
		struct iomax orig;

		err = iomax_read(dir, dev, &orig);
		if (err) {
			log_debug("%s/io.max: %s", dir, strerror(-err));
			if (err != -ENOENT || d->ticks % 100 == 0)
				log_warn("%s/io.max: %s%s", dir, strerror(-err),
					 err == -ENOENT ? " (is io enabled in the parent's cgroup.subtree_control?)" : "");
			d->iomax_errors++;
			return NULL;
		}
		e = state_add(&d->state, path, dev, &orig);
		if (!e)
			return NULL;
		/* Recorded before the first change: a crash from here on
		 * leaves enough behind to restore. */
		err = state_save(&d->state);
		if (err)
			log_warn("state file %s: %s: a crash now would leave io.max behind",
				 d->state.file, strerror(-err));
	}
	e->in_use = true;
	act_params_init(&params, d->steady, act_timing_for(d->carryover_quirk));
	if (!act_next_line(&params, e, want, d->tightening || d->reloaded || d->cluster.share_fell,
			   clock_now_ns(), &target))
		return e;
	err = iomax_write(dir, dev, &target);
	if (err) {
		/* Retried at the pace of good writes, not every tick, and said
		 * once per error: a kernel that keeps refusing a line must not
		 * fill the journal ten times a second. iomax_errors counts them
		 * all. */
		if (err != e->write_err) {
			iomax_format(dev, &target, line, sizeof(line));
			log_warn("%s/io.max: writing \"%s\": %s; the line keeps its last value, "
				 "retried, said again when the error changes",
				 dir, line, strerror(-err));
		}
		act_written(e, &target, err, clock_now_ns());
		d->iomax_errors++;
		return e;
	}
	if (e->write_err)
		log_info("%s/io.max: written again (after %s)", dir, strerror(-e->write_err));
	if (log_debug_enabled()) {
		iomax_format(dev, &target, line, sizeof(line));
		log_debug("%s: io.max %s", path, line);
	}
	act_written(e, &target, 0, clock_now_ns());
	d->iomax_writes++;
	return e;
}

static void restore_entry(struct daemon *d, struct state_entry *e)
{
	char dir[8300];
	struct stat st;
	int err;

	daemon_thaw(d, e);
	snprintf(dir, sizeof(dir), "%s%s", d->cgroot, e->cgroup);
	if (stat(dir, &st))
		return;		/* cgroup gone, nothing to restore */
	err = iomax_write(dir, e->dev, &e->original);
	if (err && err != -ENODEV)
		log_warn("%s/io.max: restoring: %s", dir, strerror(-err));
}

/* A disk that went away (unplugged, null_blk powered off) keeps its
 * bindings until a scan or reload sees it gone; its io.max lines go now,
 * so that nothing retries a write to it, and a disk that comes back under
 * the same numbers starts from what its io.max holds then. */
static bool disk_present(uint32_t dev)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", iorate_dev_major(dev),
		 iorate_dev_minor(dev));
	return stat(path, &st) == 0;
}

/* The io.max a member's groups give it on dev: the tightest of each field.
 * False when no group binds it there. */
static bool member_want(struct daemon *d, uint64_t cgroup_id, uint32_t dev, struct iomax *want)
{
	bool any = false;

	iomax_unlimited(want);
	for (int j = 0; j < d->nr_bindings; j++) {
		struct ctl_binding *o = &d->bindings[j].ctl;
		struct ctl_slot *os;

		if (o->dev != dev)
			continue;
		os = ctl_binding_slot(o, cgroup_id, false);
		if (!os)
			continue;
		any = true;
		act_tighten(want, os->iomax);
	}
	return any;
}

/*
 * A member's file whose writeback the kernel charges to another cgroup
 * (daemon_foreign.h): while it does, that cgroup gets the member's line on
 * the disk, so the member's flushes are held where they are charged
 * (measured: 100 w/s from the first second against 904-925 uncapped,
 * DESIGN.md "Measured later"), the two sharing it by their rates
 * (daemon_foreign_share). Not the root (no io.max there), not a
 * cgroup some group holds already; restored as any line when it ends.
 */
static void apply_foreign_caps(struct daemon *d)
{
	for (int i = 0; i < d->foreign.nr; i++) {
		struct foreign_inode *f = &d->foreign.v[i];
		struct iomax want;

		if (!f->cap_owner || !disk_present(f->disk) ||
		    !member_want(d, f->member_id, f->disk, &want))
			continue;
		daemon_foreign_share(&d->foreign, f->member_id, f->disk, f->owner_id, &want);
		apply_line(d, f->owner_path, f->disk, &want);
	}
}

/* dt_s: the tick that measured the rates; 0 when applying between ticks
 * (an event), where no new rate is known. */
static void apply(struct daemon *d, double dt_s)
{
	bool dropped = false;

	for (int i = 0; i < d->state.nr; i++)
		d->state.entries[i].in_use = false;
	/* One io.max line per (member, disk): tightest of all its groups. */
	for (int i = 0; i < d->nr_bindings; i++) {
		struct ctl_binding *b = &d->bindings[i].ctl;

		if (!disk_present(b->dev))
			continue;
		for (int s = 0; s < b->nr_slots; s++) {
			const char *path = member_path(d, d->bindings[i].group, b->slots[s].cgroup_id);
			uint64_t in_force[CTL_NR_KINDS][CTL_NR_DIRS];
			struct iomax want, together;
			struct state_entry *e;

			if (!path)
				continue;
			member_want(d, b->slots[s].cgroup_id, b->dev, &want);
			together = want;
			daemon_foreign_share(&d->foreign, b->slots[s].cgroup_id, b->dev, 0, &want);
			e = apply_line(d, path, b->dev, &want);
			if (!e)
				continue;
			/* A member that shares its line with the owner of a file
			 * it writes (daemon_foreign.h) is held by the two parts
			 * together: told only its own part, the controller took
			 * the line for lagging and its trim stopped correcting
			 * blk-throttle's shortfall (031: 90.7 w/s against 100). */
			act_in_force(memcmp(&want, &together, sizeof(want)) ? &together : &e->current,
				     in_force);
			ctl_slot_in_force(&b->slots[s], in_force, e->waiting);
			if (dt_s > 0)
				check_bypass(d, e, &b->slots[s], dt_s);
		}
	}
	apply_foreign_caps(d);
	daemon_timer_arm(d);
	/* Lines nobody asks for any more go back to what they were. */
	for (int i = 0; i < d->state.nr; ) {
		struct state_entry *e = &d->state.entries[i];

		if (e->in_use) {
			i++;
			continue;
		}
		if (!disk_present(e->dev))
			log_warn("%s: disk %u:%u is gone; its io.max line is dropped", e->cgroup,
				 iorate_dev_major(e->dev), iorate_dev_minor(e->dev));
		restore_entry(d, e);
		state_remove(&d->state, e);
		dropped = true;
	}
	if (dropped)
		state_save(&d->state);
}

/* Events are applied one by one while the ring drains; a batch that the
 * paths cannot describe (a path cut at the buffer, a failed allocation)
 * ends in one full scan instead. */
struct event_batch {
	struct daemon *d;
	uint64_t oldest_mkdir_ns;
	uint64_t oldest_full_ns;	/* a bucket filled: its binding was tightened */
	int applied;
	bool rescan;
};

/* The tracepoint's path is from the hierarchy's root; ours from the mount.
 * They agree unless the daemon runs in a cgroup namespace or the mount is
 * not the root: then the inode at cgroot + path is not the new cgroup. */
static bool event_path_usable(struct daemon *d, const struct iorate_event *ev)
{
	char dir[sizeof(d->cgroot) + IORATE_EVENT_PATH_MAX];
	struct stat st;

	if (!ev->path_len || ev->path_len >= IORATE_EVENT_PATH_MAX - 1 || ev->path[0] != '/')
		return false;
	snprintf(dir, sizeof(dir), "%s%s", d->cgroot, ev->path);
	return !stat(dir, &st) && st.st_ino == ev->cgroup_id;
}

/* Free meter entries collected by the callers below; counts what went. */
static void forget_keys(struct daemon *d, const struct iorate_usage_key *keys, uint32_t nr)
{
	int n = nr ? meter_forget(d->meter, keys, nr) : 0;

	if (n > 0)
		d->meter_freed += n;
}

/* How long a removed cgroup's id is looked for in each read: the events of
 * one batch reach the daemon within a tick, and a request in flight at the
 * rmdir completes within a device timeout's fraction of that. Writeback
 * that charges the cgroup later is left to the rescan's sweep. */
#define DAEMON_GONE_KEEP_NS	5000000000ULL

/* One cgroup removed (its rmdir event): its entry on every disk the last
 * read saw now, and any other the next reads find (a cgroup made and
 * removed between two reads, 200 of them in a second in the churn test,
 * has its entries on disks no read has seen yet). */
static void forget_cgroup(struct daemon *d, __u64 id)
{
	size_t i = usage_table_first_of(&d->prev, id);
	struct daemon_gone_ids *gone = &d->gone;

	for (; i < d->prev.nr && d->prev.entries[i].key.cgroup_id == id; i++)
		forget_keys(d, &d->prev.entries[i].key, 1);
	gone->id[gone->next] = id;
	gone->at_ns[gone->next] = clock_now_ns();
	gone->next = (gone->next + 1) % DAEMON_GONE_IDS;
}

/* After a read: free the entries of the cgroups removed lately. */
static void forget_recently_removed(struct daemon *d, const struct usage_table *t)
{
	struct daemon_gone_ids *gone = &d->gone;
	uint64_t now = clock_now_ns();

	for (uint32_t g = 0; g < DAEMON_GONE_IDS; g++) {
		size_t i;

		if (!gone->id[g])
			continue;
		if (now - gone->at_ns[g] > DAEMON_GONE_KEEP_NS) {
			gone->id[g] = 0;
			continue;
		}
		i = usage_table_first_of(t, gone->id[g]);
		for (; i < t->nr && t->entries[i].key.cgroup_id == gone->id[g]; i++)
			forget_keys(d, &t->entries[i].key, 1);
	}
}

/* The rescan's sweep: every cgroup id of the last read, checked by file
 * handle. rmdir events can be lost, and writeback can charge a cgroup
 * again after its rmdir. */
static void forget_gone_cgroups(struct daemon *d)
{
	struct iorate_usage_key *doomed;
	uint64_t last_id = 0;
	int root_fd, alive = 1;
	uint32_t nr = 0;

	if (!d->prev.nr)
		return;
	root_fd = open(d->cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return;
	doomed = malloc(d->prev.nr * sizeof(*doomed));
	if (!doomed)
		goto cleanup;
	for (size_t i = 0; i < d->prev.nr; i++) {
		const struct iorate_usage_key *key = &d->prev.entries[i].key;

		if (key->cgroup_id == 0)	/* "unattributed": not a cgroup */
			continue;
		/* sorted by cgroup id: one check per cgroup */
		if (key->cgroup_id != last_id) {
			last_id = key->cgroup_id;
			alive = cgroupfs_id_alive(root_fd, last_id);
		}
		if (alive == 0)
			doomed[nr++] = *key;
	}
	if (nr)
		log_debug("meter: freeing %u entries whose cgroups are gone", nr);
	forget_keys(d, doomed, nr);
	free(doomed);
cleanup:
	close(root_fd);
}

static void collect_event(void *ctx, const struct iorate_event *ev)
{
	struct event_batch *batch = ctx;
	struct daemon *d = batch->d;

	batch->applied++;
	switch (ev->kind) {
	case IORATE_EVENT_BUCKET_FULL:
		if (!daemon_bucket_full(d, ev->pid)) {
			batch->applied--;
			return;
		}
		if (!batch->oldest_full_ns || ev->ts_ns < batch->oldest_full_ns)
			batch->oldest_full_ns = ev->ts_ns;
		return;
	case IORATE_EVENT_CGROUP_RMDIR:
		forget_cgroup(d, ev->cgroup_id);
		members_remove_cgroup(d->members, d->policy.nr_groups, ev->cgroup_id);
		d->members_gen++;
		return;
	case IORATE_EVENT_EXEC:
		daemon_procs_exec(&d->procs, procs_world(d), ev->pid);
		return;
	case IORATE_EVENT_EXIT:
		daemon_procs_exit(&d->procs, procs_world(d), ev->pid);
		return;
	case IORATE_EVENT_FOREIGN_DIRTY:
		batch->applied--;	/* no io.max to apply for it */
		daemon_foreign_event(d, ev);
		return;
	case IORATE_EVENT_CGROUP_MKDIR:
		break;
	default:
		batch->applied--;
		return;
	}
	if (!batch->oldest_mkdir_ns || ev->ts_ns < batch->oldest_mkdir_ns)
		batch->oldest_mkdir_ns = ev->ts_ns;
	if (batch->rescan)
		return;
	if (!event_path_usable(d, ev) ||
	    members_add_cgroup(&d->policy, d->members, ev->path, ev->cgroup_id))
		batch->rescan = true;
	d->members_gen++;
}

int daemon_events_fd(struct daemon *d)
{
	return d->meter ? meter_events_fd(d->meter) : -1;
}

/*
 * cgroup mkdir/rmdir, posted by BPF with the new cgroup's path: a new
 * member gets its io.max now (its slot starts from the static limits),
 * found from its own path, not from a walk of the whole tree; a removed
 * cgroup's meter entries are freed. Lost events (ring full) fall back to
 * a scan.
 */
void daemon_handle_timer(struct daemon *d)
{
	uint64_t now = clock_now_ns();

	if (!daemon_handle_thaw(d))
		return;
	apply(d, 0);
	/* a line apply did not reach (its disk gone) keeps no moment: the
	 * timer would fire at it again and again */
	for (int i = 0; i < d->state.nr; i++)
		if (d->state.entries[i].lower_at_ns && d->state.entries[i].lower_at_ns <= now)
			d->state.entries[i].lower_at_ns = 0;
	daemon_timer_arm(d);
}

int daemon_handle_events(struct daemon *d)
{
	struct event_batch batch = { .d = d };
	uint64_t stats[IORATE_NR_STATS], done_ns;

	meter_drain_events(d->meter, collect_event, &batch);
	meter_read_stats(d->meter, stats);
	if (stats[IORATE_STAT_USAGE_FULL] && !d->usage_full)
		log_warn("the BPF usage map is full (%u cgroup x disk pairs): I/O of new pairs is not "
			 "counted nor limited by rate; pairs already in it still are. Raise "
			 "IORATE_USAGE_MAP_ENTRIES or limit fewer cgroups", meter_usage_capacity(d->meter));
	d->usage_full = stats[IORATE_STAT_USAGE_FULL];
	if (stats[IORATE_STAT_EVENTS_LOST] != d->events_lost) {
		log_warn("cgroup event ring overflowed (%llu events lost in all); rescanning",
			 (unsigned long long)stats[IORATE_STAT_EVENTS_LOST]);
		d->events_lost = stats[IORATE_STAT_EVENTS_LOST];
		batch.rescan = true;
	}
	if (!batch.applied && !batch.rescan)
		return 0;
	if (batch.rescan)
		scan_members(d);
	sync_bindings(d);
	prune_bindings(d);
	daemon_charges_sync(d);
	/* a filled bucket lowers io.max at once: past the write gate */
	d->tightening = batch.oldest_full_ns != 0;
	apply(d, 0);
	d->tightening = false;
	d->events_handled += batch.applied;
	if (batch.oldest_full_ns) {
		done_ns = clock_now_ns();
		d->tighten_last_ns = done_ns > batch.oldest_full_ns ? done_ns - batch.oldest_full_ns : 0;
		if (d->tighten_last_ns > d->tighten_max_ns)
			d->tighten_max_ns = d->tighten_last_ns;
		log_debug("bucket full -> io.max applied in %.2f ms", d->tighten_last_ns / 1e6);
	}
	if (batch.oldest_mkdir_ns) {
		done_ns = clock_now_ns();
		d->reaction_last_ns = done_ns > batch.oldest_mkdir_ns ? done_ns - batch.oldest_mkdir_ns : 0;
		if (d->reaction_last_ns > d->reaction_max_ns)
			d->reaction_max_ns = d->reaction_last_ns;
		log_debug("cgroup events: %d%s; mkdir -> io.max applied in %.2f ms", batch.applied,
			  batch.rescan ? " (rescanned)" : "", d->reaction_last_ns / 1e6);
	}
	return 0;
}

int daemon_tick(struct daemon *d)
{
	struct usage_table tmp;
	double dt_s;
	int err;

	daemon_handle_events(d);
	daemon_procs_tick(&d->procs, procs_world(d));
	daemon_foreign_tick(d);
	if (!d->last_scan_ns || clock_now_ns() - d->last_scan_ns >= DAEMON_SCAN_NS) {
		/* libvirt-dir made since the last look: read it now */
		if (d->libvirt_templates && libvirt_live_fd(&d->libvirt) < 0 &&
		    !libvirt_live_watch(&d->libvirt, d->policy.daemon.libvirt_dir))
			return reload(d, "libvirt-dir appeared");
		daemon_procs_scan(&d->procs, procs_world(d));
		scan_members(d);
	}
	err = meter_read(d->meter, &d->cur);
	if (err)
		return err;
	forget_recently_removed(d, &d->cur);
	dt_s = (d->cur.taken_ns - d->prev.taken_ns) / 1e9;
	if (dt_s <= 0)
		return 0;
	feed(d, dt_s);
	daemon_foreign_measure(d, dt_s);
	daemon_cluster_tick(d);
	for (int i = 0; i < d->nr_bindings; i++)
		ctl_binding_tick(&d->bindings[i].ctl, dt_s);
	apply(d, dt_s);
	d->reloaded = false;
	d->cluster.share_fell = false;
	if (d->libvirt_seen_ns) {
		log_info("libvirt: the domains' limits in io.max %.1f ms after their status file changed",
			 (clock_now_ns() - d->libvirt_seen_ns) / 1e6);
		d->libvirt_seen_ns = 0;
	}
	tmp = d->prev;
	d->prev = d->cur;
	d->cur = tmp;
	d->ticks++;
	return 0;
}

int daemon_reload(struct daemon *d)
{
	return reload(d, NULL);
}

int daemon_libvirt_fd(struct daemon *d)
{
	return libvirt_live_fd(&d->libvirt);
}

int daemon_handle_libvirt(struct daemon *d)
{
	uint64_t seen_ns = clock_now_ns();
	int err;

	if (!libvirt_live_changed(&d->libvirt))
		return 0;
	err = reload(d, "a libvirt status file changed");
	if (!err && d->reloaded)
		d->libvirt_seen_ns = seen_ns;
	return err;
}

/* why: NULL for the operator's reload, else what made the daemon reload */
static int reload(struct daemon *d, const char *why)
{
	struct policy fresh = {};
	struct daemon_cluster_next cluster_next = {};
	struct group_members *members;
	int err, j = 0, *new_index;

	err = load_policy(d, d->policy_path, &fresh);
	if (!err)
		err = daemon_cluster_prepare(d, &fresh, &cluster_next);
	if (err) {
		log_error("reload of %s%s%s rejected; the running policy stays", d->policy_path,
			  why ? " after " : "", why ? why : "");
		policy_free(&fresh);
		return err;
	}
	/* libvirt rewrites a status file at every job and state change, most
	 * of which change no limit: nothing to swap then (the [daemon] part
	 * is the operator's, applied by the operator's reload) */
	if (why && policy_groups_equal(&fresh, &d->policy)) {
		log_debug("%s: the groups are unchanged", why);
		daemon_cluster_next_free(&cluster_next);
		policy_free(&fresh);
		return 0;
	}
	members = calloc(fresh.nr_groups + 1, sizeof(*members));
	new_index = calloc(d->policy.nr_groups + 1, sizeof(*new_index));
	if (!members || !new_index) {
		free(members);
		free(new_index);
		daemon_cluster_next_free(&cluster_next);
		policy_free(&fresh);
		return -ENOMEM;
	}
	for (int old = 0; old < d->policy.nr_groups; old++) {
		new_index[old] = -1;
		for (int g = 0; g < fresh.nr_groups; g++)
			if (!strcmp(fresh.groups[g].name, d->policy.groups[old].name))
				new_index[old] = g;
	}
	daemon_procs_regroup(&d->procs, procs_world(d), new_index, &fresh);
	free(new_index);
	/* Bindings of groups that survive keep their buckets when their
	 * limits did not change; the others go. */
	for (int i = 0; i < d->nr_bindings; i++) {
		struct daemon_binding *b = &d->bindings[i];
		const char *name = d->policy.groups[b->group].name;
		int g;

		for (g = 0; g < fresh.nr_groups; g++)
			if (!strcmp(fresh.groups[g].name, name))
				break;
		if (g == fresh.nr_groups) {
			ctl_binding_free(&b->ctl);
			continue;
		}
		b->group = g;
		ctl_binding_set_group(&b->ctl, &fresh.groups[g]);
		d->bindings[j++] = *b;
	}
	d->nr_bindings = j;
	members_free(d->members, d->policy.nr_groups);
	free(d->members);
	d->members = members;
	policy_free(&d->policy);
	d->policy = fresh;
	daemon_cluster_commit(d, &cluster_next);
	{
		bool was_steady = d->steady;

		resolve_iomax_mode(d);
		for (int i = 0; i < d->nr_bindings; i++)
			d->bindings[i].ctl.steady = d->steady;
		if (d->steady != was_steady)
			log_iomax_mode(d);
	}
	scan_members(d);
	daemon_procs_start(&d->procs, procs_world(d));
	/* a lowered limit (virsh blkdeviotune) is written at the next tick,
	 * past the write gate, as a filled bucket is */
	d->reloaded = true;
	log_libvirt(d);
	log_info("reloaded %s%s%s: %d group(s)", d->policy_path, why ? " after " : "",
		 why ? why : "", d->policy.nr_groups);
	return 0;
}

void daemon_restore_all(struct daemon *d)
{
	while (d->state.nr)
		{
			restore_entry(d, &d->state.entries[0]);
			state_remove(&d->state, &d->state.entries[0]);
		}
	state_save(&d->state);
}
