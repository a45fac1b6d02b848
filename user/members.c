// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fts.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include "members.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "qemu-<id>-<name>": libvirt numbers its domains; the name is the rest. */
static bool strip_domain_id(const char *s, size_t n, char *name, size_t len)
{
	size_t i = 5;

	if (n < 7 || strncmp(s, "qemu-", 5))
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 5 || i >= n || s[i] != '-' || n - i - 1 == 0 || n - i - 1 >= len)
		return false;
	memcpy(name, s + i + 1, n - i - 1);
	name[n - i - 1] = '\0';
	return true;
}

bool members_vm_name(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/');
	char unescaped[256];
	size_t n = 0, blen;

	base = base ? base + 1 : path;
	blen = strlen(base);
	if (blen > 8 && !strncmp(base, "machine-", 8) && !strcmp(base + blen - 6, ".scope")) {
		/* systemd unit names escape '-' and other bytes as \xNN */
		for (size_t i = 8; i < blen - 6 && n < sizeof(unescaped) - 1; i++) {
			if (base[i] == '\\' && base[i + 1] == 'x' && i + 3 < blen - 6 + 0 &&
			    hexval(base[i + 2]) >= 0 && hexval(base[i + 3]) >= 0) {
				unescaped[n++] = hexval(base[i + 2]) * 16 + hexval(base[i + 3]);
				i += 3;
			} else {
				unescaped[n++] = base[i];
			}
		}
		unescaped[n] = '\0';
		return strip_domain_id(unescaped, n, name, len);
	}
	if (blen > sizeof(".libvirt-qemu") - 1 &&
	    !strcmp(base + blen - (sizeof(".libvirt-qemu") - 1), ".libvirt-qemu"))
		return strip_domain_id(base, blen - (sizeof(".libvirt-qemu") - 1), name, len);
	return false;
}

bool members_match(const struct policy_group *g, const char *path)
{
	char vm[256];
	int have_vm = -1;

	for (int i = 0; i < g->nr_matches; i++) {
		const struct policy_match *m = &g->matches[i];

		if (m->kind == POLICY_MATCH_CGROUP && policy_match_glob(m, path))
			return true;
		if (m->kind == POLICY_MATCH_VM) {
			if (have_vm < 0)
				have_vm = members_vm_name(path, vm, sizeof(vm));
			if (have_vm && policy_match_glob(m, vm))
				return true;
		}
	}
	return false;
}

