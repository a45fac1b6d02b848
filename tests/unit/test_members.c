// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "members.h"
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

	ASSERT_TRUE(members_match(&g, "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope"));
	ASSERT_TRUE(!members_match(&g, "/machine.slice/machine-qemu\\x2d4\\x2ddb\\x2d1.scope"));
	ASSERT_TRUE(members_match(&g, "/batch/job1"));
	ASSERT_TRUE(!members_match(&g, "/batch/job1/sub"));
}
