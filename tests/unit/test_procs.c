// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "procs.h"
#include "matches.h"
#include "test.h"

/* argv as /proc/PID/cmdline has it: each argument NUL-terminated */
#define ARGV(s) s, sizeof(s) - 1

TEST(procs_qemu_name_forms)
{
	char name[64];
	bool qemu;

	ASSERT_TRUE(procs_qemu_name(ARGV("/usr/bin/qemu-system-x86_64\0-name\0guest=db-1,debug-threads=on\0-m\0512\0"),
				    NULL, name, sizeof(name), &qemu));
	ASSERT_STREQ(name, "db-1");
	ASSERT_TRUE(procs_qemu_name(ARGV("qemu-kvm\0-m\0512\0-name\0web-2\0"), NULL, name, sizeof(name), &qemu));
	ASSERT_STREQ(name, "web-2");
	ASSERT_TRUE(procs_qemu_name(ARGV("qemu-system-aarch64\0-name\0a,,b,process=x\0"), NULL, name,
				    sizeof(name), &qemu));
	ASSERT_STREQ(name, "a,b");
	ASSERT_TRUE(procs_qemu_name(ARGV("qemu-system-x86_64\0-name\0process=p,guest=g\0"), NULL, name,
				    sizeof(name), &qemu));
	ASSERT_STREQ(name, "g");
	/* argv[0] rewritten, the binary says it is QEMU */
	ASSERT_TRUE(procs_qemu_name(ARGV("vm\0-name\0guest=c\0"), "/usr/bin/qemu-system-x86_64", name,
				    sizeof(name), &qemu));
	ASSERT_STREQ(name, "c");
}

TEST(procs_qemu_name_rejects)
{
	char name[64] = "";
	bool qemu;

	ASSERT_TRUE(!procs_qemu_name(ARGV("/usr/bin/fio\0-name\0guest=x\0"), "/usr/bin/fio", name,
				     sizeof(name), &qemu));
	ASSERT_TRUE(!qemu);
	ASSERT_TRUE(!procs_qemu_name(ARGV("qemu-system-x86_64\0-m\0512\0"), NULL, name, sizeof(name), &qemu));
	ASSERT_TRUE(qemu);
	/* -name last, with no value; a value of only options */
	ASSERT_TRUE(!procs_qemu_name(ARGV("qemu-system-x86_64\0-name\0"), NULL, name, sizeof(name), &qemu));
	ASSERT_TRUE(!procs_qemu_name(ARGV("qemu-system-x86_64\0-name\0process=p\0"), NULL, name, sizeof(name),
				     &qemu));
	/* a cmdline cut short (no final NUL) is not read past its end */
	ASSERT_TRUE(!procs_qemu_name("qemu-kvm\0-name\0guest=abc", 22, NULL, name, sizeof(name), &qemu));
	ASSERT_TRUE(!procs_qemu_name("", 0, NULL, name, sizeof(name), &qemu));
}

TEST(procs_match_kinds)
{
	struct policy_match m[3] = {
		{ .kind = POLICY_MATCH_PID, .pattern = "42" },
		{ .kind = POLICY_MATCH_EXE, .pattern = "/usr/bin/fio*" },
		{ .kind = POLICY_MATCH_VM, .pattern = "db-*" },
	};
	struct policy_group g = { .name = "g", .matches = m, .nr_matches = 3 };
	struct proc_info pi = { .pid = 42 };

	matches_compile(m, 3);
	ASSERT_TRUE(procs_match(&g, &pi));
	pi.pid = 7;
	ASSERT_TRUE(!procs_match(&g, &pi));
	strcpy(pi.exe, "/usr/bin/fio");
	ASSERT_TRUE(procs_match(&g, &pi));
	strcpy(pi.exe, "/usr/bin/qemu-system-x86_64");
	strcpy(pi.vm_name, "db-1");
	ASSERT_TRUE(procs_match(&g, &pi));
	strcpy(pi.vm_name, "web-1");
	ASSERT_TRUE(!procs_match(&g, &pi));
	matches_free(m, 3);
}

TEST(procs_policy_watches_only_process_matches)
{
	struct policy_match cg = { .kind = POLICY_MATCH_CGROUP, .pattern = "/a" };
	struct policy_match vm = { .kind = POLICY_MATCH_VM, .pattern = "x" };
	struct policy_group g = { .name = "g", .matches = &cg, .nr_matches = 1 };
	struct policy p = { .groups = &g, .nr_groups = 1 };

	ASSERT_TRUE(!procs_policy_watches(&p));
	g.matches = &vm;
	ASSERT_TRUE(procs_policy_watches(&p));
}