static int owner_cmp(const void *a, const void *b)
{
	const struct member_owner *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int push_member(struct group_members *gm, int *cap, const char *path, uint64_t id)
{
	if (gm->nr == *cap) {
		int ncap = *cap ? *cap * 2 : 8;
		struct member *m = realloc(gm->members, ncap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		gm->members = m;
		*cap = ncap;
	}
	gm->members[gm->nr].path = strdup(path);
	if (!gm->members[gm->nr].path)
		return -ENOMEM;
	gm->members[gm->nr].id = id;
	gm->nr++;
	return 0;
}

static int push_owner(struct group_members *gm, int *cap, uint64_t id, int member)
{
	if (gm->nr_owners == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		struct member_owner *o = realloc(gm->owners, ncap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		gm->owners = o;
		*cap = ncap;
	}
	gm->owners[gm->nr_owners].id = id;
	gm->owners[gm->nr_owners].member = member;
	gm->nr_owners++;
	return 0;
}

/*
 * One walk of the tree for all groups. fts visits a directory before its
 * children (FTS_D) and again after them (FTS_DP), so "inside member M of
 * group g" is a per-group depth marker set on entry and cleared on exit.
 */
int members_scan(const char *root, const struct policy *policy, struct group_members *out)
{
	char *const paths[] = { (char *)root, NULL };
	size_t rootlen = strlen(root);
	int *inside = NULL, *cap_m = NULL, *cap_o = NULL, err = 0;
	short *inside_level = NULL;
	FTS *fts = NULL;
	FTSENT *e;

	memset(out, 0, policy->nr_groups * sizeof(*out));
	inside = calloc(policy->nr_groups + 1, sizeof(int));
	inside_level = calloc(policy->nr_groups + 1, sizeof(short));
	cap_m = calloc(policy->nr_groups + 1, sizeof(int));
	cap_o = calloc(policy->nr_groups + 1, sizeof(int));
	if (!inside || !inside_level || !cap_m || !cap_o) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int g = 0; g < policy->nr_groups; g++)
		inside[g] = -1;
	fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	if (!fts) {
		err = -errno;
		goto cleanup;
	}
	for (errno = 0; (e = fts_read(fts)); errno = 0) {
		const char *rel = e->fts_pathlen > rootlen ? e->fts_path + rootlen : "/";

		if (e->fts_info == FTS_DP) {
			for (int g = 0; g < policy->nr_groups; g++)
				if (inside[g] >= 0 && inside_level[g] == e->fts_level)
					inside[g] = -1;
			continue;
		}
		if (e->fts_info != FTS_D)
			continue;
		for (int g = 0; g < policy->nr_groups && !err; g++) {
			struct group_members *gm = &out[g];

			if (inside[g] < 0 && e->fts_level > 0 &&
			    members_match(&policy->groups[g], rel)) {
				err = push_member(gm, &cap_m[g], rel, e->fts_statp->st_ino);
				inside[g] = gm->nr - 1;
				inside_level[g] = e->fts_level;
			}
			if (!err && inside[g] >= 0)
				err = push_owner(gm, &cap_o[g], e->fts_statp->st_ino, inside[g]);
		}
		if (err)
			break;
	}
	/* A walk cut short would drop members and put their io.max back:
	 * fail the scan instead, the caller keeps the previous members. */
	if (!err && errno)
		err = -errno;
	for (int g = 0; g < policy->nr_groups; g++)
		qsort(out[g].owners, out[g].nr_owners, sizeof(*out[g].owners), owner_cmp);
cleanup:
	if (fts)
		fts_close(fts);
	free(inside);
	free(inside_level);
	free(cap_m);
	free(cap_o);
	if (err)
		members_free(out, policy->nr_groups);
	return err;
}

void members_free(struct group_members *gm, int nr_groups)
{
	for (int g = 0; g < nr_groups; g++) {
		for (int i = 0; i < gm[g].nr; i++)
			free(gm[g].members[i].path);
		free(gm[g].members);
		free(gm[g].owners);
		memset(&gm[g], 0, sizeof(gm[g]));
	}
}

int members_owner(const struct group_members *gm, uint64_t id)
{
	struct member_owner key = { .id = id }, *hit;

	if (!gm->nr_owners)
		return -1;
	hit = bsearch(&key, gm->owners, gm->nr_owners, sizeof(key), owner_cmp);
	return hit ? hit->member : -1;
}

static int owner_insert(struct group_members *gm, uint64_t id, int member)
{
	struct member_owner *o = realloc(gm->owners, (gm->nr_owners + 1) * sizeof(*o));
	int at = 0;

	if (!o)
		return -ENOMEM;
	gm->owners = o;
	while (at < gm->nr_owners && o[at].id < id)
		at++;
	if (at < gm->nr_owners && o[at].id == id)
		return 0;
	memmove(&o[at + 1], &o[at], (gm->nr_owners - at) * sizeof(*o));
	o[at].id = id;
	o[at].member = member;
	gm->nr_owners++;
	return 0;
}

/* Whether path lies inside the member at dir: equal, or below it. */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int members_add_cgroup(const struct policy *policy, struct group_members *gm, const char *path,
		       uint64_t id)
{
	for (int g = 0; g < policy->nr_groups; g++) {
		struct group_members *m = &gm[g];
		int owner = -1, cap = m->nr, err;

		if (members_owner(m, id) >= 0)
			continue;
		for (int i = 0; i < m->nr && owner < 0; i++)
			if (path_within(path, m->members[i].path))
				owner = i;
		if (owner < 0) {
			if (!members_match(&policy->groups[g], path))
				continue;
			/* the array's real capacity is not kept after a scan:
			 * calling it full makes push_member realloc, always safe */
			err = push_member(m, &cap, path, id);
			if (err)
				return err;
			owner = m->nr - 1;
		}
		err = owner_insert(m, id, owner);
		if (err)
			return err;
	}
	return 0;
}

void members_remove_cgroup(struct group_members *gm, int nr_groups, uint64_t id)
{
	for (int g = 0; g < nr_groups; g++) {
		struct group_members *m = &gm[g];
		int at, member = -1;

		for (at = 0; at < m->nr_owners && m->owners[at].id != id; at++)
			;
		if (at == m->nr_owners)
			continue;
		memmove(&m->owners[at], &m->owners[at + 1], (m->nr_owners - at - 1) * sizeof(*m->owners));
		m->nr_owners--;
		for (int i = 0; i < m->nr; i++)
			if (m->members[i].id == id)
				member = i;
		if (member < 0)
			continue;
		/* cgroupfs removes children first: nothing else points here */
		free(m->members[member].path);
		memmove(&m->members[member], &m->members[member + 1],
			(m->nr - member - 1) * sizeof(*m->members));
		m->nr--;
		for (int o = 0; o < m->nr_owners; o++)
			if (m->owners[o].member > member)
				m->owners[o].member--;
	}
}

int members_add_member(struct group_members *gm, const char *path, uint64_t id)
{
	int cap = gm->nr, err;

	if (members_owner(gm, id) >= 0)
		return 0;
	err = push_member(gm, &cap, path, id);
	if (err)
		return err;
	return owner_insert(gm, id, gm->nr - 1);
}
