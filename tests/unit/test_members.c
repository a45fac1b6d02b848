// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include "members.h"
#include "matches.h"
#include "test.h"

TEST(members_vm_name_from_systemd_scope)
{
	char name[64];

	ASSERT_TRUE(members_vm_name("/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope", name, sizeof(name)));
	ASSERT_STREQ(name, "web-1");
	ASSERT_TRUE(members_vm_name("machine-qemu\\x2d12\\x2ddb.scope", name, sizeof(name)));
	ASSERT_STREQ(name, "db");
}

TEST(members_vm_name_from_libvirt_cgroupfs)
{
	char name[64];

	ASSERT_TRUE(members_vm_name("/machine/qemu-7-web-2.libvirt-qemu", name, sizeof(name)));
	ASSERT_STREQ(name, "web-2");
}

TEST(members_vm_name_rejects_other_cgroups)
{
	char name[64];

	ASSERT_TRUE(!members_vm_name("/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope/libvirt", name, sizeof(name)));
	ASSERT_TRUE(!members_vm_name("/system.slice/sshd.service", name, sizeof(name)));
	ASSERT_TRUE(!members_vm_name("/machine.slice/machine-qemu\\x2dx.scope", name, sizeof(name)));
	ASSERT_TRUE(!members_vm_name("/machine.slice/machine-lxc\\x2d1\\x2dc.scope", name, sizeof(name)));
	ASSERT_TRUE(!members_vm_name("qemu-1-.libvirt-qemu", name, sizeof(name)));
}

TEST(members_match_vm_and_cgroup_globs)
{
	struct policy_match m[2] = {
		{ .kind = POLICY_MATCH_VM, .pattern = "web-*" },
		{ .kind = POLICY_MATCH_CGROUP, .pattern = "/batch/*" },
	};
	struct policy_group g = { .name = "g", .matches = m, .nr_matches = 2 };

	matches_compile(m, 2);
	ASSERT_TRUE(members_match(&g, "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope"));
	ASSERT_TRUE(!members_match(&g, "/machine.slice/machine-qemu\\x2d4\\x2ddb\\x2d1.scope"));
	ASSERT_TRUE(members_match(&g, "/batch/job1"));
	ASSERT_TRUE(!members_match(&g, "/batch/job1/sub"));
	matches_free(m, 2);
}

/* What the cgroup events build must equal what a scan would find: the
 * libvirt layout created top-down, then torn down bottom-up. */
TEST(members_follow_mkdir_and_rmdir_events)
{
	struct policy_match vm = { .kind = POLICY_MATCH_VM, .pattern = "web-*" };
	struct policy_match cg = { .kind = POLICY_MATCH_CGROUP, .pattern = "/batch/*" };
	struct policy_group groups[2] = {
		{ .name = "web", .matches = &vm, .nr_matches = 1 },
		{ .name = "batch", .matches = &cg, .nr_matches = 1 },
	};
	struct policy p = { .groups = groups, .nr_groups = 2 };
	struct group_members gm[2] = {};
	const char *scope = "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope";
	char emulator[200];

	matches_compile(&vm, 1);
	matches_compile(&cg, 1);
	snprintf(emulator, sizeof(emulator), "%s/libvirt/emulator", scope);
	ASSERT_EQ(members_add_cgroup(&p, gm, "/machine.slice", 10), 0);
	ASSERT_EQ(gm[0].nr, 0);
	ASSERT_EQ(members_add_cgroup(&p, gm, scope, 11), 0);
	ASSERT_EQ(members_add_cgroup(&p, gm, "/batch/job1", 30), 0);
	ASSERT_EQ(members_add_cgroup(&p, gm, "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope/libvirt", 12), 0);
	ASSERT_EQ(members_add_cgroup(&p, gm, emulator, 5), 0);
	/* a second event for one cgroup (scan raced the event) adds nothing */
	ASSERT_EQ(members_add_cgroup(&p, gm, emulator, 5), 0);
	ASSERT_EQ(gm[0].nr, 1);
	ASSERT_STREQ(gm[0].members[0].path, scope);
	ASSERT_EQ(gm[0].nr_owners, 3);
	ASSERT_EQ(members_owner(&gm[0], 5), 0);
	ASSERT_EQ(members_owner(&gm[0], 12), 0);
	ASSERT_EQ(members_owner(&gm[0], 30), -1);
	ASSERT_EQ(gm[1].nr, 1);
	ASSERT_EQ(members_owner(&gm[1], 30), 0);
	/* a name that only looks alike is not inside the member */
	ASSERT_EQ(members_add_cgroup(&p, gm, "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope2", 13), 0);
	ASSERT_EQ(members_owner(&gm[0], 13), -1);

	members_remove_cgroup(gm, 2, 5);
	members_remove_cgroup(gm, 2, 12);
	ASSERT_EQ(gm[0].nr, 1);
	ASSERT_EQ(gm[0].nr_owners, 1);
	members_remove_cgroup(gm, 2, 11);
	ASSERT_EQ(gm[0].nr, 0);
	ASSERT_EQ(gm[0].nr_owners, 0);
	ASSERT_EQ(gm[1].nr, 1);
	ASSERT_EQ(members_owner(&gm[1], 30), 0);
	members_free(gm, 2);
	matches_free(&vm, 1);
	matches_free(&cg, 1);
}

/* Removing a member renumbers the ones after it; their owners follow. */
TEST(members_remove_renumbers_owners)
{
	struct policy_match cg = { .kind = POLICY_MATCH_CGROUP, .pattern = "/vm-*" };
	struct policy_group g = { .name = "g", .matches = &cg, .nr_matches = 1 };
	struct policy p = { .groups = &g, .nr_groups = 1 };
	struct group_members gm[1] = {};

	matches_compile(&cg, 1);
	ASSERT_EQ(members_add_cgroup(&p, gm, "/vm-a", 1), 0);
	ASSERT_EQ(members_add_cgroup(&p, gm, "/vm-b", 2), 0);
	ASSERT_EQ(members_add_cgroup(&p, gm, "/vm-b/x", 3), 0);
	members_remove_cgroup(gm, 1, 1);
	ASSERT_EQ(gm[0].nr, 1);
	ASSERT_STREQ(gm[0].members[0].path, "/vm-b");
	ASSERT_EQ(members_owner(&gm[0], 3), 0);
	ASSERT_EQ(members_owner(&gm[0], 2), 0);
	members_free(gm, 1);
	matches_free(&cg, 1);
}
