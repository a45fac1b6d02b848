/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Which cgroups belong to which policy group. A member is the topmost
 * cgroup that a group's match selects: its io.max covers its subtree, so
 * I/O charged to any descendant (libvirt's emulator and vcpu cgroups,
 * a writeback flush of the VM's pages) counts for the member.
 */
#ifndef IORATE_MEMBERS_H
#define IORATE_MEMBERS_H

#include <stddef.h>
#include <stdint.h>
#include "policy.h"

struct member {
	char *path;		/* below the cgroup v2 root, "/machine.slice/x.scope" */
	uint64_t id;
};

/* cgroup id (the member's or a descendant's) -> index of the member */
struct member_owner {
	uint64_t id;
	int member;
};

struct group_members {
	struct member *members;
	int nr;
	struct member_owner *owners;	/* sorted by id */
	int nr_owners;
	/* The group's `device =` lines resolved to whole disks, with the
	 * members (the daemon fills these at each scan, not at each tick:
	 * resolving stats /dev and reads sysfs). */
	bool any_dev;
	uint32_t devs[POLICY_MAX_DEVICES];
	int nr_devs;
};

/* Scan the tree under root for every group's cgroup matches. out holds
 * policy->nr_groups entries. */
int members_scan(const char *root, const struct policy *policy, struct group_members *out);
void members_free(struct group_members *gm, int nr_groups);
/* One cgroup created (path below the root, its id): joins, in every group,
 * the member it lies inside, or becomes a member where a match selects it.
 * What a full scan would find, at the cost of one path. */
int members_add_cgroup(const struct policy *policy, struct group_members *gm, const char *path,
		       uint64_t id);
/* A cgroup made a member by other means than its path (a process the
 * group selects lives there); nothing when it already belongs. */
int members_add_member(struct group_members *gm, const char *path, uint64_t id);
/* One cgroup removed: out of every group, as member or descendant. */
void members_remove_cgroup(struct group_members *gm, int nr_groups, uint64_t id);
/* Member index owning cgroup id in one group, or -1. */
int members_owner(const struct group_members *gm, uint64_t id);
/* The guest name of a libvirt VM's cgroup, from its last path component:
 * systemd's "machine-qemu\x2d3\x2dweb\x2d1.scope" (escapes decoded) or
 * libvirt's cgroupfs "qemu-3-web-1.libvirt-qemu". False when the component
 * is not a VM's. */
bool members_vm_name(const char *path, char *name, size_t len);
/* Whether a cgroup path matches one of the group's match lines. */
bool members_match(const struct policy_group *g, const char *path);

#endif
